"""The demonstration case's legal analysis: one incident characterised as a crime, with a proof
chart that has real gaps.

The Lachin corridor blockade is characterised as the war crime of starvation as a method of
warfare (Rome Statute art. 8(2)(b)(xxv)) under the hypothesis of an international armed
conflict between Armenia and Azerbaijan. The deprivation element is supported by the demo's
items (shortages reported in the situation report, bread rationing in the invented witness
statement, the drawn checkpoint); the armed-conflict context is only partly supported; intent
and awareness have no evidence at all — the gaps an investigator would have to fill. This is a
DEMONSTRATION of the tool, not a legal finding. Safe to run again: nothing is written twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from ..cases.graph import Claim, Incident
from ..cases.history import record_change, save_with_history, snapshot
from ..evidence.models import Item
from ..law.models import Characterisation, ElementAssessment
from ..law.services import assess, characterise
from .graph import DEMO_KEY, _item_text, _passage

INCIDENT_KEY = "lachin-blockade"
CRIME = "rome.art8.2.b.xxv"
CONFLICT = "international"
NOTE = (
    "DEMONSTRATION of a characterisation, not a legal finding: the blockade put to the test of "
    "art. 8(2)(b)(xxv) under the hypothesis that the conflict between Armenia and Azerbaijan is "
    "international."
)


@dataclass(frozen=True)
class Evidence:
    phrase: str  # "" = the whole item (pictures)
    source_name: str


@dataclass(frozen=True)
class Assessment:
    element: str
    status: str
    note: str
    evidence: tuple[Evidence, ...] = ()


ASSESSMENTS = (
    Assessment(
        "rome.art8.2.b.xxv.e1",
        "supported",
        "Shortages of food, medicine and fuel reported through 2023; bread sold by ration; the "
        "road closed by a checkpoint.",
        (
            Evidence(
                "Shortages of food, medicine and fuel were reported", "demo-situation-report.pdf"
            ),
            Evidence("was sold by ration", "demo-witness-statement-invented.txt"),
            Evidence("", "demo-photo-lachin-checkpoint.jpg"),
        ),
    ),
    Assessment(
        "rome.art8.2.b.xxv.e2",
        "unsupported",
        "GAP: nothing in the case shows an intent to starve civilians as a method of warfare. "
        "Look for orders, statements of officials, the pattern of what was let through.",
    ),
    Assessment(
        "rome.art8.2.b.xxv.e3",
        "partly_supported",
        "A state checkpoint closed the road; whether the 2022-2023 blockade is associated with "
        "an international armed conflict is contested.",
        (Evidence("by an Azerbaijani checkpoint at the Hakari", "demo-situation-report.pdf"),),
    ),
    Assessment(
        "rome.art8.2.b.xxv.e4",
        "unsupported",
        "GAP: no evidence yet of the perpetrators' awareness of the armed conflict.",
    ),
)


def _anchored_claim(
    case: Any, incident: Incident, item: Item, phrase: str, user: Any, label: str
) -> Claim | None:
    """The claim of ``item`` quoting ``phrase`` (made once), linked to ``incident``."""
    if phrase:
        text = _item_text(item)
        span = _passage(text, phrase)
        if span is None:
            return None
        passage = " ".join(text[span[0] : span[1]].split())
        anchor: dict[str, int] = {"start": span[0], "end": span[1]}
    else:
        passage = item.description or item.title
        anchor = {}
    claim = Claim.objects.filter(case=case, item=item, anchor=anchor).first()
    if claim is None:
        claim = Claim(
            case=case,
            item=item,
            text=passage,
            anchor=anchor,
            date=incident.date,
            asserted_by="DEMONSTRATION MATERIAL (written by Vestige)",
            status="alleged",
        )
        save_with_history(claim, user, label=label)
    if not claim.incidents.filter(pk=incident.pk).exists():
        before = snapshot(claim)
        claim.incidents.add(incident)
        record_change(claim, user, before, label=label)
    return claim


def load_demo_law(case: Any, label: str, user: Any = None) -> dict[str, int]:
    """Characterise the demo's blockade incident once; returns what this run made."""
    made = {"characterisations": 0, "assessed": 0}
    incident = Incident.objects.filter(
        case=case, **{f"external_ids__{DEMO_KEY}": INCIDENT_KEY}
    ).first()
    if incident is None:
        return made
    if Characterisation.objects.filter(incident=incident, crime_id=CRIME).exists():
        return made
    items = list(Item.objects.filter(case=case))
    with transaction.atomic():
        record = characterise(incident, CRIME, CONFLICT, user, note=NOTE, label=label)
        made["characterisations"] += 1
        for spec in ASSESSMENTS:
            claims = []
            for evidence in spec.evidence:
                for item in items:
                    if item.source_name.startswith(evidence.source_name) and item.parent_id is None:
                        claim = _anchored_claim(case, incident, item, evidence.phrase, user, label)
                        if claim is not None:
                            claims.append(claim.pk)
            status = spec.status if claims or spec.status != "supported" else "partly_supported"
            assessment = ElementAssessment.objects.get(
                characterisation=record, element_id=spec.element
            )
            assess(assessment, status, user, note=spec.note, claim_ids=claims, label=label)
            made["assessed"] += 1
    return made
