"""The legacy OFAC SDN CSV pair: ``sdn.csv`` (entities) and ``alt.csv`` (aliases).

The files have no header row and no publication date, and use ``-0-`` for an
empty field.  Structured facts live in the remarks (see :mod:`.ofac_remarks`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

from ...core.errors import UserError
from ..records import EntityRecord
from .common import Header, ListFormatError, ListReader
from .ofac_remarks import apply_remarks

SDN_COLUMNS = (
    "ent_num",
    "SDN_Name",
    "SDN_Type",
    "Program",
    "Title",
    "Call_Sign",
    "Vess_type",
    "Tonnage",
    "GRT",
    "Vess_flag",
    "Vess_owner",
    "Remarks",
)
ALT_COLUMNS = ("ent_num", "alt_num", "alt_type", "alt_name", "alt_remarks")
_SCHEMAS = {"individual": "person", "vessel": "vessel", "aircraft": "aircraft", "": "organization"}
_ALT_KINDS = {"aka": "aka", "fka": "fka", "nka": "aka"}
_VESSEL_FIELDS = ("Call_Sign", "Vess_type", "Tonnage", "GRT", "Vess_flag", "Vess_owner")


def empty(value: str) -> str:
    """OFAC writes an empty field as ``-0-`` (with stray spaces)."""
    value = value.strip()
    return "" if value == "-0-" else value


def split_programmes(value: str) -> list[str]:
    """``SDGT] [SDT`` → ``["SDGT", "SDT"]`` (the CSV joins programmes like this)."""
    return [part.strip(" []") for part in value.split("] [") if part.strip(" []")]


def _lines(handle: io.RawIOBase) -> Iterator[str]:
    """Decoded lines: UTF-8, or Windows-1252 for the older files that use it."""
    for raw in io.BufferedReader(handle):
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            yield raw.decode("cp1252", errors="replace")


class OfacCsvReader(ListReader):
    format = "ofac-csv"
    source = "ofac"
    label = "OFAC SDN list (legacy CSV)"

    def __init__(self, path: Path, alt_path: Path | None = None) -> None:
        super().__init__(path)
        self.alt_path = alt_path if alt_path is not None else default_alt_path(path)

    def companions(self) -> list[Path]:
        return [self.alt_path] if self.alt_path is not None else []

    def header(self) -> Header:
        """The legacy CSV states no date: the caller must give ``--as-of``."""
        return Header(published=None, name=self.label)

    def aliases(self) -> dict[str, list[tuple[str, str]]]:
        """Aliases by ent_num, read from alt.csv (an index, not the entity file)."""
        found: dict[str, list[tuple[str, str]]] = {}
        if self.alt_path is None:
            return found
        try:
            handle = self.alt_path.open("rb")
        except OSError as exc:
            raise UserError(f"cannot read the aliases file {self.alt_path}: {exc}") from exc
        with handle:
            reader = csv.reader(_lines(handle))  # type: ignore[arg-type]
            for row in reader:
                if not row or not "".join(row).strip():
                    continue
                if len(row) != len(ALT_COLUMNS):
                    raise ListFormatError(
                        f"{self.alt_path.name}: line {reader.line_num}: expected "
                        f"{len(ALT_COLUMNS)} columns ({', '.join(ALT_COLUMNS)}), found {len(row)}"
                    )
                ent_num, _alt_num, alt_type, alt_name, _alt_remarks = (empty(v) for v in row)
                if not ent_num.isdigit():
                    raise ListFormatError(
                        f"{self.alt_path.name}: line {reader.line_num}: ent_num "
                        f"{ent_num!r} is not a number"
                    )
                if alt_name:
                    kind = _ALT_KINDS.get(alt_type.lower(), "aka")
                    found.setdefault(ent_num, []).append((alt_name, kind))
        return found

    def records(self) -> Iterator[EntityRecord]:
        aliases = self.aliases()
        with self.open_counted() as handle:
            reader = csv.reader(_lines(handle))
            for row in reader:
                if not row or not "".join(row).strip() or row[0].startswith("\x1a"):
                    continue  # blank lines and the DOS end-of-file mark
                yield self._record(row, reader.line_num, aliases)

    def _record(
        self, row: list[str], line: int, aliases: dict[str, list[tuple[str, str]]]
    ) -> EntityRecord:
        if len(row) != len(SDN_COLUMNS):
            raise ListFormatError(
                self.where(
                    f"line {line}: expected {len(SDN_COLUMNS)} columns "
                    f"({', '.join(SDN_COLUMNS)}), found {len(row)}"
                )
            )
        values = dict(zip(SDN_COLUMNS, (empty(v) for v in row), strict=True))
        ent_num = values["ent_num"]
        if not ent_num.isdigit():
            raise ListFormatError(self.where(f"line {line}: ent_num {ent_num!r} is not a number"))
        if not values["SDN_Name"]:
            raise ListFormatError(self.where(f"line {line}: ent_num {ent_num} has no SDN_Name"))
        record = EntityRecord(
            entity_id=ent_num,
            primary_name=values["SDN_Name"],
            schema=_SCHEMAS.get(values["SDN_Type"].lower(), "unknown"),
            programmes=split_programmes(values["Program"]),
        )
        for name, kind in aliases.get(ent_num, []):
            record.add_name(name, kind)
        if values["Remarks"]:
            apply_remarks(record, values["Remarks"])
        if values["Title"]:
            record.raw["title"] = values["Title"]
        vessel = {key: values[key] for key in _VESSEL_FIELDS if values[key]}
        if vessel:
            record.raw["vessel"] = vessel
        return record


def default_alt_path(sdn_path: Path) -> Path | None:
    """The alt.csv beside an sdn.csv: ``x_sdn.csv`` → ``x_alt.csv``, ``sdn.csv`` → ``alt.csv``."""
    name = sdn_path.name
    for old, new in (("sdn.csv", "alt.csv"), ("SDN.CSV", "ALT.CSV"), ("sdn.CSV", "alt.CSV")):
        if name.endswith(old):
            candidate = sdn_path.with_name(name[: -len(old)] + new)
            if candidate.exists():
                return candidate
    return None
