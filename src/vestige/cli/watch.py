"""``vestige watch``: watch RSS/Atom feeds and web pages, and run the checks that are due."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import click

from ..core.errors import NotFound, UserError
from .base import setup_django


def _case(slug: str) -> Any:
    from ..cases.models import Case

    case = Case.objects.filter(slug=slug).first()
    if case is None:
        raise NotFound(f"no case {slug!r} (see `vestige case list`)")
    return case


def _operator() -> str:
    import getpass

    return f"cli:{getpass.getuser()}"


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None


@click.group("watch")
def watch_group() -> None:
    """Watch RSS/Atom feeds and web pages: new entries are captured into the case, their
    claims extracted and matched to known incidents, actors and places.

    `vestige worker` checks the due sources every minute; `vestige watch run-due` does it once.
    """


@watch_group.command("add")
@click.argument("url")
@click.option("--case", "slug", required=True, help="Slug of the case that watches the URL.")
@click.option(
    "--every",
    default="1h",
    show_default=True,
    help="How often to check: 30m, 1h, 1d, 1w (at least 1 minute).",
)
def watch_add(url: str, slug: str, every: str) -> None:
    """Watch a feed or page; whether it is a feed is found on the first check (due at once).

    Example:

        vestige watch add https://example.org/news/rss --case nk-2023 --every 30m
    """
    setup_django()
    from ..watch import service

    source = service.add_source(_case(slug), url, every=every, actor=_operator())
    click.echo(
        f"watching {source.url} in {slug} every {service.format_every(source.every)} "
        f"(source {source.pk}); first check due now"
    )


@watch_group.command("list")
@click.option("--case", "slug", default=None, help="Only the sources of this case.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per source per line.")
def watch_list(slug: str | None, as_json: bool) -> None:
    """List watched sources with their kind, interval, next check and last error.

    Example:

        vestige watch list --case nk-2023 --json
    """
    setup_django()
    from ..watch import service
    from ..watch.models import WatchedSource

    sources = WatchedSource.objects.select_related("case").order_by("case__slug", "pk")
    if slug:
        sources = sources.filter(case=_case(slug))
    for source in sources:
        row = {
            "id": source.pk,
            "case": source.case.slug,
            "url": source.url,
            "kind": source.kind or None,
            "every": service.format_every(source.every),
            "active": source.active,
            "next_due": _iso(source.next_due),
            "last_checked": _iso(source.last_checked),
            "last_status": source.last_status,
            "last_error": source.last_error,
            "entries": source.entries.count(),
        }
        if as_json:
            click.echo(json.dumps(row, ensure_ascii=False))
        else:
            state = f"ERROR: {source.last_error}" if source.last_error else "ok"
            click.echo(
                f"{source.pk}\t{source.case.slug}\t{row['kind'] or '?'}\t{row['every']}"
                f"\tnext {row['next_due']}\t{row['entries']} entries\t{state}\t"
                f"{source.url}"
            )


@watch_group.command("run-due")
@click.option(
    "--now",
    "now_text",
    default=None,
    help="Act as if it were this moment (ISO 8601, e.g. 2026-01-01T12:00:00Z).",
)
@click.option(
    "--background",
    is_flag=True,
    help="Queue the captures for `vestige worker` instead of running them here.",
)
def watch_run_due(now_text: str | None, background: bool) -> None:
    """Check every source that is due, capture its new entries and print what was done.

    Exit code 1 when a check failed (the error is also kept on the source).

    Example:

        vestige watch run-due --now 2026-01-01T12:00:00Z
    """
    setup_django()
    from ..watch import service

    now = None
    if now_text:
        try:
            now = datetime.fromisoformat(now_text.replace("Z", "+00:00"))
        except ValueError as exc:
            raise UserError(f"--now is not an ISO 8601 moment: {now_text!r}") from exc
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
    report = service.run_due(now, background=background)
    for line in report.lines():
        click.echo(line)
    if any(check.error for check in report.checks):
        raise SystemExit(1)


def register(group: click.Group) -> None:
    group.add_command(watch_group)
