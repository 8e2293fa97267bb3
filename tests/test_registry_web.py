"""The protection registry pages through Django's test client, against a real database and a
real protection key: lists by pseudonym, audited reads, reveal with a reason, consent, claims,
duplicates, statistics and the audit page."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.urls import reverse

from tests.registry_people import (
    IDENTITY_A,
    leaked,
    make_members,
    make_people,
)
from vestige.evidence.importing import Importer
from vestige.evidence.models import Item
from vestige.protection import services
from vestige.protection.models import (
    Consent,
    DamageClaim,
    DuplicateSuspicion,
    PersonItem,
    ProtectedPerson,
    ProtectionAudit,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def members(case: Any, django_user_model: Any) -> dict[str, Any]:
    return make_members(case, django_user_model)


@pytest.fixture
def people(case: Any, members: dict[str, Any]) -> dict[str, Any]:
    return make_people(case, members["olga"])


def as_user(client: Any, account: Any) -> Any:
    client.force_login(account)
    return client


def url(name: str, *args: Any) -> str:
    return reverse(name, args=["test-case", *args])


def page(client: Any, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, (path, response.status_code)
    return response.content.decode()


def test_registry_tab_shows_only_for_roles_with_registry(
    client: Any, case: Any, user: Any, members: dict[str, Any]
) -> None:
    registry = url("registry-list")
    for account, shown in [(user, True), (members["olga"], True), (members["ivan"], True),
                           (members["ana"], True), (members["vera"], False),
                           (members["rita"], False)]:
        html = page(as_user(client, account), url("case-detail"))
        assert (f'href="{registry}"' in html) is shown, account.username
        page(client, registry, 200 if shown else 403)


def test_list_shows_pseudonyms_and_filters_without_identities(
    client: Any, case: Any, user: Any, people: dict[str, Any]
) -> None:
    first, second = people["a"], people["b"]
    html = page(as_user(client, user), url("registry-list"))
    assert first.pseudonym in html and second.pseudonym in html
    assert "Karintak" in html
    assert "1 given" in html and "1 withdrawn" in html
    assert leaked(html) == []
    assert "New person" not in html  # the owner does not record people

    witnesses = page(client, url("registry-list") + "?role=witness")
    assert second.pseudonym in witnesses and first.pseudonym not in witnesses
    homes = page(client, url("registry-list") + "?category=loss_of_home")
    assert first.pseudonym in homes and second.pseudonym not in homes
    place = page(client, url("registry-list") + f"?place={people['place'].pk}&sort=-pseudonym")
    assert first.pseudonym in place and second.pseudonym in place
    late = page(client, url("registry-list") + "?displaced_from=2023-09-27")
    assert first.pseudonym not in late and second.pseudonym in late  # 2023-09 reaches the 30th
    backwards = page(client, url("registry-list") + "?displaced_from=2024-01-01"
                     "&displaced_to=2023-01-01")
    assert "The end date is before the start date." in backwards
    assert ProtectionAudit.objects.filter(case=case, action="list", user=user).count() == 6


def test_person_page_is_audited_and_never_shows_identity(
    client: Any, case: Any, members: dict[str, Any], people: dict[str, Any], make_files: Any
) -> None:
    first = people["a"]
    folder = make_files({"statement-of-Zorvakhine.txt": b"A statement.\n"})
    Importer(case, actor="t", workers=1).run([folder])
    item = Item.objects.get(case=case)
    services.link_item(first, item, "testimony", members["olga"])

    investigator = members["ivan"]
    html = page(as_user(client, investigator), url("registry-person", first.pk))
    assert first.pseudonym in html
    for text in ["Victim", "Karintak", "2023-09-26", "International Criminal Court",
                 "Told that the ICC may read the statement.", "withdrawn",
                 "Asked by telephone.", "Loss of a home", "House and orchard left behind.",
                 "5,400,000 AMD", "3 people", "names sealed", "1 restricted item"]:
        assert text.lower() in html.lower(), text
    assert leaked(html) == []  # the item's title names the person: not shown to them
    assert "Reveal identity" not in html and "Record consent" not in html
    assert ProtectionAudit.objects.filter(person=first, action="read", user=investigator).exists()

    officer_html = page(as_user(client, members["olga"]), url("registry-person", first.pk))
    assert "statement-of-Zorvakhine.txt" in officer_html  # officers see the linked item
    assert "Reveal identity" in officer_html and "Record consent" in officer_html
    assert leaked(officer_html, ["Quillerbeck", "1937-11-29"]) == []  # still no identity


def test_other_cases_person_is_404(
    client: Any, case: Any, user: Any, members: dict[str, Any], people: dict[str, Any]
) -> None:
    from vestige.cases.services import create_case

    create_case("other-case", "Other", owner=user)
    as_user(client, user)
    other = reverse("registry-person", args=["other-case", people["a"].pk])
    page(client, other, 404)


def test_officer_reveals_with_a_reason_once_and_never_cached(
    client: Any, case: Any, members: dict[str, Any], people: dict[str, Any]
) -> None:
    first = people["a"]
    officer = members["olga"]
    reveal = url("registry-reveal", first.pk)
    as_user(client, officer)
    form = client.get(reveal)
    assert form.status_code == 200 and "no-store" in form["Cache-Control"]
    assert leaked(form.content) == []

    refused = client.post(reveal, {"reason": "   "})
    assert refused.status_code == 200
    assert "Give a reason" in refused.content.decode()
    assert leaked(refused.content) == []
    assert not ProtectionAudit.objects.filter(person=first, action="reveal").exists()

    reason = "Home visit planned with the UNHCR field team"
    answer = client.post(reveal, {"reason": reason, "households": "on"})
    html = answer.content.decode()
    assert answer.status_code == 200
    assert "no-store" in answer["Cache-Control"]
    for value in ["Zorvakhine", "Quillerbeck", "Զորվախինե Քուիլերբեկ", "1937-11-29",
                  "+374 91 555 0142", "passport AK7781234", "Ishkhanuhi Quillerbeck"]:
        assert value in html, value
    audit = ProtectionAudit.objects.filter(person=first, action="reveal", user=officer)
    assert list(audit.values_list("reason", flat=True)) == [reason] * 2  # identity + household
    assert "Zorvakhine" not in str(client.session.items())

    audit_page = page(client, url("registry-audit"))
    assert reason in audit_page and "olga" in audit_page and first.pseudonym in audit_page
    assert leaked(audit_page) == []


@pytest.mark.parametrize("who", ["amira", "ivan", "ana", "vera"])
def test_roles_without_reveal_are_refused(
    client: Any, case: Any, user: Any, members: dict[str, Any], people: dict[str, Any],
    who: str,
) -> None:
    account = user if who == "amira" else members[who]
    first = people["a"]
    as_user(client, account)
    for path in [url("registry-reveal", first.pk), url("registry-audit"),
                 url("registry-duplicates"), url("registry-person-create"),
                 url("registry-consent-create", first.pk),
                 url("registry-claim-create", first.pk)]:
        response = client.get(path)
        assert response.status_code == 403, (who, path)
        assert leaked(response.content) == []
    posted = client.post(url("registry-reveal", first.pk), {"reason": "I want to know"})
    assert posted.status_code == 403 and leaked(posted.content) == []
    assert not ProtectionAudit.objects.filter(action="reveal").exists()
    refusals = ProtectionAudit.objects.filter(action="denied", person=first, user=account)
    assert refusals.count() == (0 if who == "vera" else 1)  # viewers never reach the registry


def test_officer_records_a_person_and_sees_only_the_pseudonym(
    client: Any, case: Any, members: dict[str, Any], people: dict[str, Any]
) -> None:
    as_user(client, members["olga"])
    form = {
        "given_name": "Tigranuhi", "family_name": "Vosketsyan",
        "other_names": "Տիգրանուհի Ոսկեցյան\nТигрануи Воскецян",
        "date_of_birth": "1954", "contacts": "+374 93 111 2233",
        "roles": ["witness", "relative"], "place_of_origin": "Քարին տակ",
        "displacement_date": "2023-09-25",
    }
    bad = client.post(url("registry-person-create"), {**form, "displacement_date": "soon",
                                                      "roles": []})
    assert bad.status_code == 200 and "no-store" in bad["Cache-Control"]
    assert "Choose at least one role." in bad.content.decode()
    assert "Not a date Vestige understands" in bad.content.decode()
    unknown = client.post(url("registry-person-create"), {**form, "place_of_origin": "Atlantis"})
    assert "no place is known as" in unknown.content.decode()

    response = client.post(url("registry-person-create"), form, follow=True)
    assert response.status_code == 200
    person = ProtectedPerson.objects.get(case=case, displacement_date="2023-09-25")
    html = response.content.decode()
    assert f"Recorded as {person.pseudonym}" in html
    assert "Tigranuhi" not in html and "Vosketsyan" not in html
    assert person.roles == ["witness", "relative"]
    assert person.place_of_origin == people["place"]
    assert services.open_identity(person)["other_names"] == [
        "Տիգրանուհի Ոսկեցյան", "Тигрануи Воскецян"]
    assert b"Tigranuhi" not in bytes(person.sealed_identity)


def test_consent_is_recorded_per_use_and_withdrawn_with_a_note(
    client: Any, case: Any, members: dict[str, Any], people: dict[str, Any]
) -> None:
    second = people["b"]
    as_user(client, members["olga"])
    path = url("registry-consent-create", second.pk)
    assert "What was explained" in page(client, path)
    future = client.post(path, {"recipient": "un_mechanism", "uses": ["evidence"],
                                "explained": "x", "given_on": "2999-01-01"})
    assert "Consent cannot be given in the future." in future.content.decode()
    response = client.post(path, {
        "recipient": "un_mechanism", "uses": ["evidence", "contact"],
        "explained": "Explained that the UN mechanism keeps statements confidential.",
        "given_on": "2024-05-06",
    })
    assert response.status_code == 302
    consents = Consent.objects.filter(person=second).order_by("use")
    assert [(c.recipient, c.use, c.given_on) for c in consents] == [
        ("un_mechanism", "contact", date(2024, 5, 6)),
        ("un_mechanism", "evidence", date(2024, 5, 6)),
    ]
    assert all(c.recorded_by_label == "olga" for c in consents)

    contact = consents[0]
    withdraw = url("registry-consent-withdraw", second.pk, contact.pk)
    assert "Withdraw consent" in page(client, withdraw)
    assert client.post(withdraw, {"note": "Does not want to be called."}).status_code == 302
    contact.refresh_from_db()
    assert contact.withdrawn_at is not None and contact.withdrawn_by == members["olga"]
    assert contact.withdrawal_note == "Does not want to be called."
    html = page(client, url("registry-person", second.pk))
    assert "Does not want to be called." in html and "withdrawn" in html
    again = client.get(withdraw, follow=True)
    assert "already withdrawn" in again.content.decode()
    # Another person's consent is not reachable through this person.
    stray = url("registry-consent-withdraw", people["a"].pk, contact.pk)
    assert client.get(stray).status_code == 404


def test_claim_form_seals_the_household_and_restricts_items(
    client: Any, case: Any, members: dict[str, Any], people: dict[str, Any], make_files: Any
) -> None:
    folder = make_files({"deed.txt": b"Title deed of a house.\n"})
    Importer(case, actor="t", workers=1).run([folder])
    item = Item.objects.get(case=case)
    second = people["b"]
    as_user(client, members["olga"])
    path = url("registry-claim-create", second.pk)
    bad = client.post(path, {"category": "injury", "supporting_items": "not-an-id",
                             "value_amount": "10"})
    text = bad.content.decode()
    assert "Line 1 is not an item id." in text and "Name the currency" in text
    response = client.post(path, {
        "category": "loss_of_livelihood_or_land", "place": "Karintak", "date": "2023-09~",
        "household": "Anahit Saltzarian, wife, 1975\nGor Saltzarian, son, 2004",
        "household_size": "4", "value_amount": "12000", "value_currency": "usd",
        "description": "Vineyard of two hectares.", "supporting_items": str(item.pk),
    })
    assert response.status_code == 302
    claim = DamageClaim.objects.get(person=second)
    assert claim.value_currency == "USD" and claim.household_size == 4
    assert list(claim.supporting_items.all()) == [item]
    assert b"Anahit" not in bytes(claim.sealed_household)
    item.refresh_from_db()
    assert item.sensitivity == "restricted"
    assert PersonItem.objects.filter(person=second, item=item).exists()

    claims = page(client, url("registry-claims"))
    assert "Loss of livelihood or land" in claims and second.pseudonym in claims
    assert "Anahit" not in claims
    only = page(client, url("registry-claims") + "?category=injury")
    assert second.pseudonym not in only
    revealed = client.post(url("registry-reveal", second.pk),
                           {"reason": "Referral to lawyer", "households": "on"})
    text = revealed.content.decode()
    assert "Anahit Saltzarian, wife, 1975" in text, text[text.find("reveal-panel"):][:3000]


def test_duplicates_are_found_across_scripts_and_judged(
    client: Any, case: Any, members: dict[str, Any], people: dict[str, Any]
) -> None:
    officer = members["olga"]
    again = services.create_person(
        case, user=officer, roles=["claimant"],
        identity={"given_name": "Зорвахине", "family_name": "Квиллербек",
                  "date_of_birth": IDENTITY_A["date_of_birth"]},
    )
    as_user(client, officer)
    assert "No suspected duplicates" in page(client, url("registry-duplicates"))
    scan = client.post(url("registry-duplicate-scan"), follow=True)
    html = scan.content.decode()
    assert "1 new suspected duplicate" in html
    pair = DuplicateSuspicion.objects.get(case=case)
    assert {pair.person_a, pair.person_b} == {people["a"], again}
    assert again.pseudonym in html and people["a"].pseudonym in html
    assert leaked(html) == []

    detail = url("registry-duplicate", pair.pk)
    assert leaked(page(client, detail)) == []
    both = client.post(detail, {"action": "reveal", "reason": "Checking a possible duplicate"})
    assert "no-store" in both["Cache-Control"]
    assert "Zorvakhine" in both.content.decode() and "Зорвахине" in both.content.decode()
    decided = client.post(detail, {"action": "decide", "decision": "same",
                                   "note": "Same birth date and village."})
    assert decided.status_code == 302
    pair.refresh_from_db()
    assert pair.status == "same" and pair.decided_by == officer
    assert "Same person" in page(client, url("registry-duplicates") + "?status=same")


def test_audit_page_filters_by_action_and_pseudonym(
    client: Any, case: Any, members: dict[str, Any], people: dict[str, Any]
) -> None:
    as_user(client, members["olga"])
    client.post(url("registry-reveal", people["b"].pk), {"reason": "Court order 12/2024"})
    html = page(client, url("registry-audit") + "?action=reveal")
    assert "Court order 12/2024" in html
    assert "badge-audit-consent" not in html and "badge-audit-reveal" in html
    only_a = page(client, url("registry-audit") + f"?person={people['a'].pseudonym}")
    assert "Court order 12/2024" not in only_a and "badge-audit-withdraw" in only_a


def test_statistics_page_publishes_large_cells_and_suppresses_small_ones(
    client: Any, case: Any, user: Any, members: dict[str, Any], people: dict[str, Any]
) -> None:
    from vestige.cases.graph import Place

    officer = members["olga"]
    goris = Place.objects.create(name="Goris-test-origin", kind="settlement", country_code="AM")
    for number in range(6):
        services.create_person(
            case, user=officer, roles=["victim"], place_of_origin=people["place"],
            identity={"given_name": f"Invented{number}", "family_name": "Person"},
            displacement_date="2023-09-2" + str(number % 5),
        )
    services.create_person(case, user=officer, roles=["witness"], place_of_origin=goris,
                           identity={"given_name": "Lonely"}, displacement_date="2023-09-28")
    as_user(client, user)
    html = page(client, url("registry-statistics"))
    assert "<svg" in html and "Displaced people" in html
    assert "suppressed" in html
    assert "Karintak" in html and "Goris-test-origin" in html
    # Karintak, September 2023 holds 8 people, Goris 1: the 1 is suppressed, and so is the 8
    # (the total of 9 minus 8 would give the 1 back); the total is published.
    assert '<td class="num">9</td>' in html
    assert '<td class="num">1</td>' not in html and '<td class="num">8</td>' not in html
    assert "Place of origin" in html
    assert leaked(html) == []
    csv = client.get(url("registry-statistics-csv"))
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    text = csv.content.decode()
    assert "suppressed" in text and ",9" in text and ",1\n" not in text
    assert ProtectionAudit.objects.filter(case=case, action="statistics", user=user).count() == 2
    as_user(client, members["vera"])
    assert client.get(url("registry-statistics")).status_code == 403


def test_openapi_documents_the_registry_without_identity_fields(client: Any) -> None:
    schema = client.get("/api/openapi.json").json()
    assert "/api/cases/{slug}/registry" in schema["paths"]
    assert "/api/cases/{slug}/registry/{person_id}" in schema["paths"]
    assert "no identity is ever returned" in schema["info"]["description"]
    fields = {name for part in schema["components"]["schemas"].values()
              for name in part.get("properties", {})}
    assert not fields & {"given_name", "family_name", "date_of_birth", "contacts",
                         "identity_documents", "household", "sealed_identity"}
