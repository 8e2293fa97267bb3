"""The demonstration case's sanctions screening: an INVENTED list and an INVENTED person.

``data/demo-sanctions-invented.ftm.json`` is a short list in the FollowTheMoney JSON-lines
format OpenSanctions publishes. Every entity in it is invented and says so in its notes. It is
imported under its own source, ``vestige-demo``, so that it never takes the place of a real
OpenSanctions version (versions are chosen per source) and is easy to tell apart in results.

The demo case gains one actor, an invented person whose names the list writes in other
spellings (German romanisation, the OFAC style with a patronymic, Cyrillic, Azerbaijani and
Armenian script). The actor is screened, and the case owner's judgements are kept: the listed
entity with the same birth date and father's name is a *match*, a namesake with another
father's name is *no match* (shown as dismissed). Loading again adds nothing: the file is
recognised by its SHA-256, the actor by its name, a judgement by its listed entity.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction

from ..cases.graph import Actor, ActorName, Incident, IncidentActor
from ..cases.history import save_with_history
from ..cases.models import Case, Membership
from ..cases.roles import Role
from ..core.errors import UserError
from ..core.screening import DEFAULT_THRESHOLD
from ..evidence.custody import actor_label
from ..sanctions.importing import import_file
from ..sanctions.models import ListedEntity, SanctionsList, ScreeningJudgement
from ..sanctions.screening import ScreeningResult, record_judgement, screen_actor
from .graph import DEMO_KEY

LIST_FILE = Path(__file__).with_name("data") / "demo-sanctions-invented.ftm.json"
LIST_FORMAT = "ftm"
LIST_SOURCE = "vestige-demo"
# Change the file only together with the ``last_change`` dates in it: a different file with
# the same publication date would be refused as a second version of that date.

PERSON_NAME = "Elkhan Mirzabeyli"
PERSON_DESCRIPTION = (
    "INVENTED for the Vestige demonstration: this person does not exist. Shown as an alleged "
    "commander at the Hakari bridge checkpoint so that sanctions screening and a sanctions "
    "dossier can be tried on a person; no real person is meant, and nothing here is an "
    "allegation against anyone. The demonstration list (source 'vestige-demo', equally "
    "invented) holds him under other spellings."
)
PERSON_NAMES = (
    ("Elxan Mirzəbəyli", "az"),
    ("Эльхан Рафикович Мирзабейли", "ru"),
    ("Էլխան Միրզաբեյլի", "hy"),
)
PERSON_INCIDENT = ("lachin-blockade", "alleged_perpetrator")


@dataclass(frozen=True)
class DemoJudgement:
    entity_id: str
    decision: str
    note: str


JUDGEMENTS = (
    # The namesake first, so that the match is the newest judgement and is listed first.
    DemoJudgement(
        "vestige-demo-person-2",
        "no_match",
        "A namesake (demonstration judgement on invented data): the list gives another "
        "father's name (Tofiq), so this is not the person in the case.",
    ),
    DemoJudgement(
        "vestige-demo-person-1",
        "match",
        "Same person (demonstration judgement on invented data): the list's names in five "
        "spellings, the date of birth (1971), the father's name (Rafik) and the nationality "
        "agree with what the case holds.",
    ),
)


def _list() -> tuple[SanctionsList | None, bool, str]:
    """Import the demo list (a no-op when it is there); the version, whether new, a problem."""
    try:
        result = import_file(
            LIST_FORMAT, LIST_FILE, source=LIST_SOURCE, imported_by_label="vestige demo"
        )
    except UserError as exc:  # e.g. an edited file with the date of the imported one
        found = SanctionsList.objects.filter(source=LIST_SOURCE).order_by("-published").first()
        return found, False, str(exc)
    return result.list, result.created, ""


def _person(case: Case, label: str) -> tuple[Actor, bool]:
    """The invented person in the case, made once and linked to the blockade incident."""
    actor = Actor.objects.filter(case=case, name=PERSON_NAME).first()
    if actor is not None:
        return actor, False
    actor = Actor(
        case=case,
        name=PERSON_NAME,
        kind="person",
        description=PERSON_DESCRIPTION,
        birth_date="1971",
        gender="male",
        nationalities=["AZ"],
    )
    save_with_history(actor, None, label=label)
    ActorName.objects.create(actor=actor, name=PERSON_NAME, language="en", kind="primary")
    for name, language in PERSON_NAMES:
        ActorName.objects.create(actor=actor, name=name, language=language, kind="alias")
    key, role = PERSON_INCIDENT
    incident = Incident.objects.filter(case=case, **{f"external_ids__{DEMO_KEY}": key}).first()
    if incident is not None:
        IncidentActor.objects.create(incident=incident, actor=actor, role=role)
    return actor, True


def _reviewer(case: Case) -> Any:
    """The case owner, who may judge screening results (VERIFY); None if the case has none."""
    membership = (
        Membership.objects.filter(case=case, role=Role.OWNER)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return membership.user if membership is not None else None


def _judge(
    actor: Actor, listed: SanctionsList, results: list[ScreeningResult], reviewer: Any, label: str
) -> int:
    """Record the demo judgements the actor does not have yet; how many were recorded."""
    scores = {r.entity_id: r for r in results if r.list_source == listed.source}
    made = 0
    for spec in JUDGEMENTS:
        if ScreeningJudgement.objects.filter(
            actor=actor, source=listed.source, entity_ref=spec.entity_id
        ).exists():
            continue
        entity = ListedEntity.objects.filter(list=listed, entity_id=spec.entity_id).first()
        if entity is None:
            continue
        result = scores.get(spec.entity_id)
        record_judgement(
            entity,
            spec.decision,
            query_name=result.query_name if result else actor.name,
            decided_by_label=actor_label(reviewer) if reviewer is not None else label,
            user=reviewer,
            actor=actor,
            note=spec.note,
            score=result.score if result else None,
        )
        made += 1
    return made


def load_demo_sanctions(case: Case, label: str) -> dict[str, Any]:
    """Import the invented list, add and screen the invented person, keep the judgements.

    Returns what the summary needs: the list, whether this run imported it or made the actor
    or judgements, the results above the threshold and any problem with the list.
    """
    listed, imported, problem = _list()
    with transaction.atomic():
        actor, made_actor = _person(case, label)
        results: list[ScreeningResult] = []
        judged = 0
        if listed is not None:
            results = screen_actor(actor)
            judged = _judge(actor, listed, results, _reviewer(case), label)
            if judged:
                results = screen_actor(actor)  # now with the judgements applied
    return {
        "list": listed,
        "imported": imported,
        "problem": problem,
        "actor": actor,
        "made_actor": made_actor,
        "results": results,
        "judged": judged,
        "judgements": ScreeningJudgement.objects.filter(actor=actor).count(),
    }


def summary_line(found: dict[str, Any]) -> str:
    """One sentence for ``vestige demo``: the list, the screened person, the judgements."""
    listed: SanctionsList | None = found["list"]
    actor: Actor = found["actor"]
    if listed is None:
        return f"The demonstration sanctions list could not be imported: {found['problem']}."
    results: list[ScreeningResult] = found["results"]
    ours = [r for r in results if r.list_source == listed.source]
    best = max(ours, key=lambda r: r.score) if ours else None
    when = "this run imported" if found["imported"] else "the database already held"
    text = (
        f"Sanctions: {when} the INVENTED demonstration list {listed.source!r} published "
        f"{listed.published.isoformat()} ({listed.entity_count} invented entities, FtM format); "
        f"screening the INVENTED person {actor.name!r} finds {len(results)} "
        f"result{'s' if len(results) != 1 else ''} at or above {DEFAULT_THRESHOLD}"
    )
    if best is not None:
        text += f" (best {best.score:.3f}: {best.name})"
    kept = found["judgements"]
    made = f" ({found['judged']} made by this run)" if found["judged"] else ""
    text += (
        f", with {kept} reviewer judgement{'s' if kept != 1 else ''} kept{made}; see the "
        'actor\'s Sanctions screening panel or `vestige screen "Мирзабейли Эльхан"`.'
    )
    if found["problem"]:
        text += f" The list file was not imported again: {found['problem']}."
    return text
