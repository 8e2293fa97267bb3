"""The record of every dossier generated: what went in, for whom, and the hash of what came out."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Dossier(models.Model):
    """One generated dossier. The files themselves leave Vestige; this row says what they were."""

    id = models.UUIDField(primary_key=True, editable=False, help_text="the bundle id")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="dossiers")
    actor = models.ForeignKey(
        "cases.Actor", null=True, on_delete=models.SET_NULL, related_name="dossiers"
    )
    actor_name = models.CharField(max_length=300, help_text="the actor's name when generated")
    kind = models.CharField(max_length=30)
    recipient = models.CharField(max_length=30)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_label = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)
    manifest_sha256 = models.CharField(max_length=64)
    outputs = models.JSONField(default=dict, help_text="file name → SHA-256 of the documents")
    exhibits = models.JSONField(default=list, help_text="[{number, item_id, sha256}]")
    withheld = models.JSONField(default=list, help_text="[{item_id, reason}]")

    class Meta:
        ordering = ["case", "-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} dossier on {self.actor_name} ({self.created_at:%Y-%m-%d})"
