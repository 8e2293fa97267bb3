"""The evidence layer: items, their derivatives and the append-only custody log."""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.conf import settings
from django.db import models

from ..cases.models import Case
from ..core.custody import EventRecord
from ..core.errors import ImmutableRecordError


class ItemKind(models.TextChoices):
    FILE = "file", "File"
    IMAGE = "image", "Image"
    VIDEO = "video", "Video"
    AUDIO = "audio", "Audio"
    DOCUMENT = "document", "Document"
    WEB_CAPTURE = "web_capture", "Web capture"
    MESSAGE = "message", "Message"
    TESTIMONY = "testimony", "Testimony"
    SATELLITE_IMAGE = "satellite_image", "Satellite image"


class Sensitivity(models.TextChoices):
    NORMAL = "normal", "Normal"
    SENSITIVE = "sensitive", "Sensitive"
    RESTRICTED = "restricted", "Restricted"


class Item(models.Model):
    """One piece of evidence. Its bytes (``sha256``) never change; its description may."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="items")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    kind = models.CharField(max_length=20, choices=ItemKind.choices, default=ItemKind.FILE)
    title = models.CharField(max_length=500)
    description = models.TextField(blank=True)
    # Origin
    source_name = models.CharField(max_length=1024, blank=True, help_text="file name as received")
    source_path = models.TextField(blank=True, help_text="path the file was imported from")
    source_url = models.URLField(max_length=2048, blank=True)
    source_channel = models.CharField(max_length=300, blank=True)
    source_uploader = models.CharField(max_length=300, blank=True)
    # Time
    claimed_date = models.CharField(max_length=64, blank=True, help_text="EDTF, e.g. 2023-09")
    content_created_at = models.CharField(
        max_length=64, blank=True, help_text="creation time the file itself states (EXIF, PDF)"
    )
    captured_at = models.DateTimeField(help_text="when Vestige collected it (UTC)")
    captured_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    captured_by_label = models.CharField(max_length=150, help_text="who collected it")
    capture_tool = models.CharField(max_length=100)
    capture_tool_version = models.CharField(max_length=50)
    # Bytes
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.BigIntegerField()
    media_type = models.CharField(max_length=200)
    metadata = models.JSONField(default=dict, blank=True)
    # Description and handling
    language = models.CharField(max_length=35, blank=True)
    sensitivity = models.CharField(
        max_length=20, choices=Sensitivity.choices, default=Sensitivity.NORMAL
    )
    graphic = models.BooleanField(default=False)
    note = models.TextField(blank=True)
    warnings = models.JSONField(default=list, blank=True)
    errors = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-captured_at", "title"]
        indexes = [
            models.Index(fields=["case", "sha256"]),
            models.Index(fields=["case", "kind"]),
            models.Index(fields=["case", "captured_at"]),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            original = Item.objects.filter(pk=self.pk).values("sha256", "size", "case_id").first()
            if original and (
                original["sha256"] != self.sha256
                or original["size"] != self.size
                or original["case_id"] != self.case_id
            ):
                raise ImmutableRecordError("an item's bytes and case never change")
        super().save(*args, **kwargs)

    @property
    def gps(self) -> dict[str, float] | None:
        gps = self.metadata.get("gps") if isinstance(self.metadata, dict) else None
        return gps if isinstance(gps, dict) else None


class Derivative(models.Model):
    """A file made from an item (thumbnail, text, …), naming the tool that made it."""

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="derivatives")
    kind = models.CharField(max_length=40)
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.BigIntegerField()
    media_type = models.CharField(max_length=200)
    tool = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["item", "kind", "sha256"], name="one_derivative_each"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} of {self.item_id}"


class SourceFile(models.Model):
    """A file already taken in by an import, so that a second run skips it without re-reading.

    The key is a hash of the file's real path, size and modification time.
    """

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="source_files")
    key = models.CharField(max_length=64)
    path = models.TextField()
    size = models.BigIntegerField()
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="source_files")
    outcome = models.CharField(max_length=20)
    seen_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "key"], name="one_source_file_per_key"),
        ]

    def __str__(self) -> str:
        return self.path


class AppendOnlyQuerySet(models.QuerySet["CustodyEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise ImmutableRecordError("custody events are append-only: they cannot be updated")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ImmutableRecordError("custody events are append-only: they cannot be deleted")

    def bulk_update(self, *args: Any, **kwargs: Any) -> int:
        raise ImmutableRecordError("custody events are append-only: they cannot be updated")


class CustodyEvent(models.Model):
    """One entry of a case's custody log: hash-chained and signed. Never updated or deleted."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="custody_events")
    seq = models.PositiveBigIntegerField()
    action = models.CharField(max_length=40)
    timestamp = models.CharField(max_length=40, help_text="ISO 8601 UTC, as hashed")
    actor = models.CharField(max_length=150)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    item = models.ForeignKey(
        Item, null=True, blank=True, on_delete=models.PROTECT, related_name="custody_events"
    )
    item_sha256 = models.CharField(max_length=64, blank=True)
    details = models.TextField(default="{}", help_text="canonical JSON, as hashed")
    prev_hash = models.CharField(max_length=64)
    event_hash = models.CharField(max_length=64, unique=True)
    signature = models.CharField(max_length=100)
    key_id = models.CharField(max_length=16)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["case", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["case", "seq"], name="one_event_per_seq"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableRecordError("custody events are append-only: they cannot be updated")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ImmutableRecordError("custody events are append-only: they cannot be deleted")

    @property
    def details_dict(self) -> dict[str, Any]:
        value = json.loads(self.details)
        return value if isinstance(value, dict) else {}

    def record(self) -> EventRecord:
        """The event as the chain checker sees it (with the case's slug).

        Details that are no longer valid JSON (edited behind Vestige's back) are kept as text,
        so the event still reaches the checker, which then reports it as changed.
        """
        try:
            details = self.details_dict
        except ValueError:
            details = {"<undecodable>": self.details}
        return EventRecord(
            case=self.case.slug,
            seq=self.seq,
            action=self.action,
            timestamp=self.timestamp,
            actor=self.actor,
            item_id=str(self.item_id) if self.item_id else None,
            item_sha256=self.item_sha256 or None,
            details=details,
            prev_hash=self.prev_hash,
            event_hash=self.event_hash,
            signature=self.signature,
            key_id=self.key_id,
        )


class CustodyHead(models.Model):
    """The last event of a case's log, kept apart so that removing events from the end shows."""

    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="custody_head")
    seq = models.PositiveBigIntegerField(default=0)
    event_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"{self.case_id} at #{self.seq}"


class ApiToken(models.Model):
    """A bearer token for the JSON API. Only its SHA-256 is stored; the token is shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, blank=True, help_text="what the token is for")
    token_hash = models.CharField(max_length=64, unique=True, help_text="sha256 hex of the token")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["user", "created_at"]

    def __str__(self) -> str:
        return f"token {self.pk} ({self.name or 'unnamed'}) of {self.user_id}"
