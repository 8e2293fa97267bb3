"""The web UI in a real Chromium (the system's, never a downloaded one), through Playwright.

Screenshots of each page land in ``test-artifacts/screenshots/`` for people to look at.
"""

from __future__ import annotations

import io
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from PIL import ExifTags, Image, ImageDraw

from vestige.cases.services import create_case, set_member
from vestige.evidence.importing import Importer
from vestige.evidence.models import CustodyEvent, Item

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--no-first-run",
    "--disable-sync",
]
PASSWORD = "correct-horse-9"


def photo(color: tuple[int, int, int], label: str, gps: bool = False) -> bytes:
    """A real JPEG with something drawn on it, a camera time and optionally a GPS position."""
    image = Image.new("RGB", (640, 420), color)
    draw = ImageDraw.Draw(image)
    for step in range(0, 640, 40):
        draw.line([(step, 0), (640 - step, 420)], fill=(255, 255, 255), width=2)
    draw.rectangle([(30, 30), (300, 90)], fill=(20, 20, 20))
    draw.text((45, 50), label, fill=(255, 255, 255))
    exif = Image.Exif()
    exif[0x010F] = "Vestige Test Camera"
    exif[0x0132] = "2023:09:14 10:20:30"
    if gps:
        info = exif.get_ifd(ExifTags.IFD.GPSInfo)
        info.update({1: "N", 2: (40.0, 11.0, 5.5), 3: "E", 4: (44.0, 30.0, 54.2)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=88)
    return out.getvalue()


def pdf() -> bytes:
    """A one-page PDF with document information."""
    import pypdf

    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": "Field report", "/Author": "Documentation team"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture
def chromium() -> Path:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent: install the distribution's chromium package "
                    "(no browser is ever downloaded)")
    pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    return CHROMIUM


@pytest.mark.django_db(transaction=True)
def test_investigator_signs_in_opens_a_case_and_an_item(
    live_server: Any, chromium: Path, user: Any, outsider: Any, make_files: Any,
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    # Playwright's sync API runs an event loop in this thread; Django's ORM calls made here
    # between browser steps are still synchronous and safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    case = create_case(
        "kharkiv-2022", "Strikes on civilian infrastructure, Kharkiv 2022", owner=user,
        description="Open-source material on strikes against residential buildings and "
                    "power stations. Collected for the documentation team.",
    )
    set_member(case.slug, outsider.username, "reviewer")
    folder = make_files(
        {
            "street-after-strike.jpg": photo((70, 90, 110), "street after strike", gps=True),
            "casualty-photo.jpg": photo((120, 40, 40), "graphic"),
            "field-report.pdf": pdf(),
            "witness-statement.txt": b"Statement of a witness, as written down.\n" * 20,
            "misnamed.jpg": b"This is text, not a picture.\n",
        },
        "evidence",
    )
    summary = Importer(case, actor="amira", user=user, workers=1).run([folder])
    assert summary.ok
    Item.objects.filter(case=case, title="casualty-photo.jpg").update(graphic=True)
    street = Item.objects.get(case=case, title="street-after-strike.jpg")
    graphic = Item.objects.get(case=case, title="casualty-photo.jpg")

    if SCREENSHOTS.exists():
        shutil.rmtree(SCREENSHOTS)
    SCREENSHOTS.mkdir(parents=True)
    problems: list[str] = []

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1360, "height": 900})
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))

            page.goto(f"{live_server.url}/")
            expect(page).to_have_url(f"{live_server.url}/login/?next=/")
            expect(page.get_by_role("heading", name="Sign in to Vestige")).to_be_visible()
            page.screenshot(path=SCREENSHOTS / "01-login.png", full_page=True)

            page.get_by_label("User name").fill("amira")
            page.get_by_label("Password").fill("wrong password")
            page.get_by_role("button", name="Sign in").click()
            expect(page.locator(".notice-error")).to_be_visible()
            page.get_by_label("User name").fill("amira")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()

            expect(page.get_by_role("heading", name="Cases")).to_be_visible()
            row = page.get_by_role("row").filter(has_text="Kharkiv 2022")
            expect(row).to_contain_text("owner")
            expect(row).to_contain_text("5")
            page.screenshot(path=SCREENSHOTS / "02-case-list.png", full_page=True)

            page.get_by_role("link", name=case.title).click()
            expect(page.get_by_role("heading", level=1)).to_have_text(
                "Strikes on civilian infrastructure, Kharkiv 2022"
            )
            expect(page.locator(".table-items tbody tr")).to_have_count(5)
            expect(page.get_by_text("Showing 1–5 of 5")).to_be_visible()
            members = page.locator(".members")
            expect(members).to_contain_text("mallory")
            expect(members).to_contain_text("reviewer")
            # The graphic item's thumbnail is blurred in the list too.
            expect(page.locator(".thumb-graphic img")).to_have_count(1)
            blurred = page.locator(".thumb-graphic img").evaluate("e => getComputedStyle(e).filter")
            assert "blur" in blurred
            page.screenshot(path=SCREENSHOTS / "03-case.png", full_page=True)

            # Filtering by kind submits the form as soon as the select changes (vestige.js).
            page.get_by_label("Kind").select_option("image")
            expect(page).to_have_url(re.compile(r"kind=image"))
            expect(page.locator(".table-items tbody tr")).to_have_count(2)
            page.get_by_role("link", name="Title").click()
            expect(page).to_have_url(re.compile(r"kind=image.*sort=title|sort=title.*kind=image"))
            titles = page.locator(".table-items .strong-link").all_inner_texts()
            assert titles == ["casualty-photo.jpg", "street-after-strike.jpg"]
            page.screenshot(path=SCREENSHOTS / "04-case-filtered.png", full_page=True)

            page.get_by_role("link", name="street-after-strike.jpg").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("street-after-strike.jpg")
            expect(page.locator("[data-hash]")).to_have_text(street.sha256)
            expect(page.get_by_text("40.184861° N, 44.515056° E")).to_be_visible()
            expect(page.get_by_text("Vestige Test Camera")).to_be_visible()
            expect(page.locator(".timeline")).to_contain_text("viewed")
            expect(page.get_by_role("link", name="Download original")).to_be_visible()
            image_ok = page.locator(".preview img").evaluate(
                "e => e.complete && e.naturalWidth > 0"
            )
            assert image_ok, "the preview image did not load"
            page.screenshot(path=SCREENSHOTS / "05-item.png", full_page=True)

            page.goto(f"{live_server.url}/cases/{case.slug}/items/{graphic.pk}/")
            figure = page.locator("figure.preview")
            expect(figure).to_have_class("preview is-graphic")
            veil = page.get_by_role("link", name="Show graphic content")
            expect(veil).to_be_visible()
            page.screenshot(path=SCREENSHOTS / "06-graphic-blurred.png", full_page=True)
            veil.click()
            expect(figure).not_to_have_class("preview is-graphic")
            assert "reveal" not in page.url  # revealed in place by vestige.js
            expect(page.locator(".preview img")).to_have_css("filter", "none")
            page.screenshot(path=SCREENSHOTS / "07-graphic-revealed.png", full_page=True)

            page.goto(f"{live_server.url}/cases/{case.slug}/items/"
                      f"{Item.objects.get(case=case, title='misnamed.jpg').pk}/")
            expect(page.locator(".notice-warning")).to_contain_text("but the content is")
            page.screenshot(path=SCREENSHOTS / "08-item-warning.png", full_page=True)

            page.goto(f"{live_server.url}/cases/{case.slug}/")
            upload = tmp_path / "upload"
            upload.mkdir()
            (upload / "checkpoint.jpg").write_bytes(photo((40, 110, 70), "checkpoint"))
            (upload / "transcript.txt").write_text("Interview transcript, page 1.\n")
            page.locator("#upload-files").set_input_files(
                [upload / "checkpoint.jpg", upload / "transcript.txt"]
            )
            expect(page.locator("#upload-chosen")).to_contain_text("2 files")
            page.get_by_label("Note").fill("handed over by the field team")
            page.get_by_role("button", name="Upload and import").click()
            expect(page.locator(".notice-success")).to_have_count(2)
            expect(page.locator(".messages")).to_contain_text("checkpoint.jpg: imported")
            expect(page.locator(".table-items tbody tr")).to_have_count(7)
            page.screenshot(path=SCREENSHOTS / "09-uploaded.png", full_page=True)

            page.get_by_role("button", name="Verify case").click()
            expect(page.locator(".notice-success")).to_contain_text("Everything is intact")
            page.screenshot(path=SCREENSHOTS / "10-verified.png", full_page=True)

            page.locator("summary[aria-label='Account menu']").click()
            page.screenshot(path=SCREENSHOTS / "11-user-menu.png")
            page.get_by_role("button", name="Sign out").click()
            expect(page.get_by_role("heading", name="Sign in to Vestige")).to_be_visible()
        finally:
            browser.close()

    assert not problems, f"errors in the browser console (CSP violations?): {problems}"
    assert CustodyEvent.objects.filter(item=street, action="viewed", actor="amira").exists()
    assert CustodyEvent.objects.filter(case=case, action="verified").exists()
    uploaded = Item.objects.get(case=case, title="checkpoint.jpg")
    assert uploaded.captured_by == user and uploaded.note == "handed over by the field team"
    assert os.listdir(SCREENSHOTS)
