"""The case graph: actors, places, incidents and claims, each pointing back to its evidence.

These records are knowledge, not evidence: they can be edited, and every edit is kept as an
:class:`Edit` (who, when, before, after) by :mod:`vestige.cases.history`. Dates are EDTF strings
with their bounds kept beside them (``*_lower``/``*_upper``) for filtering; counts are
low/best/high; places and actors keep every name they are known by.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from ..core.edtf import parse_edtf
from ..core.names import fold_text, script_of


class EdtfMixin(models.Model):
    """An EDTF date with its bounds, computed whenever the record is saved."""

    date = models.CharField(max_length=64, blank=True, help_text="EDTF, e.g. 2023-09-19/2023-09-20")
    date_lower = models.DateField(null=True, blank=True, editable=False)
    date_upper = models.DateField(null=True, blank=True, editable=False)
    date_precision = models.CharField(max_length=10, blank=True, editable=False)

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.refresh_date_bounds()
        super().save(*args, **kwargs)

    def refresh_date_bounds(self) -> None:
        """Set the bounds and precision from the EDTF ``date`` (UserError if it is not EDTF)."""
        if self.date:
            bounds = parse_edtf(self.date)
            self.date_lower, self.date_upper = bounds.lower, bounds.upper
            self.date_precision = bounds.precision
        else:
            self.date_lower = self.date_upper = None
            self.date_precision = ""


class ActorKind(models.TextChoices):
    PERSON = "person", "Person"
    ORGANISATION = "organisation", "Organisation"
    ARMED_UNIT = "armed_unit", "Armed unit"
    STATE_BODY = "state_body", "State body"


class Actor(models.Model):
    """A person, organisation, armed unit or state body, of any party."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="actors")
    kind = models.CharField(max_length=20, choices=ActorKind.choices, default=ActorKind.PERSON)
    name = models.CharField(max_length=300, help_text="the name shown by default")
    description = models.TextField(blank=True)
    birth_date = models.CharField(max_length=64, blank=True, help_text="EDTF")
    birth_place = models.ForeignKey(
        "cases.Place", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    gender = models.CharField(max_length=20, blank=True)
    nationalities = models.JSONField(default=list, blank=True, help_text="ISO 3166 codes")
    identifiers = models.JSONField(
        default=list, blank=True, help_text='[{"type": "passport", "value": "…", "country": "AZ"}]'
    )
    exculpatory = models.TextField(blank=True, help_text="information that weighs against")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ActorName(models.Model):
    """One name of an actor, in one script or language."""

    actor = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="names")
    name = models.CharField(max_length=300)
    language = models.CharField(max_length=35, blank=True)
    script = models.CharField(max_length=30, blank=True)
    kind = models.CharField(max_length=20, default="alias", help_text="primary, alias, former")
    folded = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["actor", "kind", "name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.script = self.script or script_of(self.name)
        self.folded = fold_text(self.name)
        super().save(*args, **kwargs)


class Position(EdtfMixin):
    """A position an actor held, with dates (the EDTF ``date`` is the interval held)."""

    actor = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="positions")
    title = models.CharField(max_length=300)
    organisation = models.ForeignKey(
        Actor, null=True, blank=True, on_delete=models.SET_NULL, related_name="staff"
    )

    class Meta:
        ordering = ["actor", "date_lower"]

    def __str__(self) -> str:
        return f"{self.title} ({self.date})"


class ActorRelation(EdtfMixin):
    """member of, commands, subordinate to, family of …"""

    subject = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="relations_out")
    relation = models.CharField(max_length=40)
    object = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="relations_in")

    def __str__(self) -> str:
        return f"{self.subject} {self.relation} {self.object}"


class PlaceKind(models.TextChoices):
    SETTLEMENT = "settlement", "Settlement"
    AREA = "area", "Area or region"
    ROAD = "road", "Road or corridor"
    CHECKPOINT = "checkpoint", "Checkpoint"
    HERITAGE_SITE = "heritage_site", "Heritage site"
    BUILDING = "building", "Building"
    OTHER = "other", "Other"


class Place(models.Model):
    """A gazetteer entry. Without a case it is shared (seeded from GeoNames); with one, the
    case's own (a checkpoint, a heritage site) and visible only to its members."""

    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="places"
    )
    name = models.CharField(max_length=300, help_text="the name shown by default")
    kind = models.CharField(max_length=20, choices=PlaceKind.choices, default=PlaceKind.SETTLEMENT)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    precision_m = models.PositiveIntegerField(
        null=True, blank=True, help_text="radius in metres within which the place lies"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    country_code = models.CharField(max_length=2, blank=True)
    geonames_id = models.BigIntegerField(null=True, blank=True, unique=True)
    wikidata_id = models.CharField(max_length=20, blank=True)
    population = models.BigIntegerField(null=True, blank=True)
    contested_names = models.JSONField(
        default=list, blank=True,
        help_text="names used by different parties, shown side by side: "
        '[{"name": "Stepanakert", "used_by": "Armenian"}, …]',
    )
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name, or the contested names side by side (``Stepanakert / Khankendi``)."""
        names = [entry.get("name", "") for entry in self.contested_names if entry.get("name")]
        return " / ".join(names) if len(names) > 1 else self.name


class PlaceName(models.Model):
    """One name of a place, with its language (when known) and script."""

    place = models.ForeignKey(Place, on_delete=models.CASCADE, related_name="names")
    name = models.CharField(max_length=300)
    language = models.CharField(max_length=35, blank=True)
    script = models.CharField(max_length=30, blank=True)
    source = models.CharField(max_length=60, blank=True, help_text="geonames, user, …")
    folded = models.TextField(blank=True, editable=False, db_index=False)

    class Meta:
        ordering = ["place", "name"]
        constraints = [
            models.UniqueConstraint(fields=["place", "name"], name="one_place_name_each"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.script = self.script or script_of(self.name)
        self.folded = fold_text(self.name)
        super().save(*args, **kwargs)


class IncidentStatus(models.TextChoices):
    CONFIRMED = "confirmed", "Confirmed"
    LIKELY = "likely", "Likely"
    POSSIBLE = "possible", "Possible"
    UNLIKELY = "unlikely", "Unlikely"
    UNKNOWN = "unknown", "Unknown"


class ConflictType(models.TextChoices):
    INTERNATIONAL = "international", "International armed conflict"
    NON_INTERNATIONAL = "non_international", "Non-international armed conflict"
    NONE = "none", "No armed conflict"
    UNKNOWN = "unknown", "Unknown"


class Incident(EdtfMixin):
    """What happened: type, date or interval, places, counts, actors, status."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="incidents")
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    event_type = models.CharField(max_length=80, blank=True, help_text="ACLED event type")
    sub_event_type = models.CharField(max_length=80, blank=True, help_text="ACLED sub-event type")
    acts = models.JSONField(default=list, blank=True, help_text="HURIDOCS acts")
    status = models.CharField(
        max_length=20, choices=IncidentStatus.choices, default=IncidentStatus.POSSIBLE
    )
    conflict_type = models.CharField(
        max_length=20, choices=ConflictType.choices, default=ConflictType.UNKNOWN
    )
    places: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        Place, blank=True, related_name="incidents"
    )
    location_precision = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="UCDP where_prec: 1 exact … 7 country"
    )
    confidential = models.BooleanField(default=False)
    external_ids = models.JSONField(default=dict, blank=True, help_text='{"ucdp": "…"}')
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["date_lower", "title"]
        indexes = [models.Index(fields=["case", "date_lower"])]

    def __str__(self) -> str:
        return self.title


class IncidentCount(models.Model):
    """A count of victims of one category, as low / best / high."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="counts")
    category = models.CharField(max_length=40, help_text="killed, injured, displaced, …")
    low = models.PositiveIntegerField(null=True, blank=True)
    best = models.PositiveIntegerField(null=True, blank=True)
    high = models.PositiveIntegerField(null=True, blank=True)
    approximate = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.category}: {self.low}/{self.best}/{self.high}"


class IncidentActor(models.Model):
    """An actor's part in an incident: role and degree of involvement."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="actor_links")
    actor = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="incident_links")
    role = models.CharField(max_length=40, help_text="alleged_perpetrator, injured_party, …")
    involvement = models.CharField(max_length=60, blank=True)

    def __str__(self) -> str:
        return f"{self.actor} — {self.role}"


class IncidentRelation(models.Model):
    """part of, follows, causes, precedes, encompasses, parallel, consequence."""

    source = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="relations_out")
    relation = models.CharField(max_length=40)
    target = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="relations_in")

    def __str__(self) -> str:
        return f"{self.source} {self.relation} {self.target}"


class ClaimStatus(models.TextChoices):
    ALLEGED = "alleged", "Alleged (not verified)"
    VERIFIED = "verified", "Verified"
    DISPUTED = "disputed", "Disputed"
    REJECTED = "rejected", "Rejected"


class Claim(EdtfMixin):
    """One statement from one source, anchored to the exact place in an item that says it."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="claims")
    item = models.ForeignKey(
        "evidence.Item", on_delete=models.PROTECT, related_name="claims"
    )
    text = models.TextField(help_text="the passage, as the item says it")
    anchor = models.JSONField(
        default=dict, help_text='{"start": 120, "end": 260} in the item\'s text; or page, timecode'
    )
    asserted_by = models.CharField(max_length=300, blank=True, help_text="who makes the claim")
    asserted_by_actor = models.ForeignKey(
        Actor, null=True, blank=True, on_delete=models.SET_NULL, related_name="assertions"
    )
    content = models.JSONField(
        default=dict, blank=True,
        help_text="who, did what, to whom, when (EDTF), where (place ids), how many",
    )
    hedges = models.JSONField(default=list, blank=True)
    stance = models.CharField(max_length=20, default="supports", help_text="supports, contradicts")
    incidents: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        Incident, blank=True, related_name="claims"
    )
    places: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        Place, blank=True, related_name="claims"
    )
    actors: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        Actor, blank=True, related_name="claims"
    )
    source_grade = models.CharField(max_length=1, blank=True, help_text="Admiralty A–F")
    information_grade = models.CharField(max_length=1, blank=True, help_text="Admiralty 1–6")
    status = models.CharField(
        max_length=20, choices=ClaimStatus.choices, default=ClaimStatus.ALLEGED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case", "date_lower", "id"]

    def __str__(self) -> str:
        return self.text[:80]


class CandidateStatus(models.TextChoices):
    PENDING = "pending", "Waiting for review"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"


class CandidateClaim(models.Model):
    """A claim proposed by extraction from an item's text, waiting in the review queue."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="candidates")
    item = models.ForeignKey("evidence.Item", on_delete=models.PROTECT, related_name="candidates")
    text = models.TextField()
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    proposal = models.JSONField(
        default=dict, help_text="dates, quantities, places, actors, hedges, attribution"
    )
    extractor = models.CharField(max_length=60, help_text="name and version of the extractor")
    status = models.CharField(
        max_length=20, choices=CandidateStatus.choices, default=CandidateStatus.PENDING
    )
    claim = models.OneToOneField(
        Claim, null=True, blank=True, on_delete=models.SET_NULL, related_name="candidate"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["item", "start"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "start", "end", "extractor"], name="one_candidate_per_span"
            ),
        ]

    def __str__(self) -> str:
        return self.text[:80]


class Edit(models.Model):
    """One change to the case graph: who, when, and the record before and after."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="edits")
    model = models.CharField(max_length=60)
    object_id = models.CharField(max_length=64)
    action = models.CharField(max_length=10, help_text="create, update, delete")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=150)
    at = models.DateTimeField(auto_now_add=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["model", "object_id"])]

    def __str__(self) -> str:
        return f"{self.action} {self.model} {self.object_id}"
