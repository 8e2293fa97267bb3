"""The UN Security Council consolidated list (``CONSOLIDATED_LIST``).

Individuals (``INDIVIDUALS/INDIVIDUAL``) carry their name in up to four parts,
aliases with a ``QUALITY`` ("Good", "Low", "a.k.a.", "f.k.a."), dates of birth
that may be exact, a year, or a range, and documents.  Entities
(``ENTITIES/ENTITY``) carry a name in ``FIRST_NAME`` and aliases.  The root's
``dateGenerated`` dates the list; ``REFERENCE_NUMBER`` (e.g. ``QDi.001``) is the
id the UN publishes, so it is the entity id here.
"""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from ...core.countries import country_code
from ..records import EntityRecord
from .common import Header, ListReader, child_text, children, partial_dates, publication_date

_ALIAS_KINDS = {"low": "weak_aka", "f.k.a.": "fka", "fka": "fka"}
_DOCUMENT_TYPES = {"passport": "passport", "national identification number": "national_id"}


class UnXmlReader(ListReader):
    format = "un-xml"
    source = "un"
    label = "UN Security Council consolidated list"

    def header(self) -> Header:
        for _event, _tag, element in self.xml_elements(("CONSOLIDATED_LIST",), ("start",)):
            return Header(publication_date(element.get("dateGenerated", "")), self.label)
        return Header(None, self.label)

    def records(self) -> Iterator[EntityRecord]:
        for _event, tag, element in self.xml_elements(("INDIVIDUAL", "ENTITY")):
            yield self._record(element, person=(tag == "INDIVIDUAL"))

    def _record(self, element: etree._Element, *, person: bool) -> EntityRecord:
        reference = child_text(element, "REFERENCE_NUMBER")
        data_id = child_text(element, "DATAID")
        if not (reference or data_id):
            raise self.missing(element, "<REFERENCE_NUMBER> or <DATAID>")
        parts = [
            child_text(element, tag)
            for tag in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")
        ]
        name = " ".join(part for part in parts if part)
        if not name:
            raise self.missing(element, f"<FIRST_NAME> ({reference or data_id})")
        record = EntityRecord(
            entity_id=reference or data_id,
            primary_name=name,
            schema="person" if person else "organization",
        )
        record.raw["dataid"] = data_id
        record.add_unique("programmes", child_text(element, "UN_LIST_TYPE"))
        record.add_name(child_text(element, "NAME_ORIGINAL_SCRIPT"), "aka")
        alias_tag = "INDIVIDUAL_ALIAS" if person else "ENTITY_ALIAS"
        for alias in children(element, alias_tag):
            quality = child_text(alias, "QUALITY").lower()
            record.add_name(child_text(alias, "ALIAS_NAME"), _ALIAS_KINDS.get(quality, "aka"))
        for nationality in children(element, "NATIONALITY"):
            for value in children(nationality, "VALUE"):
                text = (value.text or "").strip()
                record.add_unique("nationalities", country_code(text))
        gender = child_text(element, "GENDER").lower()
        if gender in ("male", "female"):
            record.gender = gender
        for birth in children(element, "INDIVIDUAL_DATE_OF_BIRTH"):
            for value in _birth_dates(birth):
                record.add_unique("birth_dates", value)
        for document in children(element, "INDIVIDUAL_DOCUMENT"):
            kind = child_text(document, "TYPE_OF_DOCUMENT")
            number = child_text(document, "NUMBER")
            if number:
                country = child_text(document, "ISSUING_COUNTRY") or child_text(
                    document, "COUNTRY_OF_ISSUE"
                )
                record.add_identifier(
                    _DOCUMENT_TYPES.get(kind.lower(), kind or "document"),
                    number,
                    country_code(country) or country,
                )
        comments = child_text(element, "COMMENTS1")
        if comments:
            record.remarks = comments
        listed_on = child_text(element, "LISTED_ON")
        if listed_on:
            record.raw["listed_on"] = listed_on
        return record


def _birth_dates(birth: etree._Element) -> list[str]:
    """EXACT dates, single years, and FROM_YEAR–TO_YEAR ranges."""
    exact = child_text(birth, "DATE")
    if exact:
        return partial_dates(exact)
    start, end = child_text(birth, "FROM_YEAR"), child_text(birth, "TO_YEAR")
    if start and end:
        return partial_dates(f"{start} to {end}")
    year = child_text(birth, "YEAR")
    return partial_dates(year) if year else []
