"""Incidents linked to agreement provisions as alleged violations.

The agreement and the provision are stored by their data ids (see :mod:`.catalogue`), never
copied: a provision's wording lives in the data files only. A link is an allegation, not a
finding; its sources are the case's claims that support it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class ViolationAllegation(models.Model):
    """An incident alleged to violate one provision of a ceasefire agreement."""

    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, related_name="violation_allegations"
    )
    incident = models.ForeignKey(
        "cases.Incident", on_delete=models.PROTECT, related_name="violation_allegations"
    )
    agreement_id = models.CharField(max_length=100, help_text="id of the agreement's data file")
    provision_id = models.CharField(max_length=150, help_text="id of the provision in that file")
    note = models.TextField(blank=True, help_text="why the incident is alleged to violate it")
    claims: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        "cases.Claim", blank=True, related_name="violation_allegations",
        help_text="the claims the allegation rests on (its sources)",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["agreement_id", "provision_id", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "provision_id"], name="agreements_one_link_per_provision"
            )
        ]
        indexes = [models.Index(fields=["case", "agreement_id"])]

    def __str__(self) -> str:
        return f"{self.incident_id} alleged to violate {self.provision_id}"
