"""The near-duplicate queue (judge same / different / unsure) and links between items.

Every view goes through :func:`case_view` (non-members get 404). Seeing the queue needs VIEW,
judging needs VERIFY, linking items by hand and starting a search need EDIT. A suggestion with
an item the user may not see (protected testimony) is as absent as that item.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST, require_safe

from ...cases.extraction import item_text
from ...cases.roles import Permission
from ...core.errors import PermissionDenied, UserError
from ...corroboration import suggestions as service
from ...corroboration.fingerprints import compute_fingerprints
from ...corroboration.models import (
    ItemFingerprint,
    ItemRelation,
    NearDuplicateSuggestion,
    SuggestionStatus,
)
from ...evidence.models import Item
from ...protection.access import may_reveal, protected_item_ids
from ..access import CaseAccess, case_view
from .files import preview_source
from .items import case_item

PAGE_SIZE = 25
SNIPPET = 400


def _visible(access: CaseAccess, request: HttpRequest) -> Any:
    """The case's suggestions the user may see."""
    rows = NearDuplicateSuggestion.objects.filter(case=access.case)
    if not may_reveal(request.user, access.case):
        hidden = protected_item_ids(access.case)
        if hidden:
            rows = rows.exclude(item_a_id__in=hidden).exclude(item_b_id__in=hidden)
    return rows


def _snippet(item: Item) -> str:
    try:
        text = item_text(item)
    except Exception as exc:  # shown instead of the text, never hidden
        return f"(text could not be read: {type(exc).__name__})"
    if not text:
        return ""
    text = " ".join(text.split())
    return text[:SNIPPET] + ("…" if len(text) > SNIPPET else "")


def _side(item: Item, with_text: bool) -> dict[str, Any]:
    return {
        "item": item,
        "preview": preview_source(item) is not None,
        "snippet": _snippet(item) if with_text else "",
    }


@require_safe
@case_view(Permission.VIEW)
def queue(request: HttpRequest, access: CaseAccess) -> HttpResponse:
    """Suggestions by judgement status, best score first, both items side by side."""
    rows = _visible(access, request)
    status = request.GET.get("status", SuggestionStatus.PENDING)
    if status not in SuggestionStatus.values and status != "all":
        status = SuggestionStatus.PENDING
    counts = dict(rows.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    tabs = [(v, label, counts.get(v, 0)) for v, label in SuggestionStatus.choices]
    tabs.append(("all", "All", sum(counts.values())))
    if status != "all":
        rows = rows.filter(status=status)
    page = Paginator(
        rows.select_related("item_a", "item_b").order_by("-score", "pk"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    shown = []
    for suggestion in page:
        text = suggestion.algorithm == "minhash"
        shown.append(
            {
                "suggestion": suggestion,
                "sides": [_side(suggestion.item_a, text), _side(suggestion.item_b, text)],
                "judgements": list(suggestion.judgements.all()),
            }
        )
    fingerprinted = ItemFingerprint.objects.filter(item=OuterRef("pk"))
    context = {
        "access": access,
        "case": access.case,
        "can": access.can,
        "nav": "cases",
        "section": "near-duplicates",
        "rows": shown,
        "page": page,
        "status": status,
        "tabs": tabs,
        "can_judge": access.allows(Permission.VERIFY),
        "can_search": access.allows(Permission.EDIT),
        "unsearched": ItemFingerprint.objects.filter(
            case=access.case, searched_at__isnull=True
        ).count(),
        "unfingerprinted": Item.objects.filter(case=access.case)
        .exclude(Exists(fingerprinted))
        .count(),
    }
    return render(request, "vestige/corroboration/queue.html", context)


@require_POST
@case_view(Permission.VERIFY)
def judge(request: HttpRequest, access: CaseAccess, pk: int) -> HttpResponse:
    """Record a judgement on one suggestion and come back to the queue."""
    suggestion = get_object_or_404(_visible(access, request), pk=pk)
    try:
        judgement = service.judge(
            suggestion, request.user, request.POST.get("verdict", ""), request.POST.get("note", "")
        )
    except PermissionDenied as exc:
        raise HttpForbidden(str(exc)) from exc
    except UserError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"Judged {judgement.get_verdict_display().lower()}: "
            f"{suggestion.item_a.title} / {suggestion.item_b.title}.",
        )
    return redirect("near-duplicates", slug=access.case.slug)


@require_POST
@case_view(Permission.EDIT)
def search(request: HttpRequest, access: CaseAccess) -> HttpResponse:
    """Fingerprint the items that lack fingerprints and search for their near-copies."""
    lacking = Item.objects.filter(case=access.case).exclude(
        Exists(ItemFingerprint.objects.filter(item=OuterRef("pk")))
    )
    for pk in list(lacking.values_list("pk", flat=True)):
        compute_fingerprints(Item.objects.get(pk=pk))
    found = service.search_pending(access.case.pk)
    plural = "s" if len(found) != 1 else ""
    messages.success(request, f"{len(found)} new or closer suggestion{plural}.")
    return redirect("near-duplicates", slug=access.case.slug)


@require_POST
@case_view(Permission.EDIT)
def link(request: HttpRequest, access: CaseAccess, item_id: uuid.UUID) -> HttpResponse:
    """Link this item by hand to another as a copy or a translation."""
    item = case_item(access, item_id)
    try:
        other = case_item(access, uuid.UUID(request.POST.get("other", "")))
    except (ValueError, Http404):
        messages.error(request, "Choose an item of this case to link to.")
        return redirect("item-detail", slug=access.case.slug, item_id=item.pk)
    try:
        service.link_items(
            access.case,
            request.user,
            item,
            other,
            request.POST.get("relation", ""),
            request.POST.get("note", ""),
        )
    except PermissionDenied as exc:
        raise HttpForbidden(str(exc)) from exc
    except UserError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Linked to {other.title}: they now count as one source.")
    return redirect("item-detail", slug=access.case.slug, item_id=item.pk)


@require_POST
@case_view(Permission.EDIT)
def unlink(request: HttpRequest, access: CaseAccess, pk: int) -> HttpResponse:
    """Remove a link made by hand."""
    relation = get_object_or_404(ItemRelation, case=access.case, pk=pk)
    item = case_item(access, relation.item_a_id)
    case_item(access, relation.item_b_id)
    try:
        service.unlink(relation, request.user)
    except PermissionDenied as exc:
        raise HttpForbidden(str(exc)) from exc
    except UserError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Link removed.")
    return redirect("item-detail", slug=access.case.slug, item_id=item.pk)
