"""Shared pieces of the command line: error handling, Django start-up, JSON output."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import click

from ..core.errors import UserError, VestigeError

_django_ready = False


def setup_django(migrate: bool = True) -> None:
    """Start Django; apply pending migrations quietly so every command finds its tables."""
    global _django_ready
    if _django_ready:
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vestige.settings")
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command
        from django.db import connection
        from django.db.migrations.executor import MigrationExecutor

        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            call_command("migrate", interactive=False, verbosity=0)
    _django_ready = True


def emit_json(document: Any) -> None:
    """Print one JSON document on stdout (and nothing else)."""
    click.echo(json.dumps(document, ensure_ascii=False, indent=2, default=str))


def cli_actor(user: str | None = None) -> str:
    """How the person running a command is named in the custody log."""
    if user:
        return user
    try:
        import getpass

        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


class VestigeGroup(click.Group):
    """A click group that shows user errors as one line (exit 2), never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except UserError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        except VestigeError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
