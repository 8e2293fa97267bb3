"""Verification records (a person's reasoned finding, reviewed by a second person) and
provenance findings (what Vestige computed from the file itself).

A :class:`VerificationRecord` counts only once a case member with VERIFY who is not its author
has approved it. Every change of status, and every edit, is kept as a
:class:`VerificationEvent`, which is never updated or deleted. Editing an approved record sends
it back to ``submitted``: the approval was given to the old content (kept in the event), not to
the new one.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from ..core.errors import ImmutableRecordError


class RecordKind(models.TextChoices):
    GEOLOCATION = "geolocation", "Geolocation"
    CHRONOLOCATION = "chronolocation", "Chronolocation"
    SOURCE = "source", "Source identification"
    AUTHENTICITY = "authenticity", "Authenticity check"


class RecordStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted for review"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"


class VerificationRecord(models.Model):
    """One reasoned verification of an item or a claim, by its author, awaiting or past review."""

    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, related_name="verification_records"
    )
    kind = models.CharField(max_length=20, choices=RecordKind.choices)
    item = models.ForeignKey(
        "evidence.Item", null=True, blank=True, on_delete=models.PROTECT,
        related_name="verification_records",
    )
    claim = models.ForeignKey(
        "cases.Claim", null=True, blank=True, on_delete=models.PROTECT,
        related_name="verification_records",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    author_label = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    status = models.CharField(
        max_length=20, choices=RecordStatus.choices, default=RecordStatus.DRAFT
    )
    version = models.PositiveIntegerField(default=1, help_text="raised by one at every edit")
    fields = models.JSONField(default=dict, blank=True, help_text="the kind's own fields")
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_by_label = models.CharField(max_length=150, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)

    class Meta:
        ordering = ["case", "-created_at", "-id"]
        indexes = [models.Index(fields=["case", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(item__isnull=False) | models.Q(claim__isnull=False),
                name="verification_about_item_or_claim",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.status})"

    @property
    def counts(self) -> bool:
        """Whether the record counts: only an approved record does."""
        return self.status == RecordStatus.APPROVED


class AppendOnly(models.Model):
    """A row that is written once and never changed or removed."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableRecordError(f"{type(self).__name__} rows cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ImmutableRecordError(f"{type(self).__name__} rows cannot be deleted")


class VerificationEvent(AppendOnly):
    """One step in a record's life: created, edited, submitted, approved, rejected, withdrawn."""

    record = models.ForeignKey(
        VerificationRecord, on_delete=models.PROTECT, related_name="events"
    )
    action = models.CharField(max_length=20)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=150)
    at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True, help_text="fields before and after")

    class Meta:
        ordering = ["record", "at", "id"]

    def __str__(self) -> str:
        return f"{self.action} of record {self.record_id}"


class FindingKind(models.TextChoices):
    C2PA = "c2pa", "C2PA manifest"
    WACZ_SIGNATURE = "wacz_signature", "WACZ signature"
    EXIF_TIME = "exif_time_vs_claimed", "File time vs claimed date"
    GPS_PLACE = "gps_vs_claimed_place", "File GPS vs claimed place"
    EARLIEST_COPY = "earliest_copy", "Earliest known copy"


class Outcome(models.TextChoices):
    CONSISTENT = "consistent", "Consistent"
    INCONSISTENT = "inconsistent", "Inconsistent"
    VALID = "valid", "Valid"
    INVALID = "invalid", "Invalid"
    ABSENT = "absent", "Absent"
    INFO = "info", "Information"
    ERROR = "error", "Check failed"


class ProvenanceFinding(models.Model):
    """What one automatic check found about one item. Recomputing replaces the item's
    findings of that kind: they describe the evidence as it stands now (claimed date, claims)."""

    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, related_name="provenance_findings"
    )
    item = models.ForeignKey(
        "evidence.Item", on_delete=models.PROTECT, related_name="provenance_findings"
    )
    kind = models.CharField(max_length=30, choices=FindingKind.choices)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    summary = models.TextField()
    details = models.JSONField(default=dict, blank=True)
    tool = models.CharField(max_length=100)
    tool_version = models.CharField(max_length=50)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["item", "kind", "id"]
        indexes = [models.Index(fields=["case", "kind", "outcome"])]

    def __str__(self) -> str:
        return f"{self.kind}: {self.outcome}"


AUTHENTICITY_RESULTS_CHOICES = [
    ("authentic", "Authentic"),
    ("manipulated", "Manipulated"),
    ("inconclusive", "Inconclusive"),
]
