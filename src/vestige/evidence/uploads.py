"""Evidence uploaded through the web page or the API, handed to the same importer as
``vestige import``."""

from __future__ import annotations

import functools
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from ..cases.models import Case
from .bundles import safe_file_name
from .custody import actor_label
from .importing import FileOutcome, Importer


def upload_folder() -> Path:
    """Where uploads wait while they are imported (inside the data folder, never in /tmp)."""
    folder = Path(settings.DATA_DIR) / "uploads"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def upload_label(shown: str, folder: Path, channel: str) -> str:
    """How an uploaded file's origin is recorded: ``<channel>/<name>``, never the server's
    temporary path."""
    try:
        relative = Path(shown).relative_to(folder).as_posix()
    except ValueError:
        relative = Path(shown).name
    return f"{channel}/{relative}"


def import_uploads(
    case: Case,
    uploads: Iterable[UploadedFile],
    user: Any,
    note: str = "",
    channel: str = "web upload",
) -> list[tuple[str, FileOutcome]]:
    """Import each uploaded file into ``case``; return (file name, outcome) pairs.

    Each file is written, under its sanitised name, into a folder of its own, imported, and the
    folder removed again, so two uploads with the same name never meet and nothing is left behind.
    """
    results: list[tuple[str, FileOutcome]] = []
    limit = int(settings.MAX_UPLOAD_BYTES)
    for upload in uploads:
        name = safe_file_name(Path((upload.name or "").replace("\\", "/")).name, fallback="upload")
        if upload.size is not None and upload.size > limit:
            results.append((name, FileOutcome(
                name, "refused", size=upload.size,
                message=f"larger than the limit of {limit // (1024 * 1024)} MB",
            )))
            continue
        folder = Path(tempfile.mkdtemp(prefix="web-", dir=upload_folder()))
        try:
            with open(folder / name, "xb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
            importer = Importer(
                case, actor=actor_label(user), user=user, note=note, workers=1,
                path_label=functools.partial(upload_label, folder=folder, channel=channel),
            )
            summary = importer.run([folder])
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        results.extend((name, outcome) for outcome in summary.outcomes)
    return results
