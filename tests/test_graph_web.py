"""The case-graph pages through Django's test client, against a real database and blob store."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from django.test import override_settings
from django.urls import reverse

from vestige.cases.graph import (
    Actor,
    CandidateClaim,
    CandidateStatus,
    Claim,
    Edit,
    Incident,
    IncidentCount,
    Place,
    PlaceName,
)
from vestige.cases.services import create_case, set_member
from vestige.cases.services_graph import (
    add_actor_name,
    save_actor,
    save_incident,
    search_places,
)
from vestige.evidence.importing import Importer
from vestige.evidence.models import Item

PASSWORD = "correct-horse-9"
LETTER = (
    "Dear Secretary Blinken,\n\n"
    "In September 2023, Azerbaijan launched a military campaign that drove around 100,000 "
    "Armenians from their homes in Nagorno-Karabakh. The offensive followed a humanitarian "
    "blockade of the Lachin corridor. A ceasefire was agreed on September 20, 2023.\n"
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client: Any, user: Any) -> Any:
    client.force_login(user)
    return client


@pytest.fixture
def graph(case: Any, user: Any, make_files: Any) -> dict[str, Any]:
    """A case with shared (contested) places, an actor, incidents, an item and a claim."""
    stepanakert = Place.objects.create(
        name="Stepanakert", kind="settlement", latitude=39.8153, longitude=46.7519,
        precision_m=5000, country_code="AZ", population=55200,
        contested_names=[{"name": "Stepanakert", "used_by": "Armenian"},
                         {"name": "Khankendi", "used_by": "Azerbaijani"}],
    )
    for name, language in [("Stepanakert", "en"), ("Ստեփանակերտ", "hy"), ("Степанакерт", "ru"),
                           ("Xankəndi", "az"), ("Khankendi", "en")]:
        PlaceName.objects.create(place=stepanakert, name=name, language=language)
    shusha = Place.objects.create(name="Shusha", latitude=39.7583, longitude=46.7483,
                                  country_code="AZ")
    PlaceName.objects.create(place=shusha, name="Shusha")
    PlaceName.objects.create(place=shusha, name="Շուշի", language="hy")
    actor = Actor(case=case, name="Ilham Aliyev", kind="person")
    save_actor(actor, user)
    add_actor_name(actor, "Ильхам Алиев", user, language="ru")
    add_actor_name(actor, "Իլհամ Ալիև", user, language="hy")
    add_actor_name(actor, "İlham Əliyev", user, language="az")
    offensive = Incident(case=case, title="September offensive", date="2023-09-19/2023-09-20",
                         event_type="battles", status="confirmed")
    save_incident(offensive, user, places=[stepanakert])
    exodus = Incident(case=case, title="Exodus from Nagorno-Karabakh", date="2023-09~",
                      event_type="strategic_developments", status="likely")
    save_incident(exodus, user, places=[stepanakert, shusha])
    blockade = Incident(case=case, title="Blockade of the Lachin corridor",
                        date="2022-12-12/2023-09-19", status="confirmed")
    save_incident(blockade, user)
    undated = Incident(case=case, title="Undated report", status="unknown")
    save_incident(undated, user)
    summary = Importer(case, actor="amira", user=user, workers=1).run(
        [make_files({"cardin-letter.txt": LETTER.encode()}, "letters")]
    )
    assert summary.ok
    item = Item.objects.get(case=case, title="cardin-letter.txt")
    start = LETTER.index("In September 2023")
    end = LETTER.index("Nagorno-Karabakh.") + len("Nagorno-Karabakh.")
    claim = Claim.objects.create(case=case, item=item, text=LETTER[start:end],
                                 anchor={"start": start, "end": end}, date="2023-09")
    claim.incidents.add(exodus)
    return {"case": case, "stepanakert": stepanakert, "shusha": shusha, "actor": actor,
            "offensive": offensive, "exodus": exodus, "blockade": blockade, "item": item,
            "claim": claim}


def page_urls(graph: dict[str, Any]) -> list[str]:
    slug = graph["case"].slug
    return [
        reverse("incident-list", args=[slug]),
        reverse("incident-map", args=[slug]),
        reverse("incident-map-data", args=[slug]),
        reverse("incident-timeline", args=[slug]),
        reverse("incident-detail", args=[slug, graph["exodus"].pk]),
        reverse("incident-create", args=[slug]),
        reverse("incident-edit", args=[slug, graph["exodus"].pk]),
        reverse("actor-list", args=[slug]),
        reverse("actor-detail", args=[slug, graph["actor"].pk]),
        reverse("actor-create", args=[slug]),
        reverse("actor-edit", args=[slug, graph["actor"].pk]),
        reverse("place-list", args=[slug]) + "?q=Степанакерт",
        reverse("place-detail", args=[slug, graph["stepanakert"].pk]),
        reverse("place-create", args=[slug]),
        reverse("candidate-queue", args=[slug]),
        reverse("case-history", args=[slug]),
    ]


def text_of(response: Any) -> str:
    """The page's visible text, tags removed and whitespace collapsed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def test_every_page_renders_for_a_member_and_is_404_for_an_outsider(
    client: Any, user: Any, outsider: Any, graph: dict[str, Any]
) -> None:
    urls = page_urls(graph)
    client.force_login(user)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
    client.force_login(outsider)
    for url in urls:
        assert client.get(url).status_code == 404, url
    # An outsider cannot post either, and nothing is written.
    edits = Edit.objects.count()
    slug = graph["case"].slug
    response = client.post(reverse("incident-create", args=[slug]), {"title": "x"})
    assert response.status_code == 404
    assert Edit.objects.count() == edits


def test_a_viewer_sees_pages_but_cannot_edit(
    client: Any, outsider: Any, graph: dict[str, Any]
) -> None:
    set_member(graph["case"].slug, outsider.username, "viewer")
    client.force_login(outsider)
    slug = graph["case"].slug
    detail = client.get(reverse("incident-detail", args=[slug, graph["exodus"].pk]))
    assert detail.status_code == 200
    assert "Edit incident" not in detail.content.decode()
    assert client.get(reverse("incident-create", args=[slug])).status_code == 403
    assert client.post(reverse("candidate-queue", args=[slug])).status_code == 405


def test_another_cases_incident_is_404_inside_a_case_one_is_member_of(
    signed_in: Any, user: Any, graph: dict[str, Any]
) -> None:
    other = create_case("other-case", "Other", owner=user)
    foreign = Incident.objects.create(case=other, title="Elsewhere", date="2020")
    url = reverse("incident-detail", args=[graph["case"].slug, foreign.pk])
    assert signed_in.get(url).status_code == 404


def incident_post(**overrides: Any) -> dict[str, Any]:
    data = {
        "title": "Shelling of Stepanakert", "date": "2020-10-04", "event_type":
        "explosions_remote_violence", "sub_event_type": "", "status": "confirmed",
        "conflict_type": "international", "description": "Residential areas hit.",
        "location_precision": "1", "add_places": "Степанакерт",
        "counts-TOTAL_FORMS": "2", "counts-INITIAL_FORMS": "0",
        "counts-MIN_NUM_FORMS": "0", "counts-MAX_NUM_FORMS": "20",
        "counts-0-category": "killed", "counts-0-low": "2", "counts-0-best": "3",
        "counts-0-high": "5", "counts-1-category": "",
        "actors-TOTAL_FORMS": "2", "actors-INITIAL_FORMS": "0",
        "actors-MIN_NUM_FORMS": "0", "actors-MAX_NUM_FORMS": "50",
        "actors-0-actor": "", "actors-0-role": "", "actors-0-involvement": "",
        "actors-1-actor": "", "actors-1-role": "", "actors-1-involvement": "",
    }
    data.update(overrides)
    return data


def test_creating_and_editing_an_incident_keeps_edits_with_before_and_after(
    signed_in: Any, user: Any, graph: dict[str, Any]
) -> None:
    slug = graph["case"].slug
    actor = graph["actor"]
    response = signed_in.post(
        reverse("incident-create", args=[slug]),
        incident_post(**{"actors-0-actor": str(actor.pk), "actors-0-role": "alleged_perpetrator",
                         "actors-0-involvement": "gave_orders", "acts": ["torture"]}),
    )
    assert response.status_code == 302, text_of(response)
    incident = Incident.objects.get(case=graph["case"], title="Shelling of Stepanakert")
    assert response["Location"] == reverse("incident-detail", args=[slug, incident.pk])
    assert list(incident.places.all()) == [graph["stepanakert"]]  # found from its Cyrillic name
    assert incident.date_precision == "day"
    assert incident.acts == ["torture"]
    count = IncidentCount.objects.get(incident=incident)
    assert (count.category, count.low, count.best, count.high) == ("killed", 2, 3, 5)
    assert incident.actor_links.get().role == "alleged_perpetrator"
    created = Edit.objects.get(model="cases.Incident", object_id=str(incident.pk))
    assert created.action == "create" and created.before is None
    assert created.after["title"] == "Shelling of Stepanakert"
    assert created.user == user

    response = signed_in.post(
        reverse("incident-edit", args=[slug, incident.pk]),
        incident_post(title="Shelling of Stepanakert (revised)", date="2020-10~",
                      status="likely", add_places="", keep_place=[str(graph["stepanakert"].pk)],
                      **{"counts-0-best": "4"}),
    )
    assert response.status_code == 302, text_of(response)
    update = Edit.objects.filter(
        model="cases.Incident", object_id=str(incident.pk), action="update"
    ).get()
    assert update.before["title"] == "Shelling of Stepanakert"
    assert update.after["title"] == "Shelling of Stepanakert (revised)"
    assert (update.before["date"], update.after["date"]) == ("2020-10-04", "2020-10~")
    assert update.before["status"] == "confirmed" and update.after["status"] == "likely"
    count_edit = Edit.objects.get(model="cases.IncidentCount", action="update")
    assert (count_edit.before["best"], count_edit.after["best"]) == (3, 4)
    # The actor row was left empty: its link is removed, and the removal kept.
    assert not incident.actor_links.exists()
    assert Edit.objects.filter(model="cases.IncidentActor", action="delete").count() == 1

    # Both the incident page and the case's history show the change, before and after.
    detail = text_of(signed_in.get(reverse("incident-detail", args=[slug, incident.pk])))
    assert "Shelling of Stepanakert (revised)" in detail
    assert "2020-10-04 → 2020-10~" in detail
    assert "confirmed → likely" in detail
    assert "Killed 2 4 5" in detail  # the counts table: low, best, high
    history = text_of(signed_in.get(reverse("case-history", args=[slug])))
    assert "Shelling of Stepanakert → Shelling of Stepanakert (revised)" in history
    assert "amira" in history


@pytest.mark.parametrize("bad", ["Sept 2023", "2023-13", "2023-09-20/2023-09-01"])
def test_an_invalid_edtf_date_is_shown_as_an_error_not_a_500(
    signed_in: Any, graph: dict[str, Any], bad: str
) -> None:
    slug = graph["case"].slug
    before = Incident.objects.count()
    response = signed_in.post(reverse("incident-create", args=[slug]), incident_post(date=bad))
    assert response.status_code == 200
    page = text_of(response)
    assert "The incident was not saved" in page
    assert "Not a date Vestige understands" in page
    assert Incident.objects.count() == before


def test_ambiguous_or_unknown_place_names_are_explained(
    signed_in: Any, graph: dict[str, Any]
) -> None:
    slug = graph["case"].slug
    response = signed_in.post(reverse("incident-create", args=[slug]),
                              incident_post(add_places="Atlantis"))
    assert response.status_code == 200
    assert "no place is known as" in text_of(response)
    response = signed_in.post(reverse("incident-create", args=[slug]),
                              incident_post(add_places=f"#{graph['shusha'].pk}"))
    assert response.status_code == 302


def test_incident_detail_shows_claims_with_item_and_passage(
    signed_in: Any, graph: dict[str, Any]
) -> None:
    slug = graph["case"].slug
    response = signed_in.get(reverse("incident-detail", args=[slug, graph["exodus"].pk]))
    html = response.content.decode()
    page = text_of(response)
    assert "drove around 100,000 Armenians from their homes" in page
    assert reverse("item-detail", args=[slug, graph["item"].pk]) in html
    claim = graph["claim"]
    assert f"characters {claim.anchor['start']}–{claim.anchor['end']}" in page
    assert "Stepanakert / Khankendi" in page
    assert "2023-09~" in page and "approximate" in page


def test_incident_list_filters_and_sorts(signed_in: Any, graph: dict[str, Any]) -> None:
    url = reverse("incident-list", args=[graph["case"].slug])
    everything = text_of(signed_in.get(url))
    for title in ("September offensive", "Exodus from Nagorno-Karabakh", "Undated report"):
        assert title in everything
    by_type = text_of(signed_in.get(url, {"event_type": "battles"}))
    assert "September offensive" in by_type and "Exodus" not in by_type
    by_status = text_of(signed_in.get(url, {"status": "likely"}))
    assert "Exodus" in by_status and "September offensive" not in by_status
    # A date range keeps every incident whose possible dates overlap it.
    in_2022 = text_of(signed_in.get(url, {"date_from": "2022-12-01", "date_to": "2022-12-31"}))
    assert "Blockade of the Lachin corridor" in in_2022 and "Exodus" not in in_2022
    # Place by a name in another script.
    by_place = text_of(signed_in.get(url, {"place": "Շուշի"}))
    assert "Exodus" in by_place and "September offensive" not in by_place
    ordered = signed_in.get(url, {"sort": "-title"}).content.decode()
    titles = re.findall(r'class="strong-link" href="[^"]+">([^<]+)<', ordered)
    assert titles == sorted(titles, reverse=True)
    bad = signed_in.get(url, {"date_from": "not-a-date", "sort": "nonsense"})
    assert bad.status_code == 200


def test_map_page_serves_leaflet_itself_and_allows_only_the_tile_host(
    signed_in: Any, graph: dict[str, Any]
) -> None:
    slug = graph["case"].slug
    response = signed_in.get(reverse("incident-map", args=[slug]))
    html = response.content.decode()
    scripts = re.findall(r"<script[^>]*src=\"([^\"]+)\"", html)
    assert "/static/leaflet/leaflet.js" in scripts
    assert all(src.startswith("/static/") for src in scripts), scripts
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) is None  # no inline script
    assert '/static/leaflet/leaflet.css' in html
    assert 'data-tile-url="https://tile.openstreetmap.org/{z}/{x}/{y}.png"' in html
    policy = response["Content-Security-Policy"]
    assert "img-src 'self' data: blob: https://tile.openstreetmap.org;" in policy
    assert "script-src 'self';" in policy
    # Other pages keep the strict image policy.
    other = signed_in.get(reverse("incident-list", args=[slug]))
    assert "tile.openstreetmap.org" not in other["Content-Security-Policy"]
    # Leaflet's files are really served.
    assert signed_in.get("/static/leaflet/leaflet.js").status_code == 200

    data = signed_in.get(reverse("incident-map-data", args=[slug])).json()
    points = {p["name"]: p for p in data["points"]}
    assert points["Stepanakert / Khankendi"]["count"] == 2
    assert points["Shusha"]["count"] == 1
    assert points["Shusha"]["url"] == reverse("place-detail", args=[slug, graph["shusha"].pk])
    filtered = signed_in.get(reverse("incident-map-data", args=[slug]), {"status": "confirmed"})
    assert {p["name"]: p["count"] for p in filtered.json()["points"]} == {
        "Stepanakert / Khankendi": 1
    }


@override_settings(MAP_TILE_URL="")
def test_map_without_tiles_says_so_and_adds_no_image_host(
    signed_in: Any, graph: dict[str, Any]
) -> None:
    response = signed_in.get(reverse("incident-map", args=[graph["case"].slug]))
    assert "points are drawn on a plain background" in text_of(response)
    assert "img-src 'self' data: blob:;" in response["Content-Security-Policy"]


def test_timeline_draws_ranges_and_marks_approximate_dates(
    signed_in: Any, graph: dict[str, Any]
) -> None:
    response = signed_in.get(reverse("incident-timeline", args=[graph["case"].slug]))
    html = response.content.decode()
    bars = {
        m["date"]: (float(m["x"]), float(m["width"]), m["cls"])
        for m in re.finditer(
            r'<rect class="(?P<cls>bar [^"]+)" x="(?P<x>[\d.]+)" y="[\d.]+" '
            r'width="(?P<width>[\d.]+)" height="14" rx="2" data-date="(?P<date>[^"]*)"', html)
    }
    assert set(bars) == {"2023-09-19/2023-09-20", "2023-09~", "2022-12-12/2023-09-19"}
    blockade, month, two_days = (bars["2022-12-12/2023-09-19"], bars["2023-09~"],
                                 bars["2023-09-19/2023-09-20"])
    # Widths follow the ranges: nine months > one month > two days.
    assert blockade[1] > month[1] * 5 > two_days[1]
    assert "bar-approximate" in month[2] and "bar-approximate" not in two_days[2]
    # The blockade ends on the day the offensive starts.
    assert abs((blockade[0] + blockade[1]) - (two_days[0] + two_days[1] / 2)) < 3
    assert "1 undated, not drawn" in text_of(response)


def test_place_page_shows_contested_names_side_by_side_and_every_script(
    signed_in: Any, graph: dict[str, Any]
) -> None:
    slug = graph["case"].slug
    response = signed_in.get(reverse("place-detail", args=[slug, graph["stepanakert"].pk]))
    html = response.content.decode()
    page = text_of(response)
    contested = re.findall(r'<span class="contested-value">([^<]+)</span>', html)
    assert contested == ["Stepanakert", "Khankendi"]
    assert "used by Armenian" in page and "used by Azerbaijani" in page
    for name in ("Ստեփանակերտ", "Степанакерт", "Xankəndi"):
        assert name in page
    for script in ("Armenian", "Cyrillic", "Latin"):
        assert f"<h3>{script}</h3>" in html
    assert "September offensive" in page and "Exodus from Nagorno-Karabakh" in page
    assert "within 5,000 m" in page


def test_place_search_finds_a_place_from_any_name_in_any_script(
    signed_in: Any, graph: dict[str, Any]
) -> None:
    case = graph["case"]
    for query in ("Stepanakert", "Khankendi", "Xankəndi", "Ստեփանակերտ", "Степанакерт"):
        assert search_places(case, query)[:1] == [graph["stepanakert"]], query
        page = text_of(signed_in.get(reverse("place-list", args=[case.slug]), {"q": query}))
        assert "Stepanakert / Khankendi" in page, query


def test_a_case_place_is_added_with_coordinates_and_is_private_to_the_case(
    signed_in: Any, user: Any, graph: dict[str, Any]
) -> None:
    slug = graph["case"].slug
    response = signed_in.post(reverse("place-create", args=[slug]), {
        "name": "Ghazanchetsots Cathedral", "kind": "heritage_site", "latitude": "39.7589",
        "longitude": "46.7511", "precision_m": "30", "other_names": "Ղազանչեցոց | hy",
        "contested": "", "description": "Shelled in October 2020.",
    })
    assert response.status_code == 302
    place = Place.objects.get(name="Ghazanchetsots Cathedral")
    assert place.case == graph["case"] and place.precision_m == 30
    assert Edit.objects.filter(model="cases.Place", object_id=str(place.pk)).exists()
    assert search_places(graph["case"], "Ղազանչեցոց") == [place]
    page = text_of(signed_in.get(response["Location"]))
    assert "39.75890, 46.75110" in page and "within 30 m" in page
    # A member of another case does not see it.
    other = create_case("other-case", "Other", owner=user)
    assert search_places(other, "Ghazanchetsots") == []
    assert signed_in.get(reverse("place-detail", args=[other.slug, place.pk])).status_code == 404
    bad = signed_in.post(reverse("place-create", args=[slug]), {
        "name": "Half", "kind": "checkpoint", "latitude": "40",
    })
    assert bad.status_code == 200 and "Give both latitude and longitude" in text_of(bad)


def test_actor_page_shows_names_in_cyrillic_and_armenian_and_search_crosses_scripts(
    signed_in: Any, graph: dict[str, Any]
) -> None:
    slug = graph["case"].slug
    actor = graph["actor"]
    response = signed_in.get(reverse("actor-detail", args=[slug, actor.pk]))
    html = response.content.decode()
    page = text_of(response)
    for name in ("Ильхам Алиев", "Իլհամ Ալիև", "İlham Əliyev"):
        assert name in page
    assert "<h3>Cyrillic</h3>" in html and "<h3>Armenian</h3>" in html
    for query in ("Aliyev", "Алиев", "Əliyev"):
        found = text_of(signed_in.get(reverse("actor-list", args=[slug]), {"q": query}))
        assert "Ilham Aliyev" in found, query
    nobody = text_of(signed_in.get(reverse("actor-list", args=[slug]), {"q": "Pashinyan"}))
    assert "Ilham Aliyev" not in nobody


def test_actor_is_created_and_edited_with_names_positions_and_history(
    signed_in: Any, graph: dict[str, Any]
) -> None:
    slug = graph["case"].slug
    response = signed_in.post(reverse("actor-create", args=[slug]), {
        "name": "Zakir Hasanov", "kind": "person", "description": "", "birth_date": "1959-08-07",
        "gender": "male", "exculpatory": "", "nationalities_text": "az",
        "identifiers_text": "passport | C01234567 | AZ", "other_names": "Закир Гасанов | ru",
    })
    assert response.status_code == 302
    actor = Actor.objects.get(name="Zakir Hasanov")
    assert actor.nationalities == ["AZ"]
    assert actor.identifiers == [{"type": "passport", "value": "C01234567", "country": "AZ"}]
    assert set(actor.names.values_list("name", flat=True)) == {"Zakir Hasanov", "Закир Гасанов"}
    signed_in.post(reverse("actor-add-position", args=[slug, actor.pk]),
                   {"title": "Minister of Defence", "date": "2013-10/.."})
    signed_in.post(reverse("actor-add-name", args=[slug, actor.pk]),
                   {"name": "Զաքիր Հասանով", "language": "hy", "kind": "alias"})
    bad = signed_in.post(reverse("actor-edit", args=[slug, actor.pk]), {
        "name": "Zakir Hasanov", "kind": "person", "birth_date": "7 Aug 1959",
    })
    assert bad.status_code == 200 and "Not a date Vestige understands" in text_of(bad)
    signed_in.post(reverse("actor-edit", args=[slug, actor.pk]), {
        "name": "Zakir Hasanov", "kind": "person", "birth_date": "1959-08-07",
        "gender": "male", "nationalities_text": "AZ", "identifiers_text": "",
        "description": "Colonel general.",
    })
    page = text_of(signed_in.get(reverse("actor-detail", args=[slug, actor.pk])))
    assert "Minister of Defence" in page and "2013-10/.." in page
    assert "Զաքիր Հասանով" in page
    assert "Colonel general." in page
    update = Edit.objects.get(model="cases.Actor", object_id=str(actor.pk), action="update")
    assert update.before["description"] == "" and update.after["description"] == "Colonel general."


def test_review_queue_proposes_accepts_and_rejects(
    signed_in: Any, graph: dict[str, Any]
) -> None:
    slug = graph["case"].slug
    item = graph["item"]
    response = signed_in.post(reverse("item-propose-claims", args=[slug, item.pk]))
    assert response.status_code == 302
    pending = list(CandidateClaim.objects.filter(item=item, status=CandidateStatus.PENDING))
    assert pending, "the extractor proposed nothing from the letter"
    queue = signed_in.get(response["Location"])
    html = queue.content.decode()
    assert queue.status_code == 200
    first = pending[0]
    assert f"<mark>{first.text}</mark>" in unescape(html)
    assert "wait" in text_of(queue)
    # Accept one, attached to an incident; reject another.
    accepted = signed_in.post(reverse("candidate-accept", args=[slug, first.pk]),
                              {"incident": str(graph["exodus"].pk)})
    assert accepted.status_code == 302
    first.refresh_from_db()
    assert first.status == CandidateStatus.ACCEPTED and first.claim is not None
    assert graph["exodus"] in first.claim.incidents.all()
    if len(pending) > 1:
        signed_in.post(reverse("candidate-reject", args=[slug, pending[1].pk]))
        pending[1].refresh_from_db()
        assert pending[1].status == CandidateStatus.REJECTED
    detail = text_of(signed_in.get(reverse("incident-detail", args=[slug, graph["exodus"].pk])))
    assert first.text in detail
    # An incident of another case cannot be attached.
    other = create_case("other-case", "Other", owner=graph["case"].created_by)
    foreign = Incident.objects.create(case=other, title="Elsewhere")
    second = CandidateClaim.objects.filter(item=item, status=CandidateStatus.PENDING).first()
    if second is not None:
        response = signed_in.post(reverse("candidate-accept", args=[slug, second.pk]),
                                  {"incident": str(foreign.pk)})
        assert response.status_code == 404
        second.refresh_from_db()
        assert second.status == CandidateStatus.PENDING


def test_item_page_offers_propose_claims_to_editors(
    signed_in: Any, graph: dict[str, Any]
) -> None:
    slug = graph["case"].slug
    html = signed_in.get(reverse("item-detail", args=[slug, graph["item"].pk])).content.decode()
    assert reverse("item-propose-claims", args=[slug, graph["item"].pk]) in html
    case_page = signed_in.get(reverse("case-detail", args=[slug])).content.decode()
    assert reverse("incident-timeline", args=[slug]) in case_page
