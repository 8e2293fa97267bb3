"""Restricted testimony: items linked to a protected person open only for protection officers.

An item linked to a person (testimony, supporting document) — and every item extracted from it
(its children) — is *protected*: only a holder of the REVEAL permission in its case may see it,
its preview, its bytes, its derivatives or its text in search. Everyone else is told that no such
item exists, exactly as for an item of another case, so its existence is not revealed either.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from django.db.models import Model, QuerySet

from ..cases.access import role_in
from ..cases.models import Case
from ..cases.roles import Permission, allows
from ..evidence.models import Item
from .models import PersonItem

_T = TypeVar("_T", bound=Model)


def may_reveal(user: Any, case: Case) -> bool:
    """Whether ``user`` holds REVEAL in ``case``."""
    role = role_in(user, case)
    return role is not None and allows(role, Permission.REVEAL)


def protected_item_ids(case: Case | int) -> set[Any]:
    """Ids of the case's items linked to a protected person, and of all their descendants."""
    case_id = case.pk if isinstance(case, Case) else case
    found = set(
        PersonItem.objects.filter(person__case_id=case_id).values_list("item_id", flat=True)
    )
    frontier = set(found)
    while frontier:  # items extracted from a protected item are protected too
        children = set(
            Item.objects.filter(case_id=case_id, parent_id__in=frontier).values_list(
                "id", flat=True
            )
        )
        frontier = children - found
        found |= frontier
    return found


def is_protected(item: Item) -> bool:
    """Whether the item, or an item it was extracted from, is linked to a protected person."""
    seen: set[Any] = set()
    current: Item | None = item
    while current is not None and current.pk not in seen:
        seen.add(current.pk)
        if PersonItem.objects.filter(item_id=current.pk).exists():
            return True
        current = current.parent
    return False


def can_open_item(user: Any, item: Item) -> bool:
    """Whether ``user`` may see the item at all (page, preview, bytes, derivatives, text).

    Case membership and the ordinary permissions are checked elsewhere; this adds only the
    protection rule.
    """
    if not is_protected(item):
        return True
    return may_reveal(user, item.case)


def hide_protected(items: QuerySet[Item], user: Any, case: Case) -> QuerySet[Item]:
    """``items`` (of ``case``) without the protected ones, unless ``user`` holds REVEAL."""
    if may_reveal(user, case):
        return items
    hidden = protected_item_ids(case)
    return items.exclude(pk__in=hidden) if hidden else items


def hidden_item_ids(user: Any, cases: Iterable[Case]) -> set[Any]:
    """Ids of protected items in ``cases`` that ``user`` may not see (for search results)."""
    hidden: set[Any] = set()
    for case in cases:
        if not may_reveal(user, case):
            hidden |= protected_item_ids(case)
    return hidden


def hide_claims_of_protected(claims: QuerySet[_T], user: Any, case: Case) -> QuerySet[_T]:
    """Claims or candidate claims (anything with an ``item``) without those drawn from protected
    items, unless ``user`` holds REVEAL: their text could say who the witness is."""
    if may_reveal(user, case):
        return claims
    hidden = protected_item_ids(case)
    return claims.exclude(item_id__in=hidden) if hidden else claims


def hidden_edit_ids(user: Any, case: Case) -> tuple[set[str], set[str]]:
    """(item ids, claim ids) whose edit history ``user`` may not see, as strings."""
    if may_reveal(user, case):
        return set(), set()
    from ..cases.graph import Claim

    items = protected_item_ids(case)
    if not items:
        return set(), set()
    claims = Claim.objects.filter(case=case, item_id__in=items).values_list("pk", flat=True)
    return {str(pk) for pk in items}, {str(pk) for pk in claims}
