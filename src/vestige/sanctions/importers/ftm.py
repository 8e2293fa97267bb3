"""FollowTheMoney entities as JSON lines, the way OpenSanctions publishes them.

Each line is one entity: ``{"id", "schema", "properties": {...}, "datasets",
"last_change", ...}``.  Persons, organisations, companies, vessels and airplanes
become listed entities; ``Sanction`` entities contribute programmes, and
``Passport``/``Identification`` entities identifiers, to the entity they name.
Because those may come before or after their target, a first streaming pass
indexes them (and finds the newest ``last_change``, which dates the export).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from ...core.countries import country_code
from ..records import EntityRecord
from .common import Header, ListFormatError, ListReader, publication_date

_SCHEMAS = {
    "Person": "person",
    "Organization": "organization",
    "Company": "organization",
    "PublicBody": "organization",
    "LegalEntity": "unknown",
    "Vessel": "vessel",
    "Airplane": "aircraft",
}
_NAME_PROPERTIES = (("alias", "aka"), ("weakAlias", "weak_aka"), ("previousName", "fka"))
_ID_PROPERTIES = (
    ("passportNumber", "passport"),
    ("idNumber", "national_id"),
    ("taxNumber", "tax_id"),
    ("innCode", "tax_id"),
    ("registrationNumber", "registration"),
    ("ogrnCode", "registration"),
    ("imoNumber", "imo"),
    ("mmsi", "mmsi"),
    ("swiftBic", "swift"),
    ("leiCode", "lei"),
)


class FtmReader(ListReader):
    format = "ftm"
    source = "opensanctions"
    label = "OpenSanctions (FollowTheMoney)"

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self._programmes: dict[str, list[str]] = {}
        self._identifiers: dict[str, list[dict[str, str]]] = {}
        self._header: Header | None = None

    def _entities(self) -> Iterator[tuple[int, dict[str, Any]]]:
        with self.open_counted() as handle:
            for number, raw in enumerate(io.BufferedReader(handle), start=1):
                if not raw.strip():
                    continue
                try:
                    entity = json.loads(raw)
                except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                    raise ListFormatError(
                        self.where(f"line {number}: not valid JSON ({exc})")
                    ) from exc
                if not isinstance(entity, dict) or not entity.get("id") or not entity.get("schema"):
                    raise ListFormatError(
                        self.where(f"line {number}: not a FollowTheMoney entity (no id or schema)")
                    )
                if not isinstance(entity.get("properties", {}), dict):
                    raise ListFormatError(self.where(f"line {number}: properties is not an object"))
                yield number, entity

    def header(self) -> Header:
        """First pass: index sanctions and documents, find the newest change."""
        if self._header is not None:
            return self._header
        newest: date | None = None
        datasets: set[str] = set()
        for _number, entity in self._entities():
            changed = publication_date(str(entity.get("last_change") or ""))
            if changed and (newest is None or changed > newest):
                newest = changed
            datasets.update(str(name) for name in entity.get("datasets") or [])
            self._index(entity)
        name = self.label + (f": {', '.join(sorted(datasets))}" if datasets else "")
        self._header = Header(newest, name[:300])
        return self._header

    def _index(self, entity: dict[str, Any]) -> None:
        schema = entity["schema"]
        properties: dict[str, list[str]] = entity.get("properties") or {}
        if schema == "Sanction":
            programmes = [*properties.get("program", []), *properties.get("programId", [])]
            for target in properties.get("entity", []):
                found = self._programmes.setdefault(str(target), [])
                found.extend(p for p in programmes if p not in found)
        elif schema in ("Passport", "Identification"):
            kind = (
                "passport"
                if schema == "Passport"
                else (properties.get("type") or ["national_id"])[0]
            )
            countries = properties.get("country", [])
            for holder in properties.get("holder", []):
                for number in properties.get("number", []):
                    self._identifiers.setdefault(str(holder), []).append(
                        {
                            "type": kind,
                            "value": number,
                            "country": _code(countries[0]) if countries else "",
                        }
                    )

    def records(self) -> Iterator[EntityRecord]:
        self.header()
        for _number, entity in self._entities():
            schema = _SCHEMAS.get(entity["schema"])
            if schema is not None:
                record = self._record(entity, schema)
                if record is not None:
                    yield record

    def _record(self, entity: dict[str, Any], schema: str) -> EntityRecord | None:
        properties: dict[str, list[str]] = entity.get("properties") or {}
        names = [str(name) for name in properties.get("name", []) if str(name).strip()]
        primary = str(entity.get("caption") or "") or (names[0] if names else "")
        if not primary:
            return None  # an unnamed entity cannot be screened
        entity_id = str(entity["id"])
        record = EntityRecord(entity_id=entity_id, primary_name=primary, schema=schema)
        for name in names:
            record.add_name(name, "aka")
        for prop, kind in _NAME_PROPERTIES:
            for name in properties.get(prop, []):
                record.add_name(str(name), kind)
        for value in properties.get("birthDate", []):
            record.add_unique("birth_dates", str(value)[:10])
        for prop in ("nationality", "citizenship"):
            for value in properties.get(prop, []):
                record.add_unique("nationalities", _code(str(value)))
        genders = properties.get("gender", [])
        if genders:
            record.gender = str(genders[0]).lower()
        for prop, kind in _ID_PROPERTIES:
            for value in properties.get(prop, []):
                record.add_identifier(kind, str(value))
        for identifier in self._identifiers.get(entity_id, []):
            record.add_identifier(identifier["type"], identifier["value"], identifier["country"])
        for prop in ("program", "programId"):
            for value in properties.get(prop, []):
                record.add_unique("programmes", str(value))
        for value in self._programmes.get(entity_id, []):
            record.add_unique("programmes", value)
        record.remarks = "; ".join(str(note) for note in properties.get("notes", []))[:5000]
        record.raw = {
            key: entity[key]
            for key in ("datasets", "topics", "first_seen", "last_seen", "last_change")
            if entity.get(key)
        }
        topics = properties.get("topics")
        if topics:
            record.raw["topics"] = topics
        return record


def _code(value: str) -> str:
    """FtM writes countries as lower-case ISO codes (``ru``), sometimes longer (``suhh``)."""
    return country_code(value) if len(value) == 2 else ""
