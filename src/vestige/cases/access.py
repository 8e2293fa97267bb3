"""Case membership checks used by every view, API endpoint and command."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from ..core.errors import NotFound, PermissionDenied
from .models import Case, Membership
from .roles import Permission, allows


def visible_cases(user: Any) -> QuerySet[Case]:
    """The cases ``user`` is a member of; nothing for anonymous users."""
    if user is None or not user.is_authenticated:
        return Case.objects.none()
    return Case.objects.filter(memberships__user=user).distinct()


def role_in(user: Any, case: Case) -> str | None:
    """The user's role in the case, or None when not a member."""
    if user is None or not user.is_authenticated:
        return None
    membership = Membership.objects.filter(case=case, user=user).only("role").first()
    return membership.role if membership else None


def case_for(user: Any, slug: str, permission: Permission = Permission.VIEW) -> Case:
    """The case named ``slug`` if ``user`` may ``permission`` it.

    A non-member gets NotFound, exactly as for a case that does not exist, so that the
    existence of a case is not revealed.
    """
    case = visible_cases(user).filter(slug=slug).first()
    if case is None:
        raise NotFound(f"no case {slug!r}")
    role = role_in(user, case)
    if role is None or not allows(role, permission):
        raise PermissionDenied(f"your role in {slug!r} ({role}) does not allow {permission.value}")
    return case


def require(user: Any, case: Case, permission: Permission) -> str:
    """Raise unless ``user`` may ``permission`` in ``case``; return the role."""
    role = role_in(user, case)
    if role is None:
        raise NotFound(f"no case {case.slug!r}")
    if not allows(role, permission):
        raise PermissionDenied(
            f"your role in {case.slug!r} ({role}) does not allow {permission.value}"
        )
    return role
