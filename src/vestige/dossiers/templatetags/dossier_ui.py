"""``{% actor_dossier_form %}``: the actor page's dossier form, for roles that may export."""

from __future__ import annotations

from typing import Any

from django import template

from ...protection.models import Recipient
from ..kinds import KINDS

register = template.Library()


@register.inclusion_tag("vestige/dossiers/_actor_dossier.html", takes_context=True)
def actor_dossier_form(context: Any) -> dict[str, Any]:
    can = context.get("can") or {}
    return {
        "show": bool(can.get("export")),
        "case": context.get("case"),
        "actor": context.get("actor"),
        "kinds": [(k.name, k.title, k.recipient) for k in KINDS.values()],
        "recipients": list(Recipient.choices),
        "csrf_token": context.get("csrf_token"),
    }
