"""Fingerprints of items, near-duplicate suggestions with their judgements, and explicit links
between items (copies, translations, near-duplicates judged the same).

A suggestion is made by an algorithm and never decides anything by itself: only a reviewer's
judgement does. Judgements are kept (append-only, newest counts) so a pair judged "different"
is never suggested again, and a pair judged "same" becomes an :class:`ItemRelation` that
joins the two items into one source when corroboration is counted.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Algorithm(models.TextChoices):
    PDQ = "pdq", "PDQ (image)"
    PHASH = "phash", "pHash (image)"
    MINHASH = "minhash", "MinHash (text)"
    VPDQ = "vpdq", "PDQ of video frames"


class ItemFingerprint(models.Model):
    """One perceptual or text fingerprint of an item, with the algorithm version that made it.

    Hashes of fixed length are stored as hex in ``value``; variable-length fingerprints (text
    shingle sets, video frame hashes) as compact bytes in ``data``.
    """

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey("evidence.Item", on_delete=models.CASCADE, related_name="fingerprints")
    algorithm = models.CharField(max_length=16, choices=Algorithm.choices)
    version = models.CharField(max_length=120)
    value = models.TextField(blank=True, help_text="hex digits of a fixed-length hash")
    data = models.BinaryField(null=True, blank=True, help_text="shingles or frame hashes")
    quality = models.IntegerField(null=True, blank=True, help_text="PDQ quality 0–100")
    source = models.CharField(max_length=40, help_text="original, thumbnail, text, frames")
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    searched_at = models.DateTimeField(
        null=True, blank=True, help_text="when the case was last searched for its near-copies"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "algorithm"], name="fingerprint_per_algorithm")
        ]
        indexes = [models.Index(fields=["case", "algorithm"])]

    def __str__(self) -> str:
        return f"{self.algorithm} of {self.item_id}"


class SuggestionStatus(models.TextChoices):
    PENDING = "pending", "Awaiting judgement"
    SAME = "same", "Same"
    DIFFERENT = "different", "Different"
    UNSURE = "unsure", "Unsure"


class Verdict(models.TextChoices):
    SAME = "same", "Same"
    DIFFERENT = "different", "Different"
    UNSURE = "unsure", "Unsure"


class NearDuplicateSuggestion(models.Model):
    """Two items an algorithm found alike. ``item_a`` sorts before ``item_b`` (one row a pair)."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    item_a = models.ForeignKey("evidence.Item", on_delete=models.CASCADE, related_name="+")
    item_b = models.ForeignKey("evidence.Item", on_delete=models.CASCADE, related_name="+")
    algorithm = models.CharField(max_length=16, choices=Algorithm.choices)
    version = models.CharField(max_length=120)
    score = models.FloatField(help_text="similarity 0–1, 1 identical")
    distance = models.IntegerField(null=True, blank=True, help_text="Hamming distance in bits")
    details = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=12, choices=SuggestionStatus.choices, default=SuggestionStatus.PENDING
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-score", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["item_a", "item_b"], name="suggestion_per_pair"),
            models.CheckConstraint(
                condition=models.Q(item_a__lt=models.F("item_b")), name="suggestion_ordered_pair"
            ),
        ]
        indexes = [models.Index(fields=["case", "status"])]

    def __str__(self) -> str:
        return f"{self.item_a_id} ~ {self.item_b_id} ({self.algorithm} {self.score:.3f})"


class Judgement(models.Model):
    """A reviewer's verdict on a suggestion; never edited, the newest one counts."""

    suggestion = models.ForeignKey(
        NearDuplicateSuggestion, on_delete=models.CASCADE, related_name="judgements"
    )
    verdict = models.CharField(max_length=12, choices=Verdict.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    user_label = models.CharField(max_length=150)
    note = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.verdict} by {self.user_label}"


class Relation(models.TextChoices):
    COPY = "copy", "Copy"
    TRANSLATION = "translation", "Translation"
    NEAR_DUPLICATE = "near_duplicate", "Near-duplicate (judged the same)"


class ItemRelation(models.Model):
    """Two items that are one source: a copy, a translation, or a near-duplicate judged the same.

    Made by a judgement (``judgement`` set) or by hand. ``item_a`` sorts before ``item_b``.
    """

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    item_a = models.ForeignKey("evidence.Item", on_delete=models.CASCADE, related_name="+")
    item_b = models.ForeignKey("evidence.Item", on_delete=models.CASCADE, related_name="+")
    relation = models.CharField(max_length=20, choices=Relation.choices)
    judgement = models.ForeignKey(
        Judgement, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by_label = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["item_a", "item_b", "relation"], name="item_relation_once"
            ),
            models.CheckConstraint(
                condition=models.Q(item_a__lt=models.F("item_b")), name="relation_ordered_pair"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item_a_id} {self.relation} {self.item_b_id}"
