"""The demonstration case's protection registry: about thirty INVENTED people.

Nobody here exists. Names are common Armenian given and family names put together by position
in two lists, dates of birth are made up, contacts use the reserved ``example.invalid`` domain,
and every record says in its sealed notes that it was invented for the demonstration. The
places of origin and months of displacement follow the public record (the 2020 war, the
blockade, the exodus of September 2023) so that the statistics look like the real thing: some
cells large enough to publish, others small enough to be suppressed.

The records are made by ``demo-officer``, an account without a usable password that holds the
protection officer role in the demo case. Loading again adds nothing once the case has a
registry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from ..cases.models import Case
from ..cases.roles import Role
from ..cases.services import set_member
from ..protection import services
from ..protection.models import ProtectedPerson
from .graph import _gazetteer_place

DEMO_OFFICER = "demo-officer"
INVENTED = "INVENTED for the Vestige demonstration: this person does not exist."

GIVEN_FEMALE = ["Anahit", "Lilit", "Narine", "Gayane", "Ani", "Siranush", "Armine", "Karine",
                "Mariam", "Hasmik"]
GIVEN_MALE = ["Armen", "Tigran", "Davit", "Karen", "Hovhannes", "Ashot", "Vardan", "Samvel",
              "Gevorg", "Aram"]
FAMILY = ["Petrosyan", "Harutyunyan", "Sargsyan", "Grigoryan", "Hakobyan", "Avetisyan",
          "Khachatryan", "Karapetyan", "Mkrtchyan", "Ghazaryan", "Hovhannisyan"]


@dataclass(frozen=True)
class Group:
    """People from one place displaced in one period."""

    place: str  # a gazetteer name
    displaced: str  # EDTF
    count: int


# Sized so that the statistics show published cells (5 or more) and suppressed ones.
GROUPS = [
    Group("Stepanakert", "2023-09", 12),
    Group("Askeran", "2023-09", 6),
    Group("Shusha", "2020-11", 5),
    Group("Khojaly", "2023-09", 3),
    Group("Lachin", "2023-08", 2),
    Group("Kalbajar", "2020-11", 2),
]

EXPLAINED = {
    "icc": "Explained in Armenian that the International Criminal Court may read the statement "
           "and the documents, that the name is given to the Court only if it asks, and that "
           "consent can be withdrawn at any time by calling the documentation team.",
    "un_mechanism": "Explained that a UN investigative mechanism keeps statements "
                    "confidential and may contact the person through us only.",
    "media": "Explained that a journalist may quote the account without the name or the "
             "village, and that published words cannot be taken back.",
}


def _identity(number: int) -> dict[str, Any]:
    """An invented identity, distinct for each ``number``."""
    female = number % 2 == 0
    given = (GIVEN_FEMALE if female else GIVEN_MALE)[(number // 2) % 10]
    family = FAMILY[(number * 7) % len(FAMILY)]
    year = 1940 + (number * 13) % 60
    return {
        "given_name": given,
        "family_name": family,
        "date_of_birth": f"{year}-{1 + number % 12:02d}-{1 + (number * 5) % 28:02d}",
        "gender": "female" if female else "male",
        "nationality": "Armenian",
        "contacts": [f"demo-person-{number:02d}@example.invalid"],
        "notes": INVENTED,
    }


def _roles(number: int) -> list[str]:
    if number % 5 == 0:
        return ["witness", "claimant"]
    if number % 7 == 3:
        return ["relative", "claimant"]
    return ["victim", "claimant"]


def _claims(number: int, group: Group) -> list[dict[str, Any]]:
    """Forced displacement for everyone; other categories spread so each one appears."""
    claims: list[dict[str, Any]] = [{
        "category": "forced_displacement", "date": group.displaced,
        "household_size": 1 + number % 5, "needs": "Housing; winter clothing",
        "referrals": "Referred to the shelter programme in Goris" if number % 3 == 0 else "",
    }]
    if number % 2 == 0:
        claims.append({"category": "loss_of_home", "date": group.displaced,
                       "value_amount": 18_000_000 + number * 250_000, "value_currency": "AMD",
                       "description": "A house left behind (invented example)."})
    if number % 4 == 1:
        claims.append({"category": "loss_of_livelihood_or_land", "date": group.displaced,
                       "description": "Orchard and livestock left behind (invented example)."})
    if number in (4, 13, 22):
        claims.append({"category": "death_of_relative", "date": "2023-09-19",
                       "household": [{"given_name": GIVEN_MALE[number % 10],
                                      "family_name": FAMILY[(number * 7) % len(FAMILY)],
                                      "relation": "son", "notes": INVENTED}],
                       "description": "A relative killed (invented example)."})
    if number in (2, 9, 17, 25):
        claims.append({"category": "injury", "date": "2023-09-19",
                       "needs": "Physiotherapy", "description": "Shrapnel wound (invented)."})
    if number in (6, 19):
        claims.append({"category": "damaged_cultural_or_religious_property",
                       "date": "2020-11~",
                       "description": "Damage to the village church (invented example)."})
    return claims


def _consents(person: ProtectedPerson, number: int, officer: Any) -> int:
    """Consent for the ICC or a UN mechanism, sometimes the media; a few withdrawn."""
    plan: list[tuple[str, str]] = []
    if number % 3 != 2:
        plan += [("icc", "evidence"), ("icc", "dossier")]
    else:
        plan += [("un_mechanism", "evidence")]
    if number % 4 == 0:
        plan.append(("media", "publication"))
    made = 0
    for recipient, use in plan:
        consent = services.record_consent(
            person, user=officer, recipient=recipient, use=use,
            explained=EXPLAINED[recipient], given_on=date(2024, 1 + number % 12, 10),
        )
        made += 1
        if number in (3, 11, 20) and made == 1:
            services.withdraw_consent(consent, user=officer,
                                      note="Withdrawn by telephone (invented example).")
    return made


def demo_officer(case: Case) -> Any:
    """The account that records the demo registry: a protection officer without a password."""
    model = get_user_model()
    account = model.objects.filter(username=DEMO_OFFICER).first()
    if account is None:
        account = model(username=DEMO_OFFICER, first_name="Demo", last_name="protection officer")
        account.set_unusable_password()
        account.save()
    set_member(case.slug, DEMO_OFFICER, Role.PROTECTION_OFFICER.value)
    return account


def load_demo_registry(case: Case) -> dict[str, int]:
    """Fill the demo case's registry once; return how many people, claims, consents exist."""
    officer = demo_officer(case)
    made = {"people": 0, "claims": 0, "consents": 0, "duplicates": 0}
    if not ProtectedPerson.objects.filter(case=case).exists():
        with transaction.atomic():
            made = _fill(case, officer)
    made["people"] = ProtectedPerson.objects.filter(case=case).count()
    return made


def _fill(case: Case, officer: Any) -> dict[str, int]:
    made = {"people": 0, "claims": 0, "consents": 0, "duplicates": 0}
    number = 0
    for group in GROUPS:
        place = _gazetteer_place(group.place)
        for _ in range(group.count):
            person = services.create_person(
                case, user=officer, identity=_identity(number), roles=_roles(number),
                place_of_origin=place, displacement_date=group.displaced,
            )
            for claim in _claims(number, group):
                services.add_claim(person, user=officer, place=place, **claim)
                made["claims"] += 1
            made["consents"] += _consents(person, number, officer)
            made["people"] += 1
            number += 1
    # The first person recorded a second time, in Russian spelling, by another team: the
    # duplicates queue shows the pair without either name.
    first = _identity(0)
    services.create_person(
        case, user=officer, roles=["victim"], place_of_origin=_gazetteer_place("Stepanakert"),
        displacement_date="2023-09-28",
        identity={"given_name": "Анахит", "family_name": "Петросян",
                  "date_of_birth": first["date_of_birth"], "notes": INVENTED},
    )
    made["people"] += 1
    made["duplicates"] = len(services.find_duplicates(case, user=officer))
    return made
