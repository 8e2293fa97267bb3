"""Changing a case's legal analysis. Every change is kept with its state before and after
(:mod:`vestige.cases.history`), and every id is checked against the legal texts first."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction

from ..cases.graph import Actor, Claim, Incident
from ..cases.history import delete_with_history, record_change, save_with_history, snapshot
from ..core.errors import UserError
from . import catalogue
from .models import (
    Characterisation,
    ConflictClassification,
    ElementAssessment,
    ElementStatus,
    LiabilityLink,
)


def _claims_of_case(case_id: int, claim_ids: Iterable[Any]) -> list[Claim]:
    """The claims named, all of which must belong to the case (no silent dropping)."""
    wanted = {int(c) for c in claim_ids}
    found = list(Claim.objects.filter(case_id=case_id, pk__in=wanted))
    missing = wanted - {c.pk for c in found}
    if missing:
        raise UserError(f"no claim {sorted(missing)[0]} in this case")
    return found


def characterise(
    incident: Incident,
    crime_id: str,
    conflict_type: str,
    user: Any,
    *,
    note: str = "",
    label: str | None = None,
) -> Characterisation:
    """Characterise ``incident`` as ``crime_id`` under ``conflict_type``.

    The crime must be one the classification offers (a war crime of international armed
    conflict cannot be chosen for a non-international one). Every element starts unsupported.
    """
    if conflict_type not in ConflictClassification.values:
        choices = ", ".join(ConflictClassification.values)
        raise UserError(f"conflict type must be one of {choices}, not {conflict_type!r}")
    crime = catalogue.provision(crime_id)
    if crime.kind != "crimes":
        raise UserError(f"{crime_id!r} is not a crime but a {crime.kind} provision")
    if not catalogue.is_offered(crime, conflict_type):
        raise UserError(
            f"{crime.number} belongs to {crime.conflict.replace('_', '-')} armed conflict; it "
            f"cannot be charged under the classification {conflict_type.replace('_', '-')!r}"
            + (f" (its counterpart is {crime.counterpart})" if crime.counterpart else "")
        )
    with transaction.atomic():
        if Characterisation.objects.filter(
            incident=incident, crime_id=crime_id, conflict_type=conflict_type
        ).exists():
            raise UserError(f"this incident is already characterised as {crime.number}")
        record = Characterisation(
            case_id=incident.case_id,
            incident=incident,
            crime_id=crime_id,
            conflict_type=conflict_type,
            note=note,
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        try:
            save_with_history(record, user, label=label)
        except IntegrityError as exc:  # pragma: no cover - a concurrent request won the race
            raise UserError(f"this incident is already characterised as {crime.number}") from exc
        for element in crime.elements:
            save_with_history(
                ElementAssessment(
                    case_id=incident.case_id, characterisation=record, element_id=element.id
                ),
                user,
                label=label,
            )
    return record


def link_liability(
    actor: Actor,
    incident: Incident,
    mode_id: str,
    user: Any,
    *,
    note: str = "",
    claim_ids: Iterable[Any] = (),
    label: str | None = None,
) -> LiabilityLink:
    """Link ``actor`` to ``incident`` through the mode of liability ``mode_id``."""
    if actor.case_id != incident.case_id:
        raise UserError("the actor and the incident belong to different cases")
    mode = catalogue.provision(mode_id)
    if mode.kind != "liability":
        raise UserError(f"{mode_id!r} is not a mode of liability")
    claims = _claims_of_case(actor.case_id, claim_ids)
    with transaction.atomic():
        if LiabilityLink.objects.filter(actor=actor, incident=incident, mode_id=mode_id).exists():
            raise UserError(f"{actor.name} is already linked to this incident under {mode.number}")
        link = LiabilityLink(
            case_id=actor.case_id,
            actor=actor,
            incident=incident,
            mode_id=mode_id,
            note=note,
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        save_with_history(link, user, label=label)
        if claims:
            before = snapshot(link)
            link.claims.set(claims)
            record_change(link, user, before, label=label)
        for element in mode.elements:
            save_with_history(
                ElementAssessment(case_id=actor.case_id, liability=link, element_id=element.id),
                user,
                label=label,
            )
    return link


def set_link_claims(
    link: LiabilityLink,
    claim_ids: Iterable[Any],
    user: Any,
    *,
    note: str | None = None,
    label: str | None = None,
) -> LiabilityLink:
    """Replace the linkage evidence (and the note) of a liability link."""
    claims = _claims_of_case(link.case_id, claim_ids)
    with transaction.atomic():
        before = snapshot(link)
        if note is not None:
            link.note = note
            link.save(update_fields=["note", "updated_at"])
        link.claims.set(claims)
        record_change(link, user, before, label=label)
    return link


def assess(
    assessment: ElementAssessment,
    status: str,
    user: Any,
    *,
    note: str | None = None,
    claim_ids: Iterable[Any] | None = None,
    label: str | None = None,
) -> ElementAssessment:
    """Set an element's status, note and claims; the change is kept before and after."""
    if status not in ElementStatus.values:
        raise UserError(f"status must be one of {', '.join(ElementStatus.values)}, not {status!r}")
    claims = _claims_of_case(assessment.case_id, claim_ids) if claim_ids is not None else None
    if status == ElementStatus.SUPPORTED and claims is not None and not claims:
        raise UserError("an element can only be 'supported' by at least one claim")
    with transaction.atomic():
        before = snapshot(assessment)
        assessment.status = status
        if note is not None:
            assessment.note = note
        assessment.save()
        if claims is not None:
            assessment.claims.set(claims)
        record_change(assessment, user, before, label=label)
    return assessment


def assessment_for(parent: Characterisation | LiabilityLink, element_id: str) -> ElementAssessment:
    """The assessment of ``element_id`` under ``parent`` (made if the data gained an element)."""
    provision_id = parent.crime_id if isinstance(parent, Characterisation) else parent.mode_id
    element = catalogue.element(element_id)
    if element.provision_id != provision_id:
        raise UserError(f"{element_id!r} is not an element of {provision_id!r}")
    lookup = (
        {"characterisation": parent}
        if isinstance(parent, Characterisation)
        else {"liability": parent}
    )
    found, _ = ElementAssessment.objects.get_or_create(
        case_id=parent.case_id, element_id=element_id, **lookup
    )
    return found


def remove(
    record: Characterisation | LiabilityLink, user: Any, *, label: str | None = None
) -> None:
    """Delete a characterisation or a liability link with its assessments, keeping history."""
    with transaction.atomic():
        for assessment in record.assessments.all():
            delete_with_history(assessment, user, label=label)
        delete_with_history(record, user, label=label)
