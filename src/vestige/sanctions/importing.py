"""Storing a list file as a version: what ``vestige lists import`` runs.

:func:`import_file` hashes the file, decides the publication date (from the file,
or ``--as-of``), refuses a second, different file for the same source and date,
treats the same file imported again as a no-op, and stores every entity in one
transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.db import transaction

from ..core.errors import UserError
from .importers import ListFormatError, ListReader, reader_for
from .models import SanctionsList
from .store import create_list, import_entities

__all__ = ["ImportResult", "ListFormatError", "file_sha256", "import_file"]


@dataclass
class ImportResult:
    """What an import did: ``created`` is False when the file was already there."""

    list: SanctionsList
    created: bool
    message: str


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def import_file(
    fmt: str,
    path: Path,
    *,
    as_of: date | None = None,
    alt_path: Path | None = None,
    source: str | None = None,
    imported_by_label: str = "",
    on_progress: Callable[[ListReader, int, int], None] | None = None,
) -> ImportResult:
    """Import one list file as a new version, or report that it is already there.

    ``as_of`` overrides the date the file states (and is required for files that
    state none, like the legacy OFAC CSV).  ``source`` overrides the reader's
    source, e.g. to keep two OpenSanctions datasets apart.
    """
    reader = reader_for(fmt, path, alt_path)
    source = source or reader.source
    digest = file_sha256(path)
    companions = reader.companions()
    if companions:  # e.g. the OFAC alt.csv: a different alias file is a different version
        joined = "".join([digest, *(file_sha256(extra) for extra in companions)])
        digest = hashlib.sha256(joined.encode()).hexdigest()
    same = SanctionsList.objects.filter(source=source, file_sha256=digest).first()
    if same is not None:
        return ImportResult(
            same,
            False,
            f"already imported: this file is {source} published {same.published.isoformat()} "
            f"({same.entity_count} entities); nothing changed",
        )
    header = reader.header()
    published = as_of or header.published
    if published is None:
        raise UserError(
            f"{path.name} states no publication date ({fmt} files have none); "
            "give the date the list was published with --as-of YYYY-MM-DD"
        )
    clash = SanctionsList.objects.filter(source=source, published=published).first()
    if clash is not None:
        raise UserError(
            f"{source} published {published.isoformat()} is already imported from a different "
            f"file (sha256 {clash.file_sha256[:12]}…); a version is never replaced — "
            "give another --as-of date if this is a different publication"
        )

    def progress(entities: int, names: int) -> None:
        if on_progress is not None:
            on_progress(reader, entities, names)

    with transaction.atomic():
        target = create_list(
            source=source,
            fmt=fmt,
            name=header.name,
            published=published,
            file_sha256=digest,
            imported_by_label=imported_by_label,
        )
        entities, names = import_entities(target, reader.records(), on_batch=progress)
        if entities == 0:
            raise ListFormatError(f"{path.name}: no entities found; is this a {fmt} file?")
    return ImportResult(
        target,
        True,
        f"imported {source} published {published.isoformat()}: {entities} entities, {names} names",
    )
