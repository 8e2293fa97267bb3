"""Verification records on items and claims (write, submit, approve, reject, withdraw) and the
provenance findings of an item.

Every view goes through :func:`case_view` (non-members get 404); the services check the finer
rules (who may write, that a reviewer is never the author) and their refusals are shown to the
user as a message on the page they came from.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST, require_safe

from ...cases.graph import Claim
from ...cases.roles import Permission
from ...core.errors import NotFound, PermissionDenied, UserError
from ...protection.access import hide_claims_of_protected
from ...verification import services
from ...verification.models import ProvenanceFinding, VerificationRecord
from ...verification.provenance import compute_findings
from ...verification.templatetags.verification_tags import panel_context
from ..access import CaseAccess, case_view
from .items import case_item

FIELD_NAMES = ("lat", "lon", "precision_m", "method", "reasoning", "date", "uploader",
               "platform", "earliest_known_copy", "check", "result")


def _claim(access: CaseAccess, request: HttpRequest, pk: int) -> Claim:
    """The claim ``pk`` of this case; 404 for another case's, or one drawn from a protected
    item the user may not reveal."""
    claims = hide_claims_of_protected(Claim.objects.filter(case=access.case), request.user,
                                      access.case)
    return get_object_or_404(claims.select_related("item"), pk=pk)


def _record(access: CaseAccess, request: HttpRequest, pk: int) -> VerificationRecord:
    record = get_object_or_404(VerificationRecord, case=access.case, pk=pk)
    # A record about something the user may not see is as absent as that thing.
    if record.item_id is not None:
        case_item(access, record.item_id)
    if record.claim_id is not None:
        _claim(access, request, record.claim_id)
    return record


def _back(access: CaseAccess, record: VerificationRecord) -> HttpResponse:
    if record.claim_id is not None:
        return redirect("claim-verification", slug=access.case.slug, pk=record.claim_id)
    return redirect("item-detail", slug=access.case.slug, item_id=record.item_id)


def _fields(request: HttpRequest) -> dict[str, Any]:
    fields: dict[str, Any] = {name: request.POST.get(name, "") for name in FIELD_NAMES}
    fields["reference_items"] = request.POST.getlist("reference_items")
    return fields


def _create(request: HttpRequest, access: CaseAccess, **about: Any) -> str | None:
    """Create the record posted; the error message, or None when it was saved."""
    kind = request.POST.get("kind", "")
    try:
        record = services.create_record(
            access.case, request.user, kind, _fields(request),
            submit=request.POST.get("submit") != "draft", **about,
        )
    except PermissionDenied as exc:
        raise HttpForbidden(str(exc)) from exc
    except UserError as exc:
        return str(exc)
    state = "submitted for review" if record.status == "submitted" else "saved as a draft"
    messages.success(request, f"{record.get_kind_display()} record #{record.pk} {state}.")
    return None


@require_POST
@case_view(Permission.VIEW)
def item_record_create(request: HttpRequest, access: CaseAccess,
                       item_id: uuid.UUID) -> HttpResponse:
    """Add a verification record about an item (EDIT or VERIFY)."""
    item = case_item(access, item_id)
    error = _create(request, access, item=item)
    if error:
        messages.error(request, f"The record was not saved: {error}")
    return redirect("item-detail", slug=access.case.slug, item_id=item.pk)


@require_safe
@case_view(Permission.VIEW)
def claim_verification(request: HttpRequest, access: CaseAccess, pk: int) -> HttpResponse:
    """A claim with its passage, its verification records (and their history) and the
    provenance findings of the item it comes from."""
    claim = _claim(access, request, pk)
    context = {
        "access": access, "case": access.case, "can": access.can, "nav": "cases",
        "claim": claim, "v": panel_context(access, request.user, claim=claim),
        "item_findings": list(ProvenanceFinding.objects.filter(item_id=claim.item_id)),
    }
    return render(request, "vestige/verification/claim_verification.html", context)


@require_POST
@case_view(Permission.VIEW)
def claim_record_create(request: HttpRequest, access: CaseAccess, pk: int) -> HttpResponse:
    """Add a verification record about a claim (EDIT or VERIFY)."""
    claim = _claim(access, request, pk)
    error = _create(request, access, claim=claim)
    if error:
        messages.error(request, f"The record was not saved: {error}")
    return redirect("claim-verification", slug=access.case.slug, pk=claim.pk)


ACTIONS = ("submit", "approve", "reject", "withdraw")


@require_POST
@case_view(Permission.VIEW)
def record_action(request: HttpRequest, access: CaseAccess, pk: int, action: str) -> HttpResponse:
    """Submit, approve, reject or withdraw a record. Approving and rejecting need VERIFY (403
    otherwise); the author trying to approve their own record is told why not."""
    if action not in ACTIONS:
        raise Http404("No such action.")
    if action in ("approve", "reject") and not access.allows(Permission.VERIFY):
        raise HttpForbidden(f"your role ({access.role}) does not allow verify")
    record = _record(access, request, pk)
    note = request.POST.get("note", "")
    try:
        if action == "submit":
            services.submit(record, request.user)
        elif action == "approve":
            services.approve(record, request.user, note)
        elif action == "reject":
            services.reject(record, request.user, note)
        else:
            services.withdraw(record, request.user, note)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    except UserError as exc:  # includes PermissionDenied: the reason is shown on the page
        messages.error(request, f"Record #{record.pk} was not {_past(action)}: {exc}")
    else:
        messages.success(request, f"Record #{record.pk} {_past(action)}.")
    return _back(access, record)


def _past(action: str) -> str:
    return {"submit": "submitted", "approve": "approved", "reject": "rejected",
            "withdraw": "withdrawn"}[action]


@require_POST
@case_view(Permission.VIEW)
def item_provenance(request: HttpRequest, access: CaseAccess, item_id: uuid.UUID) -> HttpResponse:
    """Recompute an item's provenance findings (EDIT or VERIFY)."""
    if not (access.allows(Permission.VERIFY) or access.allows(Permission.EDIT)):
        raise HttpForbidden(f"your role ({access.role}) does not allow edit or verify")
    item = case_item(access, item_id)
    findings = compute_findings(item)
    messages.success(request, f"Provenance recomputed: {len(findings)} finding"
                              f"{'' if len(findings) == 1 else 's'}.")
    return redirect("item-detail", slug=access.case.slug, item_id=item.pk)


