"""``vestige screen``: a typed name, or every actor of a case, against the sanctions lists."""

from __future__ import annotations

from datetime import date
from typing import Any

import click

from ..core.errors import UserError
from ..core.screening import DEFAULT_THRESHOLD
from .base import emit_json, setup_django


def _as_of(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise UserError(f"--as-of must be a date like 2019-06-01, not {value!r}") from exc


def _dob(value: str | None) -> str | None:
    if not value:
        return None
    parts = value.split("-")
    if not (1 <= len(parts) <= 3 and all(p.isdigit() for p in parts) and len(parts[0]) == 4):
        raise UserError(f"--dob must be YYYY, YYYY-MM or YYYY-MM-DD, not {value!r}")
    return value


def _print_results(results: list[Any], header: str) -> None:
    click.echo(header)
    if not results:
        click.echo("  no listed entity reaches the threshold")
    for r in results:
        mark = {
            "match": " [judged: match]",
            "no_match": " [dismissed: no match]",
            "unsure": " [judged: unsure]",
        }.get(r.judgement or "", "")
        click.echo(f"  {r.score:.3f}  {r.list_source}:{r.entity_id}  {r.name}{mark}")
        if r.matched_name != r.name:
            click.echo(f"         matched: {r.matched_name}")
        feats = ", ".join(f"{k}={v}" for k, v in r.features.items() if k != "aligned")
        click.echo(f"         {feats}")
    if results:
        click.echo(f"  ({results[0].algorithm} {results[0].version})")


@click.command("screen")
@click.argument("name", required=False, default="")
@click.option("--case", "slug", default=None, help="Screen every actor of this case (slug).")
@click.option("--dob", default=None, help="Date of birth: YYYY, YYYY-MM or YYYY-MM-DD.")
@click.option(
    "--nationality",
    "nationalities",
    multiple=True,
    help="ISO 3166 alpha-2 country code (repeatable).",
)
@click.option(
    "--gender",
    type=click.Choice(["male", "female"]),
    default=None,
    help="The person's gender, if known.",
)
@click.option(
    "--as-of",
    "as_of",
    default=None,
    help="Screen against the lists in force on this date (YYYY-MM-DD; default today).",
)
@click.option(
    "--threshold",
    type=click.FloatRange(0, 1),
    default=DEFAULT_THRESHOLD,
    show_default=True,
    help="Lowest score shown.",
)
@click.option(
    "--limit",
    type=click.IntRange(1, 500),
    default=20,
    show_default=True,
    help="Most results per name.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a ranked JSON list.")
def screen_command(
    name: str,
    slug: str | None,
    dob: str | None,
    nationalities: tuple[str, ...],
    gender: str | None,
    as_of: str | None,
    threshold: float,
    limit: int,
    as_json: bool,
) -> None:
    """Screen a name (in any script) or a case's actors against the sanctions lists.

    Names match across scripts and romanisations (Cyrillic, Armenian, Azerbaijani, ISO 9,
    passport and German/French spellings), in any order, with initials. Every result carries
    its score (0..1), the features that produced it and the algorithm's name and version.
    Reviewers' judgements are honoured: "no match" results are marked dismissed and listed
    last, "match" results are pinned first. With --case, the command acts as the operator.

    Example:

    \b
        vestige screen "Лукашенко Александр Григорьевич" --dob 1954
        vestige screen "Əliyev Rəşad Kamal oğlu" --nationality AZ --json
        vestige screen --case nagorno-karabakh-demo --as-of 2019-06-01
    """
    if bool(name) == bool(slug):
        raise UserError("give either a NAME or --case SLUG")
    when = _as_of(as_of)
    birth = _dob(dob)
    setup_django()
    from ..sanctions.screening import screen_actor, screen_name

    if name:
        results = screen_name(
            name,
            dob=birth,
            nationality=list(nationalities),
            gender=gender or "",
            as_of=when,
            threshold=threshold,
            limit=limit,
        )
        if as_json:
            emit_json([r.as_dict() for r in results])
        else:
            _print_results(results, f"{name}:")
        return
    from ..cases.models import Actor, Case

    case = Case.objects.filter(slug=slug).first()
    if case is None:
        raise UserError(f"no case with the slug {slug!r}")
    report = []
    for actor in Actor.objects.filter(case=case).order_by("name", "pk"):
        results = screen_actor(actor, as_of=when, threshold=threshold, limit=limit)
        if as_json:
            report.append(
                {
                    "actor": actor.pk,
                    "actor_name": actor.name,
                    "results": [r.as_dict() for r in results],
                }
            )
        else:
            _print_results(results, f"actor {actor.pk}: {actor.name}")
    if as_json:
        emit_json(report)


def register(group: click.Group) -> None:
    """Add ``vestige screen`` to the command line."""
    group.add_command(screen_command)
