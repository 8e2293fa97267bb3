"""Interchange: UCDP GED import, ACLED-style CSV, GeoJSON and FollowTheMoney export."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import shared_file, vestige
from vestige.cases.graph import Actor, ActorName, Claim, Edit, Incident, IncidentActor, Place
from vestige.cases.interchange import (
    ACLED_COLUMNS,
    export_acled_csv,
    export_ftm,
    export_geojson,
    import_ucdp_ged,
    ucdp_edtf,
)

pytestmark = pytest.mark.django_db
UCDP = "ucdp_ged231_sample1000.csv"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


NK_ROWS = (344, 738, 809)  # 1-based data rows of the Nagorno-Karabakh events (SOURCES.md)


def _sample(tmp_path: Path, first: int = 40) -> Path:
    """The real file cut down to its first rows plus the Nagorno-Karabakh ones, unchanged."""
    rows = _rows(shared_file(UCDP))
    keep = sorted(set(range(1, first + 1)) | set(NK_ROWS))
    path = tmp_path / "ucdp-sample.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows[n - 1] for n in keep)
    return path


@pytest.fixture
def ucdp(case: Any, user: Any, tmp_path: Path) -> Path:
    path = _sample(tmp_path)
    summary = import_ucdp_ged(path, case, user)
    assert summary.problems == [] and summary.created == 43
    return path


@pytest.fixture
def ucdp_full(case: Any, user: Any) -> Path:
    path = shared_file(UCDP)
    summary = import_ucdp_ged(path, case, user)
    assert summary.problems == []
    return path


def _by_relid(case: Any, relid: str) -> Incident:
    return Incident.objects.get(case=case, external_ids__ucdp_relid=relid)


@pytest.mark.slow
def test_ucdp_rows_become_incidents_with_interval_precision_and_counts(
    case: Any, ucdp_full: Path
) -> None:
    ucdp = ucdp_full
    rows = _rows(ucdp)
    assert Incident.objects.filter(case=case).count() == len(rows) == 1000

    offensive = _by_relid(case, "AZE-2020-1-833-156")
    assert offensive.date == "2020-09-27/2020-09-30"
    assert (offensive.date_lower.isoformat(), offensive.date_upper.isoformat()) == (
        "2020-09-27", "2020-09-30"
    )
    assert offensive.location_precision == 5
    assert offensive.external_ids["ucdp_ged"] == "376126"
    assert "Zagatala district Heydar Aliyev Center" in offensive.description
    [place] = offensive.places.all()
    assert place.case == case
    assert place.name == "Line of Contact"
    assert (place.latitude, place.longitude) == (40.0, 47.0)
    assert place.precision_m == 100_000
    assert place.country_code == "AZ"
    [killed] = offensive.counts.all()
    assert (killed.category, killed.low, killed.best, killed.high) == ("killed", 1, 1, 1)
    sides = {
        (link.actor.name, link.actor.kind, link.role) for link in offensive.actor_links.all()
    }
    assert sides == {
        ("Government of Azerbaijan", "state_body", "participant"),
        ("Republic of Artsakh", "organisation", "participant"),
    }

    village = _by_relid(case, "AZE-1992-1-361-183")
    assert village.date == "1992-02-11" and village.date_precision == "day"
    count = village.counts.get()
    assert (count.low, count.best, count.high) == (1, 1, 3)
    assert "Reuters" in village.description
    assert _by_relid(case, "AZE-1994-1-361-57").date == "1994-01-11"
    assert "BBC Monitoring" in _by_relid(case, "AZE-1994-1-361-57").description

    # One case place per distinct where_coordinates (and point).
    distinct = {(r["where_coordinates"], float(r["latitude"]), float(r["longitude"])) for r in rows}
    assert Place.objects.filter(case=case).count() == len(distinct)
    # Every row's interval and precision, against the file itself.
    for row in rows[::50]:
        ucdp_id = str(int(float(row["id"])))
        incident = Incident.objects.get(case=case, external_ids__ucdp_ged=ucdp_id)
        assert incident.date_lower.isoformat() == row["date_start"]
        assert incident.date_upper.isoformat() == row["date_end"]
        assert incident.location_precision == int(float(row["where_prec"]))
        assert incident.counts.get().high == int(float(row["high"]))
    # Every incident's creation is kept as an edit by the importing user.
    assert Edit.objects.filter(case=case, model="cases.Incident", action="create").count() == 1000


def test_importing_again_changes_nothing(case: Any, user: Any, ucdp: Path) -> None:
    counts = (Incident.objects.count(), Place.objects.count(), Actor.objects.count(),
              IncidentActor.objects.count(), Edit.objects.count())
    summary = import_ucdp_ged(ucdp, case, user)
    assert (summary.rows, summary.created, summary.updated, summary.unchanged) == (43, 0, 0, 43)
    assert (Incident.objects.count(), Place.objects.count(), Actor.objects.count(),
            IncidentActor.objects.count(), Edit.objects.count()) == counts


def test_a_changed_row_updates_its_incident(
    case: Any, user: Any, ucdp: Path, tmp_path: Path
) -> None:
    rows = _rows(ucdp)
    target = next(r for r in rows if r["relid"] == "AZE-1992-1-361-183")
    target["high"] = "4.0"
    target["date_end"] = "1992-02-12"
    changed = tmp_path / "changed.csv"
    with changed.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    summary = import_ucdp_ged(changed, case, user)
    assert (summary.created, summary.updated) == (0, 1)
    incident = _by_relid(case, "AZE-1992-1-361-183")
    assert incident.date == "1992-02-11/1992-02-12"
    assert incident.counts.get().high == 4
    edit = Edit.objects.filter(object_id=str(incident.pk), action="update").get()
    assert edit.before["date"] == "1992-02-11"
    assert edit.after["date"] == "1992-02-11/1992-02-12"


def test_bad_rows_are_reported_not_fatal(case: Any, user: Any, tmp_path: Path) -> None:
    header = "id,relid,date_start,date_end,where_prec,latitude,longitude,best,low,high,side_a\n"
    path = tmp_path / "bad.csv"
    path.write_text(
        header
        + "1.0,X-1,2020-01-02,2020-01-01,1.0,40.0,47.0,1.0,1.0,1.0,A\n"
        + "2.0,X-2,2020-01-05,2020-01-05,1.0,40.0,47.0,2.0,1.0,3.0,A\n",
        encoding="utf-8",
    )
    summary = import_ucdp_ged(path, case, user)
    assert summary.created == 1
    assert len(summary.problems) == 1 and summary.problems[0].startswith("row 1:")
    not_ucdp = tmp_path / "other.csv"
    not_ucdp.write_text("a,b\n1,2\n", encoding="utf-8")
    from vestige.core.errors import UserError

    with pytest.raises(UserError, match="not a UCDP GED CSV"):
        import_ucdp_ged(not_ucdp, case, user)


def test_ucdp_edtf() -> None:
    assert ucdp_edtf("2020-09-27", "2020-09-30") == "2020-09-27/2020-09-30"
    assert ucdp_edtf("2020-09-27", "2020-09-27") == "2020-09-27"
    with pytest.raises(ValueError):
        ucdp_edtf("2020-09-27", "2020-09-01")


def test_acled_csv(case: Any, ucdp: Path, tmp_path: Path) -> None:
    out = tmp_path / "acled.csv"
    assert export_acled_csv(case, out) == 43
    with out.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == ACLED_COLUMNS
        rows = {r["vestige_id"]: r for r in reader}
    offensive = _by_relid(case, "AZE-2020-1-833-156")
    row = rows[str(offensive.pk)]
    assert row["event_id_cnty"] == f"AZE{offensive.pk}"
    assert row["event_date"] == "2020-09-27" and row["year"] == "2020"
    assert row["time_precision"] == "2"
    assert row["vestige_date_edtf"] == "2020-09-27/2020-09-30"
    assert row["event_type"] == "Battles" and row["sub_event_type"] == "Armed clash"
    assert row["disorder_type"] == "Political violence"
    assert {row["actor1"], row["actor2"]} == {"Government of Azerbaijan", "Republic of Artsakh"}
    assert row["country"] == "Azerbaijan" and row["iso"] == "31"
    assert (row["latitude"], row["longitude"]) == ("40.0", "47.0")
    assert row["location"] == "Line of Contact"
    assert row["geo_precision"] == "3"
    assert row["fatalities"] == "1"
    village = rows[str(_by_relid(case, "AZE-1992-1-361-183").pk)]
    assert (village["fatalities_low"], village["fatalities"], village["fatalities_high"]) == (
        "1", "1", "3"
    )
    assert village["time_precision"] == "1"
    assert "Reuters" in village["notes"]


def test_geojson(case: Any, ucdp: Path, tmp_path: Path) -> None:
    out = tmp_path / "incidents.geojson"
    assert export_geojson(case, out) == 43
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["type"] == "FeatureCollection"
    feature = next(
        f for f in document["features"]
        if f["properties"]["external_ids"].get("ucdp_relid") == "AZE-2020-1-833-156"
    )
    assert feature["geometry"] == {"type": "Point", "coordinates": [47.0, 40.0]}
    props = feature["properties"]
    assert props["date"] == "2020-09-27/2020-09-30"
    assert (props["date_lower"], props["date_upper"]) == ("2020-09-27", "2020-09-30")
    assert props["status"] == "possible"
    assert props["counts"] == [
        {"category": "killed", "low": 1, "best": 1, "high": 1, "approximate": False}
    ]
    assert props["places"][0]["precision_m"] == 100_000
    for f in document["features"]:
        lon, lat = f["geometry"]["coordinates"]
        assert -180 <= lon <= 180 and -90 <= lat <= 90


def test_followthemoney(case: Any, ucdp: Path) -> None:
    azerbaijan = Actor.objects.get(case=case, name="Government of Azerbaijan")
    ActorName.objects.create(actor=azerbaijan, name="Азербайджан hökuməti", language="ru")
    person = Actor.objects.create(
        case=case, kind="person", name="Example Person", birth_date="1970-05",
        nationalities=["AZ"], gender="female",
    )
    ActorName.objects.create(actor=person, name="Пример Персона")
    link_to = _by_relid(case, "AZE-2020-1-833-156")
    IncidentActor.objects.create(incident=link_to, actor=person, role="alleged_perpetrator",
                                 involvement="gave_orders")
    first, second = io.StringIO(), io.StringIO()
    count = export_ftm(case, first)
    export_ftm(case, second)
    assert first.getvalue() == second.getvalue(), "ids and order are stable"
    entities = [json.loads(line) for line in first.getvalue().splitlines()]
    assert count == len(entities) == Actor.objects.filter(case=case).count() + 43
    by_id = {e["id"]: e for e in entities}
    assert len(by_id) == len(entities)
    schemas = {e["schema"] for e in entities}
    assert schemas == {"PublicBody", "Organization", "Person", "Event"}
    gov = next(e for e in entities if e["properties"]["name"] == ["Government of Azerbaijan"])
    assert gov["schema"] == "PublicBody"
    assert "Азербайджан hökuməti" in gov["properties"]["alias"]
    human = next(e for e in entities if e["schema"] == "Person")
    assert human["properties"]["birthDate"] == ["1970-05"]
    assert human["properties"]["nationality"] == ["az"]
    assert human["properties"]["alias"] == ["Пример Персона"]
    event = next(
        e for e in entities if e["schema"] == "Event"
        and e["properties"]["recordId"] == [str(link_to.pk)]
    )
    props = event["properties"]
    assert props["startDate"] == ["2020-09-27"] and props["endDate"] == ["2020-09-30"]
    assert props["organizer"] == [human["id"]]
    assert gov["id"] in props["involved"]
    assert props["location"] == ["Line of Contact"]
    assert props["country"] == ["az"]
    # Every reference points at an entity of the file.
    for entity in entities:
        for key in ("organizer", "involved"):
            for ref in entity["properties"].get(key, []):
                assert ref in by_id
        assert all(isinstance(v, list) and all(isinstance(x, str) for x in v)
                   for v in entity["properties"].values())


def test_incident_commands(cli_env: dict[str, str], tmp_path: Path) -> None:
    path = _sample(tmp_path)
    vestige(["case", "create", "ged", "--title", "GED sample"], cli_env, check=True)
    first = vestige(["incidents", "import-ucdp", str(path), "--case", "ged", "--json"], cli_env,
                    check=True)
    assert json.loads(first.stdout)["created"] == 43
    again = vestige(["incidents", "import-ucdp", str(path), "--case", "ged"], cli_env, check=True)
    assert "0 incidents created" in again.stdout and "43 unchanged" in again.stdout
    for fmt, name in (("acled", "a.csv"), ("geojson", "a.geojson"), ("ftm", "a.ftm.json")):
        out = tmp_path / name
        done = vestige(["incidents", "export", "ged", "--format", fmt, "--out", str(out)],
                       cli_env, check=True)
        assert "wrote" in done.stdout and out.stat().st_size > 1000
    missing = vestige(["incidents", "export", "nope", "--format", "ftm", "--out", "x"], cli_env)
    assert missing.returncode == 2 and "no case 'nope'" in missing.stderr


def test_demo_graph_is_made_once_and_exports(settings: Any, tmp_path: Path,
                                             django_user_model: Any) -> None:
    from vestige.cases.models import Case
    from vestige.demo.loader import DEMO_SLUG, load_demo

    settings.DATA_DIR = tmp_path / "data"
    django_user_model.objects.create_user(username="admin", password="correct-horse-9")
    first = load_demo(owner="admin", actor="t", use_ffmpeg=False)
    case = Case.objects.get(slug=DEMO_SLUG)
    incidents = {i.external_ids["vestige_demo"]: i for i in Incident.objects.filter(case=case)}
    assert "this run added 6 incidents" in first
    blockade = incidents["lachin-blockade"]
    assert blockade.date == "2022-12-12/2023-09-19"
    assert [p.display_name for p in blockade.places.all()] == ["Berdzor / Lachin"]
    assert "Amnesty International" in blockade.description
    assert incidents["offensive-2023"].date == "2023-09-19/2023-09-20"
    exodus = incidents["exodus-2023"]
    assert exodus.date == "2023-09-24/2023-10"
    displaced = exodus.counts.get(category="displaced")
    assert (displaced.best, displaced.approximate) == (100_000, True)
    # Allegations are recorded against every party.
    accused = {
        link.actor.name for link in IncidentActor.objects.filter(
            incident__case=case, role="alleged_perpetrator"
        )
    }
    assert {"Armed Forces of Azerbaijan", "Armed Forces of Armenia"} <= accused
    assert [p.name for p in incidents["ganja-strikes-2020"].places.all()] == ["Ganja"]
    # No real person is accused: the only person in the demo is invented and says so.
    people = Actor.objects.filter(case=case, kind="person")
    assert all(a.description.startswith("INVENTED") for a in people)
    # Items are linked through claims anchored to the passage that says it.
    report_claims = Claim.objects.filter(case=case, item__source_name="demo-situation-report.pdf")
    assert report_claims.count() >= 5
    for claim in report_claims:
        assert claim.anchor["end"] > claim.anchor["start"]
    assert Claim.objects.filter(
        case=case, item__source_name="demo-photo-lachin-checkpoint.jpg", incidents=blockade
    ).exists()

    edits = Edit.objects.filter(case=case).count()
    claims = Claim.objects.filter(case=case).count()
    second = load_demo(owner="admin", actor="t", use_ffmpeg=False)
    assert "this run added 0 incidents, 0 actors and 0 claims" in second
    assert Edit.objects.filter(case=case).count() == edits
    assert Claim.objects.filter(case=case).count() == claims

    document = json.loads(json.dumps(geojson_of(case)))
    assert len(document["features"]) == 6
    out = io.StringIO()
    export_ftm(case, out)
    events = {
        e["properties"]["name"][0]: e["properties"]
        for e in map(json.loads, out.getvalue().splitlines()) if e["schema"] == "Event"
    }
    exodus_event = events["Exodus of the Armenian population of Nagorno-Karabakh"]
    assert (exodus_event["startDate"], exodus_event["endDate"]) == (["2023-09-24"], ["2023-10"])
    assert events["Missile strikes on Ganja"]["date"] == ["2020-10"]
    assert "startDate" not in events["Missile strikes on Ganja"]


def geojson_of(case: Any) -> dict[str, Any]:
    from vestige.cases.interchange import geojson

    return geojson(case)
