"""Watched sources and the entries found in them.

A :class:`WatchedSource` is a feed or a page that the worker checks every ``every`` seconds. Each
new thing it finds — a feed item, or a new version of a page's main text — is a
:class:`WatchEntry`, unique per source by its ``key``, so a second check never adds it twice.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ..capture.models import Capture
from ..cases.models import Case


class SourceKind(models.TextChoices):
    UNKNOWN = "", "Not checked yet"
    FEED = "feed", "RSS/Atom feed"
    PAGE = "page", "Web page"


class EntryStatus(models.TextChoices):
    NEW = "new", "New"
    CAPTURED = "captured", "Captured"
    FAILED = "failed", "Capture failed"
    READ = "read", "Read"


class WatchedSource(models.Model):
    """One URL the case watches, and how its last check went."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="watched_sources")
    url = models.URLField(max_length=2048)
    kind = models.CharField(max_length=10, choices=SourceKind.choices, blank=True)
    every = models.PositiveIntegerField(help_text="seconds between checks")
    next_due = models.DateTimeField()
    last_checked = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveIntegerField(null=True, blank=True, help_text="HTTP status")
    last_error = models.TextField(blank=True)
    etag = models.CharField(max_length=500, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    content_hash = models.CharField(max_length=64, blank=True, help_text="page: main text sha256")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by_label = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["next_due", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["case", "url"], name="watch_one_source_per_url"),
        ]
        indexes = [models.Index(fields=["active", "next_due"])]

    def __str__(self) -> str:
        return f"{self.url} ({self.case_id})"


class WatchEntry(models.Model):
    """One new thing seen in a source: a feed item, or a changed (or vanished) page."""

    source = models.ForeignKey(WatchedSource, on_delete=models.PROTECT, related_name="entries")
    key = models.CharField(max_length=128, help_text="guid/id, else a hash of the link")
    url = models.URLField(max_length=2048, blank=True)
    title = models.CharField(max_length=500, blank=True)
    summary = models.TextField(blank=True)
    published = models.DateTimeField(null=True, blank=True)
    seen_at = models.DateTimeField()
    capture = models.ForeignKey(
        Capture, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=10, choices=EntryStatus.choices, default=EntryStatus.NEW)
    error = models.TextField(blank=True)
    matches = models.JSONField(
        default=dict, blank=True, help_text='{"incidents": [ids], "actors": [...], "places": [...]}'
    )
    settled = models.BooleanField(
        default=False, help_text="capture finished and claims extracted and matched"
    )

    class Meta:
        ordering = ["-seen_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["source", "key"], name="watch_one_entry_per_key"),
        ]

    def __str__(self) -> str:
        return self.title or self.url or self.key
