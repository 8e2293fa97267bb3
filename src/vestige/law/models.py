"""A case's legal analysis: incidents characterised as crimes, the status of each element with
the claims that bear on it, and actors linked to incidents through a mode of liability.

Crimes, modes and elements are data (:mod:`vestige.law.catalogue`), referenced here by their
stable string ids. Every change goes through :mod:`vestige.cases.history`, so the case's History
page shows who changed which status, and when.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class ConflictClassification(models.TextChoices):
    """The armed-conflict classification a characterisation is made under."""

    INTERNATIONAL = "international", "International armed conflict"
    NON_INTERNATIONAL = "non_international", "Non-international armed conflict"
    NONE = "none", "No armed conflict (genocide, crimes against humanity only)"


class ElementStatus(models.TextChoices):
    UNSUPPORTED = "unsupported", "Unsupported"
    PARTLY_SUPPORTED = "partly_supported", "Partly supported"
    SUPPORTED = "supported", "Supported"
    CONTRADICTED = "contradicted", "Contradicted"


GAP_STATUSES = (ElementStatus.UNSUPPORTED.value, ElementStatus.CONTRADICTED.value)


class Characterisation(models.Model):
    """An incident characterised as one crime, under one armed-conflict classification.

    The classification is recorded here, not only on the incident: the same facts may be put
    to a court under both classifications, each with its own crimes and element statuses.
    """

    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, related_name="characterisations"
    )
    incident = models.ForeignKey(
        "cases.Incident", on_delete=models.CASCADE, related_name="characterisations"
    )
    crime_id = models.CharField(max_length=80, help_text="e.g. rome.art8.2.b.xxv")
    conflict_type = models.CharField(max_length=20, choices=ConflictClassification.choices)
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["incident_id", "crime_id", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "crime_id", "conflict_type"], name="law_one_characterisation"
            )
        ]

    def __str__(self) -> str:
        return f"{self.incident_id} as {self.crime_id}"


class LiabilityLink(models.Model):
    """An actor linked to an incident through a mode of liability (art. 25(3) or 28)."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="liability_links")
    actor = models.ForeignKey(
        "cases.Actor", on_delete=models.CASCADE, related_name="liability_links"
    )
    incident = models.ForeignKey(
        "cases.Incident", on_delete=models.CASCADE, related_name="liability_links"
    )
    mode_id = models.CharField(max_length=80, help_text="e.g. rome.art25.3.b")
    note = models.TextField(blank=True)
    claims: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        "cases.Claim",
        blank=True,
        related_name="liability_links",
        help_text="linkage evidence: claims tying the actor to the incident",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["actor_id", "incident_id", "mode_id", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["actor", "incident", "mode_id"], name="law_one_liability_link"
            )
        ]

    def __str__(self) -> str:
        return f"{self.actor_id} → {self.incident_id} ({self.mode_id})"


class ElementAssessment(models.Model):
    """How far the evidence goes on one element: a status, a note and the claims relied on.

    It belongs either to a characterisation (an element of a crime) or to a liability link (an
    element of a mode of liability), never both.
    """

    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, related_name="element_assessments"
    )
    characterisation = models.ForeignKey(
        Characterisation,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="assessments",
    )
    liability = models.ForeignKey(
        LiabilityLink,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="assessments",
    )
    element_id = models.CharField(max_length=100)
    status = models.CharField(
        max_length=20, choices=ElementStatus.choices, default=ElementStatus.UNSUPPORTED
    )
    note = models.TextField(blank=True)
    claims: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        "cases.Claim", blank=True, related_name="element_assessments"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(characterisation__isnull=False, liability__isnull=True)
                    | models.Q(characterisation__isnull=True, liability__isnull=False)
                ),
                name="law_assessment_one_parent",
            ),
            models.UniqueConstraint(
                fields=["characterisation", "element_id"],
                name="law_one_assessment_per_crime",
                condition=models.Q(characterisation__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["liability", "element_id"],
                name="law_one_assessment_per_link",
                condition=models.Q(liability__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.element_id}: {self.status}"
