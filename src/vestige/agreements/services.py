"""Linking incidents to provisions, with every change kept in the case's history."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from ..cases.graph import Claim, Incident
from ..cases.history import record_change, save_with_history, snapshot
from ..core.errors import UserError
from . import catalogue
from .models import ViolationAllegation


def allege_violation(
    incident: Incident, provision_id: str, user: Any, *, note: str = "",
    claims: Iterable[Claim] = (), label: str | None = None,
) -> ViolationAllegation:
    """Link ``incident`` as an alleged violation of ``provision_id``, its ``claims`` as sources.

    Raises UserError when the provision does not exist, a claim belongs to another case or the
    incident is already linked to this provision (a second link would double the count).
    """
    try:
        provision = catalogue.get_provision(provision_id)
    except Exception as exc:
        raise UserError(f"no agreement provision {provision_id!r}") from exc
    claim_list = list(claims)
    for claim in claim_list:
        if claim.case_id != incident.case_id:
            raise UserError(f"claim {claim.pk} belongs to another case")
    if ViolationAllegation.objects.filter(incident=incident, provision_id=provision.id).exists():
        raise UserError(
            f"this incident is already linked to point {provision.number} of that agreement"
        )
    with transaction.atomic():
        allegation = ViolationAllegation(
            case_id=incident.case_id, incident=incident, agreement_id=provision.agreement_id,
            provision_id=provision.id, note=note.strip(),
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        save_with_history(allegation, user, label=label)
        if claim_list:
            before = snapshot(allegation)
            allegation.claims.set(claim_list)
            record_change(allegation, user, before, label=label)
    return allegation
