"""Bringing one file into the blob store: the part of an import that runs in worker processes.

:func:`ingest_file` stores the original (streaming, atomic), detects its media type from the
content, runs the extraction stages and stores their derivatives. It touches no database: it
returns an :class:`IngestResult` that the importer writes down in one transaction.
"""

from __future__ import annotations

import functools
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .blobstore import LocalBlobStore
from .errors import ExtractionError
from .mediatype import detect_media_type, extension_mismatch
from .stages import DEFAULT_STAGES, Stage


@dataclass
class DerivativeRecord:
    kind: str
    sha256: str
    size: int
    media_type: str
    tool: str


@dataclass
class IngestResult:
    """Everything learned about one file, ready to be recorded."""

    sha256: str
    size: int
    blob_created: bool
    media_type: str
    warnings: list[str] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    captured_at: str | None = None
    derivatives: list[DerivativeRecord] = field(default_factory=list)


@functools.cache
def _store(root: Path, fsync: bool) -> LocalBlobStore:
    """One store object per worker process (creating it checks its folders)."""
    return LocalBlobStore(root, fsync=fsync)


def ingest_file(
    path: Path,
    store_root: Path,
    fsync: bool = True,
    stages: tuple[type[Stage], ...] = DEFAULT_STAGES,
    display_name: str | None = None,
) -> IngestResult:
    """Store ``path`` and everything derived from it; raise OSError if it cannot be read."""
    store = _store(store_root, fsync)
    stored = store.put_file(path)
    blob_path = store.path_for(stored.sha256)
    # Everything below reads the stored copy, whose bytes are known, not the source file.
    media_type = detect_media_type(blob_path)
    result = IngestResult(stored.sha256, stored.size, stored.created, media_type)
    mismatch = extension_mismatch(display_name or path.name, media_type)
    if mismatch:
        result.warnings.append(mismatch)
    applicable = [stage for stage in (cls() for cls in stages) if stage.applies_to(media_type)]
    if not applicable:
        return result
    with tempfile.TemporaryDirectory(dir=store.tmp, prefix="work-") as work:
        for stage in applicable:
            stage_dir = Path(work) / stage.name
            stage_dir.mkdir()
            try:
                outcome = stage.run(blob_path, media_type, stage_dir)
            except ExtractionError as exc:
                result.errors.append({"stage": stage.tool(), "error": str(exc)})
                continue
            except Exception as exc:  # a hostile file must not stop the import
                result.errors.append(
                    {"stage": stage.tool(), "error": f"{type(exc).__name__}: {exc}"}
                )
                continue
            result.errors.extend({"stage": stage.tool(), "error": e} for e in outcome.errors)
            result.warnings.extend(outcome.warnings)
            result.metadata.update(outcome.metadata)
            if outcome.captured_at and not result.captured_at:
                result.captured_at = outcome.captured_at
            for derived in outcome.derived:
                blob = store.put_file(derived.path)
                result.derivatives.append(
                    DerivativeRecord(
                        derived.kind, blob.sha256, blob.size, derived.media_type, derived.tool
                    )
                )
    return result
