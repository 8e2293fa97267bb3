"""Heritage sites, their names, observations of their condition and alerts.

A site's condition is never edited directly: it is the condition of its latest *confirmed*
observation, and an observation is confirmed only by a second reviewer (see
:mod:`vestige.heritage.services`), as heritage monitors practise.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from ..cases.graph import EdtfMixin, Place
from ..cases.models import Case
from ..core.names import fold_text, script_of
from ..evidence.models import Item


class SiteType(models.TextChoices):
    CHURCH = "church", "Church"
    MOSQUE = "mosque", "Mosque"
    MONASTERY = "monastery", "Monastery"
    CEMETERY = "cemetery", "Cemetery"
    KHACHKAR = "khachkar", "Khachkar"
    MONUMENT = "monument", "Monument"
    MUSEUM = "museum", "Museum"
    OTHER = "other", "Other"


class Condition(models.TextChoices):
    INTACT = "intact", "Intact"
    THREATENED = "threatened", "Threatened"
    DAMAGED = "damaged", "Damaged"
    DESTROYED = "destroyed", "Destroyed"
    UNKNOWN = "unknown", "Unknown"


# How bad each condition is; "unknown" has no rank, so it neither worsens nor improves.
SEVERITY: dict[str, int] = {
    Condition.INTACT: 0,
    Condition.THREATENED: 1,
    Condition.DAMAGED: 2,
    Condition.DESTROYED: 3,
}


def worsens(before: str, after: str) -> bool:
    """Whether going from ``before`` to ``after`` is a worsening (unknown is neutral)."""
    if before not in SEVERITY or after not in SEVERITY:
        return False
    return SEVERITY[after] > SEVERITY[before]


class ObservationStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    CONFIRMED = "confirmed", "Confirmed"
    REJECTED = "rejected", "Rejected"


class HeritageSite(models.Model):
    """A monument, building or place of cultural heritage watched by the case."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="heritage_sites")
    name = models.CharField(max_length=300, help_text="The name shown first; all names below")
    site_type = models.CharField(max_length=20, choices=SiteType.choices, default=SiteType.OTHER)
    period = models.CharField(max_length=200, blank=True, help_text="e.g. 1868–1887")
    description = models.TextField(blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    place = models.ForeignKey(
        Place, null=True, blank=True, on_delete=models.SET_NULL, related_name="heritage_sites"
    )
    items = models.ManyToManyField(
        Item, blank=True, related_name="heritage_sites",
        help_text="Photographs and baseline imagery of the site",
    )
    # The condition of the latest confirmed observation, kept here so that lists and the map
    # need no sub-query; services.refresh_condition is the only writer.
    condition = models.CharField(
        max_length=20, choices=Condition.choices, default=Condition.UNKNOWN, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["case", "name"]
        constraints = [
            models.UniqueConstraint(fields=["case", "name"], name="one_heritage_site_name"),
        ]

    def __str__(self) -> str:
        return self.name


class SiteName(models.Model):
    """One name of a site in one language (Armenian, Azerbaijani, Russian, English…)."""

    site = models.ForeignKey(HeritageSite, on_delete=models.CASCADE, related_name="names")
    name = models.CharField(max_length=300)
    language = models.CharField(max_length=35, blank=True)
    script = models.CharField(max_length=30, blank=True)
    folded = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["site", "language", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "name", "language"], name="one_site_name_each"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.script = self.script or script_of(self.name)
        self.folded = fold_text(self.name)
        super().save(*args, **kwargs)


class Observation(EdtfMixin, models.Model):
    """What someone saw of a site at a date (EDTF), with the evidence; a proposal until a
    second reviewer confirms or rejects it."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    site = models.ForeignKey(HeritageSite, on_delete=models.CASCADE, related_name="observations")
    condition = models.CharField(max_length=20, choices=Condition.choices)
    items = models.ManyToManyField(Item, blank=True, related_name="heritage_observations")
    note = models.TextField(blank=True)
    observer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    observer_label = models.CharField(max_length=200)
    status = models.CharField(
        max_length=20, choices=ObservationStatus.choices, default=ObservationStatus.PROPOSED
    )
    # Who confirmed or rejected it, and when; never the observer.
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_by_label = models.CharField(max_length=200, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["site", "date_lower", "date_upper", "id"]
        indexes = [models.Index(fields=["site", "status", "date_lower"])]

    def __str__(self) -> str:
        return f"{self.site} {self.date}: {self.condition} ({self.status})"


class HeritageAlert(models.Model):
    """A confirmed observation made a site's condition worse."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    site = models.ForeignKey(HeritageSite, on_delete=models.CASCADE, related_name="alerts")
    observation = models.OneToOneField(
        Observation, on_delete=models.CASCADE, related_name="alert"
    )
    from_condition = models.CharField(max_length=20, choices=Condition.choices)
    to_condition = models.CharField(max_length=20, choices=Condition.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.site}: {self.from_condition} → {self.to_condition}"
