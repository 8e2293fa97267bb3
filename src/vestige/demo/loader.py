"""Loading the demonstration case: ``vestige demo``.

Safe to run again: the files are regenerated with the same bytes and modification time, so the
importer recognises them and adds nothing; the case is reused; the descriptions are only
written when they differ.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from ..cases.models import Case, Membership
from ..cases.roles import Role
from ..cases.services import create_case
from ..evidence.importing import Importer, display_path
from ..evidence.models import Item
from ..heritage.models import HeritageSite
from .agreements import load_demo_agreements
from .files import DemoFile, write_demo_files
from .graph import load_demo_graph
from .heritage import load_demo_heritage
from .law import load_demo_law
from .registry import DEMO_OFFICER, load_demo_registry
from .sanctions import load_demo_sanctions, summary_line

DEMO_SLUG = "nagorno-karabakh-demo"
DEMO_TITLE = "Nagorno-Karabakh 2020–2023 (demonstration)"
DEMO_DESCRIPTION = (
    "DEMONSTRATION MATERIAL. This case was loaded by `vestige demo` to show what Vestige does. "
    "Its files were written by Vestige itself: drawn scenes with made-up camera data, a "
    "generated video, an invented witness statement (the person does not exist) and a "
    "situation report that summarises public, well-documented events and cites its public "
    "sources. None of it is evidence."
)
DEMO_NOTE = "demonstration material"


def _demo_case(owner: str) -> tuple[Case, str]:
    """The demo case (created if needed) and a sentence about who owns it."""
    case = Case.objects.filter(slug=DEMO_SLUG).first()
    if case is not None:
        return case, "The case existed already and was reused."
    account = get_user_model().objects.filter(username=owner).first()
    case = create_case(DEMO_SLUG, DEMO_TITLE, description=DEMO_DESCRIPTION, owner=account)
    if account is not None:
        return case, f"It is owned by {owner!r}."
    owners = list(
        Membership.objects.filter(case=case, role=Role.OWNER)
        .values_list("user__username", flat=True)
    )
    if owners:
        fallback = f"it went to the only administrator, {owners[0]!r}"
    else:
        fallback = "it has no owner yet (add one with `vestige case add-member`)"
    return case, f"There is no account {owner!r}, so the case was created without it: {fallback}."


def _describe(item: Item, demo: DemoFile) -> bool:
    """Give ``item`` the demo file's title and description; True when anything changed."""
    wanted: dict[str, Any] = {
        "title": demo.title,
        "description": demo.description,
        "claimed_date": demo.claimed_date,
        "graphic": demo.graphic,
    }
    if demo.language:
        wanted["language"] = demo.language
    changed = [name for name, value in wanted.items() if getattr(item, name) != value]
    for name in changed:
        setattr(item, name, wanted[name])
    if changed:
        item.save(update_fields=changed)
    return bool(changed)


def load_demo(owner: str = "admin", actor: str = "demo", use_ffmpeg: bool | None = None) -> str:
    """Create (or refresh) the demonstration case and return a summary, a line per part.

    ``use_ffmpeg`` None makes the video with ffmpeg when it is installed; False forces the
    pure-Python Motion-JPEG writer.
    """
    case, ownership = _demo_case(owner)
    folder = settings.DATA_DIR / "demo-source"
    files = write_demo_files(folder, use_ffmpeg=use_ffmpeg)
    summary = Importer(case, actor=actor, note=DEMO_NOTE, workers=1).run([f.path for f in files])
    by_path = {outcome.path: outcome for outcome in summary.outcomes}
    problems: list[str] = []
    described = 0
    with transaction.atomic():
        for demo in files:
            outcome = by_path.get(display_path(demo.path))
            if outcome is None or not outcome.ok or not outcome.item_id:
                reason = outcome.message if outcome else "no outcome"
                problems.append(f"{demo.path.name} ({reason})")
                continue
            item = Item.objects.get(pk=outcome.item_id, case=case)
            described += _describe(item, demo)
    graph = load_demo_graph(case, actor)
    law = load_demo_law(case, actor)
    registry = load_demo_registry(case)
    sanctions = load_demo_sanctions(case, actor)
    heritage = load_demo_heritage(case, actor, settings.DATA_DIR / "demo-heritage")
    agreements = load_demo_agreements(case, actor)
    kinds = Counter(Item.objects.filter(case=case).values_list("kind", flat=True))
    total = sum(kinds.values())
    breakdown = ", ".join(
        f"{count} {kind.replace('_', ' ')}{'s' if count != 1 else ''}"
        for kind, count in sorted(kinds.items())
    )
    imported = summary.count("imported")
    parts = [
        f"Demonstration case {DEMO_SLUG!r} ({DEMO_TITLE}) is ready with {total} items "
        f"({breakdown}).",
        f"This run imported {imported} new file{'s' if imported != 1 else ''}, found "
        f"{summary.count('skipped') + summary.count('duplicate')} already there and updated "
        f"{described} description{'s' if described != 1 else ''}.",
        ownership,
        "Everything in it is DEMONSTRATION MATERIAL written by Vestige itself — drawn "
        "photographs, a generated video, an invented witness statement and a summary of public "
        "sources — not evidence.",
        f"The source files are in {folder}.",
        f"The gazetteer holds {graph['places']} places of Azerbaijan and Armenia; this run "
        f"added {graph['incidents']} incidents, {graph['actors']} actors and "
        f"{graph['claims']} claims linking the items to them.",
        "The blockade incident is characterised as the war crime of starvation (Rome Statute "
        "art. 8(2)(b)(xxv)) with a proof chart that has real gaps"
        + (" (made by this run)." if law["characterisations"] else "."),
    ]
    parts.append(
        f"The protection registry holds {registry['people']} INVENTED people, shown by "
        f"pseudonym; {DEMO_OFFICER!r}, a protection officer without a password, recorded them. "
        "To reveal identities and record consent, sign in as that officer after "
        f"`vestige user password {DEMO_OFFICER}`, or make another account (not the owner: a "
        f"member has one role) an officer: `vestige case add-member {DEMO_SLUG} USERNAME "
        "--role protection_officer`."
    )
    parts.append(summary_line(sanctions))
    parts.append(
        f"Heritage: {HeritageSite.objects.filter(case=case).count()} monitored sites with names "
        "in four languages, observed through drawings (not real imagery); this run added "
        f"{heritage['sites']} sites and {heritage['alerts']} alert(s) on a worsened condition."
    )
    parts.append(
        "Two incidents are linked, as allegations, to points of the trilateral statement of "
        "10 November 2020 (Agreements tab)"
        + (f"; this run made {agreements['allegations']} link(s)."
           if agreements["allegations"] else ".")
    )
    if problems:
        parts.append(f"These files could not be imported: {'; '.join(problems)}.")
    return "\n".join(parts)  # one line per part: the CLI prints it as it is
