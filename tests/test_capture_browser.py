"""Web capture in a real Chromium: submit URLs through the form, watch the live status change
while a capture runs, open the capture page, and show that an archived page's scripts never run
in the replay frame.

Screenshots land in ``test-artifacts/screenshots/capture-*.png``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import capture_site
from tests.capture_site import CaptureSite
from vestige.capture.models import Capture, CaptureStatus
from vestige.cases.services import create_case

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--no-first-run",
    "--disable-sync",
]
PASSWORD = "correct-horse-9"

# A page whose scripts, if they ever ran, would leave marks: a changed text, a changed title
# of the frame and of the app page around it, and requests to /beacon.
MARKER_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Marker page</title>
<script>
  try { window.parent.document.title = "PWNED by the archived page"; } catch (e) {}
  document.title = "script ran";
  try { fetch("/beacon?inline"); } catch (e) {}
  new Image().src = "/beacon?image";
</script>
<script src="/beacon.js"></script>
</head><body><main><h1>Archived marker page</h1>
<p id="marker">The script of this page did not run.</p>
<img src="/img/photo.png" alt="photo" width="160">
<script>document.getElementById("marker").textContent = "script ran";</script>
</main></body></html>"""
BEACON_JS = b'fetch("/beacon?external"); document.title = "script ran";'


def _marker(handler: Any) -> None:
    handler._html(MARKER_PAGE)


def _beacon_js(handler: Any) -> None:
    handler._send(200, "application/javascript", BEACON_JS)


def _beacon(handler: Any) -> None:
    handler._send(204, "text/plain", b"")


@pytest.fixture
def chromium() -> Path:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent: install the distribution's chromium package "
                    "(no browser is ever downloaded)")
    pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    return CHROMIUM


@pytest.fixture
def site(monkeypatch: pytest.MonkeyPatch) -> Iterator[CaptureSite]:
    monkeypatch.setitem(capture_site.ROUTES, "/marker", _marker)
    monkeypatch.setitem(capture_site.ROUTES, "/beacon.js", _beacon_js)
    monkeypatch.setitem(capture_site.ROUTES, "/beacon", _beacon)
    with CaptureSite(with_video=False) as running:
        yield running


def run_in_thread(capture_ids: list[Any]) -> None:
    """Run captures as the worker would, in a thread of their own (the engine drives its own
    Chromium; Playwright's sync API cannot nest in the test's)."""
    from django.db import connection

    from vestige.capture.service import run_capture

    errors: list[BaseException] = []

    def work() -> None:
        try:
            for capture_id in capture_ids:
                run_capture(capture_id)
        except BaseException as exc:  # reported to the test below
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(timeout=300)
    assert not thread.is_alive(), "the captures did not finish"
    assert not errors, errors


@pytest.mark.django_db(transaction=True)
def test_capture_through_the_form_live_status_page_and_inert_replay(
    live_server: Any, chromium: Path, user: Any, site: CaptureSite, settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.CAPTURE_ALLOW_PRIVATE_ADDRESSES = True
    settings.CAPTURE_RETRIES = 0
    case = create_case("shusha-2023", "Shelling of Shusha district, 2023", owner=user)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    browser_requests: list[str] = []

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1360, "height": 900})
            page.on("pageerror", lambda e: problems.append(str(e)))
            console: list[str] = []
            page.on("console", lambda m: console.append(m.text))
            page.on("request", lambda r: browser_requests.append(r.url))

            page.goto(f"{live_server.url}/login/")
            page.get_by_label("User name").fill("amira")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.get_by_role("link", name=case.title).click()
            page.locator(".case-tabs").get_by_role("link", name="Captures").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Web captures")

            page.get_by_label("URLs").fill(f"{site.url('/')}\n{site.url('/marker')}")
            page.get_by_label("Browser (Chromium, runs JavaScript)").check()
            page.get_by_role("button", name="Capture", exact=True).click()
            expect(page.locator(".notice-success")).to_contain_text("2 URLs queued")
            rows = page.locator("tr[data-capture-id]")
            expect(rows).to_have_count(2)
            expect(rows.first.locator("[data-field=status]")).to_have_text("Queued")
            expect(page.locator("[data-capture-live]")).to_have_text("Updating live…")
            page.screenshot(path=SCREENSHOTS / "capture-list-queued.png", full_page=True)

            # The page must change by itself: mark the document, then run the captures.
            page.evaluate("window.__sameDocument = true")
            captures = list(Capture.objects.filter(case=case).order_by("requested_at", "url"))
            assert {c.status for c in captures} == {CaptureStatus.QUEUED}
            run_in_thread([c.pk for c in captures])
            for row in rows.all():
                expect(row.locator("[data-field=status]")).to_have_text("Done", timeout=20_000)
            expect(page.locator("[data-capture-live]")).to_have_text("All captures finished.")
            assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"
            page.screenshot(path=SCREENSHOTS / "capture-list-done.png", full_page=True)

            # The article's capture page: screenshot, text, context, replay.
            article = Capture.objects.get(case=case, url=site.url("/"))
            assert article.status == CaptureStatus.DONE, article.error
            page.get_by_role("link", name="Shelling near the village school").click()
            expect(page.get_by_role("heading", level=1)).to_have_text(
                "Shelling near the village school")
            shot = page.locator(".capture-shot img")
            expect(shot).to_be_visible()
            assert shot.evaluate("e => e.complete && e.naturalWidth > 300"), "no screenshot"
            expect(page.locator(".capture-context")).to_contain_text("127.0.0.1")
            expect(page.locator(".capture-text")).to_contain_text("residents of the village")
            frame = page.frame_locator("iframe.replay-frame")
            expect(frame.locator("h1")).to_have_text("Shelling near the village school")
            # The rendered view shows what the page's JavaScript wrote at capture time, as
            # static markup; the archived view shows the HTML as served.
            expect(frame.locator("#js-target")).to_have_text(capture_site.JS_TEXT)
            image = frame.locator("img").first
            expect(image).to_be_visible()
            assert image.evaluate("e => e.complete && e.naturalWidth > 0"), "replay image"
            page.screenshot(path=SCREENSHOTS / "capture-page.png", full_page=True)

            page.get_by_role("link", name="As archived").click()
            frame = page.frame_locator("iframe.replay-frame")
            expect(frame.locator("h1")).to_have_text("Shelling near the village school")
            expect(frame.locator("#js-target")).to_have_text("")

            # The marker page: nothing of its script runs in the frame or in the app around it.
            marker = Capture.objects.get(case=case, url=site.url("/marker"))
            beacons_at_capture = sum(1 for path in site.paths() if path.startswith("/beacon"))
            browser_requests.clear()
            console.clear()
            page.goto(f"{live_server.url}/cases/{case.slug}/captures/{marker.pk}/?view=archive")
            app_title = page.title()
            frame = page.frame_locator("iframe.replay-frame")
            expect(frame.locator("h1")).to_have_text("Archived marker page")
            expect(frame.locator("#marker")).to_have_text("The script of this page did not run.")
            expect(frame.locator("img")).to_be_visible()
            replay = next(f for f in page.frames if "/replay/" in f.url)
            assert replay.title() == "Marker page"
            page.wait_for_timeout(500)  # give a would-be script time to act (it has none)
            assert page.title() == app_title and "PWNED" not in page.title()
            assert not [u for u in browser_requests if "beacon" in u], browser_requests
            # Chromium says why: the frame is sandboxed without allow-scripts.
            assert any("Blocked script execution" in m and "/replay/" in m for m in console), \
                console
            assert sum(1 for p in site.paths() if p.startswith("/beacon")) == beacons_at_capture
            assert not [u for u in browser_requests if u.startswith(site.url(""))], \
                "the replay reached the live site"
            page.screenshot(path=SCREENSHOTS / "capture-replay-marker.png", full_page=True)

            # Opened on its own, the replay is still sandboxed by its own CSP.
            replay_url = replay.url
            standalone = browser.new_page()
            standalone.goto(replay_url)
            expect(standalone.locator("#marker")).to_have_text(
                "The script of this page did not run.")
            assert standalone.title() == "Marker page"
            standalone.close()
        finally:
            browser.close()
    assert not problems, problems
