"""API endpoints of the protection registry: pseudonymised records only.

``GET /api/cases/{slug}/registry`` lists a case's protected people and
``GET /api/cases/{slug}/registry/{id}`` returns one, both for members whose role holds the
registry permission (owner, investigator, analyst, protection officer). Both are audited like
the web pages: a listing as "list", a record as "read".

No identity ever leaves through the API, not even for protection officers: revealing needs a
person at a browser who states a reason, and an API token is too easily left in a script or a
log to be trusted with it. Household members stay sealed too; supporting items and testimony
are given as counts only (their titles can name the person).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.security import django_auth

from ..cases.access import case_for
from ..cases.graph import Place
from ..cases.roles import Permission
from ..core.errors import NotFound, UserError
from ..evidence.api import COMMON_ERRORS, ErrorOut, TokenAuth
from . import services
from .models import ClaimCategory, Consent, DamageClaim, PersonRole, ProtectedPerson
from .queries import with_claim, with_role

router = Router(tags=["registry"], auth=[TokenAuth(), django_auth])

REGISTRY_ERRORS: dict[int, type[Schema]] = {**COMMON_ERRORS, 400: ErrorOut, 403: ErrorOut}


class PlaceOut(Schema):
    """A place of the gazetteer or of the case."""

    id: int
    name: str
    country_code: str


class PersonOut(Schema):
    """A protected person as listed: pseudonym and the fields kept in clear."""

    id: uuid.UUID
    pseudonym: str = Field(description="random and stable; says nothing about the person")
    roles: list[str] = Field(description="victim, witness, claimant, relative")
    place_of_origin: PlaceOut | None
    displacement_date: str = Field(description="EDTF, e.g. 2023-09 or 2023-09-24/2023-09-30")
    claims_count: int
    created_at: datetime


class PersonPage(Schema):
    """One page of a case's registry."""

    total: int = Field(description="people matching the filters, over all pages")
    limit: int
    offset: int
    people: list[PersonOut]


class ConsentOut(Schema):
    """One consent: a recipient, a use, what was explained, and its withdrawal if any."""

    id: int
    recipient: str
    use: str
    explained: str
    given_on: date
    recorded_by: str
    recorded_at: datetime
    withdrawn_at: datetime | None
    withdrawal_note: str


class ClaimOut(Schema):
    """A damage or displacement claim (household members stay sealed)."""

    id: int
    category: str
    place: PlaceOut | None
    date: str
    household_size: int | None
    value_amount: Decimal | None
    value_currency: str
    description: str
    needs: str
    referrals: str
    supporting_items_count: int
    created_at: datetime


class PersonDetailOut(PersonOut):
    """One protected person with consents and claims; never the identity."""

    consents: list[ConsentOut]
    claims: list[ClaimOut]
    linked_items_count: int = Field(description="testimony and documents linked (restricted)")


class RegistryQuery(Schema):
    """Filters and paging of the registry list."""

    role: str | None = Field(None, description="only people with this role (victim, witness, "
                             "claimant, relative)")
    category: str | None = Field(None, description="only people with a claim of this category")
    place: int | None = Field(None, description="only people from this place (id)")
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0)


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _place(place: Place | None) -> PlaceOut | None:
    if place is None:
        return None
    return PlaceOut(id=place.pk, name=place.display_name, country_code=place.country_code)


def _person_fields(person: ProtectedPerson, claims_count: int) -> dict[str, Any]:
    return {
        "id": person.pk, "pseudonym": person.pseudonym, "roles": list(person.roles),
        "place_of_origin": _place(person.place_of_origin),
        "displacement_date": person.displacement_date, "claims_count": claims_count,
        "created_at": person.created_at,
    }


def _consent(consent: Consent) -> ConsentOut:
    return ConsentOut(
        id=consent.pk, recipient=consent.recipient, use=consent.use,
        explained=consent.explained, given_on=consent.given_on,
        recorded_by=consent.recorded_by_label, recorded_at=consent.recorded_at,
        withdrawn_at=consent.withdrawn_at, withdrawal_note=consent.withdrawal_note,
    )


def _claim(claim: DamageClaim) -> ClaimOut:
    return ClaimOut(
        id=claim.pk, category=claim.category, place=_place(claim.place), date=claim.date,
        household_size=claim.household_size, value_amount=claim.value_amount,
        value_currency=claim.value_currency, description=claim.description,
        needs=claim.needs, referrals=claim.referrals,
        supporting_items_count=getattr(claim, "items_count", 0), created_at=claim.created_at,
    )


def _check_choice(name: str, value: str | None, known: list[str]) -> None:
    """Refuse an unknown filter value (after the membership check, so outsiders get 404)."""
    if value and value not in known:
        raise UserError(f"unknown {name}; use one of: {', '.join(known)}")


@router.get(
    "/cases/{slug}/registry", response={200: PersonPage, **REGISTRY_ERRORS},
    summary="List a case's protected people (pseudonyms)",
)
def list_registry(request: HttpRequest, slug: str, filters: Query[RegistryQuery]) -> PersonPage:
    """The case's protected people by pseudonym, filtered by role, claim category and place of
    origin. Needs the registry permission; the listing is audited. No identity field is ever
    returned (see the module's note: identities are revealed in the web UI only)."""
    user = _user(request)
    case = case_for(user, slug, Permission.REGISTRY)
    _check_choice("role", filters.role, PersonRole.values)
    _check_choice("category", filters.category, ClaimCategory.values)
    people = services.people(case, user)
    if filters.role:
        people = with_role(people, filters.role)
    if filters.category:
        people = with_claim(people, filters.category)
    if filters.place:
        people = people.filter(place_of_origin_id=filters.place)
    people = people.annotate(claims_count=Count("claims", distinct=True)).order_by(
        "pseudonym", "pk"
    )
    total = people.count()
    page = people[filters.offset : filters.offset + filters.limit]
    return PersonPage(
        total=total, limit=filters.limit, offset=filters.offset,
        people=[PersonOut(**_person_fields(p, p.claims_count)) for p in page],
    )


@router.get(
    "/cases/{slug}/registry/{person_id}", response={200: PersonDetailOut, **REGISTRY_ERRORS},
    summary="Get a protected person (pseudonymised)",
)
def get_person(request: HttpRequest, slug: str, person_id: str) -> PersonDetailOut:
    """One protected person: roles, origin, displacement, consents and claims. The read is
    audited. Identity and household members are never returned."""
    user = _user(request)
    case = case_for(user, slug, Permission.REGISTRY)
    try:
        key = uuid.UUID(person_id)
    except ValueError as exc:
        raise NotFound("no such person in this case") from exc
    person = (
        ProtectedPerson.objects.select_related("place_of_origin").filter(case=case, pk=key).first()
    )
    if person is None:
        raise NotFound("no such person in this case")
    services.read_person(person, user)
    claims = list(
        person.claims.select_related("place").annotate(items_count=Count("supporting_items"))
        .order_by("date_lower", "created_at", "pk")
    )
    return PersonDetailOut(
        **_person_fields(person, len(claims)),
        consents=[_consent(c) for c in person.consents.order_by("recorded_at", "pk")],
        claims=[_claim(c) for c in claims],
        linked_items_count=person.items.count(),
    )
