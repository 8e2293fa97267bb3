"""The demonstration case's agreement links: two demo incidents linked, as ALLEGATIONS, to
provisions of the trilateral statement of 10 November 2020, each resting on the claims the demo
already attached to the incident. Demonstration of the tool, not a finding that any provision
was violated. Safe to run again: a link that exists is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..agreements.models import ViolationAllegation
from ..agreements.services import allege_violation
from ..cases.graph import Claim, Incident
from .graph import DEMO_KEY


@dataclass(frozen=True)
class DemoAllegation:
    incident_key: str
    provision_id: str
    note: str


ALLEGATIONS = (
    DemoAllegation(
        "lachin-blockade",
        "trilateral-2020-11-10.p6",
        "DEMONSTRATION: alleged to breach the guarantee of safe movement of citizens, vehicles "
        "and cargo along the Lachin corridor in both directions. Point 6 is shown as a "
        "paraphrase until checked against the official text.",
    ),
    DemoAllegation(
        "offensive-2023",
        "trilateral-2020-11-10.p1",
        "DEMONSTRATION: the military operation of 19 September 2023 is alleged to breach the "
        "ceasefire declared in point 1 and the undertaking to stop at the positions held.",
    ),
)


def load_demo_agreements(case: Any, label: str, user: Any = None) -> dict[str, int]:
    """Make the demo's allegation links that do not exist yet; returns how many were made."""
    made = 0
    for spec in ALLEGATIONS:
        incident = Incident.objects.filter(
            case=case, **{f"external_ids__{DEMO_KEY}": spec.incident_key}
        ).first()
        if incident is None:
            continue
        if ViolationAllegation.objects.filter(
            incident=incident, provision_id=spec.provision_id
        ).exists():
            continue
        claims = Claim.objects.filter(case=case, incidents=incident).order_by("pk")
        allege_violation(incident, spec.provision_id, user, note=spec.note, claims=claims,
                         label=label)
        made += 1
    return {"allegations": made}
