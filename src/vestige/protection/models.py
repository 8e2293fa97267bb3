"""The protection registry's records.

Identities (names in any script, date of birth, contacts, documents, addresses) and household
members are never stored in clear: they are sealed with AES-256-GCM (:mod:`vestige.core.sealing`)
under a key kept outside the database. What stays in clear is what statistics and consent need
(roles, place of origin, dates of displacement, claim categories) and a pseudonym that is drawn at
random, so it says nothing about the person.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models

from ..cases.graph import Place
from ..cases.models import Case
from ..core.errors import ImmutableRecordError
from ..evidence.models import Item


class PersonRole(models.TextChoices):
    VICTIM = "victim", "Victim"
    WITNESS = "witness", "Witness"
    CLAIMANT = "claimant", "Claimant"
    RELATIVE = "relative", "Relative"


class Recipient(models.TextChoices):
    UN_MECHANISM = "un_mechanism", "UN mechanism"
    ICC = "icc", "International Criminal Court"
    NATIONAL_AUTHORITY = "national_authority", "National authority"
    PARTNER_NGO = "partner_ngo", "Partner NGO"
    MEDIA = "media", "Media"
    PUBLIC = "public", "Public"


class ConsentUse(models.TextChoices):
    EVIDENCE = "evidence", "Use of their testimony and documents as evidence"
    DOSSIER = "dossier", "Inclusion in a case dossier"
    STATISTICS = "statistics", "Counting in anonymous statistics"
    PUBLICATION = "publication", "Publication of their account"
    CONTACT = "contact", "Being contacted again"


class ClaimCategory(models.TextChoices):
    DEATH_OF_RELATIVE = "death_of_relative", "Death of a relative"
    INJURY = "injury", "Injury"
    FORCED_DISPLACEMENT = "forced_displacement", "Forced displacement"
    LOSS_OF_HOME = "loss_of_home", "Loss of a home"
    LOSS_OF_LIVELIHOOD_OR_LAND = "loss_of_livelihood_or_land", "Loss of livelihood or land"
    DAMAGED_CULTURAL_OR_RELIGIOUS_PROPERTY = (
        "damaged_cultural_or_religious_property",
        "Damaged cultural or religious property",
    )


class ItemRelation(models.TextChoices):
    TESTIMONY = "testimony", "Testimony"
    SUPPORTING_DOCUMENT = "supporting_document", "Supporting document"


class AuditAction(models.TextChoices):
    CREATE = "create", "Created"
    READ = "read", "Read"
    REVEAL = "reveal", "Identity revealed"
    UPDATE = "update", "Identity updated"
    LIST = "list", "Listed"
    CONSENT = "consent", "Consent recorded"
    WITHDRAW = "withdraw", "Consent withdrawn"
    CLAIM = "claim", "Claim recorded"
    LINK = "link", "Item linked"
    DUPLICATES = "duplicates", "Duplicates searched"
    DECIDE = "decide", "Duplicate decided"
    IMPORT = "import", "Imported"
    EXPORT = "export", "Exported"
    STATISTICS = "statistics", "Statistics"
    ROTATE = "rotate", "Keys rotated"
    DENIED = "denied", "Access denied"


class SuspicionStatus(models.TextChoices):
    OPEN = "open", "Open"
    SAME = "same", "Same person"
    DIFFERENT = "different", "Different people"


class ProtectedPerson(models.Model):
    """A victim, witness, claimant or relative. Shown by pseudonym; the identity is sealed."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="protected_people")
    pseudonym = models.CharField(max_length=16, help_text="random, stable, e.g. W-4K7QX")
    roles = models.JSONField(default=list, help_text='e.g. ["victim", "witness"]')
    sealed_identity = models.BinaryField(help_text="AES-256-GCM sealed JSON of identity fields")
    key_id = models.CharField(max_length=32, help_text="the protection key that sealed it")
    place_of_origin = models.ForeignKey(
        Place, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    displacement_date = models.CharField(max_length=64, blank=True, help_text="EDTF")
    displacement_lower = models.DateField(null=True, blank=True)
    displacement_upper = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["case", "pseudonym"]
        constraints = [
            models.UniqueConstraint(fields=["case", "pseudonym"], name="one_pseudonym_per_case"),
        ]

    def __str__(self) -> str:
        return self.pseudonym


class PersonMatchKey(models.Model):
    """One keyed hash (HMAC-SHA256) of a normalised name/date-of-birth variant of a person.

    Two records share a key when one of their spellings folds to the same form; the form itself
    is never stored, and without the HMAC key the hashes cannot be tested against guessed names.
    """

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(ProtectedPerson, on_delete=models.CASCADE, related_name="match_keys")
    key = models.CharField(max_length=64)
    with_date_of_birth = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["case", "key"], name="protection_match_case_key")]
        constraints = [
            models.UniqueConstraint(fields=["person", "key"], name="one_match_key_per_person"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id}:{self.key[:8]}"


class Consent(models.Model):
    """What a person agreed to: one recipient, one use; withdrawn, never deleted."""

    person = models.ForeignKey(ProtectedPerson, on_delete=models.PROTECT, related_name="consents")
    recipient = models.CharField(max_length=30, choices=Recipient.choices)
    use = models.CharField(max_length=30, choices=ConsentUse.choices)
    explained = models.TextField(help_text="what was explained to the person")
    given_on = models.DateField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_by_label = models.CharField(max_length=150)
    recorded_at = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    withdrawal_note = models.TextField(blank=True)

    class Meta:
        ordering = ["person", "recipient", "use", "recorded_at"]

    def __str__(self) -> str:
        state = "withdrawn" if self.withdrawn_at else "given"
        return f"{self.recipient}/{self.use} ({state})"

    @property
    def active(self) -> bool:
        return self.withdrawn_at is None


class DamageClaim(models.Model):
    """A damage or displacement claim; household members are identities, so they are sealed."""

    person = models.ForeignKey(ProtectedPerson, on_delete=models.PROTECT, related_name="claims")
    category = models.CharField(max_length=50, choices=ClaimCategory.choices)
    place = models.ForeignKey(
        Place, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    date = models.CharField(max_length=64, blank=True, help_text="EDTF")
    date_lower = models.DateField(null=True, blank=True)
    date_upper = models.DateField(null=True, blank=True)
    sealed_household = models.BinaryField(
        blank=True, default=b"", help_text="sealed JSON list of household members"
    )
    household_size = models.PositiveIntegerField(null=True, blank=True)
    value_amount = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    value_currency = models.CharField(max_length=3, blank=True, help_text="ISO 4217")
    description = models.TextField(blank=True)
    needs = models.TextField(blank=True)
    referrals = models.TextField(blank=True)
    supporting_items = models.ManyToManyField(Item, blank=True, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["person", "created_at"]

    def __str__(self) -> str:
        return f"{self.person_id}: {self.category}"


class PersonItem(models.Model):
    """An item that is a person's testimony or supporting document; the item becomes restricted."""

    person = models.ForeignKey(ProtectedPerson, on_delete=models.PROTECT, related_name="items")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="protected_links")
    relation = models.CharField(max_length=30, choices=ItemRelation.choices)
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    linked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "item", "relation"], name="one_link_per_relation"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.relation} {self.item_id}"


class AppendOnlyAuditQuerySet(models.QuerySet["ProtectionAudit"]):
    def update(self, **kwargs: Any) -> int:
        raise ImmutableRecordError("the protection audit is append-only: it cannot be updated")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ImmutableRecordError("the protection audit is append-only: it cannot be deleted")

    def bulk_update(self, *args: Any, **kwargs: Any) -> int:
        raise ImmutableRecordError("the protection audit is append-only: it cannot be updated")


class ProtectionAudit(models.Model):
    """Who read, revealed, listed, exported or changed protected records, when and why."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(
        ProtectedPerson, null=True, blank=True, on_delete=models.PROTECT, related_name="audit"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    user_label = models.CharField(max_length=150)
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    reason = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True, help_text="never identity fields")
    at = models.DateTimeField(auto_now_add=True)

    objects = AppendOnlyAuditQuerySet.as_manager()

    class Meta:
        ordering = ["case", "at", "id"]
        indexes = [models.Index(fields=["case", "at"], name="protection_audit_case_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user_label} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableRecordError("the protection audit is append-only: it cannot be updated")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ImmutableRecordError("the protection audit is append-only: it cannot be deleted")


class DuplicateSuspicion(models.Model):
    """Two records that may be the same person, for a protection officer to judge."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="+")
    person_a = models.ForeignKey(ProtectedPerson, on_delete=models.PROTECT, related_name="+")
    person_b = models.ForeignKey(ProtectedPerson, on_delete=models.PROTECT, related_name="+")
    shared_keys = models.PositiveIntegerField()
    with_date_of_birth = models.BooleanField(
        default=False, help_text="a shared key includes the date of birth"
    )
    status = models.CharField(
        max_length=10, choices=SuspicionStatus.choices, default=SuspicionStatus.OPEN
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case", "status", "-shared_keys", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["person_a", "person_b"], name="one_suspicion_per_pair"),
        ]

    def __str__(self) -> str:
        return f"{self.person_a_id} ~ {self.person_b_id} ({self.status})"
