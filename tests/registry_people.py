"""People with distinctive identities, shared by the registry page and leak tests.

Every identity value below is invented and distinctive enough that finding it anywhere (a page,
a database dump, a log line) can only mean it leaked.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from vestige.cases.graph import Place, PlaceName
from vestige.cases.services import set_member

PASSWORD = "correct-horse-9"

IDENTITY_A: dict[str, Any] = {
    "given_name": "Zorvakhine",
    "family_name": "Quillerbeck",
    "patronymic": "Hovsepovna",
    "other_names": ["Զորվախինե Քուիլերբեկ", "Зорвахине Квиллербек"],
    "date_of_birth": "1937-11-29",
    "gender": "female",
    "nationality": "Armenian",
    "contacts": ["+374 91 555 0142", "zorvakhine.q@example.org"],
    "identity_documents": ["passport AK7781234"],
    "address_before": "17 Vardanants Lane, Karintak",
    "address_after": "Apartment 9, 44 Tumanyan Street, Goris",
    "notes": "Walks with a cane; speaks Western Armenian",
}
IDENTITY_B: dict[str, Any] = {
    "given_name": "Brunhovak",
    "family_name": "Saltzarian",
    "date_of_birth": "1972-02-03",
    "contacts": ["+374 77 600 3319"],
    "identity_documents": ["ID card 005518844"],
}
HOUSEHOLD = [
    {"given_name": "Ishkhanuhi", "family_name": "Quillerbeck", "relation": "granddaughter",
     "date_of_birth": "2011-06-14"},
]

# Values that must never appear where no protection officer asked for them.
SECRETS = [
    "Zorvakhine", "Quillerbeck", "Hovsepovna", "Զորվախինե", "Зорвахине", "Квиллербек",
    "1937-11-29", "555 0142", "5550142", "zorvakhine.q@example.org", "AK7781234",
    "Vardanants Lane", "Tumanyan Street", "Western Armenian",
    "Brunhovak", "Saltzarian", "1972-02-03", "600 3319", "005518844",
    "Ishkhanuhi", "2011-06-14",
]


def leaked(text: str | bytes, secrets: list[str] = SECRETS) -> list[str]:
    """The secrets found in ``text`` (case-insensitive; bytes are read as UTF-8)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    folded = text.casefold()
    return [s for s in secrets if s.casefold() in folded]


def karintak() -> Place:
    place = Place.objects.create(name="Karintak", kind="settlement", latitude=39.7747,
                                 longitude=46.7886, country_code="AZ")
    PlaceName.objects.create(place=place, name="Karintak")
    PlaceName.objects.create(place=place, name="Քարին տակ", language="hy")
    return place


def make_members(case: Any, django_user_model: Any) -> dict[str, Any]:
    """Accounts in every role that matters to the registry (amira is the owner)."""
    accounts: dict[str, Any] = {}
    for name, role in [("olga", "protection_officer"), ("ivan", "investigator"),
                       ("ana", "analyst"), ("vera", "viewer"), ("rita", "reviewer")]:
        accounts[name] = django_user_model.objects.create_user(username=name, password=PASSWORD)
        set_member(case.slug, name, role)
    return accounts


def make_people(case: Any, officer: Any) -> dict[str, Any]:
    """Two people with consent, a withdrawn consent and a claim with a sealed household."""
    from vestige.protection import services

    place = karintak()
    first = services.create_person(
        case, user=officer, identity=IDENTITY_A, roles=["victim", "claimant"],
        place_of_origin=place, displacement_date="2023-09-26",
    )
    second = services.create_person(
        case, user=officer, identity=IDENTITY_B, roles=["witness"],
        place_of_origin=place, displacement_date="2023-09",
    )
    services.record_consent(first, user=officer, recipient="icc", use="evidence",
                            explained="Told that the ICC may read the statement.",
                            given_on=date(2024, 3, 2))
    withdrawn = services.record_consent(
        first, user=officer, recipient="media", use="publication",
        explained="Told that a journalist may quote the account without the name.",
        given_on=date(2024, 3, 2),
    )
    services.withdraw_consent(withdrawn, user=officer, note="Asked by telephone.")
    claim = services.add_claim(
        first, user=officer, category="loss_of_home", place=place, date="2023-09-26",
        household=HOUSEHOLD, household_size=3, value_amount="5400000", value_currency="AMD",
        description="House and orchard left behind.", needs="Housing", referrals="UNHCR",
    )
    return {"a": first, "b": second, "place": place, "claim": claim}
