"""The incident page's agreements panel: the incident's alleged violations and the link form."""

from __future__ import annotations

from typing import Any

from django import template

from .. import catalogue
from ..models import ViolationAllegation

register = template.Library()


@register.inclusion_tag("vestige/agreements/_incident_panel_body.html", takes_context=True)
def incident_agreements(context: Any) -> dict[str, Any]:
    """Allegations naming this incident; the link form only for a member with EDIT."""
    from ...cases.roles import Permission
    from ...web.views.agreements import allegation_form

    access, incident, request = context["access"], context["incident"], context["request"]
    links = []
    for allegation in ViolationAllegation.objects.filter(incident=incident).order_by(
        "agreement_id", "provision_id"
    ):
        try:
            provision = catalogue.get_provision(allegation.provision_id)
        except Exception:
            provision = None
        links.append((allegation, provision))
    form = allegation_form(request, access, incident) if access.allows(Permission.EDIT) else None
    return {"case": access.case, "incident": incident, "links": links, "form": form,
            "csrf_token": context.get("csrf_token")}
