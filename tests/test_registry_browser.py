"""The protection registry in a real Chromium (the system's), through Playwright.

A protection officer signs in, finds a person by pseudonym, reveals the identity for a stated
reason, sees the reveal in the audit, records and withdraws consent, judges a suspected
duplicate and reads the statistics; the owner then sees the same person by pseudonym only.
Screenshots land in ``test-artifacts/screenshots/registry-*.png``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.test_browser import CHROMIUM_ARGS, PASSWORD, SCREENSHOTS
from vestige.cases.gazetteer import seed_gazetteer
from vestige.cases.services import create_case, set_member
from vestige.demo.registry import load_demo_registry
from vestige.protection import services
from vestige.protection.models import ProtectedPerson, ProtectionAudit

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def chromium() -> Path:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent: install the distribution's chromium package")
    pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    return CHROMIUM


def shot(page: Any, name: str) -> None:
    page.screenshot(path=SCREENSHOTS / f"registry-{name}.png", full_page=True)


@pytest.mark.django_db(transaction=True)
def test_officer_reveals_with_a_reason_and_the_audit_shows_it(
    live_server: Any, chromium: Path, user: Any, django_user_model: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    case = create_case("nk-registry", "Displacement from Nagorno-Karabakh, 2023", owner=user,
                       description="Accounts of people displaced in September 2023.")
    seed_gazetteer(["AZ", "AM"])
    load_demo_registry(case)
    django_user_model.objects.create_user(username="olga", password=PASSWORD)
    set_member(case.slug, "olga", "protection_officer")
    person = ProtectedPerson.objects.filter(case=case).order_by("created_at").first()
    assert person is not None
    identity = services.open_identity(person)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    reason = "Home visit with the UNHCR field team on Monday"

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1360, "height": 900})
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))

            page.goto(f"{live_server.url}/login/")
            page.get_by_label("User name").fill("olga")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.get_by_role("link", name=case.title).click()
            page.get_by_role("navigation", name="Case sections").get_by_role(
                "link", name="Registry").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Protection registry")
            expect(page.get_by_role("link", name=person.pseudonym)).to_be_visible()
            expect(page.locator("main")).not_to_contain_text(identity["family_name"])
            shot(page, "01-list")

            page.get_by_label("Role").select_option("witness")
            page.get_by_role("button", name="Apply").click()
            expect(page.locator("tbody tr").first).to_contain_text("witness")
            page.get_by_role("link", name="Clear").click()

            page.get_by_role("link", name=person.pseudonym).click()
            expect(page.get_by_role("heading", level=1)).to_have_text(person.pseudonym)
            expect(page.get_by_role("heading", name="Consent")).to_be_visible()
            expect(page.locator("main")).not_to_contain_text(identity["family_name"])
            shot(page, "02-person")

            page.get_by_label("Reason for revealing").fill(reason)
            with page.expect_response(lambda r: r.request.method == "POST") as answer:
                page.get_by_role("button", name="Reveal identity").click()
            assert "no-store" in answer.value.headers["cache-control"]
            panel = page.locator(".reveal-panel")
            expect(panel).to_contain_text(identity["given_name"])
            expect(panel).to_contain_text(identity["family_name"])
            expect(panel).to_contain_text("INVENTED")
            shot(page, "03-reveal")

            page.get_by_role("navigation", name="Registry sections").get_by_role(
                "link", name="Audit").click()
            row = page.locator("tbody tr").filter(has_text=reason)
            expect(row).to_contain_text("olga")
            expect(row).to_contain_text("Identity revealed")
            expect(row).to_contain_text(person.pseudonym)
            shot(page, "04-audit")
            assert ProtectionAudit.objects.filter(
                person=person, action="reveal", reason=reason).exists()

            page.goto(f"{live_server.url}/cases/{case.slug}/registry/{person.pk}/")
            page.get_by_role("link", name="Record consent").click()
            page.get_by_label("Recipient").select_option("partner_ngo")
            page.get_by_label("Being contacted again").check()
            page.get_by_label("What was explained").fill(
                "Explained that the partner NGO may call about legal aid, and that this can "
                "be stopped at any time.")
            page.get_by_label("Given on").fill("2024-06-03")
            shot(page, "05-consent-form")
            page.get_by_role("button", name="Record consent").click()
            expect(page.locator(".messages")).to_contain_text("Consent recorded for 1 use")
            record = page.locator(".record").filter(has_text="Partner NGO")
            record.get_by_role("link", name="Withdraw…").click()
            page.get_by_label("Note").fill("Asked us not to call again.")
            page.get_by_role("button", name="Withdraw consent").click()
            withdrawn = page.locator(".record-withdrawn").filter(has_text="Partner NGO")
            expect(withdrawn).to_contain_text("Asked us not to call again.")
            shot(page, "06-person-after-consent")

            page.get_by_role("navigation", name="Registry sections").get_by_role(
                "link", name="Statistics").click()
            expect(page.locator("svg").first).to_be_visible()
            expect(page.locator("td.suppressed").first).to_be_visible()
            shot(page, "07-statistics")

            page.get_by_role("navigation", name="Registry sections").get_by_role(
                "link", name="Duplicates").click()
            shot(page, "08-duplicates")
            page.get_by_role("link", name="Compare and decide").first.click()
            page.get_by_label("Reason for revealing").fill("Checking a suspected duplicate")
            page.get_by_role("button", name="Reveal both").click()
            expect(page.locator(".reveal-panel")).to_contain_text("Петросян")
            shot(page, "09-duplicate-compare")
            page.get_by_label("Same person").check()
            page.get_by_role("button", name="Record decision").click()
            expect(page.locator(".messages")).to_contain_text("the same person")

            page.get_by_role("navigation", name="Registry sections").get_by_role(
                "link", name="People").click()
            page.get_by_role("link", name="New person").click()
            shot(page, "10-new-person")
            page.get_by_label("Given name").fill("Seda")
            page.get_by_label("Family name").fill("Invented-Vardanyan")
            page.get_by_label("Witness").check()
            page.get_by_label("Place of origin").fill("Stepanakert")
            page.get_by_label("Displaced on").fill("2023-09-27")
            page.get_by_role("button", name="Record person").click()
            expect(page.locator(".messages")).to_contain_text("Recorded as")
            expect(page.locator("main")).not_to_contain_text("Invented-Vardanyan")

            # The owner: the registry by pseudonym, no reveal, no audit.
            owner = browser.new_page(viewport={"width": 1360, "height": 900})
            owner.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            owner.goto(f"{live_server.url}/login/")
            owner.get_by_label("User name").fill("amira")
            owner.get_by_label("Password").fill(PASSWORD)
            owner.get_by_role("button", name="Sign in").click()
            owner.goto(f"{live_server.url}/cases/{case.slug}/registry/{person.pk}/")
            expect(owner.get_by_role("heading", level=1)).to_have_text(person.pseudonym)
            expect(owner.get_by_role("button", name="Reveal identity")).to_have_count(0)
            expect(owner.get_by_role("link", name="Audit")).to_have_count(0)
            expect(owner.locator("main")).not_to_contain_text(identity["family_name"])
            shot(owner, "11-owner-person")
            refused = owner.request.get(
                f"{live_server.url}/cases/{case.slug}/registry/{person.pk}/reveal")
            assert refused.status == 403
        finally:
            browser.close()
    assert problems == []
