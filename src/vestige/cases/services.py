"""Creating cases and managing members: called by the CLI, the web and the API."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from ..core.errors import NotFound, UserError
from .models import Case, Membership, slug_validator
from .roles import Role


def create_case(
    slug: str, title: str, *, description: str = "", owner: str | Any | None = None
) -> Case:
    """Create a case owned by ``owner`` (an account or its name).

    Without an owner the only superuser becomes the owner, if there is exactly one.
    """
    try:
        slug_validator(slug)
    except ValidationError as exc:
        raise UserError(f"bad slug {slug!r}: {exc.messages[0]}") from exc
    if not title.strip():
        raise UserError("a case needs a title")
    if Case.objects.filter(slug=slug).exists():
        raise UserError(f"a case {slug!r} exists already")
    users = get_user_model().objects
    account: Any
    if owner is None:
        admins = list(users.filter(is_superuser=True)[:2])
        account = admins[0] if len(admins) == 1 else None
    elif isinstance(owner, str):
        account = users.filter(username=owner).first()
        if account is None:
            raise NotFound(f"no user {owner!r}")
    else:
        account = owner
    with transaction.atomic():
        case = Case.objects.create(
            slug=slug, title=title.strip(), description=description, created_by=account
        )
        if account is not None:
            Membership.objects.create(case=case, user=account, role=Role.OWNER)
    return case


def set_member(slug: str, username: str, role: str) -> Membership:
    """Give ``username`` the role ``role`` in case ``slug``."""
    try:
        Role(role)
    except ValueError as exc:
        raise UserError(f"unknown role {role!r}") from exc
    case = Case.objects.filter(slug=slug).first()
    if case is None:
        raise NotFound(f"no case {slug!r}")
    account = get_user_model().objects.filter(username=username).first()
    if account is None:
        raise NotFound(f"no user {username!r}")
    membership, _ = Membership.objects.update_or_create(
        case=case, user=account, defaults={"role": role}
    )
    return membership
