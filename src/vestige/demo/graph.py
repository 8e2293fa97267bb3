"""The demonstration case's graph: a few public, well-documented events as incidents.

Each incident names its public sources in its description; actors are states and their armed
forces (no private individuals); places come from the gazetteer seeded for Azerbaijan and
Armenia. Allegations are recorded against every party. The demo's items are linked through
claims anchored to the passage that says it (or, for pictures and video, to the whole item).
Safe to run again: records are found by their demo keys and nothing is written twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction

from ..cases.gazetteer import seed_gazetteer
from ..cases.graph import (
    Actor,
    ActorName,
    Claim,
    Incident,
    IncidentActor,
    IncidentCount,
    Place,
)
from ..cases.history import record_change, save_with_history, snapshot
from ..core.blobstore import LocalBlobStore
from ..evidence.models import Item

DEMO_KEY = "vestige_demo"
COUNTRIES = ["AZ", "AM"]


@dataclass(frozen=True)
class DemoActor:
    key: str
    name: str
    kind: str
    description: str
    names: tuple[tuple[str, str], ...] = ()  # (name, language)


ACTORS = [
    DemoActor(
        "az-state", "Republic of Azerbaijan", "state_body",
        "The state, as a party to proceedings and addressee of court orders.",
        (("Azərbaycan Respublikası", "az"), ("Азербайджанская Республика", "ru")),
    ),
    DemoActor(
        "am-state", "Republic of Armenia", "state_body",
        "The state, as a party to proceedings and addressee of court orders.",
        (("Հայաստանի Հանրապետություն", "hy"), ("Республика Армения", "ru")),
    ),
    DemoActor(
        "az-forces", "Armed Forces of Azerbaijan", "state_body",
        "The armed forces of the Republic of Azerbaijan.",
        (("Azərbaycan Silahlı Qüvvələri", "az"), ("Вооружённые силы Азербайджана", "ru")),
    ),
    DemoActor(
        "am-forces", "Armed Forces of Armenia", "state_body",
        "The armed forces of the Republic of Armenia.",
        (("Հայաստանի զինված ուժեր", "hy"), ("Вооружённые силы Армении", "ru")),
    ),
    DemoActor(
        "nk-forces", "Nagorno-Karabakh local Armenian forces", "armed_unit",
        "The de facto authorities' forces in Nagorno-Karabakh (the 'Defence Army'), "
        "disarmed under the ceasefire of 20 September 2023.",
        (("Artsakh Defence Army", "en"), ("Արցախի պաշտպանության բանակ", "hy")),
    ),
]


@dataclass(frozen=True)
class DemoIncident:
    key: str
    title: str
    date: str
    description: str
    places: tuple[str, ...]  # gazetteer names
    event_type: str = ""
    sub_event_type: str = ""
    acts: tuple[str, ...] = ()
    status: str = "confirmed"
    conflict_type: str = "unknown"
    actors: tuple[tuple[str, str], ...] = ()  # (actor key, role)
    counts: tuple[tuple[str, int | None, int | None, int | None, bool], ...] = ()
    # (phrase found in an item's text, or "" for the whole item, item source name)
    evidence: tuple[tuple[str, str], ...] = field(default_factory=tuple)


INCIDENTS = [
    DemoIncident(
        "lachin-blockade",
        "Blockade of the Lachin corridor",
        "2022-12-12/2023-09-19",
        "From 12 December 2022 the Lachin corridor, the only road between Nagorno-Karabakh and "
        "Armenia, was blocked: first by people presenting themselves as environmental "
        "protesters, then from 23 April 2023 by an Azerbaijani checkpoint at the Hakari bridge. "
        "Shortages of food, medicine and fuel were reported.\n"
        "Sources: International Court of Justice, Armenia v. Azerbaijan (CERD), Order on "
        "provisional measures of 22 February 2023; Amnesty International, 'Azerbaijan: Blockade "
        "of Lachin corridor putting thousands of lives in peril must be immediately lifted', "
        "9 February 2023.",
        ("Lachin",),
        event_type="strategic_developments", sub_event_type="other",
        acts=("blockading", "blockade_of_essential_food", "denial_of_humanitarian_access"),
        actors=(("az-state", "alleged_perpetrator"),),
        evidence=(
            ("the Lachin corridor", "demo-situation-report.pdf"),
            ("", "demo-photo-lachin-checkpoint.jpg"),
            ("blockade of the Lachin road", "demo-witness-statement-invented.txt"),
        ),
    ),
    DemoIncident(
        "offensive-2023",
        "Military offensive in Nagorno-Karabakh",
        "2023-09-19/2023-09-20",
        "On 19 September 2023 Azerbaijan launched a military operation it described as 'local "
        "anti-terrorist measures'; a ceasefire announced on 20 September 2023 provided for the "
        "disarmament of the local Armenian forces.\n"
        "Sources: United Nations Security Council, meeting of 21 September 2023; UNHCR "
        "statements of late September 2023.",
        ("Stepanakert",),
        event_type="battles", sub_event_type="armed_clash", conflict_type="unknown",
        actors=(("az-forces", "participant"), ("nk-forces", "participant")),
        evidence=(
            ("On 19 September 2023 Azerbaijan launched a military operation",
             "demo-situation-report.pdf"),
            ("", "demo-photo-stepanakert-damaged-building.jpg"),
        ),
    ),
    DemoIncident(
        "exodus-2023",
        "Exodus of the Armenian population of Nagorno-Karabakh",
        "2023-09-24/2023-10",
        "From 24 September 2023 almost the entire Armenian population of the region left for "
        "Armenia through the Lachin corridor: about 100,000 people (UNHCR counted more than "
        "100,000 refugees arriving in Armenia by early October 2023).\n"
        "Sources: UNHCR, Armenia refugee response updates, late September to early October "
        "2023.",
        ("Stepanakert", "Lachin"),
        acts=("displacement",),
        counts=(("displaced", None, 100_000, None, True),),
        evidence=(
            ("100,000 people", "demo-situation-report.pdf"),
            ("", "demo-video-lachin-road"),
        ),
    ),
    DemoIncident(
        "ganja-strikes-2020",
        "Missile strikes on Ganja",
        "2020-10",
        "During the war of 27 September – 10 November 2020 Ganja, far from the front line, was "
        "hit by missiles several times in October 2020; the strikes of 11 and 17 October "
        "destroyed homes and killed civilians. Reported by human-rights organisations as "
        "unlawful attacks on civilians in Azerbaijan, attributed to Armenian forces.\n"
        "Sources: Human Rights Watch, 'Armenia: Unlawful Rocket, Missile Strikes on "
        "Azerbaijan', 11 December 2020; Amnesty International, 'In the line of fire', "
        "January 2021.",
        ("Ganja",),
        event_type="explosions_remote_violence",
        sub_event_type="shelling_artillery_missile_attack",
        acts=("killing_in_indiscriminate_attack", "destruction_of_property"),
        conflict_type="international",
        actors=(("am-forces", "alleged_perpetrator"),),
        evidence=(("Ganja, the second city", "demo-situation-report.pdf"),),
    ),
    DemoIncident(
        "stepanakert-strikes-2020",
        "Strikes with cluster munitions on Stepanakert/Khankendi",
        "2020-10",
        "During the war of autumn 2020 residential areas of Stepanakert/Khankendi were struck, "
        "including with cluster munitions; human-rights organisations attributed these strikes "
        "to Azerbaijani forces.\n"
        "Sources: Human Rights Watch, 'Azerbaijan: Cluster Munitions Used in "
        "Nagorno-Karabakh', 23 October 2020; Amnesty International, 'In the line of fire', "
        "January 2021.",
        ("Stepanakert",),
        event_type="explosions_remote_violence",
        sub_event_type="shelling_artillery_missile_attack",
        acts=("killing_in_indiscriminate_attack", "destruction_of_property"),
        conflict_type="international",
        actors=(("az-forces", "alleged_perpetrator"),),
        evidence=(("including with cluster munitions", "demo-situation-report.pdf"),),
    ),
    DemoIncident(
        "icj-cerd-2021",
        "Applications to the International Court of Justice under CERD",
        "2021-09-16/2021-09-23",
        "Armenia filed Armenia v. Azerbaijan on 16 September 2021 and Azerbaijan filed "
        "Azerbaijan v. Armenia on 23 September 2021, each under the International Convention on "
        "the Elimination of All Forms of Racial Discrimination. On 7 December 2021 the Court "
        "indicated provisional measures in both cases. Allegations in these proceedings are "
        "claims of a party, not findings of the Court.\n"
        "Sources: International Court of Justice, the two applications and the orders of "
        "7 December 2021.",
        (),
        event_type="strategic_developments", sub_event_type="other",
        actors=(("am-state", "participant"), ("az-state", "participant")),
        evidence=(("Armenia v. Azerbaijan, application filed", "demo-situation-report.pdf"),),
    ),
]


def _gazetteer_place(name: str) -> Place | None:
    from ..cases.gazetteer import find_places

    found = [p for p in find_places(name) if p.country_code in COUNTRIES]
    return found[0] if found else None


def _actor(case: Any, spec: DemoActor, user: Any, label: str) -> tuple[Actor, bool]:
    actor = Actor.objects.filter(case=case, name=spec.name).first()
    if actor is not None:
        return actor, False
    actor = Actor(case=case, name=spec.name, kind=spec.kind, description=spec.description,
                  nationalities=[])
    save_with_history(actor, user, label=label)
    ActorName.objects.create(actor=actor, name=spec.name, language="en", kind="primary")
    for name, language in spec.names:
        ActorName.objects.create(actor=actor, name=name, language=language, kind="alias")
    return actor, True


def _item_text(item: Item) -> str:
    derivative = item.derivatives.filter(kind="text").first()
    if derivative is None:
        return ""
    path = LocalBlobStore(settings.BLOB_ROOT).path_for(derivative.sha256)
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _passage(text: str, phrase: str) -> tuple[int, int] | None:
    """The sentence of ``text`` holding ``phrase`` (words may be split across lines)."""
    pattern = r"\s+".join(re.escape(word) for word in phrase.split())
    match = re.search(pattern, text)
    if match is None:
        return None
    start = max(text.rfind(". ", 0, match.start()) + 2, text.rfind("\n\n", 0, match.start()) + 2,
                0)
    start = start if start <= match.start() else match.start()
    end = text.find(".", match.end())
    end = len(text) if end < 0 else end + 1
    return start, end


def _claim(case: Any, incident: Incident, item: Item, phrase: str, user: Any,
           label: str) -> bool:
    """Link ``item`` to ``incident`` through a claim; False when it was there already."""
    if phrase:
        text = _item_text(item)
        span = _passage(text, phrase)
        if span is None:
            return False
        passage = " ".join(text[span[0]:span[1]].split())
        anchor = {"start": span[0], "end": span[1]}
    else:
        passage = item.description or item.title
        anchor = {}
    existing = Claim.objects.filter(case=case, item=item, incidents=incident).first()
    if existing is not None:
        return False
    claim = Claim(
        case=case, item=item, text=passage, anchor=anchor, date=incident.date,
        asserted_by="DEMONSTRATION MATERIAL (written by Vestige)", status="alleged",
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    save_with_history(claim, user, label=label)
    before = snapshot(claim)
    claim.incidents.add(incident)
    claim.places.set(incident.places.all())
    record_change(claim, user, before, label=label)
    return True


def load_demo_graph(case: Any, actor: str, user: Any = None) -> dict[str, int]:
    """Seed the gazetteer (AZ, AM) and add the demo incidents, actors and claims once.

    Returns how many places were seeded and how many incidents, actors and claims were made
    by this run (zero on a second run).
    """
    made = {"places": seed_gazetteer(COUNTRIES), "incidents": 0, "actors": 0, "claims": 0}
    with transaction.atomic():
        actors: dict[str, Actor] = {}
        for actor_spec in ACTORS:
            actors[actor_spec.key], created = _actor(case, actor_spec, user, actor)
            made["actors"] += created
        items = list(Item.objects.filter(case=case))
        for spec in INCIDENTS:
            incident = Incident.objects.filter(
                case=case, **{f"external_ids__{DEMO_KEY}": spec.key}
            ).first()
            if incident is None:
                incident = Incident(
                    case=case, title=spec.title, date=spec.date, description=spec.description,
                    event_type=spec.event_type, sub_event_type=spec.sub_event_type,
                    acts=list(spec.acts), status=spec.status, conflict_type=spec.conflict_type,
                    external_ids={DEMO_KEY: spec.key},
                )
                save_with_history(incident, user, label=actor)
                before = snapshot(incident)
                places = [p for p in (_gazetteer_place(n) for n in spec.places) if p]
                incident.places.set(places)
                for category, low, best, high, approximate in spec.counts:
                    IncidentCount.objects.create(
                        incident=incident, category=category, low=low, best=best, high=high,
                        approximate=approximate,
                    )
                for key, role in spec.actors:
                    IncidentActor.objects.create(incident=incident, actor=actors[key], role=role)
                record_change(incident, user, before, label=actor)
                made["incidents"] += 1
            for phrase, source_name in spec.evidence:
                for item in items:
                    if item.source_name.startswith(source_name):
                        made["claims"] += _claim(case, incident, item, phrase, user, actor)
    return made
