"""Commands for the case graph: ``vestige extract``."""

from __future__ import annotations

import uuid
from typing import Any

import click

from ..core.errors import NotFound, UserError
from .base import emit_json, setup_django


def _candidate_json(candidate: Any) -> dict[str, Any]:
    proposal = candidate.proposal or {}
    return {
        "id": candidate.pk,
        "status": candidate.status,
        "text": candidate.text,
        "start": candidate.start,
        "end": candidate.end,
        "dates": [d["edtf"] for d in proposal.get("dates", []) if d.get("edtf")],
        "date_spans": proposal.get("dates", []),
        "quantities": proposal.get("quantities", []),
        "places": proposal.get("places", []),
        "actors": proposal.get("actors", []),
        "hedges": proposal.get("hedges", []),
        "attribution": proposal.get("attribution", ""),
        "events": proposal.get("events", []),
        "extractor": candidate.extractor,
    }


@click.command("extract")
@click.argument("item_id")
@click.option("--json", "as_json", is_flag=True, help="Print the candidates as a JSON list.")
@click.option("--user", default=None, help="Run as this account (recorded as the proposer).")
def extract_command(item_id: str, as_json: bool, user: str | None) -> None:
    """Propose candidate claims from an item's text and put them in the review queue.

    Each sentence that states a date, a count, a known place or actor, or an event (killed,
    displaced, blockade, ceasefire …) becomes a candidate with its character range in the
    item's text, its dates as EDTF, its counts as low/best/high, the places (from the
    gazetteer) and actors (of the case) it names, its hedges and who asserts it. Running it
    again adds only what is new. Dates without a stated year get no EDTF value.

    Example:

        vestige extract 3f2c9a1e-8b7d-4c55-9e0a-1d2b3c4d5e6f --json
    """
    setup_django()
    from django.contrib.auth import get_user_model

    from ..cases.extraction import propose_claims
    from ..evidence.models import Item

    try:
        key = uuid.UUID(item_id)
    except ValueError as exc:
        raise UserError(f"not an item id: {item_id!r} (item ids are UUIDs)") from exc
    item = Item.objects.select_related("case").filter(pk=key).first()
    if item is None:
        raise NotFound(f"no item {item_id}")
    account = None
    if user:
        account = get_user_model().objects.filter(username=user).first()
        if account is None:
            raise UserError(f"no user {user!r}")
    candidates = propose_claims(item, account)
    if as_json:
        emit_json([_candidate_json(c) for c in candidates])
        return
    if not candidates:
        click.echo("no candidate claims in this item's text")
        return
    for candidate in candidates:
        row = _candidate_json(candidate)
        click.echo(f"#{row['id']} [{row['start']}–{row['end']}] {row['status']}")
        click.echo(f"  {row['text']}")
        details = []
        if row["dates"]:
            details.append("dates: " + ", ".join(row["dates"]))
        for quantity in row["quantities"]:
            parts = [f"{k} {quantity[k]}" for k in ("low", "best", "high") if quantity.get(k)]
            approx = " ~" if quantity.get("approximate") else ""
            details.append(f"count: {', '.join(parts)}{approx} {quantity.get('unit', '')}".rstrip())
        if row["places"]:
            details.append("places: " + ", ".join(p["text"] for p in row["places"]))
        if row["actors"]:
            details.append("actors: " + ", ".join(a["text"] for a in row["actors"]))
        if row["hedges"]:
            details.append("hedges: " + ", ".join(row["hedges"]))
        if row["attribution"]:
            details.append(f"asserted by: {row['attribution']}")
        for line in details:
            click.echo(f"    {line}")
    click.echo(f"{len(candidates)} candidate(s) for item {item.pk}")


def register(group: click.Group) -> None:
    """Add the case-graph commands to the ``vestige`` group."""
    group.add_command(extract_command)
