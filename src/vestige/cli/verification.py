"""``vestige provenance``: recompute and print the provenance findings of a case's items."""

from __future__ import annotations

import uuid
from typing import Any

import click

from ..core.errors import NotFound, UserError
from .base import emit_json, setup_django


def _finding_json(finding: Any) -> dict[str, Any]:
    return {
        "item": str(finding.item_id), "kind": finding.kind, "outcome": finding.outcome,
        "summary": finding.summary, "details": finding.details, "tool": finding.tool,
        "tool_version": finding.tool_version, "created_at": finding.created_at.isoformat(),
    }


@click.command("provenance")
@click.argument("slug")
@click.option("--item", "item_id", default=None, help="Only this item (its id).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def provenance(slug: str, item_id: str | None, as_json: bool) -> None:
    """Recompute the provenance findings of a case's items (C2PA manifest, WACZ signature, file
    time against the claimed date, file GPS against the claimed place, earliest copy) and print
    them. A check that fails is printed as an "error" finding.

    Example:

        vestige provenance nagorno-karabakh-demo --item 0b6f…
    """
    setup_django()
    from ..cases.models import Case
    from ..evidence.models import Item
    from ..verification.provenance import compute_findings

    case = Case.objects.filter(slug=slug).first()
    if case is None:
        raise NotFound(f"no case {slug!r} (see `vestige case list`)")
    items = Item.objects.filter(case=case).order_by("captured_at", "id")
    if item_id:
        try:
            items = items.filter(pk=uuid.UUID(item_id))
        except ValueError as exc:
            raise UserError(f"--item must be an item id, not {item_id!r}") from exc
        if not items.exists():
            raise NotFound(f"no item {item_id} in case {slug!r}")
    findings = []
    for pk in list(items.values_list("pk", flat=True)):  # ids first: writes follow
        findings.extend(compute_findings(Item.objects.get(pk=pk)))
    if as_json:
        emit_json({"case": slug, "findings": [_finding_json(f) for f in findings]})
        return
    if not findings:
        click.echo("no findings")
    for finding in findings:
        click.echo(f"{finding.item_id}  {finding.kind:<22} {finding.outcome:<12} {finding.summary}")


def register(main: click.Group) -> None:
    main.add_command(provenance)
