"""List readers: one per file format, free of Django.

Each reader streams a file into :class:`~vestige.sanctions.records.EntityRecord`
objects; :mod:`vestige.sanctions.importing` stores them as a list version.
"""

from __future__ import annotations

from pathlib import Path

from ...core.errors import UserError
from .common import Header, ListFormatError, ListReader
from .eu_xml import EuXmlReader
from .ftm import FtmReader
from .ofac_csv import OfacCsvReader
from .ofac_xml import OfacXmlReader
from .un_xml import UnXmlReader

__all__ = ["FORMATS", "Header", "ListFormatError", "ListReader", "reader_for"]

FORMATS: dict[str, type[ListReader]] = {
    "ofac-csv": OfacCsvReader,
    "ofac-xml": OfacXmlReader,
    "ftm": FtmReader,
    "un-xml": UnXmlReader,
    "eu-xml": EuXmlReader,
}


def reader_for(fmt: str, path: Path, alt_path: Path | None = None) -> ListReader:
    """The reader for a format name, checking the file exists."""
    if fmt not in FORMATS:
        raise UserError(f"unknown list format {fmt!r}; use one of: {', '.join(FORMATS)}")
    if not path.is_file():
        raise UserError(f"no such file: {path}")
    if fmt == "ofac-csv":
        if alt_path is not None and not alt_path.is_file():
            raise UserError(f"no such aliases file: {alt_path}")
        return OfacCsvReader(path, alt_path)
    if alt_path is not None:
        raise UserError("--alt applies only to the ofac-csv format")
    return FORMATS[fmt](path)
