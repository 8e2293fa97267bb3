"""Case and membership."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

from .roles import Role

slug_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9-]{0,62}$",
    "A case slug is 1–63 lower-case letters, digits and hyphens, starting with a letter or digit.",
)


class Case(models.Model):
    """An investigation workspace. Nothing in it is visible to non-members."""

    slug = models.CharField(max_length=63, unique=True, validators=[slug_validator])
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    members: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="cases"
    )

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return f"{self.slug}: {self.title}"


class Membership(models.Model):
    """A user's role in a case."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=[(r.value, r.value) for r in Role])
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "user"], name="one_role_per_member"),
        ]

    def __str__(self) -> str:
        return f"{self.user} is {self.role} in {self.case.slug}"


# The case graph lives in its own module; importing it here registers its models.
from .graph import (  # noqa: E402
    Actor,
    ActorName,
    ActorRelation,
    CandidateClaim,
    Claim,
    Edit,
    Incident,
    IncidentActor,
    IncidentCount,
    IncidentRelation,
    Place,
    PlaceName,
    Position,
)

__all__ = [
    "Actor", "ActorName", "ActorRelation", "CandidateClaim", "Case", "Claim", "Edit", "Incident",
    "IncidentActor", "IncidentCount", "IncidentRelation", "Membership", "Place", "PlaceName",
    "Position",
]
