"""The review queue of claims proposed from items' text, and the case's edit history."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST, require_safe

from ...cases.extraction import accept_candidate, item_text, propose_claims, reject_candidate
from ...cases.graph import CandidateClaim, CandidateStatus, Edit, Incident
from ...cases.roles import Permission
from ...core.errors import UserError, VestigeError
from ...protection.access import hidden_edit_ids, hide_claims_of_protected
from ..access import CaseAccess, case_view
from .graph_support import edit_view, passage
from .items import case_item

CANDIDATES_PER_PAGE = 20
EDITS_PER_PAGE = 50
INCIDENT_CHOICES = 500
PROPOSAL_KEYS = ("dates", "quantities", "places", "actors", "hedges", "attribution")


def _context(access: CaseAccess, section: str, **extra: Any) -> dict[str, Any]:
    return {"access": access, "case": access.case, "can": access.can, "nav": "cases",
            "section": section, **extra}


def _entries(value: Any) -> list[str]:
    """A proposal's values as short texts, whatever shape the extractor gave them."""
    if value in (None, "", [], {}):
        return []
    values = value if isinstance(value, list) else [value]
    shown = []
    for entry in values:
        if isinstance(entry, dict):
            main = next((str(entry[k]) for k in ("edtf", "name", "text", "value", "best")
                         if entry.get(k) not in (None, "")), "")
            extra = [k.replace("_", " ") if v is True else f"{k.replace('_', ' ')}: {v}"
                     for k, v in entry.items()
                     if v not in (None, "", [], {}, False) and str(v) != main
                     and k not in ("start", "end", "id")]
            shown.append(f"{main} ({', '.join(extra)})" if main and extra
                         else main or ", ".join(extra))
        else:
            shown.append(str(entry))
    return [s for s in shown if s]


def _text_of(item: Any) -> str:
    """The item's text for showing context; "" when it has none or cannot be read intact."""
    try:
        return item_text(item) or ""
    except (OSError, VestigeError):
        return ""


@require_safe
@case_view(Permission.VIEW)
def candidate_queue(request: HttpRequest, access: CaseAccess) -> HttpResponse:
    """Claims proposed from text and waiting for review, each in its context."""
    status = str(request.GET.get("status", CandidateStatus.PENDING))
    if status not in CandidateStatus.values:
        status = CandidateStatus.PENDING
    candidates = hide_claims_of_protected(
        CandidateClaim.objects.filter(case=access.case, status=status), request.user, access.case
    )
    item_filter = None
    if request.GET.get("item"):
        try:
            item_filter = case_item(access, uuid.UUID(str(request.GET["item"])))
        except ValueError:
            item_filter = None
        if item_filter is not None:
            candidates = candidates.filter(item=item_filter)
    candidates = candidates.select_related("item", "claim").order_by(
        "item__title", "item_id", "start", "pk")
    page = Paginator(candidates, CANDIDATES_PER_PAGE).get_page(request.GET.get("page"))
    texts: dict[Any, str] = {}
    rows = []
    for candidate in page.object_list:
        if candidate.item_id not in texts:
            texts[candidate.item_id] = _text_of(candidate.item)
        proposal = candidate.proposal if isinstance(candidate.proposal, dict) else {}
        rows.append({
            "candidate": candidate,
            "passage": passage(texts[candidate.item_id], candidate.start, candidate.end,
                               candidate.text),
            "proposal": [(k, _entries(proposal.get(k))) for k in PROPOSAL_KEYS
                         if _entries(proposal.get(k))],
        })
    counts = {
        s: hide_claims_of_protected(
            CandidateClaim.objects.filter(case=access.case, status=s), request.user, access.case
        ).count()
        for s in CandidateStatus.values
    }
    incidents = None
    if access.allows(Permission.EDIT) and status == CandidateStatus.PENDING:
        incidents = list(
            Incident.objects.filter(case=access.case).order_by("-date_lower", "title")
            .only("pk", "title", "date")[:INCIDENT_CHOICES]
        )
    return render(request, "vestige/graph/candidate_queue.html", _context(
        access, "review", page=page, rows=rows, status=status, counts=counts,
        statuses=CandidateStatus.choices, incidents=incidents, item_filter=item_filter,
    ))


def _candidate(access: CaseAccess, pk: int) -> CandidateClaim:
    candidate = get_object_or_404(CandidateClaim, case=access.case, pk=pk)
    case_item(access, candidate.item_id)  # 404 for a claim drawn from restricted testimony
    return candidate


def _back(request: HttpRequest, access: CaseAccess) -> HttpResponse:
    target = str(request.POST.get("next", ""))
    if target.startswith(f"/cases/{access.case.slug}/candidates/") and "//" not in target:
        return redirect(target)
    return redirect("candidate-queue", slug=access.case.slug)


@require_POST
@case_view(Permission.EDIT)
def candidate_accept(request: HttpRequest, access: CaseAccess, pk: int) -> HttpResponse:
    """Accept a proposed claim: it becomes a Claim anchored to its item, optionally attached
    to an incident of the case."""
    candidate = _candidate(access, pk)
    incident = None
    raw = str(request.POST.get("incident", "")).strip()
    if raw:
        if not raw.isdigit():
            messages.error(request, "Choose an incident of this case.")
            return _back(request, access)
        incident = get_object_or_404(Incident, case=access.case, pk=int(raw))
    if candidate.status != CandidateStatus.PENDING:
        messages.info(request, "This proposal was already reviewed.")
        return _back(request, access)
    try:
        accept_candidate(candidate, request.user, incident=incident)
    except UserError as exc:
        messages.error(request, str(exc))
    else:
        where = f" and attached to “{incident.title}”" if incident else ""
        messages.success(request, f"Accepted as a claim{where}.")
    return _back(request, access)


@require_POST
@case_view(Permission.EDIT)
def candidate_reject(request: HttpRequest, access: CaseAccess, pk: int) -> HttpResponse:
    """Reject a proposed claim; it stays on record as rejected."""
    candidate = _candidate(access, pk)
    if candidate.status != CandidateStatus.PENDING:
        messages.info(request, "This proposal was already reviewed.")
        return _back(request, access)
    try:
        reject_candidate(candidate, request.user)
    except UserError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Rejected.")
    return _back(request, access)


@require_POST
@case_view(Permission.EDIT)
def item_propose_claims(
    request: HttpRequest, access: CaseAccess, item_id: uuid.UUID
) -> HttpResponse:
    """Propose claims from an item's text and open the review queue on them."""
    item = case_item(access, item_id)
    try:
        proposed = propose_claims(item, request.user)
    except UserError as exc:
        messages.error(request, str(exc))
        return redirect("item-detail", slug=access.case.slug, item_id=item.pk)
    waiting = sum(1 for c in proposed if c.status == CandidateStatus.PENDING)
    if waiting:
        messages.success(request, f"{waiting} proposed claim{'' if waiting == 1 else 's'} from "
                                  f"“{item.title}” wait{'s' if waiting == 1 else ''} for review.")
    else:
        messages.info(request, f"No claims wait for review from “{item.title}”.")
    return redirect(f"/cases/{access.case.slug}/candidates/?item={item.pk}")


@require_safe
@case_view(Permission.VIEW)
def case_history(request: HttpRequest, access: CaseAccess) -> HttpResponse:
    """Every change to the case graph: who, when, and each field before and after."""
    edits = Edit.objects.filter(case=access.case).select_related("user")
    hidden_items, hidden_claims = hidden_edit_ids(request.user, access.case)
    if hidden_items:  # restricted testimony and the claims drawn from it
        edits = edits.exclude(model="evidence.Item", object_id__in=hidden_items).exclude(
            model="cases.Claim", object_id__in=hidden_claims
        )
    models = sorted(set(Edit.objects.filter(case=access.case).order_by()
                        .values_list("model", flat=True).distinct()))
    model = str(request.GET.get("model", ""))
    if model in models:
        edits = edits.filter(model=model)
    page = Paginator(edits.order_by("-at", "-pk"), EDITS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "vestige/graph/history.html", _context(
        access, "history", page=page, rows=[edit_view(e, access.case.slug) for e in page],
        models=[(m, m.split(".")[-1]) for m in models], model=model,
    ))
