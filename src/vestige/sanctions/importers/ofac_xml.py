"""OFAC's classic ``sdn.xml`` (namespace ``http://tempuri.org/sdnList.xsd``).

One ``sdnEntry`` per listed entity with ``uid`` (the same number as the CSV's
ent_num), ``lastName``/``firstName``, ``sdnType``, ``programList``, ``akaList``,
``idList``, ``nationalityList``, ``citizenshipList``, ``dateOfBirthList`` and
``placeOfBirthList``; ``publshInformation/Publish_Date`` (OFAC's spelling) dates
the list.
"""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from ...core.countries import country_code
from ..records import EntityRecord
from .common import Header, ListReader, child_text, descendants, partial_dates, publication_date
from .ofac_remarks import _id_type

_SCHEMAS = {
    "individual": "person",
    "entity": "organization",
    "vessel": "vessel",
    "aircraft": "aircraft",
}


def ofac_name(first: str, last: str) -> str:
    """OFAC's own form of a name: ``LAST, First`` (or the last name alone)."""
    return f"{last}, {first}" if first and last else (last or first)


class OfacXmlReader(ListReader):
    format = "ofac-xml"
    source = "ofac"
    label = "OFAC SDN list (XML)"

    def header(self) -> Header:
        for event, tag, element in self.xml_elements(
            ("Publish_Date", "sdnEntry"), ("start", "end")
        ):
            if tag == "sdnEntry":
                break
            if tag == "Publish_Date" and event == "end":
                return Header(publication_date(element.text or ""), self.label)
        return Header(None, self.label)

    def records(self) -> Iterator[EntityRecord]:
        for _event, _tag, element in self.xml_elements(("sdnEntry",)):
            yield self._record(element)

    def _record(self, entry: etree._Element) -> EntityRecord:
        uid = child_text(entry, "uid")
        if not uid:
            raise self.missing(entry, "<uid>")
        name = ofac_name(child_text(entry, "firstName"), child_text(entry, "lastName"))
        if not name:
            raise self.missing(entry, f"<lastName> (uid {uid})")
        record = EntityRecord(
            entity_id=uid,
            primary_name=name,
            schema=_SCHEMAS.get(child_text(entry, "sdnType").lower(), "unknown"),
        )
        for program in descendants(entry, "program"):
            record.add_unique("programmes", (program.text or "").strip())
        for aka in descendants(entry, "aka"):
            alias = ofac_name(child_text(aka, "firstName"), child_text(aka, "lastName"))
            kind = "fka" if child_text(aka, "type").lower() == "f.k.a." else "aka"
            if child_text(aka, "category").lower() == "weak":
                kind = "weak_aka"
            record.add_name(alias, kind)
        for item in descendants(entry, "dateOfBirthItem"):
            for value in partial_dates(child_text(item, "dateOfBirth")):
                record.add_unique("birth_dates", value)
        for tag in ("nationality", "citizenship"):
            for item in descendants(entry, tag):
                country = child_text(item, "country")
                record.add_unique("nationalities", country_code(country))
        places = [
            child_text(item, "placeOfBirth") for item in descendants(entry, "placeOfBirthItem")
        ]
        if any(places):
            record.raw["birth_places"] = [place for place in places if place]
        for item in descendants(entry, "id"):
            self._identifier(record, item)
        remarks = child_text(entry, "remarks")
        if remarks:
            record.remarks = remarks
        title = child_text(entry, "title")
        if title:
            record.raw["title"] = title
        return record

    @staticmethod
    def _identifier(record: EntityRecord, item: etree._Element) -> None:
        kind = child_text(item, "idType")
        number = child_text(item, "idNumber")
        if kind.lower() == "gender":
            record.gender = number.lower()
        elif kind and number and not kind.startswith("Additional Sanctions Information"):
            country = child_text(item, "idCountry")
            kind = _id_type(kind)
            if kind == "imo":
                number = number.removeprefix("IMO").strip()
            record.add_identifier(kind, number, country_code(country) or country)
