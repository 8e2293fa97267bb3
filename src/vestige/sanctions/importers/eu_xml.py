"""The EU consolidated list of financial sanctions (``export``, namespace
``http://eu.europa.ec/fpi/fsd/export``).

Everything is in attributes: ``export/@generationDate`` dates the file; each
``sanctionEntity`` (``@logicalId``, ``@euReferenceNumber``) has ``regulation``
(``@programme``), ``subjectType`` (``@code`` person/enterprise), ``nameAlias``
(``@wholeName``, ``@firstName``, ``@lastName``, ``@gender``, ``@nameLanguage``,
``@strong``), ``birthdate`` (``@birthdate`` or ``@year``/``@monthOfYear``/
``@dayOfMonth``), ``citizenship`` (``@countryIso2Code``) and ``identification``
(``@number``, ``@identificationTypeCode``, ``@countryIso2Code``).
"""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from ...core.countries import country_code
from ..records import EntityRecord
from .common import Header, ListReader, children, partial_dates, publication_date

_SCHEMAS = {
    "person": "person",
    "enterprise": "organization",
    "vessel": "vessel",
    "aircraft": "aircraft",
}
_ID_TYPES = {
    "passport": "passport",
    "id": "national_id",
    "fiscalcode": "tax_id",
    "regnumber": "registration",
}


class EuXmlReader(ListReader):
    format = "eu-xml"
    source = "eu"
    label = "EU consolidated financial sanctions list"

    def header(self) -> Header:
        for _event, _tag, element in self.xml_elements(("export",), ("start",)):
            return Header(publication_date(element.get("generationDate", "")), self.label)
        return Header(None, self.label)

    def records(self) -> Iterator[EntityRecord]:
        for _event, _tag, element in self.xml_elements(("sanctionEntity",)):
            yield self._record(element)

    def _record(self, entity: etree._Element) -> EntityRecord:
        logical_id = entity.get("logicalId", "").strip()
        if not logical_id:
            raise self.missing(entity, "logicalId attribute")
        names = [self._whole_name(alias) for alias in children(entity, "nameAlias")]
        names = [name for name in names if name]
        if not names:
            raise self.missing(entity, f"<nameAlias> with a name (logicalId {logical_id})")
        subject = children(entity, "subjectType")
        code = subject[0].get("code", "").lower() if subject else ""
        record = EntityRecord(
            entity_id=logical_id, primary_name=names[0], schema=_SCHEMAS.get(code, "unknown")
        )
        reference = entity.get("euReferenceNumber", "").strip()
        if reference:
            record.raw["eu_reference_number"] = reference
        united_nations = entity.get("unitedNationId", "").strip()
        if united_nations:
            record.raw["un_reference_number"] = united_nations
        for regulation in children(entity, "regulation"):
            record.add_unique("programmes", regulation.get("programme", "").strip())
        for alias in children(entity, "nameAlias"):
            strong = alias.get("strong", "true").lower() != "false"
            record.add_name(self._whole_name(alias), "aka" if strong else "weak_aka")
            gender = alias.get("gender", "").upper()
            if gender in ("M", "F") and not record.gender:
                record.gender = "male" if gender == "M" else "female"
        for citizenship in children(entity, "citizenship"):
            code_text = citizenship.get("countryIso2Code", "") or citizenship.get(
                "countryDescription", ""
            )
            record.add_unique("nationalities", country_code(code_text) if code_text != "00" else "")
        for birth in children(entity, "birthdate"):
            for value in _birth_dates(birth):
                record.add_unique("birth_dates", value)
        for document in children(entity, "identification"):
            number = document.get("number", "").strip()
            if number:
                kind = document.get("identificationTypeCode", "").strip()
                country = document.get("countryIso2Code", "")
                record.add_identifier(
                    _ID_TYPES.get(kind.lower(), kind or "document"),
                    number,
                    country if country and country != "00" else "",
                )
        remark = children(entity, "remark")
        if remark:
            record.remarks = (remark[0].text or "").strip()
        return record

    @staticmethod
    def _whole_name(alias: etree._Element) -> str:
        whole = alias.get("wholeName", "").strip()
        if whole:
            return whole
        parts = [alias.get(key, "").strip() for key in ("firstName", "middleName", "lastName")]
        return " ".join(part for part in parts if part)


def _birth_dates(birth: etree._Element) -> list[str]:
    full = birth.get("birthdate", "").strip()
    if full:
        return partial_dates(full)
    year = birth.get("year", "").strip()
    if not year:
        return []
    month = birth.get("monthOfYear", "").strip()
    day = birth.get("dayOfMonth", "").strip()
    if month and day:
        return partial_dates(f"{year}-{int(month):02d}-{int(day):02d}")
    if month:
        return partial_dates(f"{year}-{int(month):02d}")
    return partial_dates(year)
