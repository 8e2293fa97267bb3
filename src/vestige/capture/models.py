"""Captures of web pages: what was asked for, how each run went, and which item it produced.

A :class:`Capture` is one attempt to preserve one URL. It never changes what it produced: a
recapture of the same URL is a new row that points at the earlier one (``previous``) and carries
the next ``version``, the difference in text and, when the page has gone, the finding
"unavailable at source".
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from ..cases.models import Case
from ..evidence.models import Item


class CaptureMode(models.TextChoices):
    BROWSER = "browser", "Browser (Chromium, runs JavaScript)"
    HTTP = "http", "HTTP only (no JavaScript)"


class CaptureStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    REFUSED = "refused", "Refused"


FINISHED_STATUSES = (CaptureStatus.DONE, CaptureStatus.FAILED, CaptureStatus.REFUSED)


class CaptureBatch(models.Model):
    """One submission of one or more URLs (a CLI run, a web form, an API call)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="capture_batches")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_by_label = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)
    mode = models.CharField(max_length=10, choices=CaptureMode.choices)
    background = models.BooleanField(
        default=False, help_text="queued for `vestige worker` rather than run by the requester"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"batch {self.pk} ({self.case_id})"


class Capture(models.Model):
    """One capture of one URL, from request to outcome."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="captures")
    batch = models.ForeignKey(
        CaptureBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="captures"
    )
    url = models.URLField(max_length=2048)
    mode = models.CharField(max_length=10, choices=CaptureMode.choices)
    status = models.CharField(
        max_length=10, choices=CaptureStatus.choices, default=CaptureStatus.QUEUED
    )
    outcome = models.CharField(max_length=20, blank=True, help_text="the engine's outcome")
    progress = models.CharField(max_length=500, blank=True, help_text="last progress line")
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_by_label = models.CharField(max_length=150)
    requested_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Touched by every progress line: a running capture that stops moving was interrupted.
    updated_at = models.DateTimeField(auto_now=True)
    task_id = models.CharField(max_length=64, blank=True, help_text="django-tasks result id")
    item = models.ForeignKey(
        Item, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    previous = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="next_versions"
    )
    version = models.PositiveIntegerField(default=1)
    final_url = models.URLField(max_length=2048, blank=True)
    http_status = models.PositiveIntegerField(null=True, blank=True)
    unavailable = models.BooleanField(default=False)
    removal = models.CharField(max_length=500, blank=True)
    text_diff = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        indexes = [
            models.Index(fields=["case", "url"]),
            models.Index(fields=["status", "updated_at"]),
        ]

    def __str__(self) -> str:
        return f"capture of {self.url} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_STATUSES
