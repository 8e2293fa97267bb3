"""The law pages: proof charts, characterising an incident as a crime, element statuses with
their claims, and actors linked to incidents through a mode of liability.

Every view is case-scoped through ``case_view``: a non-member gets 404, a member needs VIEW to
look and EDIT to change. Claims drawn from restricted testimony are never shown to a member
without REVEAL; they are counted as withheld instead. Changes go through
:mod:`vestige.law.services`, which keeps each one in the case's history.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from ...cases.graph import Actor, Claim, Incident
from ...cases.roles import Permission
from ...core.errors import NotFound, UserError
from ...law import catalogue, proofchart, services
from ...law.models import (
    Characterisation,
    ConflictClassification,
    ElementAssessment,
    ElementStatus,
    LiabilityLink,
)
from ...protection.access import hide_claims_of_protected, may_reveal, protected_item_ids
from ..access import CaseAccess, case_view


def _context(access: CaseAccess, section: str, **extra: Any) -> dict[str, Any]:
    return {
        "access": access,
        "case": access.case,
        "can": access.can,
        "nav": "cases",
        "section": section,
        **extra,
    }


def hidden_items(request: HttpRequest, access: CaseAccess) -> set[Any]:
    """Item ids this viewer may not see (restricted testimony), for the chart to withhold."""
    if may_reveal(request.user, access.case):
        return set()
    return protected_item_ids(access.case)


def visible_claims(request: HttpRequest, access: CaseAccess) -> Any:
    """The case's claims this viewer may see."""
    return hide_claims_of_protected(
        Claim.objects.filter(case=access.case), request.user, access.case
    ).select_related("item")


def _claim_ids(request: HttpRequest, access: CaseAccess, keep: Any = ()) -> list[int]:
    """The claims ticked in the form, restricted to those the viewer may see, plus the ones
    already linked that the viewer cannot see (so an edit never drops hidden evidence)."""
    try:
        wanted = {int(v) for v in request.POST.getlist("claims")}
    except ValueError as exc:
        raise UserError("a claim id is not a number") from exc
    allowed = set(
        visible_claims(request, access).filter(pk__in=wanted).values_list("pk", flat=True)
    )
    if wanted - allowed:
        raise UserError(f"no claim {sorted(wanted - allowed)[0]} in this case")
    hidden = hidden_items(request, access)
    kept = {c.pk for c in keep if c.item_id in hidden}
    return sorted(allowed | kept)


# ---------------------------------------------------------------- proof chart


@require_safe
@case_view(Permission.VIEW)
def proof_chart(request: HttpRequest, access: CaseAccess) -> HttpResponse:
    """The case's proof chart, or one actor's (``?actor=ID``): elements × evidence, gaps."""
    actor = None
    raw = str(request.GET.get("actor", "")).strip()
    if raw:
        if not raw.isdigit():
            raise Http404("No such actor.")
        actor = get_object_or_404(Actor, case=access.case, pk=int(raw))
    chart = proofchart.build(access.case, actor=actor, hidden_items=hidden_items(request, access))
    suspects = Actor.objects.filter(case=access.case, liability_links__isnull=False).distinct()
    return render(
        request,
        "vestige/law/proof_chart.html",
        _context(
            access,
            "proof",
            chart=chart,
            actor=actor,
            counts=chart.counts(),
            suspects=suspects.order_by("name"),
            statuses=ElementStatus.choices,
        ),
    )


@require_safe
@case_view(Permission.VIEW)
def proof_claim(request: HttpRequest, access: CaseAccess, pk: int) -> HttpResponse:
    """One claim as the chart cites it: the passage, its exhibit and where it is relied on."""
    claim = get_object_or_404(visible_claims(request, access), pk=pk)
    assessments = ElementAssessment.objects.filter(claims=claim).select_related(
        "characterisation__incident", "liability__incident", "liability__actor"
    )
    uses = []
    for assessment in assessments:
        try:
            element = catalogue.element(assessment.element_id)
        except NotFound:
            element = None
        uses.append({"assessment": assessment, "element": element})
    return render(
        request,
        "vestige/law/claim.html",
        _context(
            access,
            "proof",
            claim=claim,
            uses=uses,
            links=LiabilityLink.objects.filter(claims=claim).select_related("actor", "incident"),
            incidents=claim.incidents.all(),
        ),
    )


# ---------------------------------------------------------------- characterisations


@require_POST
@case_view(Permission.EDIT)
def characterise(request: HttpRequest, access: CaseAccess, pk: int) -> HttpResponse:
    """Characterise the incident as a crime offered by the chosen conflict classification."""
    incident = get_object_or_404(Incident, case=access.case, pk=pk)
    try:
        record = services.characterise(
            incident,
            str(request.POST.get("crime_id", "")),
            str(request.POST.get("conflict_type", "")),
            request.user,
            note=str(request.POST.get("note", ""))[:5000],
        )
    except (UserError, NotFound) as exc:
        messages.error(request, str(exc))
        return redirect(reverse("incident-detail", args=[access.case.slug, incident.pk]) + "#law")
    messages.success(request, "Characterised; every element starts unsupported.")
    return redirect("characterisation-detail", access.case.slug, record.pk)


def _element_rows(
    request: HttpRequest,
    access: CaseAccess,
    parent: Characterisation | LiabilityLink,
    provision_id: str,
) -> list[Any]:
    """The chart's rows for one record, each with its assessment for the edit form."""
    provision = catalogue.find_provision(provision_id)
    hidden = hidden_items(request, access)
    assessments = list(parent.assessments.prefetch_related(proofchart._claims_prefetch()))
    rows = proofchart._rows(provision, assessments, hidden)
    by_element = {a.element_id: a for a in assessments}
    return [
        {
            "row": row,
            "assessment": by_element.get(row.element.id),
            "claim_ids": {e.claim_id for e in row.evidence},
        }
        for row in rows
    ]


@require_safe
@case_view(Permission.VIEW)
def characterisation_detail(request: HttpRequest, access: CaseAccess, pk: int) -> HttpResponse:
    """One characterisation: each element with its status, note and claims (editable)."""
    record = get_object_or_404(
        Characterisation.objects.select_related("incident"), case=access.case, pk=pk
    )
    claims = visible_claims(request, access).filter(incidents=record.incident).order_by("pk")
    return render(
        request,
        "vestige/law/characterisation.html",
        _context(
            access,
            "incidents",
            record=record,
            incident=record.incident,
            provision=catalogue.find_provision(record.crime_id),
            rows=_element_rows(request, access, record, record.crime_id),
            claims=list(claims),
            statuses=ElementStatus.choices,
            conflict_label=ConflictClassification(record.conflict_type).label,
        ),
    )


@require_POST
@case_view(Permission.EDIT)
def assess(request: HttpRequest, access: CaseAccess, pk: int) -> HttpResponse:
    """Set one element's status, note and claims."""
    assessment = get_object_or_404(ElementAssessment, case=access.case, pk=pk)
    target = (
        reverse("characterisation-detail", args=[access.case.slug, assessment.characterisation_id])
        if assessment.characterisation_id
        else reverse("liability-detail", args=[access.case.slug, assessment.liability_id])
    )
    try:
        services.assess(
            assessment,
            str(request.POST.get("status", "")),
            request.user,
            note=str(request.POST.get("note", ""))[:5000],
            claim_ids=_claim_ids(request, access, keep=assessment.claims.all()),
        )
    except UserError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Element updated.")
    return redirect(f"{target}#assessment-{assessment.pk}")


@require_POST
@case_view(Permission.EDIT)
def characterisation_delete(request: HttpRequest, access: CaseAccess, pk: int) -> HttpResponse:
    """Withdraw a characterisation (kept in the history)."""
    record = get_object_or_404(Characterisation, case=access.case, pk=pk)
    incident_id = record.incident_id
    services.remove(record, request.user)
    messages.success(request, "Characterisation withdrawn; the history keeps it.")
    return redirect(reverse("incident-detail", args=[access.case.slug, incident_id]) + "#law")


# ---------------------------------------------------------------- liability


@require_POST
@case_view(Permission.EDIT)
def liability_create(request: HttpRequest, access: CaseAccess, pk: int) -> HttpResponse:
    """Link the actor to an incident through a mode of liability."""
    actor = get_object_or_404(Actor, case=access.case, pk=pk)
    try:
        incident_id = int(str(request.POST.get("incident", "")))
    except ValueError:
        messages.error(request, "Choose an incident.")
        return redirect(reverse("actor-detail", args=[access.case.slug, actor.pk]) + "#law")
    incident = get_object_or_404(Incident, case=access.case, pk=incident_id)
    try:
        link = services.link_liability(
            actor,
            incident,
            str(request.POST.get("mode_id", "")),
            request.user,
            note=str(request.POST.get("note", ""))[:5000],
            claim_ids=_claim_ids(request, access),
        )
    except (UserError, NotFound) as exc:
        messages.error(request, str(exc))
        return redirect(reverse("actor-detail", args=[access.case.slug, actor.pk]) + "#law")
    messages.success(request, "Linked; set the status of each element of the mode.")
    return redirect("liability-detail", access.case.slug, link.pk)


@require_safe
@case_view(Permission.VIEW)
def liability_detail(request: HttpRequest, access: CaseAccess, pk: int) -> HttpResponse:
    """One liability link: the linkage evidence and each element of the mode."""
    link = get_object_or_404(
        LiabilityLink.objects.select_related("actor", "incident"), case=access.case, pk=pk
    )
    claims = visible_claims(request, access).filter(incidents=link.incident).order_by(
        "pk"
    ) | visible_claims(request, access).filter(actors=link.actor).order_by("pk")
    linkage, withheld = proofchart._evidence(
        link.claims.select_related("item"), hidden_items(request, access)
    )
    return render(
        request,
        "vestige/law/liability.html",
        _context(
            access,
            "actors",
            link=link,
            provision=catalogue.find_provision(link.mode_id),
            rows=_element_rows(request, access, link, link.mode_id),
            claims=list(claims.distinct()),
            linkage=linkage,
            withheld=withheld,
            linkage_ids={e.claim_id for e in linkage},
            statuses=ElementStatus.choices,
        ),
    )


@require_POST
@case_view(Permission.EDIT)
def liability_claims(request: HttpRequest, access: CaseAccess, pk: int) -> HttpResponse:
    """Replace the linkage evidence and note of a liability link."""
    link = get_object_or_404(LiabilityLink, case=access.case, pk=pk)
    try:
        services.set_link_claims(
            link,
            _claim_ids(request, access, keep=link.claims.all()),
            request.user,
            note=str(request.POST.get("note", ""))[:5000],
        )
    except UserError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Linkage evidence updated.")
    return redirect("liability-detail", access.case.slug, link.pk)


@require_POST
@case_view(Permission.EDIT)
def liability_delete(request: HttpRequest, access: CaseAccess, pk: int) -> HttpResponse:
    """Withdraw a liability link (kept in the history)."""
    link = get_object_or_404(LiabilityLink, case=access.case, pk=pk)
    actor_id = link.actor_id
    services.remove(link, request.user)
    messages.success(request, "Liability link withdrawn; the history keeps it.")
    return redirect(reverse("actor-detail", args=[access.case.slug, actor_id]) + "#law")
