"""``vestige near-duplicates``: fingerprint a case's items and list near-duplicate suggestions."""

from __future__ import annotations

from typing import Any

import click

from ..core.errors import NotFound
from .base import emit_json, setup_django


def _suggestion_json(s: Any) -> dict[str, Any]:
    return {
        "id": s.pk,
        "item_a": str(s.item_a_id),
        "item_b": str(s.item_b_id),
        "title_a": s.item_a.title,
        "title_b": s.item_b.title,
        "algorithm": s.algorithm,
        "version": s.version,
        "score": s.score,
        "distance": s.distance,
        "status": s.status,
        "details": s.details,
        "created_at": s.created_at.isoformat(),
    }


@click.command("near-duplicates")
@click.argument("slug")
@click.option(
    "--rebuild",
    is_flag=True,
    help="Recompute every fingerprint and search the whole case again (judged pairs "
    "keep their judgement; unjudged suggestions are made afresh).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def near_duplicates(slug: str, rebuild: bool, as_json: bool) -> None:
    """Fingerprint the items of a case that lack fingerprints (PDQ and pHash for images, MinHash
    shingles for texts, PDQ of frames for videos), search the case for near-duplicates and list
    the suggestions with their judgements. A fingerprint that cannot be made is written into
    the item's warnings and counted here.

    Example:

        vestige near-duplicates nagorno-karabakh-demo --json
    """
    setup_django()
    from django.db.models import Exists, OuterRef

    from ..cases.models import Case
    from ..corroboration.fingerprints import WARNING_PREFIX, compute_fingerprints
    from ..corroboration.models import ItemFingerprint, NearDuplicateSuggestion, SuggestionStatus
    from ..corroboration.suggestions import search_pending
    from ..evidence.models import Item

    case = Case.objects.filter(slug=slug).first()
    if case is None:
        raise NotFound(f"no case {slug!r} (see `vestige case list`)")
    items = Item.objects.filter(case=case)
    if rebuild:
        NearDuplicateSuggestion.objects.filter(case=case, status=SuggestionStatus.PENDING).delete()
    else:
        items = items.exclude(Exists(ItemFingerprint.objects.filter(item=OuterRef("pk"))))
    made = 0
    for pk in list(items.order_by("captured_at", "id").values_list("pk", flat=True)):
        made += len(compute_fingerprints(Item.objects.get(pk=pk), replace=rebuild))
    found = search_pending(case.pk, everything=rebuild)
    failed = [
        {"item": str(i.pk), "warning": w}
        for i in Item.objects.filter(case=case).only("pk", "warnings")
        for w in i.warnings or []
        if isinstance(w, str) and w.startswith(WARNING_PREFIX)
    ]
    rows = list(
        NearDuplicateSuggestion.objects.filter(case=case)
        .select_related("item_a", "item_b")
        .order_by("-score", "pk")
    )
    if as_json:
        emit_json(
            {
                "case": slug,
                "fingerprints_made": made,
                "new_suggestions": len(found),
                "fingerprint_failures": failed,
                "suggestions": [_suggestion_json(s) for s in rows],
            }
        )
        return
    click.echo(
        f"{made} fingerprint{'s' if made != 1 else ''} made, {len(found)} new or closer "
        f"suggestion{'s' if len(found) != 1 else ''}, {len(failed)} failure"
        f"{'s' if len(failed) != 1 else ''}"
    )
    for failure in failed:
        click.echo(f"warning: {failure['item']}  {failure['warning']}")
    for s in rows:
        click.echo(
            f"#{s.pk:<5} {s.algorithm:<8} {s.score:.3f}  {s.status:<9} "
            f"{s.item_a.title}  ~  {s.item_b.title}"
        )


def register(main: click.Group) -> None:
    main.add_command(near_duplicates)
