"""Commands for API tokens: create, list, revoke."""

from __future__ import annotations

import click

from ..core.errors import NotFound
from .base import setup_django


@click.group("token")
def token_group() -> None:
    """Manage bearer tokens for the JSON API (/api/)."""


@token_group.command("create")
@click.argument("username")
@click.option("--name", default="", help="What the token is for, e.g. the script using it.")
def token_create(username: str, name: str) -> None:
    """Make an API token for an account. The token is printed once and never stored.

    Use it as "Authorization: Bearer TOKEN". It can do what the account can do.

    Example:

        vestige token create amira --name "nightly sync"
    """
    setup_django()
    from ..evidence.tokens import create_token

    record, token = create_token(username, name)
    click.echo(f"created token {record.pk} for {username}"
               + (f" ({record.name})" if record.name else ""))
    click.echo(f"token: {token}   (shown once; keep it safe)")


@token_group.command("list")
@click.argument("username")
def token_list(username: str) -> None:
    """List an account's API tokens (ids, names, dates; never the tokens).

    Example:

        vestige token list amira
    """
    setup_django()
    from django.contrib.auth import get_user_model

    account = get_user_model().objects.filter(username=username).first()
    if account is None:
        raise NotFound(f"no user {username!r}")
    records = account.api_tokens.order_by("created_at")
    if not records:
        click.echo(f"{username} has no API tokens")
        return
    for record in records:
        used = record.last_used_at.isoformat(timespec="seconds") if record.last_used_at else "never"
        click.echo(
            f"{record.pk}\t{record.name or '-'}\t"
            f"created {record.created_at.isoformat(timespec='seconds')}\tlast used {used}"
        )


@token_group.command("revoke")
@click.argument("token_id", type=int)
def token_revoke(token_id: int) -> None:
    """Revoke an API token by its id (see `vestige token list`); it stops working at once.

    Example:

        vestige token revoke 3
    """
    setup_django()
    from ..evidence.tokens import revoke_token

    record = revoke_token(token_id)
    click.echo(f"revoked token {token_id} of {record.user.get_username()}")


def register(group: click.Group) -> None:
    """Add the ``token`` commands to the ``vestige`` group."""
    group.add_command(token_group)
