"""Sign-in is throttled: guessing passwords at speed does not work."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from vestige.web.login import MAX_FAILURES

pytestmark = pytest.mark.django_db


def test_the_right_password_signs_in(client: Client, user: Any) -> None:
    response = client.post("/login/", {"username": "amira", "password": "correct-horse-9"})
    assert response.status_code == 302


def test_repeated_failures_lock_the_account_for_a_while(client: Client, user: Any) -> None:
    for _ in range(MAX_FAILURES):
        response = client.post("/login/", {"username": "amira", "password": "wrong"})
        assert response.status_code == 200
        assert "Too many failed sign-ins" not in response.content.decode()
    # Now even the right password is refused, with a message that says why.
    response = client.post("/login/", {"username": "amira", "password": "correct-horse-9"})
    assert response.status_code == 200
    assert "Too many failed sign-ins" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_failures_from_one_address_cover_every_account(
    client: Client, user: Any, outsider: Any
) -> None:
    for number in range(MAX_FAILURES):
        client.post("/login/", {"username": f"guess-{number}", "password": "x"})
    response = client.post("/login/", {"username": "mallory", "password": "correct-horse-9"})
    assert "Too many failed sign-ins" in response.content.decode()
    other = Client(REMOTE_ADDR="127.0.0.9")
    assert other.post("/login/", {"username": "mallory",
                                  "password": "correct-horse-9"}).status_code == 302
