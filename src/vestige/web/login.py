"""Sign-in with throttling: repeated failures for one account or from one address are refused
for a while, so that passwords cannot be guessed at speed (threat model: outsiders on the net)."""

from __future__ import annotations

import hashlib
from typing import Any

from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.core.cache import cache
from django.core.exceptions import ValidationError

MAX_FAILURES = 5
WINDOW_SECONDS = 15 * 60


def _key(kind: str, value: str) -> str:
    # Hashed, so that no account name or address is kept in the cache in clear.
    return "vestige-login-" + kind + "-" + hashlib.sha256(value.lower().encode()).hexdigest()[:32]


class ThrottledAuthenticationForm(AuthenticationForm):
    """Django's sign-in form, refusing an account or address after repeated failures."""

    def _keys(self) -> list[str]:
        username = str(self.data.get("username", ""))
        address = str(self.request.META.get("REMOTE_ADDR", "")) if self.request else ""
        return [_key("user", username), _key("addr", address)]

    def clean(self) -> dict[str, Any]:
        keys = self._keys()
        if any(int(cache.get(key, 0)) >= MAX_FAILURES for key in keys):
            raise ValidationError(
                f"Too many failed sign-ins. Wait {WINDOW_SECONDS // 60} minutes and try again.",
                code="throttled",
            )
        try:
            cleaned = super().clean()
        except ValidationError:
            for key in keys:
                cache.add(key, 0, WINDOW_SECONDS)
                try:
                    cache.incr(key)
                except ValueError:
                    cache.set(key, 1, WINDOW_SECONDS)
            raise
        cache.delete_many(keys[:1])  # a success clears the account's count, not the address's
        return cleaned


class ThrottledLoginView(LoginView):
    form_class = ThrottledAuthenticationForm
    template_name = "vestige/login.html"
    redirect_authenticated_user = True
