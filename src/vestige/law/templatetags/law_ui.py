"""Template tags that put the law panels on the incident and actor pages without the graph
views having to know about the law app: ``{% load law_ui %}{% incident_law %}``."""

from __future__ import annotations

from typing import Any

from django import template

from ...cases.graph import Incident
from ...cases.roles import Permission
from .. import catalogue
from ..models import Characterisation, ConflictClassification, ElementStatus, LiabilityLink

register = template.Library()


def _summary(assessments: Any) -> dict[str, int]:
    counts = {status: 0 for status in ElementStatus.values}
    for assessment in assessments:
        counts[assessment.status] = counts.get(assessment.status, 0) + 1
    return counts


@register.inclusion_tag("vestige/law/_incident_law.html", takes_context=True)
def incident_law(context: Any) -> dict[str, Any]:
    """The incident's characterisations and, for editors, the form offering crimes by the
    conflict classification chosen (``?conflict=`` reloads the offer; no script needed)."""
    incident = context["incident"]
    access = context["access"]
    request = context["request"]
    wanted = str(request.GET.get("conflict", ""))
    conflict = (
        wanted
        if wanted in ConflictClassification.values
        else (
            incident.conflict_type
            if incident.conflict_type in ConflictClassification.values
            else ""
        )
    )
    records = []
    for record in Characterisation.objects.filter(incident=incident).prefetch_related(
        "assessments"
    ):
        records.append(
            {
                "record": record,
                "provision": catalogue.find_provision(record.crime_id),
                "counts": _summary(record.assessments.all()),
                "conflict_label": ConflictClassification(record.conflict_type).label,
            }
        )
    return {
        "case": access.case,
        "incident": incident,
        "records": records,
        "can_edit": access.allows(Permission.EDIT),
        "conflict": conflict,
        "conflicts": ConflictClassification.choices,
        "offered": catalogue.crimes_offered(conflict) if conflict else [],
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("vestige/law/_actor_law.html", takes_context=True)
def actor_law(context: Any) -> dict[str, Any]:
    """The actor's liability links and, for editors, the form to add one."""
    actor = context["actor"]
    access = context["access"]
    links = []
    for link in (
        LiabilityLink.objects.filter(actor=actor)
        .select_related("incident")
        .prefetch_related("assessments")
    ):
        links.append(
            {
                "link": link,
                "provision": catalogue.find_provision(link.mode_id),
                "counts": _summary(link.assessments.all()),
            }
        )
    can_edit = access.allows(Permission.EDIT)
    return {
        "case": access.case,
        "actor": actor,
        "links": links,
        "can_edit": can_edit,
        "modes": catalogue.provisions("liability") if can_edit else [],
        "incidents": Incident.objects.filter(case=access.case)
        .only("pk", "title", "date")
        .order_by("date_lower", "title")
        if can_edit
        else [],
        "csrf_token": context.get("csrf_token"),
    }


@register.filter
def element_status_label(value: str) -> str:
    """The label of an element status code."""
    return ElementStatus(value).label if value in ElementStatus.values else value
