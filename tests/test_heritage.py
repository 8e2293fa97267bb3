"""Heritage sites: second-reviewer agreement, current condition, alerts on worsening, the
before/after comparison, the web pages and their permission checks, and the demo."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from PIL import Image

from vestige.cases.models import Case
from vestige.cases.services import set_member
from vestige.core.blobstore import LocalBlobStore
from vestige.core.errors import PermissionDenied, UserError
from vestige.demo.heritage import draw_church, load_demo_heritage
from vestige.evidence.importing import Importer
from vestige.evidence.models import Item
from vestige.heritage import compare, services
from vestige.heritage.models import HeritageAlert, HeritageSite, Observation, worsens

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer(django_user_model: Any, case: Case) -> Any:
    account = django_user_model.objects.create_user(username="rev", password="correct-horse-9")
    set_member(case.slug, "rev", "reviewer")
    return account


@pytest.fixture
def viewer(django_user_model: Any, case: Case) -> Any:
    account = django_user_model.objects.create_user(username="vic", password="correct-horse-9")
    set_member(case.slug, "vic", "viewer")
    return account


@pytest.fixture
def analyst(django_user_model: Any, case: Case) -> Any:
    account = django_user_model.objects.create_user(username="ana", password="correct-horse-9")
    set_member(case.slug, "ana", "analyst")
    return account


@pytest.fixture
def site(case: Case, user: Any) -> HeritageSite:
    return services.create_site(
        case, "Ghazanchetsots Cathedral", site_type="church", period="1868–1887",
        latitude=39.7589, longitude=46.7507, user=user,
        names=[services.NameSpec("Ղազանչեցոց", "hy"), services.NameSpec("Qazançı kilsəsi", "az"),
               services.NameSpec("Собор Газанчецоц", "ru")],
    )


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality)
    return out.getvalue()


@pytest.fixture
def images(case: Case, make_files: Any) -> dict[str, Item]:
    """Three real images imported through the importer: a church, the same church re-encoded
    as JPEG (identical content, different bytes) and the church after damage."""
    folder = make_files({
        "before.png": _png(draw_church(False)),
        "reencoded.jpg": _jpeg(draw_church(False), 85),
        "after.png": _png(draw_church(True)),
    })
    summary = Importer(case, actor="t", workers=1).run([folder])
    assert all(o.ok for o in summary.outcomes), [o.message for o in summary.outcomes]
    return {item.source_name.split(".")[0]: item for item in Item.objects.filter(case=case)}


def _observe(site: HeritageSite, user: Any, date: str, condition: str) -> Observation:
    return services.propose_observation(site, date=date, condition=condition, user=user)


# ---------------------------------------------------------------- the rules


def test_a_second_reviewer_with_verify_must_confirm(
    site: HeritageSite, user: Any, reviewer: Any, analyst: Any, viewer: Any
) -> None:
    observation = _observe(site, user, "2020-10-08", "damaged")
    site.refresh_from_db()
    assert site.condition == "unknown"  # a proposal changes nothing
    with pytest.raises(PermissionDenied, match="second reviewer"):
        services.confirm(observation, user)  # the owner made it: not a second reviewer
    for weak in (analyst, viewer):
        with pytest.raises(PermissionDenied, match="verify"):
            services.confirm(observation, weak)
    assert services.confirm(observation, reviewer) is None  # no earlier condition: no alert
    observation.refresh_from_db()
    site.refresh_from_db()
    assert observation.status == "confirmed" and observation.reviewed_by == reviewer
    assert observation.reviewed_by_label == "rev"
    assert site.condition == "damaged"
    with pytest.raises(UserError, match="already confirmed"):
        services.reject(observation, reviewer)


def test_reviewing_an_observation_is_kept_in_history(
    site: HeritageSite, user: Any, reviewer: Any
) -> None:
    from vestige.cases.graph import Edit

    observation = _observe(site, user, "2021", "intact")
    services.reject(observation, reviewer, note="image too blurred")
    edits = Edit.objects.filter(model="heritage.Observation", object_id=str(observation.pk))
    assert [e.action for e in edits.order_by("pk")] == ["create", "update"]
    assert edits.order_by("pk").last().after["status"] == "rejected"


def test_current_condition_is_the_latest_confirmed_observation(
    site: HeritageSite, user: Any, reviewer: Any
) -> None:
    services.confirm(_observe(site, user, "2019", "intact"), reviewer)
    services.confirm(_observe(site, user, "2021-05", "threatened"), reviewer)
    # An older observation confirmed later does not override the newer one.
    services.confirm(_observe(site, user, "2020-01", "damaged"), reviewer)
    # Rejected and still-proposed observations count for nothing.
    services.reject(_observe(site, user, "2022", "destroyed"), reviewer)
    _observe(site, user, "2023", "destroyed")
    site.refresh_from_db()
    assert site.condition == "threatened"
    current = services.current_observation(site)
    assert current is not None and current.date == "2021-05"


def test_a_confirmed_worsening_raises_an_alert(
    site: HeritageSite, user: Any, reviewer: Any
) -> None:
    assert services.confirm(_observe(site, user, "2019", "intact"), reviewer) is None
    # "unknown" is neutral: neither an alert nor the baseline of the next comparison.
    assert services.confirm(_observe(site, user, "2020-09", "unknown"), reviewer) is None
    site.refresh_from_db()
    assert site.condition == "unknown"
    alert = services.confirm(_observe(site, user, "2020-10-08", "damaged"), reviewer)
    assert alert is not None
    assert (alert.from_condition, alert.to_condition) == ("intact", "damaged")
    # Improvement: no alert; a back-dated worse observation that is not the latest: no alert.
    assert services.confirm(_observe(site, user, "2022", "intact"), reviewer) is None
    assert services.confirm(_observe(site, user, "2021", "destroyed"), reviewer) is None
    assert HeritageAlert.objects.filter(site=site).count() == 1
    services.acknowledge(alert, reviewer)
    alert.refresh_from_db()
    assert alert.acknowledged_by == reviewer and alert.acknowledged_at is not None


def test_condition_order() -> None:
    assert worsens("intact", "threatened") and worsens("threatened", "damaged")
    assert worsens("damaged", "destroyed") and not worsens("destroyed", "damaged")
    assert not worsens("unknown", "destroyed") and not worsens("intact", "unknown")


def test_bad_input_is_refused_clearly(site: HeritageSite, user: Any, case: Case) -> None:
    with pytest.raises(UserError, match="not an EDTF date"):
        services.propose_observation(site, date="last week", condition="damaged", user=user)
    with pytest.raises(UserError, match="unknown condition"):
        services.propose_observation(site, date="2020", condition="ruined", user=user)
    with pytest.raises(UserError, match="no item"):
        services.propose_observation(site, date="2020", condition="damaged", user=user,
                                     item_ids=["00000000-0000-0000-0000-000000000000"])
    with pytest.raises(UserError, match="latitude"):
        services.create_site(case, "Somewhere", latitude=95.0, longitude=10.0, user=user)
    with pytest.raises(UserError, match="already has"):
        services.create_site(case, site.name, user=user)


def test_site_names_keep_language_and_script(site: HeritageSite) -> None:
    scripts = {n.language: n.script for n in site.names.all()}
    assert scripts["hy"] == "Armenian" or scripts["hy"].lower().startswith("arm")
    assert scripts["ru"].lower().startswith("cyr")
    assert len(scripts) == 4  # the display name (no language) and the three others


# ---------------------------------------------------------------- comparison


def _chunks(item: Item) -> Any:
    from django.conf import settings

    return LocalBlobStore(settings.BLOB_ROOT).open_verified(item.sha256)


def test_compare_scores_a_change_above_a_reencoding(images: dict[str, Item]) -> None:
    same, same_png = compare.compare(_chunks(images["before"]), _chunks(images["reencoded"]))
    changed, changed_png = compare.compare(_chunks(images["before"]), _chunks(images["after"]))
    assert 0.0 <= same.score < 0.01
    assert changed.score > 0.03
    assert changed.score > 5 * same.score
    assert changed.mean_difference > same.mean_difference
    assert same.disclaimer == "An aid to the reviewer, never a verdict."
    for png in (same_png, changed_png):
        with Image.open(io.BytesIO(png)) as picture:
            assert picture.format == "PNG" and picture.size == (changed.width, changed.height)
    # The difference map is red where the dome was lost, grey where nothing changed.
    with Image.open(io.BytesIO(changed_png)) as picture:
        red, green, _ = picture.convert("RGB").getpixel((320, 80))
        assert red > green + 80
        r0, g0, _ = picture.convert("RGB").getpixel((20, 20))
        assert abs(r0 - g0) < 30
    # The originals are untouched: still verified against their hashes.
    from django.conf import settings

    store = LocalBlobStore(settings.BLOB_ROOT)
    for item in images.values():
        assert store.verify(item.sha256) == item.sha256


def test_compare_aligns_images_of_different_sizes() -> None:
    small = draw_church(False).resize((320, 210))
    result, _ = compare.compare([_png(draw_church(False))], [_png(small)])
    assert (result.width, result.height) == (320, 210)
    assert result.score < 0.05


# ---------------------------------------------------------------- web


def _client(account: Any) -> Client:
    client = Client()
    client.force_login(account)
    return client


def test_pages_are_hidden_from_non_members(
    site: HeritageSite, outsider: Any, images: dict[str, Item]
) -> None:
    client = _client(outsider)
    base = f"/cases/test-case/heritage/{site.pk}"
    for url in ("/cases/test-case/heritage/", "/cases/test-case/heritage/map.json", f"{base}/",
                f"{base}/compare", f"{base}/compare.png"):
        assert client.get(url).status_code == 404, url
    response = client.post(f"{base}/observe", {"date": "2020", "condition": "destroyed"})
    assert response.status_code == 404
    assert not Observation.objects.exists()


def test_the_review_flow_through_the_web(
    site: HeritageSite, user: Any, reviewer: Any, viewer: Any
) -> None:
    base = f"/cases/test-case/heritage/{site.pk}"
    owner = _client(user)
    assert _client(viewer).post(f"{base}/observe", {"date": "2019", "condition": "intact"}
                                ).status_code == 403
    assert _client(reviewer).post(f"{base}/observe", {"date": "2019", "condition": "intact"}
                                  ).status_code == 403  # reviewers verify; they do not edit
    for date, condition in (("2019", "intact"), ("2020-10-08", "damaged")):
        response = owner.post(f"{base}/observe", {"date": date, "condition": condition})
        assert response.status_code == 302
    first, second = Observation.objects.order_by("date_lower")
    review = "/cases/test-case/heritage/observations/{}/review"
    # The observer may not confirm their own observation; a viewer may not review at all.
    assert owner.post(review.format(first.pk), {"action": "confirm"}).status_code == 403
    assert _client(viewer).post(review.format(first.pk), {"action": "confirm"}
                                ).status_code == 403
    checker = _client(reviewer)
    for observation in (first, second):
        assert checker.post(review.format(observation.pk), {"action": "confirm"}
                            ).status_code == 302
    page = _client(viewer).get(f"{base}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="current-condition">Damaged' in html
    assert "Intact</span> → <span class=\"condition condition-damaged\">Damaged" in html
    assert "Ղազանչեցոց" in html and "Собор Газанчецоц" in html
    assert 'action="/cases/test-case/heritage/' not in html.split("Alerts")[1].split(
        "</section>")[0]  # a viewer gets no acknowledge button
    listing = _client(viewer).get("/cases/test-case/heritage/").content.decode()
    assert "Alerts: condition worsened" in listing and "Ghazanchetsots Cathedral" in listing
    points = json.loads(_client(viewer).get("/cases/test-case/heritage/map.json").content)
    assert points["points"][0]["condition"] == "damaged"
    assert points["points"][0]["lat"] == pytest.approx(39.7589)


def test_the_site_list_keeps_scripts_to_self(site: HeritageSite, user: Any, settings: Any
                                             ) -> None:
    settings.MAP_TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    response = _client(user).get("/cases/test-case/heritage/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "https://tile.openstreetmap.org" in policy
    html = response.content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script"
    assert "/static/vestige/heritage.js" in html and 'id="heritage-map"' in html


def test_compare_page_and_difference_map(
    site: HeritageSite, user: Any, viewer: Any, images: dict[str, Item], case: Case
) -> None:
    services.link_items(site, [images["before"].pk, images["after"].pk], user)
    base = f"/cases/test-case/heritage/{site.pk}"
    client = _client(viewer)
    query = f"?before={images['before'].pk}&after={images['after'].pk}"
    page = client.get(f"{base}/compare{query}")
    html = page.content.decode()
    assert page.status_code == 200
    assert "An aid to the reviewer, never a verdict." in html
    assert 'id="swipe-range"' in html and "/static/vestige/heritage.js" in html
    score = float(re.search(r'data-score="([0-9.]+)"', html).group(1))  # type: ignore[union-attr]
    assert score > 0.03
    picture = client.get(f"{base}/compare.png{query}")
    assert picture.status_code == 200 and picture["Content-Type"] == "image/png"
    assert picture.content.startswith(b"\x89PNG")
    # An image that is not one of the site's (here: linked to no site) is refused.
    stranger = images["reencoded"]
    assert client.get(f"{base}/compare?before={stranger.pk}&after={images['after'].pk}"
                      ).status_code == 404
    # An image of another case cannot be linked.
    other = Case.objects.create(slug="other", title="Other")
    other_site = HeritageSite.objects.create(case=other, name="Elsewhere")
    with pytest.raises(UserError, match="no item"):
        services.link_items(other_site, [images["before"].pk], user)


def test_site_can_be_added_through_the_web(case: Case, user: Any, analyst: Any, viewer: Any
                                           ) -> None:
    form = {"name": "Dadivank Monastery", "site_type": "monastery", "period": "9th–13th c.",
            "latitude": "40.1617", "longitude": "46.2883", "names": "hy: Դադիվանք\nru: Дадиванк"}
    assert _client(viewer).post("/cases/test-case/heritage/new", form).status_code == 403
    response = _client(analyst).post("/cases/test-case/heritage/new", form)
    assert response.status_code == 302
    site = HeritageSite.objects.get(case=case)
    assert {n.language for n in site.names.all()} == {"", "hy", "ru"}


# ---------------------------------------------------------------- demo


def test_demo_heritage(case: Case, tmp_path: Path) -> None:
    made = load_demo_heritage(case, "demo", tmp_path / "heritage")
    assert made == {"sites": 4, "observations": 6, "alerts": 1}
    alert = HeritageAlert.objects.get(case=case)
    assert alert.site.name == "Ghazanchetsots Cathedral"
    assert (alert.from_condition, alert.to_condition) == ("intact", "damaged")
    mosque = HeritageSite.objects.get(case=case, name="Yukhari Govhar Agha Mosque")
    assert mosque.observations.filter(status="proposed").count() == 1
    languages = set(mosque.names.values_list("language", flat=True))
    assert {"hy", "az", "ru", "en"} <= languages
    drawings = Item.objects.filter(case=case, title__startswith="DEMONSTRATION MATERIAL")
    assert drawings.count() == 3
    assert load_demo_heritage(case, "demo", tmp_path / "heritage") == {
        "sites": 0, "observations": 0, "alerts": 0}
    assert Item.objects.filter(case=case).count() == 3


# ---------------------------------------------------------------- browser


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_map_and_swipe_in_a_browser(
    live_server: Any, user: Any, reviewer: Any, images: dict[str, Item], site: HeritageSite,
    monkeypatch: pytest.MonkeyPatch, settings: Any,
) -> None:
    from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, PASSWORD

    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent")
    sync_api = pytest.importorskip("playwright.sync_api")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.MAP_TILE_URL = ""  # no network here: the points draw on a plain background
    services.link_items(site, [images["before"].pk, images["after"].pk], user)
    services.confirm(_observe(site, user, "2019", "intact"), reviewer)
    services.confirm(_observe(site, user, "2020-10-08", "damaged"), reviewer)
    problems: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.goto(f"{live_server.url}/login/")
            page.get_by_label("User name").fill("amira")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.goto(f"{live_server.url}/cases/test-case/heritage/")
            sync_api.expect(page.locator("#heritage-map")).to_have_attribute("data-points", "1")
            sync_api.expect(page.locator("path.site-point.condition-damaged")).to_have_count(1)
            page.goto(f"{live_server.url}/cases/test-case/heritage/{site.pk}/compare"
                      f"?before={images['before'].pk}&after={images['after'].pk}")
            sync_api.expect(page.locator("#change-score")).to_be_visible()
            page.locator("#swipe-range").fill("20")
            clip = page.locator("#swipe-before").evaluate("e => e.style.clipPath")
            assert clip == "inset(0px 80% 0px 0px)"
            diff = page.locator("img.heritage-diff")
            sync_api.expect(diff).to_be_visible()
            assert diff.evaluate("e => e.complete && e.naturalWidth") > 0
        finally:
            browser.close()
    assert not problems, problems
