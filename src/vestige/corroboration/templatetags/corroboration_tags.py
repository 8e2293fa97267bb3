"""The corroboration panels' data for the item and incident pages (one include line each)."""

from __future__ import annotations

from typing import Any

from django import template
from django.db.models import Q

from ...cases.roles import Permission
from ...evidence.models import Item
from ...protection.access import hide_protected
from ..contradictions import stated_values
from ..independence import independent_sources, source_group, summary
from ..models import ItemFingerprint, ItemRelation, NearDuplicateSuggestion, Relation

register = template.Library()
LINK_CHOICES = 500


def visible_ids(access: Any, user: Any, ids: set[Any]) -> set[str]:
    """Which of ``ids`` the user may see (protected items hidden without REVEAL)."""
    items = hide_protected(Item.objects.filter(case=access.case, pk__in=ids), user, access.case)
    return {str(pk) for pk in items.values_list("pk", flat=True)}


def item_panel(access: Any, user: Any, item: Item) -> dict[str, Any]:
    """Near-duplicates of ``item`` (any status), its links and its source group."""
    suggestions = list(
        NearDuplicateSuggestion.objects.filter(Q(item_a=item) | Q(item_b=item))
        .select_related("item_a", "item_b")
        .order_by("-score")
    )
    links = list(
        ItemRelation.objects.filter(Q(item_a=item) | Q(item_b=item)).select_related(
            "item_a", "item_b"
        )
    )
    group = source_group(item)
    ids = (
        {s.item_a_id for s in suggestions}
        | {s.item_b_id for s in suggestions}
        | {link.item_a_id for link in links}
        | {link.item_b_id for link in links}
        | {i.pk for i in group.items}
    )
    seen = visible_ids(access, user, ids)
    rows = []
    for s in suggestions:
        other = s.item_b if s.item_a_id == item.pk else s.item_a
        if str(other.pk) in seen:
            rows.append({"suggestion": s, "other": other})
    link_rows = []
    for link in links:
        other = link.item_b if link.item_a_id == item.pk else link.item_a
        if str(other.pk) in seen:
            link_rows.append({"link": link, "other": other})
    can_edit = access.allows(Permission.EDIT)
    choices: list[Item] = []
    if can_edit:
        choices = list(
            hide_protected(Item.objects.filter(case=access.case), user, access.case)
            .exclude(pk=item.pk)
            .only("id", "title")
            .order_by("title")[:LINK_CHOICES]
        )
    return {
        "suggestions": rows,
        "links": link_rows,
        "group": [i for i in group.items if str(i.pk) in seen],
        "reasons": group.reasons,
        "fingerprints": list(ItemFingerprint.objects.filter(item=item).defer("data")),
        "can_edit": can_edit,
        "can_judge": access.allows(Permission.VERIFY),
        "relations": [(Relation.COPY, "Copy"), (Relation.TRANSLATION, "Translation")],
        "choices": choices,
    }


def incident_panel(incident: Any, claims: Any) -> dict[str, Any]:
    """Independent sources of the incident's claims (supporting and contradicting apart) and
    every counted property with its range, from the claims the page already shows."""
    claims = list(claims)
    supporting = [c for c in claims if c.stance != "contradicts"]
    against = [c for c in claims if c.stance == "contradicts"]
    groups = independent_sources(supporting)
    against_groups = independent_sources(against)
    return {
        "groups": groups,
        "summary": summary(groups),
        "against_groups": against_groups,
        "against_summary": summary(against_groups),
        "properties": stated_values(incident, claims),
    }


@register.simple_tag(takes_context=True)
def item_corroboration(context: Any) -> dict[str, Any]:
    """``{% item_corroboration as c %}`` on the item page."""
    return item_panel(context["access"], context["request"].user, context["item"])


@register.simple_tag(takes_context=True)
def incident_corroboration(context: Any) -> dict[str, Any]:
    """``{% incident_corroboration as c %}`` on the incident page (uses its visible claims)."""
    return incident_panel(context["incident"], context["claims"])
