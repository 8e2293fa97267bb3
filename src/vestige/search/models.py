"""The search index: one row per searchable record (items have two, see ``part``).

The full-text part lives beside this table and is made by the migration for each database:
SQLite gets an FTS5 table ``search_fts`` over ``folded`` kept in step by triggers; PostgreSQL
gets a generated ``tsv`` column (``to_tsvector('simple', folded)``) with a GIN index, and a
pg_trgm index on ``title_folded`` for the fuzzy fallback.
"""

from __future__ import annotations

from django.db import models


class RecordType(models.TextChoices):
    ITEM = "item", "Item"
    CLAIM = "claim", "Claim"
    INCIDENT = "incident", "Incident"
    ACTOR = "actor", "Actor"
    PLACE = "place", "Place"


class Part(models.TextChoices):
    """Which members may see an entry: items' text only those allowed to download."""

    ALL = "all", "Whole record"
    META = "meta", "Item description only"
    TEXT = "text", "Item description and text"


class SearchEntry(models.Model):
    """One record as the search sees it: what to show, what to match and the facets."""

    record_type = models.CharField(max_length=12, choices=RecordType.choices)
    record_id = models.CharField(max_length=64)
    part = models.CharField(max_length=8, choices=Part.choices, default=Part.ALL)
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    title = models.CharField(max_length=500)
    text = models.TextField(blank=True, help_text="the original text, for snippets")
    folded = models.TextField(blank=True, help_text="every word's folded keys (names.fold_text)")
    title_folded = models.CharField(max_length=1000, blank=True)
    item_ref = models.CharField(max_length=64, blank=True, help_text="a claim's item")
    item_kind = models.CharField(max_length=20, blank=True)
    incident_type = models.CharField(max_length=80, blank=True)
    date_lower = models.DateField(null=True, blank=True)
    date_upper = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["record_type", "record_id", "part"], name="one_search_entry_each"
            ),
        ]
        indexes = [models.Index(fields=["case", "record_type"])]

    def __str__(self) -> str:
        return f"{self.record_type} {self.record_id} ({self.part})"


class SearchPlace(models.Model):
    """A place an entry concerns (an incident's or a claim's places; a place itself)."""

    entry = models.ForeignKey(SearchEntry, on_delete=models.CASCADE, related_name="places")
    place_id = models.BigIntegerField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["entry", "place_id"], name="one_search_place_each"),
        ]

    def __str__(self) -> str:
        return f"{self.entry_id} at {self.place_id}"
