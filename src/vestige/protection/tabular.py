"""Reading CSV and XLSX files row by row, without loading the whole file (no Django).

Rows are numbered as a spreadsheet shows them: the header is row 1, the first record row 2, so a
report's "row 7" is the row a person finds at 7 in Excel or LibreOffice. A CSV's delimiter is
sniffed from its header line (KoboToolbox writes ';' by default, Excel often ','; tab-separated
text works too); UTF-8 (with or without BOM) and UTF-16 with a BOM are read. An XLSX is opened
with openpyxl's read-only mode, which streams the sheet's XML: the first sheet is read (Kobo
puts the main form there and repeat groups on later sheets).
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..core.errors import UserError

XLSX_SUFFIXES = (".xlsx", ".xlsm")
CSV_SUFFIXES = (".csv", ".tsv", ".txt")

Row = tuple[int, list[str]]


def cell_text(value: Any) -> str:
    """A spreadsheet cell as text: dates as ISO 8601, whole floats without ".0"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return str(Decimal(str(value)))
    return str(value).strip()


def file_format(path: Path) -> str:
    """``"xlsx"`` or ``"csv"``, from the suffix, or from the first bytes when it says nothing."""
    suffix = path.suffix.casefold()
    if suffix in XLSX_SUFFIXES:
        return "xlsx"
    if suffix in CSV_SUFFIXES:
        return "csv"
    if suffix == ".xls":
        raise UserError(
            f"{path.name}: old Excel .xls files cannot be read; save it as .xlsx or CSV UTF-8"
        )
    with open(path, "rb") as handle:
        start = handle.read(4)
    return "xlsx" if start.startswith(b"PK\x03\x04") else "csv"


def _encoding(path: Path) -> str:
    with open(path, "rb") as handle:
        start = handle.read(4)
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return "utf-8-sig"


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


@contextmanager
def open_rows(path: Path) -> Iterator[Iterator[Row]]:
    """Yield an iterator of (row number, cells as text) for a CSV or XLSX file."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"no such file: {path}")
    if file_format(path) == "xlsx":
        with _xlsx_rows(path) as rows:
            yield rows
    else:
        with _csv_rows(path) as rows:
            yield rows


@contextmanager
def _csv_rows(path: Path) -> Iterator[Iterator[Row]]:
    encoding = _encoding(path)
    with open(path, encoding=encoding, newline="") as handle:
        try:
            first = handle.readline()
        except UnicodeDecodeError:
            raise UserError(
                f"{path.name}: the header row is not UTF-8 text; save the file as 'CSV UTF-8'"
            ) from None
        handle.seek(0)  # the decoder starts afresh and skips the BOM again
        reader = csv.reader(handle, delimiter=_delimiter(first))

        def rows() -> Iterator[Row]:
            number = 0
            while True:
                try:
                    record = next(reader)
                except StopIteration:
                    return
                except UnicodeDecodeError:
                    raise UserError(
                        f"{path.name}: row {number + 1} is not UTF-8 text; save the file as "
                        "'CSV UTF-8'"
                    ) from None
                except csv.Error as exc:
                    raise UserError(
                        f"{path.name}: row {number + 1} is not valid CSV ({_csv_reason(exc)})"
                    ) from None
                number += 1
                yield number, [cell.strip() for cell in record]

        yield rows()


def _csv_reason(exc: csv.Error) -> str:
    """The csv module's message without the row's contents (it can quote them)."""
    text = str(exc)
    if "field larger than field limit" in text:
        return "a cell is too large"
    if "NUL" in text or "null byte" in text:
        return "it contains NUL bytes; is it really CSV?"
    return "unbalanced quotes or a stray delimiter"


@contextmanager
def _xlsx_rows(path: Path) -> Iterator[Iterator[Row]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise UserError(
            f"{path.name}: not a readable XLSX workbook ({type(exc).__name__})"
        ) from None
    try:
        if not workbook.worksheets:
            raise UserError(f"{path.name}: the workbook has no sheet")
        sheet = workbook.worksheets[0]

        def rows() -> Iterator[Row]:
            for number, values in enumerate(sheet.iter_rows(values_only=True), 1):
                cells = [cell_text(v) for v in values]
                while cells and cells[-1] == "":
                    cells.pop()
                yield number, cells

        yield rows()
    finally:
        workbook.close()


def write_xlsx_row(path: Path, header: list[str]) -> None:
    """Write a workbook whose first sheet holds only ``header`` (the import template)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("registry")
    sheet.append(header)
    buffer = io.BytesIO()
    workbook.save(buffer)
    path.write_bytes(buffer.getvalue())
