"""`vestige dossier`: a sanctions submission, ICC communication or exhibit bundle on one actor."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ..core.errors import NotFound, UserError
from ..protection.columns import RECIPIENTS
from .base import cli_actor, setup_django

KIND_NAMES = ("us-glomag", "eu-ghr", "uk-ghr", "icc-art15", "war-crimes-unit")


@click.command("dossier")
@click.argument("slug")
@click.option(
    "--actor",
    "actor_ref",
    required=True,
    help="The actor: its id (in its page's URL) or one of its names, exactly.",
)
@click.option("--kind", required=True, type=click.Choice(KIND_NAMES), help="The kind of dossier.")
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="New (or empty) folder to write the dossier into.",
)
@click.option(
    "--recipient",
    type=click.Choice(RECIPIENTS),
    default=None,
    help="Whose consent counts for protected people's material and names. Default: icc for "
    "icc-art15, national_authority for the others.",
)
@click.option("--submitter", default=None, help="Submitting organisation (default: setting).")
@click.option("--contact", default=None, help="Submitter's contact (default: setting).")
@click.option(
    "--impact",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    default=None,
    help="UTF-8 text file with the impact argument (sanctions kinds; paragraphs split by a "
    "blank line). Without it the section is a placeholder to fill in the DOCX.",
)
@click.option("--user", default=None, help="Account name recorded in the custody log.")
def dossier_command(
    slug: str,
    actor_ref: str,
    kind: str,
    out: Path,
    recipient: str | None,
    submitter: str | None,
    contact: str | None,
    impact: Path | None,
    user: str | None,
) -> None:
    """Write a dossier on one actor: dossier.pdf, dossier.docx and a signed exhibit bundle.

    KINDS: us-glomag (Global Magnitsky EO 13818 / §7031(c)), eu-ghr (EU Regulation 2020/1998),
    uk-ghr (UK Global Human Rights Regulations 2020), icc-art15 (article 15 communication with
    the proof chart), war-crimes-unit (exhibit bundle with custody reports).

    The folder holds numbered exhibits (exhibits/E-001/…) with their custody reports, and
    SHA256SUMS, manifest.json and its signature: check it with `vestige verify-bundle OUT` or
    `cd OUT && sha256sum -c SHA256SUMS`. Every exhibit gets an `exported` custody event.
    Protected people appear under their pseudonym unless their consent covers the recipient.

    Example:

        vestige dossier nagorno-karabakh-demo --actor "Armed Forces of Azerbaijan"
        --kind icc-art15 --out dossier-icc
    """
    setup_django()
    from ..cases.graph import Actor
    from ..cases.models import Case
    from ..dossiers.builder import build_dossier

    case = Case.objects.filter(slug=slug).first()
    if case is None:
        raise NotFound(f"no case {slug!r} (see `vestige case list`)")
    actor = _find_actor(Actor, case, actor_ref)
    impact_text = ""
    if impact is not None:
        try:
            impact_text = impact.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise UserError(f"{impact} is not UTF-8 text: {exc}") from exc
    result = build_dossier(
        case,
        actor,
        kind,
        out,
        label=cli_actor(user),
        recipient=recipient,
        submitter=submitter,
        contact=contact,
        impact=impact_text,
    )
    click.echo(
        f"wrote {out}: {result.kind} dossier for {result.recipient}, "
        f"{len(result.exhibits)} exhibits, dossier {result.dossier_id}"
    )
    if result.withheld:
        click.echo(
            f"withheld {len(result.withheld)} items linked to protected people without consent "
            f"for {result.recipient} (listed by id in manifest.json)"
        )
    click.echo(f"check it with: vestige verify-bundle {out}")


def _find_actor(model: Any, case: Any, ref: str) -> Any:
    """The actor with id ``ref``, or the one actor with that name (any script, any case)."""
    from django.db.models import Q

    ref = ref.strip()
    if ref.isdigit():
        actor = model.objects.filter(case=case, pk=int(ref)).first()
        if actor is not None:
            return actor
    found = list(
        model.objects.filter(case=case)
        .filter(Q(name__iexact=ref) | Q(names__name__iexact=ref))
        .distinct()[:3]
    )
    if len(found) == 1:
        return found[0]
    if found:
        ids = ", ".join(str(a.pk) for a in found)
        raise UserError(f"{ref!r} names more than one actor ({ids}); give the id")
    raise NotFound(
        f"no actor {ref!r} in case {case.slug!r} (give its id, from its page's URL, or a name)"
    )


def register(main: click.Group) -> None:
    main.add_command(dossier_command)
