"""Commands for the law as data: list the crimes, modes and criteria; print or export a case's
proof chart."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..core.errors import NotFound, UserError
from .base import emit_json, setup_django


@click.group("law")
def law_group() -> None:
    """The legal texts Vestige knows: crimes, modes of liability, sanctions criteria."""


@law_group.command("list")
@click.option(
    "--kind",
    type=click.Choice(["crimes", "liability", "sanctions"]),
    help="Only this kind of provision.",
)
@click.option("--elements", is_flag=True, help="List each provision's elements too.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def law_list(kind: str | None, elements: bool, as_json: bool) -> None:
    """List the provisions (with their stable ids) and, with --elements, their elements.

    Example:

        vestige law list --kind crimes --elements
    """
    from ..law import catalogue

    provisions = catalogue.provisions(kind)
    if as_json:
        emit_json(
            [
                {
                    "id": p.id,
                    "number": p.number,
                    "title": p.title,
                    "kind": p.kind,
                    "conflict": p.conflict,
                    "source": {
                        "title": p.source.title,
                        "version": p.source.version,
                        "url": p.source.url,
                    },
                    "elements": [
                        {
                            "id": e.id,
                            "number": e.number,
                            "kind": e.kind,
                            "text": e.text,
                            "fidelity": e.fidelity,
                        }
                        for e in p.elements
                    ],
                }
                for p in provisions
            ]
        )
        return
    for provision in provisions:
        conflict = (
            f"  ({provision.conflict.replace('_', '-')} armed conflict)"
            if (provision.kind == "crimes" and provision.conflict != "any")
            else ""
        )
        click.echo(f"{provision.id:<28} {provision.number:<14} {provision.title}{conflict}")
        if elements:
            for element in provision.elements:
                mark = " [paraphrase — check against the source]" if element.is_paraphrase else ""
                click.echo(f"    {element.id:<32} {element.kind:<12} {element.text}{mark}")


@click.command("proof-chart")
@click.argument("slug")
@click.option("--actor", "actor_id", type=int, help="Chart for one actor (suspect) of the case.")
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the chart as CSV to FILE ('-' for standard output).",
)
def proof_chart(slug: str, actor_id: int | None, csv_path: Path | None) -> None:
    """Print a case's proof chart (elements × evidence, gaps marked) or export it as CSV.

    The command line runs with the operator's full access: claims from restricted testimony
    are included.

    Example:

        vestige proof-chart nagorno-karabakh-demo --csv chart.csv
    """
    setup_django()
    from ..cases.graph import Actor
    from ..cases.models import Case
    from ..law.proofchart import build, text_table, write_csv

    case = Case.objects.filter(slug=slug).first()
    if case is None:
        raise NotFound(f"no case {slug!r} (see `vestige case list`)")
    actor = None
    if actor_id is not None:
        actor = Actor.objects.filter(case=case, pk=actor_id).first()
        if actor is None:
            raise UserError(f"no actor {actor_id} in case {slug!r}")
    chart = build(case, actor=actor)
    if csv_path is None:
        if not chart.sections:
            click.echo(
                "no characterised incidents yet"
                if actor is None
                else f"{actor.name} is not linked to any incident by a mode of liability"
            )
            return
        click.echo(text_table(chart))
        return
    if str(csv_path) == "-":
        write_csv(chart, sys.stdout)
        return
    if not csv_path.parent.exists():
        raise UserError(f"no such folder: {csv_path.parent}")
    with csv_path.open("w", encoding="utf-8", newline="") as out:
        count = write_csv(chart, out)
    click.echo(f"wrote {count} rows ({len(chart.rows)} elements, {chart.gaps} gaps) to {csv_path}")


def register(group: click.Group) -> None:
    """Add the law and proof-chart commands to the main group."""
    group.add_command(law_group)
    group.add_command(proof_chart)
