"""The case-graph pages in a real Chromium (the system's), through Playwright.

The map must draw its points from the app's own Leaflet even when no tile can load, without
breaking the Content-Security-Policy; the timeline draws ranges. Screenshots are saved to
``test-artifacts/screenshots/`` for people to look at.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from vestige.cases.extraction import propose_claims
from vestige.cases.graph import Actor, Claim, Incident, IncidentCount, Place, PlaceName
from vestige.cases.services import create_case
from vestige.cases.services_graph import (
    CountRow,
    add_actor_name,
    add_position,
    save_actor,
    save_incident,
    set_counts,
    set_incident_actors,
)
from vestige.evidence.importing import Importer
from vestige.evidence.models import Item

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--no-first-run",
    "--disable-sync",
]
PASSWORD = "correct-horse-9"
# Nothing listens on the discard port: every tile fails, as when the tile server is unreachable.
UNREACHABLE_TILES = "http://127.0.0.1:9/{z}/{x}/{y}.png"
LETTER = (
    "Dear Secretary Blinken,\n\n"
    "We write regarding the humanitarian crisis in Nagorno-Karabakh. In September 2023, "
    "Azerbaijan launched a military offensive that drove around 100,000 Armenians from their "
    "homes. The offensive followed a months-long humanitarian blockade of the Lachin corridor. "
    "Reportedly, Azerbaijani forces violated the November 2020 ceasefire on several occasions. "
    "A ceasefire was agreed on September 20, 2023, but we remain concerned about further "
    "military action over the Zangezur corridor.\n"
)

PLACES = [
    # name, lat, lon, names (name, language), contested
    ("Stepanakert", 39.8153, 46.7519, [("Ստեփանակերտ", "hy"), ("Степанакерт", "ru"),
                                       ("Xankəndi", "az"), ("Khankendi", "en")],
     [{"name": "Stepanakert", "used_by": "Armenian"},
      {"name": "Khankendi", "used_by": "Azerbaijani"}]),
    ("Shusha", 39.7583, 46.7483, [("Շուշի", "hy"), ("Шуша", "ru"), ("Şuşa", "az")],
     [{"name": "Shushi", "used_by": "Armenian"}, {"name": "Shusha", "used_by": "Azerbaijani"}]),
    ("Lachin", 39.6407, 46.5469, [("Laçın", "az"), ("Բերձոր", "hy")], []),
    ("Martuni", 39.7916, 47.1150, [("Մարտունի", "hy"), ("Xocavənd", "az")], []),
    ("Hadrut", 39.5200, 47.0311, [("Հադրութ", "hy"), ("Hadrut", "az")], []),
    ("Goris", 39.5111, 46.3386, [("Գորիս", "hy"), ("Горис", "ru")], []),
]
INCIDENTS = [
    ("Shelling of Stepanakert", "2020-09-27/2020-11-09", "explosions_remote_violence",
     "confirmed", ["Stepanakert"], 10, 13, 20),
    ("Strike on Ghazanchetsots Cathedral", "2020-10-08", "explosions_remote_violence",
     "confirmed", ["Shusha"], None, 0, None),
    ("Capture of Hadrut", "2020-10~", "battles", "likely", ["Hadrut"], None, None, None),
    ("Fighting around Shusha", "2020-11-04/2020-11-08", "battles", "confirmed", ["Shusha"],
     None, None, None),
    ("Blockade of the Lachin corridor", "2022-12-12/2023-09-19", "strategic_developments",
     "confirmed", ["Lachin"], None, None, None),
    ("Shortages during the blockade", "2023-06?", "violence_against_civilians", "possible",
     ["Stepanakert", "Martuni"], None, None, None),
    ("September offensive", "2023-09-19/2023-09-20", "battles", "confirmed",
     ["Stepanakert", "Martuni"], 200, 240, 300),
    ("Exodus of Armenians", "2023-09~", "strategic_developments", "likely",
     ["Stepanakert", "Goris", "Lachin"], 95000, 100000, 120000),
    ("Reported detentions at the Hakari bridge", "2023-09-27/..", "violence_against_civilians",
     "possible", ["Lachin"], None, None, None),
]


@pytest.fixture
def chromium() -> Path:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent: install the distribution's chromium package "
                    "(no browser is ever downloaded)")
    pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    return CHROMIUM


def build_case(user: Any, make_files: Any) -> dict[str, Any]:
    """A small Nagorno-Karabakh case: places in several scripts, incidents, an actor, a letter."""
    case = create_case("karabakh-2023", "Nagorno-Karabakh 2020–2023", owner=user,
                       description="Attacks on civilians, the blockade and the exodus.")
    places: dict[str, Place] = {}
    for name, lat, lon, names, contested in PLACES:
        place = Place.objects.create(name=name, latitude=lat, longitude=lon, country_code="AZ",
                                     precision_m=2000, contested_names=contested)
        PlaceName.objects.create(place=place, name=name, language="en")
        for other, language in names:
            if other != name:
                PlaceName.objects.create(place=place, name=other, language=language)
        places[name] = place
    actor = Actor(case=case, name="Ilham Aliyev", kind="person", nationalities=["AZ"])
    save_actor(actor, user)
    for name, language in [("Ильхам Алиев", "ru"), ("Իլհամ Ալիև", "hy"),
                           ("İlham Əliyev", "az")]:
        add_actor_name(actor, name, user, language=language)
    add_position(actor, "President of Azerbaijan", user, date="2003-10-31/..")
    incidents = {}
    for title, date, event, status, where, low, best, high in INCIDENTS:
        incident = Incident(case=case, title=title, date=date, event_type=event, status=status)
        save_incident(incident, user, places=[places[p] for p in where])
        if best is not None or low is not None:
            set_counts(incident, user, [CountRow("killed" if best and best < 1000
                                                 else "displaced", low, best, high,
                                                 approximate=best == 100000)])
        incidents[title] = incident
    set_incident_actors(incidents["September offensive"], user,
                        [(actor, "alleged_perpetrator", "gave_orders")])
    summary = Importer(case, actor="amira", user=user, workers=1).run(
        [make_files({"cardin-letter.txt": LETTER.encode()}, "letters")]
    )
    assert summary.ok
    item = Item.objects.get(case=case, title="cardin-letter.txt")
    start = LETTER.index("In September 2023")
    end = LETTER.index("homes.") + len("homes.")
    claim = Claim.objects.create(case=case, item=item, text=LETTER[start:end],
                                 anchor={"start": start, "end": end}, date="2023-09")
    claim.incidents.add(incidents["Exodus of Armenians"])
    claim.places.add(places["Stepanakert"])
    propose_claims(item, user)
    return {"case": case, "places": places, "actor": actor, "incidents": incidents,
            "item": item}


@pytest.mark.django_db(transaction=True)
def test_map_and_timeline_in_chromium(
    live_server: Any, chromium: Path, user: Any, make_files: Any, settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.MAP_TILE_URL = UNREACHABLE_TILES
    data = build_case(user, make_files)
    slug = data["case"].slug
    base = f"{live_server.url}/cases/{slug}"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    csp: list[str] = []

    def console(message: Any) -> None:
        text = message.text
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            csp.append(text)
        elif message.type == "error" and "127.0.0.1:9" not in text and \
                "net::ERR_CONNECTION_REFUSED" not in text and "Failed to load resource" not in text:
            errors.append(text)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1360, "height": 900})
            page.on("console", console)
            page.on("pageerror", lambda e: errors.append(str(e)))
            external: list[str] = []
            page.on("request", lambda r: external.append(r.url)
                    if not r.url.startswith((live_server.url, "data:", "http://127.0.0.1:9/"))
                    else None)

            page.goto(f"{live_server.url}/login/")
            page.get_by_label("User name").fill("amira")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("heading", name="Cases")).to_be_visible()

            page.goto(f"{base}/incidents/")
            expect(page.locator(".table-incidents tbody tr")).to_have_count(len(INCIDENTS))
            page.screenshot(path=SCREENSHOTS / "graph-01-incidents.png", full_page=True)

            # The map: Leaflet from /static/, vector points on a plain background.
            page.goto(f"{base}/incidents/map/")
            leaflet = page.locator("#incident-map")
            expect(leaflet).to_have_class(re.compile(r"\bis-ready\b"), timeout=15000)
            expect(leaflet).to_have_class(re.compile(r"\btiles-failed\b"))
            expect(leaflet).to_have_attribute("data-points", str(len(PLACES)))
            expect(page.locator("path.map-point")).to_have_count(len(PLACES))
            expect(page.locator("#map-status")).to_contain_text("plain background")
            boxes = [page.locator("path.map-point").nth(i).bounding_box()
                     for i in range(len(PLACES))]
            frame = leaflet.bounding_box()
            assert frame and all(b and b["width"] > 4 for b in boxes)
            assert all(b and frame["x"] <= b["x"] <= frame["x"] + frame["width"] for b in boxes)
            fill = page.locator("path.map-point").first.evaluate(
                "e => getComputedStyle(e).fill")
            assert fill == "rgb(178, 58, 44)"
            page.wait_for_timeout(400)
            page.screenshot(path=SCREENSHOTS / "graph-02-map-no-tiles.png", full_page=True)
            page.locator("path.map-point").first.click(force=True)
            expect(page.locator(".leaflet-popup .map-popup-title")).to_be_visible()
            page.screenshot(path=SCREENSHOTS / "graph-03-map-popup.png")

            # The timeline: bars as ranges, approximate ones hatched.
            page.goto(f"{base}/incidents/timeline/")
            bars = page.locator("svg.timeline-chart rect.bar")
            expect(bars).to_have_count(len(INCIDENTS))
            widths = {
                bars.nth(i).get_attribute("data-date"): bars.nth(i).bounding_box()["width"]
                for i in range(len(INCIDENTS))
            }
            assert widths["2022-12-12/2023-09-19"] > widths["2023-09~"] > \
                widths["2023-09-19/2023-09-20"]
            hatched = page.locator("rect.bar-approximate").first.evaluate(
                "e => getComputedStyle(e).fill")
            assert "url" in hatched
            page.screenshot(path=SCREENSHOTS / "graph-04-timeline.png", full_page=True)
            page.locator("svg.timeline-chart a").filter(has_text="September offensive").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("September offensive")
            page.screenshot(path=SCREENSHOTS / "graph-05-incident.png", full_page=True)

            page.goto(f"{base}/places/{data['places']['Stepanakert'].pk}/")
            expect(page.locator(".contested-value")).to_have_text(["Stepanakert", "Khankendi"])
            page.screenshot(path=SCREENSHOTS / "graph-06-place.png", full_page=True)

            page.goto(f"{base}/actors/{data['actor'].pk}/")
            expect(page.locator(".name-group .name", has_text="Ильхам Алиев")).to_be_visible()
            page.screenshot(path=SCREENSHOTS / "graph-07-actor.png", full_page=True)

            page.goto(f"{base}/candidates/")
            expect(page.locator(".candidate mark").first).to_be_visible()
            page.screenshot(path=SCREENSHOTS / "graph-08-review-queue.png", full_page=True)

            page.goto(f"{base}/incidents/{data['incidents']['Exodus of Armenians'].pk}/edit/")
            page.get_by_label("Date (EDTF)").fill("September 2023")
            page.get_by_role("button", name="Save changes").click()
            expect(page.locator(".field-error")).to_contain_text("Not a date Vestige understands")
            page.screenshot(path=SCREENSHOTS / "graph-09-incident-form-error.png",
                            full_page=True)
            page.get_by_label("Date (EDTF)").fill("2023-09-24/2023-10-01")
            page.get_by_role("button", name="Save changes").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Exodus of Armenians")
            expect(page.locator(".diff").first).to_contain_text("2023-09-24/2023-10-01")

            page.goto(f"{base}/history/")
            expect(page.locator(".edit").first).to_be_visible()
            page.screenshot(path=SCREENSHOTS / "graph-10-history.png", full_page=True)
        finally:
            browser.close()
    assert not csp, csp
    assert not errors, errors
    assert not external, external
    assert IncidentCount.objects.filter(category="displaced", best=100000).exists()
