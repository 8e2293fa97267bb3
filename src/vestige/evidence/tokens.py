"""Bearer tokens for the JSON API.

A token is 32 random bytes (``secrets.token_urlsafe(32)``), shown once when it is made. Only its
SHA-256 is stored, so a copy of the database does not give anyone access; a request is matched
by hashing the token it presents and looking the hash up.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from ..core.errors import NotFound, UserError
from .models import ApiToken

# Writing last_used_at on every call would turn each read into a write; once a minute is plenty.
LAST_USED_RESOLUTION = timedelta(minutes=1)
MAX_TOKEN_LENGTH = 200


def hash_token(token: str) -> str:
    """The SHA-256 hex digest under which ``token`` is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(user: Any, name: str = "") -> tuple[ApiToken, str]:
    """Make a token for ``user`` (an account or its name); return the record and the token.

    The token itself is not kept anywhere: show it to the person once.
    """
    if isinstance(user, str):
        account = get_user_model().objects.filter(username=user).first()
        if account is None:
            raise NotFound(f"no user {user!r}")
        user = account
    if not user.is_active:
        raise UserError(f"user {user.get_username()!r} is not active")
    name = name.strip()
    if len(name) > 100:
        raise UserError("a token name is at most 100 characters")
    token = secrets.token_urlsafe(32)
    record = ApiToken.objects.create(user=user, name=name, token_hash=hash_token(token))
    return record, token


def user_for_token(token: str) -> Any | None:
    """The active account that ``token`` belongs to, or None; notes when it was last used."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    record = (
        ApiToken.objects.select_related("user").filter(token_hash=hash_token(token)).first()
    )
    if record is None or not record.user.is_active:
        return None
    now = timezone.now()
    if record.last_used_at is None or now - record.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=record.pk).update(last_used_at=now)
    return record.user


def revoke_token(token_id: int) -> ApiToken:
    """Delete the token with this id (as listed by ``vestige token list``) and return it."""
    record = ApiToken.objects.select_related("user").filter(pk=token_id).first()
    if record is None:
        raise NotFound(f"no token {token_id}")
    record.delete()
    return record
