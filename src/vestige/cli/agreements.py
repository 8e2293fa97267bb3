"""``vestige agreements list``: the ceasefire agreements shipped as data, and optionally how many
alleged violations a case links to each."""

from __future__ import annotations

from typing import Any

import click

from ..core.errors import NotFound
from .base import emit_json, setup_django


@click.group("agreements")
def agreements_group() -> None:
    """Ceasefire agreements (data files) and the alleged violations linked to them.

    Example:

        vestige agreements list --case nagorno-karabakh-demo
    """


@agreements_group.command("list")
@click.option("--case", "slug", default=None, help="Also count this case's alleged violations.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def list_agreements(slug: str | None, as_json: bool) -> None:
    """List the agreements with their provisions: how many are quoted and how many paraphrased.

    Example:

        vestige agreements list --case nagorno-karabakh-demo --json
    """
    setup_django()
    from ..agreements import catalogue
    from ..agreements.models import ViolationAllegation
    from ..cases.models import Case

    counts: dict[str, int] = {}
    if slug:
        case = Case.objects.filter(slug=slug).first()
        if case is None:
            raise NotFound(f"no case {slug!r} (see `vestige case list`)")
        for agreement_id in ViolationAllegation.objects.filter(case=case).values_list(
            "agreement_id", flat=True
        ):
            counts[agreement_id] = counts.get(agreement_id, 0) + 1
    rows: list[dict[str, Any]] = []
    for agreement in catalogue.agreements():
        paraphrased = sum(p.is_paraphrase for p in agreement.provisions)
        row: dict[str, Any] = {
            "id": agreement.id, "title": agreement.short_title, "date": str(agreement.date),
            "provisions": len(agreement.provisions), "paraphrased": paraphrased,
        }
        if slug:
            row["alleged_violations"] = counts.get(agreement.id, 0)
        rows.append(row)
    if as_json:
        emit_json({"agreements": rows})
        return
    for row in rows:
        extra = f", {row['alleged_violations']} alleged violations" if slug else ""
        click.echo(
            f"{row['id']}  {row['date']}  {row['title']}: {row['provisions']} provisions "
            f"({row['paraphrased']} paraphrased){extra}"
        )


def register(group: click.Group) -> None:
    """Add the agreements commands to the main group."""
    group.add_command(agreements_group)
