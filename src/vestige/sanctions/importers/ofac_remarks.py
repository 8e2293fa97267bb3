"""The structured facts hidden in OFAC's free-text remarks.

The legacy SDN CSV (and many older exports) carries dates of birth, places of
birth, nationalities, gender, identity documents and weak aliases only in the
``Remarks`` column, as ``;``-separated phrases such as ``DOB 12 Mar 1962``,
``nationality Russia``, ``Passport 515731854 (Russia)``, ``a.k.a. 'BELYY'``.
"""

from __future__ import annotations

import re

from ...core.countries import country_code
from ..records import EntityRecord
from .common import partial_dates

_ALT = r"(?:alt\.\s+)?"
_DOB = re.compile(rf"^{_ALT}DOB\s+(.+)$")
_POB = re.compile(rf"^{_ALT}POB\s+(.+)$")
_NATIONALITY = re.compile(rf"^{_ALT}(?:nationality|citizen)\s+(.+)$", re.I)
_GENDER = re.compile(r"^Gender\s+(Male|Female)$", re.I)
_WEAK_AKA = re.compile(r"^a\.k\.a\.\s+'(.+)'$")
_FKA = re.compile(r"^f\.k\.a\.\s+'(.+)'$")
_LINKED = re.compile(r"^Linked To:\s+(.+)$")
_ID_LABEL = (
    r"Passport|Diplomatic Passport|National ID No\.|Identification Number|Cedula No\.|"
    r"R\.F\.C\.|RFC|C\.U\.R\.P\.|CURP|Tax ID No\.|SSN|D\.N\.I\.|NIT #|RUC #|RTN|"
    r"V\.A\.T\. Number|Registration ID|Registration Number|Business Registration (?:Document )?"
    r"(?:#|Number)|Company Number|Commercial Registry Number|Matricula Mercantil No|"
    r"Folio Mercantil No\.|Trade License No\.|Personal ID Card|Driver's License No\.|"
    r"Residency Number|Birth Certificate Number|Electoral Registry No\.|Credencial electoral|"
    r"Public Security and Traffic Bureau|Kenyan ID No\.|US FEIN|SWIFT/BIC|MMSI|"
    r"Vessel Registration Identification|Aircraft Manufacturer's Serial Number \(MSN\)|"
    r"Aircraft Construction Number \(also called L/N or S/N or F/N\)|Legal Entity Number|"
    r"[A-Z][A-Za-z. ]{0,40}(?:ID|No\.|Number|#)"
)
_IDENTIFIER = re.compile(
    rf"^{_ALT}(?P<label>{_ID_LABEL})\s+(?P<value>[^()]*?\d[^()]*?)"
    r"(?:\s*\((?P<country>[^()]+)\))?$"
)

_NOT_ID = re.compile(r"Phone|Fax|Telephone", re.I)


def split_remarks(remarks: str) -> list[str]:
    """The ``;``-separated phrases of a remarks field, without the final full stop."""
    text = remarks.strip()
    if text.endswith("."):
        text = text[:-1]
    return [part.strip() for part in text.split(";") if part.strip()]


def apply_remarks(record: EntityRecord, remarks: str) -> None:
    """Fill a record's structured fields from OFAC remarks; keep the text as well."""
    record.remarks = remarks
    places: list[str] = []
    unknown_countries: list[str] = []
    linked: list[str] = []
    for part in split_remarks(remarks):
        if match := _DOB.match(part):
            for value in partial_dates(match.group(1)):
                record.add_unique("birth_dates", value)
        elif match := _POB.match(part):
            places.append(match.group(1))
        elif match := _NATIONALITY.match(part):
            code = country_code(match.group(1))
            if code:
                record.add_unique("nationalities", code)
            else:
                unknown_countries.append(match.group(1))
        elif match := _GENDER.match(part):
            record.gender = match.group(1).lower()
        elif match := _WEAK_AKA.match(part):
            record.add_name(match.group(1), "weak_aka")
        elif match := _FKA.match(part):
            record.add_name(match.group(1), "fka")
        elif match := _LINKED.match(part):
            linked.append(match.group(1))
        elif (match := _IDENTIFIER.match(part)) and not _NOT_ID.search(match.group("label")):
            country = match.group("country") or ""
            kind = _id_type(match.group("label"))
            value = match.group("value")
            if kind == "imo":
                value = value.removeprefix("IMO").strip()
            record.add_identifier(kind, value, country_code(country) or country)
    if places:
        record.raw["birth_places"] = places
    if unknown_countries:
        record.raw["nationality_text"] = unknown_countries
    if linked:
        record.raw["linked_to"] = linked


_ID_TYPES = {
    "Passport": "passport",
    "Diplomatic Passport": "passport",
    "National ID No.": "national_id",
    "Identification Number": "national_id",
    "Personal ID Card": "national_id",
    "Cedula No.": "national_id",
    "D.N.I.": "national_id",
    "C.U.R.P.": "national_id",
    "CURP": "national_id",
    "SSN": "national_id",
    "R.F.C.": "tax_id",
    "RFC": "tax_id",
    "Tax ID No.": "tax_id",
    "NIT #": "tax_id",
    "RUC #": "tax_id",
    "RTN": "tax_id",
    "US FEIN": "tax_id",
    "V.A.T. Number": "tax_id",
    "Vessel Registration Identification": "imo",
    "MMSI": "mmsi",
    "SWIFT/BIC": "swift",
}


def _id_type(label: str) -> str:
    """A short, stable type for a label; unusual labels are kept as written."""
    return _ID_TYPES.get(label, label)
