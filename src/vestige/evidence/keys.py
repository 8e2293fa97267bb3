"""The instance's signing key, loaded once per process."""

from __future__ import annotations

from functools import cache

from django.conf import settings

from ..core.signing import SigningKey


@cache
def instance_key() -> SigningKey:
    """The Ed25519 key that signs custody events and bundle manifests (created on first use)."""
    return SigningKey.load_or_create(settings.SIGNING_KEY_PATH)
