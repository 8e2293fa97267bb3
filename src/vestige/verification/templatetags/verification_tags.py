"""The verification panel's data for the item page (which includes the panel with one line)."""

from __future__ import annotations

from typing import Any

from django import template

from ...cases.roles import Permission
from ...evidence.models import Item
from ...protection.access import hide_protected
from ..models import (
    AUTHENTICITY_RESULTS_CHOICES,
    ProvenanceFinding,
    RecordKind,
    VerificationRecord,
)
from ..services import may_author

register = template.Library()
REFERENCE_CHOICES = 500


def record_rows(records: Any, user: Any) -> list[dict[str, Any]]:
    """Each record with its history and what this user may do with it."""
    rows = []
    for record in records.select_related("item", "claim").prefetch_related("events"):
        is_author = record.author_id == getattr(user, "pk", None)
        rows.append({"record": record, "events": list(record.events.all()),
                     "is_author": is_author})
    return rows


def panel_context(access: Any, user: Any, *, item: Item | None = None,
                  claim: Any = None) -> dict[str, Any]:
    """Records (with history), findings and form choices for an item or a claim."""
    case = access.case
    records = VerificationRecord.objects.filter(case=case)
    records = records.filter(item=item) if item is not None else records.filter(claim=claim)
    can_review = access.allows(Permission.VERIFY)
    references = hide_protected(Item.objects.filter(case=case), user, case).only(
        "id", "title", "kind"
    ).order_by("title")[:REFERENCE_CHOICES]
    return {
        "rows": record_rows(records, user),
        "findings": list(ProvenanceFinding.objects.filter(item=item)) if item is not None
        else [],
        "can_author": may_author(user, case),
        "can_review": can_review,
        "can_recompute": access.allows(Permission.VERIFY) or access.allows(Permission.EDIT),
        "kinds": RecordKind.choices,
        "results": AUTHENTICITY_RESULTS_CHOICES,
        "reference_items": list(references),
    }


@register.simple_tag(takes_context=True)
def item_verification(context: Any) -> dict[str, Any]:
    """``{% item_verification as v %}`` on the item page."""
    return panel_context(context["access"], context["request"].user, item=context["item"])
