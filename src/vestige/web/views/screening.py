"""Sanctions screening of an actor: results with their features, and reviewers' judgements.

Running a screening reads the shared sanctions lists and the actor's names, nothing more, so
any member who may view the actor may run it (VIEW). Recording a judgement (match, no match,
unsure) is a review decision that later runs honour, so it needs VERIFY — the permission of
reviewers, investigators and owners — not EDIT: an analyst who describes evidence does not
thereby decide who is a sanctioned person.
"""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from ...cases.roles import Permission
from ...core.errors import UserError
from ...evidence.custody import actor_label
from ...sanctions.models import Decision, ListedEntity
from ...sanctions.screening import actor_names, record_judgement, screen_actor
from ..access import CaseAccess, case_view
from .graph_entities import case_actor


def _as_of(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError as exc:
        raise UserError(f"the date must look like 2019-06-01, not {value!r}") from exc


@require_safe
@case_view(Permission.VIEW)
def actor_screening(request: HttpRequest, access: CaseAccess, pk: int) -> HttpResponse:
    """Screen every name of the actor against the lists in force on a date (default today)."""
    actor = case_actor(access, pk)
    as_of_text = request.GET.get("as_of", "").strip()
    results = []
    error = ""
    try:
        results = screen_actor(actor, as_of=_as_of(as_of_text))
    except UserError as exc:
        error = str(exc)
    context = {
        "access": access,
        "case": access.case,
        "can": access.can,
        "nav": "cases",
        "section": "actors",
        "actor": actor,
        "results": results,
        "error": error,
        "as_of": as_of_text,
        "names": actor_names(actor),
        "can_judge": access.allows(Permission.VERIFY),
        "decisions": Decision.choices,
        "judgements": actor.screening_judgements.select_related("entity__list")[:50],
    }
    return render(request, "vestige/graph/actor_screening.html", context)


@require_POST
@case_view(Permission.VERIFY)
def actor_screening_judge(request: HttpRequest, access: CaseAccess, pk: int) -> HttpResponse:
    """Keep a reviewer's judgement on one result; later runs honour it."""
    actor = case_actor(access, pk)
    try:
        entity_pk = int(request.POST.get("entity", ""))
    except ValueError as exc:
        raise Http404("No such listed entity.") from exc
    entity = get_object_or_404(ListedEntity.objects.select_related("list"), pk=entity_pk)
    score_text = request.POST.get("score", "")
    try:
        score = float(score_text) if score_text else None
    except ValueError:
        score = None
    try:
        record_judgement(
            entity,
            request.POST.get("decision", ""),
            actor=actor,
            user=request.user,
            decided_by_label=actor_label(request.user),
            query_name=request.POST.get("query_name", "")[:1000] or actor.name,
            note=request.POST.get("note", "")[:4000],
            score=score,
        )
    except UserError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Judgement recorded for {entity.primary_name}.")
    url = reverse("actor-screening", args=[access.case.slug, actor.pk])
    as_of = request.POST.get("as_of", "")
    return redirect(url + (f"?as_of={as_of}" if as_of else ""))
