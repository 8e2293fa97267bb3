"""An item's page (which records that it was viewed) and the graphic flag."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from ...cases.roles import Permission
from ...evidence.custody import actor_label, record_event
from ...evidence.models import CustodyEvent, Item
from ..access import CaseAccess, case_view
from .files import preview_source, visible_item


def case_item(access: CaseAccess, item_id: uuid.UUID) -> Item:
    """The item ``item_id`` of this case; 404 for an item of any other case, or one the user
    may not open (testimony linked to a protected person)."""
    return visible_item(access, item_id)


@require_GET
@case_view(Permission.VIEW)
def item_detail(request: HttpRequest, access: CaseAccess, item_id: uuid.UUID) -> HttpResponse:
    """Everything recorded about an item, its derivatives and its custody timeline."""
    item = case_item(access, item_id)
    # The view is logged before the page is built, so the timeline shows this very view.
    record_event(
        access.case, "viewed", item=item, actor=actor_label(request.user), user=request.user
    )
    derivatives = list(item.derivatives.all())
    preview = preview_source(item)
    events = CustodyEvent.objects.filter(case=access.case, item=item).order_by("seq")
    context = {
        "access": access,
        "case": access.case,
        "can": access.can,
        "item": item,
        "derivatives": derivatives,
        "events": events,
        "preview": preview,
        "has_preview": preview is not None,
        "preview_is_original": preview is not None and preview[0] == item.sha256,
        "reveal": request.GET.get("reveal") == "1",
        "item_errors": [_error_text(e) for e in item.errors or []],
        "item_warnings": [str(w) for w in item.warnings or []],
        "nav": "cases",
    }
    return render(request, "vestige/item_detail.html", context)


def _error_text(error: object) -> str:
    if isinstance(error, dict):
        stage, text = error.get("stage"), error.get("error", "")
        return f"{stage}: {text}" if stage else str(text)
    return str(error)


@require_POST
@case_view(Permission.EDIT)
def item_graphic(request: HttpRequest, access: CaseAccess, item_id: uuid.UUID) -> HttpResponse:
    """Mark an item as graphic (blurred until asked for) or clear the mark."""
    item = case_item(access, item_id)
    item.graphic = request.POST.get("graphic") == "1"
    item.save(update_fields=["graphic"])
    if item.graphic:
        messages.success(request, "Marked as graphic: its preview is blurred until revealed.")
    else:
        messages.success(request, "No longer marked as graphic.")
    return redirect("item-detail", slug=access.case.slug, item_id=item.pk)
