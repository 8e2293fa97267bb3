"""The store of listed entities, one immutable version per (source, publication date).

Screening runs "as of" a date, so a list is never updated in place: every import
of a newer publication is a new :class:`SanctionsList` with its own entities, and
the older version stays to answer questions about the past.
"""

from __future__ import annotations

import builtins

from django.db import models


class Source(models.TextChoices):
    """Who publishes a list. One version per source and publication date."""

    OFAC = "ofac", "OFAC (US Treasury)"
    UN = "un", "UN Security Council"
    EU = "eu", "European Union"
    OPENSANCTIONS = "opensanctions", "OpenSanctions (FollowTheMoney)"


class EntitySchema(models.TextChoices):
    PERSON = "person", "person"
    ORGANIZATION = "organization", "organization"
    VESSEL = "vessel", "vessel"
    AIRCRAFT = "aircraft", "aircraft"
    UNKNOWN = "unknown", "unknown"


class NameKind(models.TextChoices):
    PRIMARY = "primary", "primary name"
    AKA = "aka", "also known as"
    FKA = "fka", "formerly known as"
    WEAK_AKA = "weak_aka", "weak alias"


class SanctionsList(models.Model):
    """One published version of one list, as imported from one file."""

    source = models.CharField(max_length=40)
    format = models.CharField(max_length=20)
    name = models.CharField(max_length=300)
    published = models.DateField(help_text="The list's publication date (or the --as-of date).")
    imported_at = models.DateTimeField(auto_now_add=True)
    imported_by_label = models.CharField(max_length=300, blank=True)
    file_sha256 = models.CharField(max_length=64)
    entity_count = models.PositiveIntegerField(default=0)
    name_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["source", "-published"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "published"], name="one_list_per_publication"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.published.isoformat()}"


class ListedEntity(models.Model):
    """A person, organisation, vessel or aircraft on one list version.

    The field ``list`` shadows the builtin inside this class body, hence ``builtins.list``.
    """

    list = models.ForeignKey(SanctionsList, on_delete=models.CASCADE, related_name="entities")
    entity_id = models.CharField(max_length=200, help_text="The list's own id, e.g. OFAC ent_num.")
    schema = models.CharField(
        max_length=20, choices=EntitySchema.choices, default=EntitySchema.UNKNOWN
    )
    primary_name = models.CharField(max_length=1000)
    programmes = models.JSONField(default=builtins.list, blank=True)
    nationalities = models.JSONField(default=builtins.list, blank=True)
    birth_dates = models.JSONField(default=builtins.list, blank=True)
    gender = models.CharField(max_length=20, blank=True)
    identifiers = models.JSONField(default=builtins.list, blank=True)
    remarks = models.TextField(blank=True)
    raw = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["list", "entity_id"], name="listed_entity_by_id")]

    def __str__(self) -> str:
        return f"{self.entity_id}: {self.primary_name}"


class ListedName(models.Model):
    """One name of a listed entity (the primary name is repeated here with kind=primary)."""

    entity = models.ForeignKey(ListedEntity, on_delete=models.CASCADE, related_name="names")
    name = models.CharField(max_length=1000)
    kind = models.CharField(max_length=20, choices=NameKind.choices, default=NameKind.AKA)
    script = models.CharField(max_length=40, blank=True)

    def __str__(self) -> str:
        return self.name


# --- Screening (S2): reviewers' judgements on screening results --------------------------------


class Decision(models.TextChoices):
    MATCH = "match", "match"
    NO_MATCH = "no_match", "no match"
    UNSURE = "unsure", "unsure"


class ScreeningJudgement(models.Model):
    """A reviewer's decision that a screened name is (not) a listed entity, kept for later runs.

    A judgement names the list's own entity id and source rather than only the row, because a
    newer publication of the list stores the same entity again under a new row: a "no match"
    decided against the 2019 list must still dismiss the same ``ent_num`` in the 2020 list.
    For an actor the judgement follows the actor; for a typed name, its folded ``query_key``.
    """

    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    actor = models.ForeignKey(
        "cases.Actor",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="screening_judgements",
    )
    query_name = models.CharField(max_length=1000)
    query_key = models.CharField(max_length=1000, db_index=True)
    entity = models.ForeignKey(ListedEntity, on_delete=models.PROTECT, related_name="judgements")
    source = models.CharField(max_length=40)
    entity_ref = models.CharField(max_length=200, help_text="The list's own entity id.")
    decision = models.CharField(max_length=20, choices=Decision.choices)
    note = models.TextField(blank=True)
    score = models.FloatField(null=True, blank=True, help_text="The score when decided.")
    algorithm = models.CharField(max_length=100, blank=True)
    decided_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by_label = models.CharField(max_length=300)
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-decided_at", "-pk"]
        indexes = [models.Index(fields=["source", "entity_ref"], name="judgement_by_entity")]

    def __str__(self) -> str:
        return f"{self.query_name} ~ {self.source}:{self.entity_ref}: {self.decision}"
