"""Reading the OFAC SDN CSV for the screening benchmarks, independently of Vestige's importer.

Kept free of Vestige imports so that the labelled set and the baselines (which run in their own
virtual environment) read the list the same way, and so the labelled set's ground truth does not
depend on the code under test.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SDN = SHARED / "ofac_sdn_2019_sdn.csv"
ALT = SHARED / "ofac_sdn_2019_alt.csv"
_MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
        start=1,
    )
}
_DOB = re.compile(r"\bDOB (?:circa )?(\d{1,2} )?([A-Z][a-z]{2} )?(\d{4})")
_COUNTRIES = {
    "russia": "RU",
    "ukraine": "UA",
    "belarus": "BY",
    "azerbaijan": "AZ",
    "armenia": "AM",
    "syria": "SY",
    "iran": "IR",
    "iraq": "IQ",
    "colombia": "CO",
    "mexico": "MX",
    "venezuela": "VE",
    "cuba": "CU",
    "lebanon": "LB",
    "afghanistan": "AF",
    "pakistan": "PK",
    "yemen": "YE",
    "libya": "LY",
    "north korea": "KP",
    "korea, north": "KP",
    "sudan": "SD",
    "saudi arabia": "SA",
    "kazakhstan": "KZ",
    "georgia": "GE",
    "turkey": "TR",
    "china": "CN",
    "spain": "ES",
    "kuwait": "KW",
    "egypt": "EG",
    "jordan": "JO",
    "somalia": "SO",
}
_NATIONALITY = re.compile(r"\b(?:nationality|citizen) ([A-Z][A-Za-z ,]+?)(?:;|\.|$)")


@dataclass
class Entity:
    """One OFAC entry: its ent_num, type, names (primary first), DOBs and nationalities."""

    ent_num: str
    sdn_type: str
    programme: str
    names: list[str] = field(default_factory=list)
    dobs: list[str] = field(default_factory=list)
    nationalities: list[str] = field(default_factory=list)

    @property
    def is_person(self) -> bool:
        return self.sdn_type == "individual"


def _clean(value: str) -> str:
    value = value.strip()
    return "" if value == "-0-" else value


def _dobs(remarks: str) -> list[str]:
    out = []
    for day, month, year in _DOB.findall(remarks):
        parts = [year]
        if month and month.strip().lower() in _MONTHS:
            parts.append(f"{_MONTHS[month.strip().lower()]:02d}")
            if day:
                parts.append(f"{int(day):02d}")
        out.append("-".join(parts))
    return out


def load_ofac(sdn: Path = SDN, alt: Path = ALT) -> dict[str, Entity]:
    """Every entry of the SDN CSV, with the aliases from alt.csv."""
    entities: dict[str, Entity] = {}
    with sdn.open(encoding="latin-1", newline="") as handle:
        for row in csv.reader(handle):
            if len(row) < 12 or not row[0].strip().isdigit():
                continue
            remarks = _clean(row[11])
            nats = []
            for country in _NATIONALITY.findall(remarks):
                code = _COUNTRIES.get(country.strip().lower())
                if code and code not in nats:
                    nats.append(code)
            entities[row[0].strip()] = Entity(
                row[0].strip(),
                _clean(row[2]),
                _clean(row[3]),
                [_clean(row[1])],
                _dobs(remarks),
                nats,
            )
    with alt.open(encoding="latin-1", newline="") as handle:
        for row in csv.reader(handle):
            if len(row) < 4 or row[0].strip() not in entities:
                continue
            name = _clean(row[3])
            if name and name not in entities[row[0].strip()].names:
                entities[row[0].strip()].names.append(name)
    return entities
