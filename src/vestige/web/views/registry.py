"""The protection registry: people by pseudonym, reveal with a reason, consent, claims, audit.

Every page goes through ``case_view``: a non-member gets 404, a member whose role lacks the
permission 403. Pages show pseudonyms only; an identity appears in exactly one response, the
one answering a protection officer's reveal (a POST with a reason), which is audited and marked
``Cache-Control: no-store`` so that no browser or proxy keeps it. Every read of a person's page
is audited through :func:`vestige.protection.services.read_person`.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_safe

from ...cases.roles import Permission
from ...cases.services_graph import resolve_place
from ...core.errors import PermissionDenied as CorePermissionDenied
from ...core.errors import UserError
from ...protection import services
from ...protection.models import (
    AuditAction,
    Consent,
    DamageClaim,
    DuplicateSuspicion,
    PersonItem,
    ProtectedPerson,
    ProtectionAudit,
    SuspicionStatus,
)
from ..access import CaseAccess, case_view
from .registry_forms import (
    AuditFilterForm,
    ClaimFilterForm,
    PersonForm,
    RegistryFilterForm,
    RevealForm,
)

PEOPLE_PER_PAGE = 50
CLAIMS_PER_PAGE = 50
AUDIT_PER_PAGE = 50

# Identity fields in the order a protection officer reads them, with their labels.
IDENTITY_LABELS = (
    ("given_name", "Given name"),
    ("family_name", "Family name"),
    ("patronymic", "Patronymic"),
    ("other_names", "Other names"),
    ("date_of_birth", "Date of birth"),
    ("gender", "Gender"),
    ("nationality", "Nationality"),
    ("contacts", "Contacts"),
    ("identity_documents", "Identity documents"),
    ("address_before", "Address before displacement"),
    ("address_after", "Address now"),
    ("notes", "Notes"),
)


def registry_context(access: CaseAccess, tab: str, **extra: Any) -> dict[str, Any]:
    """What every registry page shares: the case, the user's rights, the open tab."""
    return {"access": access, "case": access.case, "can": access.can, "nav": "cases",
            "section": "registry", "tab": tab, **extra}


def case_person(access: CaseAccess, person_id: Any) -> ProtectedPerson:
    """The person ``person_id`` of this case; 404 for any other case's (no hint it exists)."""
    return get_object_or_404(
        ProtectedPerson.objects.select_related("place_of_origin"),
        case=access.case, pk=person_id,
    )


def no_store(response: HttpResponse) -> HttpResponse:
    """Forbid every cache from keeping ``response`` (it holds an identity)."""
    add_never_cache_headers(response)
    response["Cache-Control"] = "no-store, no-cache, must-revalidate, private, max-age=0"
    response["Pragma"] = "no-cache"
    return response


def identity_rows(identity: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """The revealed identity as (label, lines) rows, known fields first; empty fields are left
    out so the panel shows what is known."""
    labels = dict(IDENTITY_LABELS)
    keys = [k for k, _ in IDENTITY_LABELS] + sorted(set(identity) - set(labels))
    rows: list[tuple[str, list[str]]] = []
    for key in keys:
        lines = _as_lines(identity.get(key))
        if lines:
            rows.append((labels.get(key, key.replace("_", " ").capitalize()), lines))
    return rows


def _as_lines(value: Any) -> list[str]:
    if value in (None, "", [], {}):
        return []
    if isinstance(value, list | tuple):
        return [line for entry in value for line in _as_lines(entry)]
    if isinstance(value, dict):
        return [f"{k}: {v}" for k, v in value.items() if v not in (None, "")]
    return [str(value)]


def resolve_place_field(form: Any, name: str, case: Any) -> Any:
    """The place typed in ``form``'s field ``name`` (None when empty); a form error otherwise."""
    text = (form.cleaned_data.get(name) or "").strip()
    if not text:
        return None
    try:
        return resolve_place(case, text)
    except UserError as exc:
        form.add_error(name, str(exc))
        return None


# ----------------------------------------------------------------------------------- people


@require_safe
@case_view(Permission.REGISTRY)
def registry_list(request: HttpRequest, access: CaseAccess) -> HttpResponse:
    """The case's protected people by pseudonym, filtered by role, claim, place and date."""
    everyone = services.people(access.case, request.user)  # audited as a listing
    form = RegistryFilterForm(request.GET, case=access.case)
    people = form.apply(everyone).annotate(claim_count=Count("claims", distinct=True))
    page = Paginator(people, PEOPLE_PER_PAGE).get_page(request.GET.get("page"))
    _attach_consent_counts(page.object_list)
    context = registry_context(
        access, "people", form=form, page=page, sort=form.sort_key, total=everyone.count(),
        open_duplicates=_open_duplicates(access),
    )
    return render(request, "vestige/registry/person_list.html", context)


def _attach_consent_counts(people: Any) -> None:
    """Give each person of the page its number of active and withdrawn consents."""
    ids = [p.pk for p in people]
    rows = (
        Consent.objects.filter(person_id__in=ids).values("person_id", "withdrawn_at")
    )
    active: dict[Any, int] = {}
    withdrawn: dict[Any, int] = {}
    for row in rows:
        target = withdrawn if row["withdrawn_at"] else active
        target[row["person_id"]] = target.get(row["person_id"], 0) + 1
    for person in people:
        person.active_consents = active.get(person.pk, 0)
        person.withdrawn_consents = withdrawn.get(person.pk, 0)


def _open_duplicates(access: CaseAccess) -> int:
    """How many suspected duplicates wait for an officer (0 for those who cannot judge)."""
    if not access.allows(Permission.REVEAL):
        return 0
    return DuplicateSuspicion.objects.filter(
        case=access.case, status=SuspicionStatus.OPEN
    ).count()


@require_safe
@case_view(Permission.REGISTRY)
def person_detail(request: HttpRequest, access: CaseAccess, person_id: Any) -> HttpResponse:
    """One person by pseudonym: roles, origin, displacement, consents, claims, linked items.

    The visit is audited. Linked items are listed to those who may open them; others see only
    how many there are, since an item's title can name the person.
    """
    person = case_person(access, person_id)
    services.read_person(person, request.user)
    may_open = access.allows(Permission.REVEAL)
    consents = list(person.consents.select_related("recorded_by", "withdrawn_by")
                    .order_by("withdrawn_at", "recipient", "use", "recorded_at"))
    claims = list(
        person.claims.select_related("place").prefetch_related("supporting_items")
        .order_by("date_lower", "created_at")
    )
    links = list(PersonItem.objects.filter(person=person).select_related("item")
                 .order_by("relation", "linked_at"))
    context = registry_context(
        access, "people", person=person, consents=consents, claims=claims,
        active_consents=[c for c in consents if c.withdrawn_at is None],
        withdrawn_consents=[c for c in consents if c.withdrawn_at is not None],
        links=links if may_open else [], link_count=len(links), may_open=may_open,
        reveal_form=RevealForm() if may_open else None,
        audit=_person_audit(person) if may_open else [],
    )
    return render(request, "vestige/registry/person_detail.html", context)


def _person_audit(person: ProtectedPerson) -> list[ProtectionAudit]:
    return list(ProtectionAudit.objects.filter(person=person).order_by("-at", "-pk")[:20])


@require_http_methods(["GET", "HEAD", "POST"])
@case_view(Permission.REGISTRY)
def person_reveal(request: HttpRequest, access: CaseAccess, person_id: Any) -> HttpResponse:
    """Reveal a person's identity to a protection officer, for a stated reason.

    The identity is in this one response only: it is never stored in the session, never
    redirected to, never cached. Each POST is one audited reveal. A member who may see the
    registry but not reveal gets 403, and an attempt to POST is audited as refused.
    """
    person = case_person(access, person_id)
    if not access.allows(Permission.REVEAL):
        if request.method == "POST":
            with suppress(CorePermissionDenied):
                services.reveal_identity(person, request.user, "")  # audits the refusal
        raise HttpForbidden("Only protection officers can reveal an identity.")
    form = RevealForm(request.POST or None)
    identity: list[tuple[str, list[str]]] = []
    households: list[tuple[DamageClaim, list[str]]] = []
    revealed = False
    if request.method == "POST" and form.is_valid():
        reason = form.cleaned_data["reason"]
        identity = identity_rows(services.reveal_identity(person, request.user, reason))
        if form.cleaned_data["households"]:
            households = _reveal_households(person, request.user, reason)
        revealed = True
        form = RevealForm()
    context = registry_context(access, "people", person=person, form=form, identity=identity,
                               households=households, revealed=revealed)
    return no_store(render(request, "vestige/registry/person_reveal.html", context))


def _reveal_households(person: ProtectedPerson, user: Any, reason: str) -> list[
        tuple[DamageClaim, list[str]]]:
    """The household members of each of the person's claims (each claim one audited reveal)."""
    shown: list[tuple[DamageClaim, list[str]]] = []
    for claim in person.claims.select_related("place").order_by("date_lower", "created_at"):
        members = services.reveal_household(claim, user, reason)
        if members:
            shown.append((claim, [household_line(m) for m in members]))
    return shown


def household_line(member: dict[str, str]) -> str:
    """One household member as a line: name, relation, date of birth, notes."""
    name = " ".join(member.get(k, "") for k in ("given_name", "patronymic", "family_name"))
    parts = [" ".join(name.split()), member.get("relation", ""), member.get("date_of_birth", ""),
             member.get("notes", "")]
    return ", ".join(p for p in parts if p)


@sensitive_post_parameters()
@require_http_methods(["GET", "HEAD", "POST"])
@case_view(Permission.PROTECT_EDIT)
def person_create(request: HttpRequest, access: CaseAccess) -> HttpResponse:
    """Record a new person: the identity is sealed at once, the page then shows the pseudonym.

    Every POST value is kept out of Django's error reports (``sensitive_post_parameters``).
    """
    form = PersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        place = resolve_place_field(form, "place_of_origin", access.case)
        if not form.errors:
            try:
                person = services.create_person(
                    access.case, user=request.user, identity=form.identity(),
                    roles=form.cleaned_data["roles"], place_of_origin=place,
                    displacement_date=form.cleaned_data["displacement_date"],
                )
            except UserError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"Recorded as {person.pseudonym}. The identity is "
                                          "sealed; this page shows the pseudonym only.")
                return redirect("registry-person", access.case.slug, person.pk)
    context = registry_context(access, "people", form=form)
    # The form may echo what the officer typed: keep it out of every cache.
    return no_store(render(request, "vestige/registry/person_form.html", context))


# ----------------------------------------------------------------------------------- claims


@require_safe
@case_view(Permission.REGISTRY)
def claim_list(request: HttpRequest, access: CaseAccess) -> HttpResponse:
    """Every damage and displacement claim of the case, by category, place and date."""
    everyone = DamageClaim.objects.filter(person__case=access.case)
    form = ClaimFilterForm(request.GET, case=access.case)
    claims: QuerySet[DamageClaim] = form.apply(everyone).select_related("person", "place")
    claims = claims.annotate(item_count=Count("supporting_items", distinct=True))
    page = Paginator(claims, CLAIMS_PER_PAGE).get_page(request.GET.get("page"))
    by_category = dict(
        everyone.values("category").annotate(n=Count("pk")).values_list("category", "n")
    )
    context = registry_context(access, "claims", form=form, page=page, total=everyone.count(),
                               by_category=by_category)
    return render(request, "vestige/registry/claim_list.html", context)


# ------------------------------------------------------------------------------------ audit


@require_safe
@case_view(Permission.REVEAL)
def audit_list(request: HttpRequest, access: CaseAccess) -> HttpResponse:
    """The protection audit of the case: who read, revealed, recorded or exported what, and
    why. For protection officers, since reasons may say more than a pseudonym."""
    form = AuditFilterForm(request.GET, actions=list(AuditAction.choices))
    entries = (
        ProtectionAudit.objects.filter(form.condition(), case=access.case)
        .select_related("person").order_by("-at", "-pk")
    )
    page = Paginator(entries, AUDIT_PER_PAGE).get_page(request.GET.get("page"))
    counts = dict(
        ProtectionAudit.objects.filter(case=access.case).values("action")
        .annotate(n=Count("pk")).values_list("action", "n")
    )
    context = registry_context(access, "audit", form=form, page=page, counts=counts)
    return render(request, "vestige/registry/audit.html", context)

