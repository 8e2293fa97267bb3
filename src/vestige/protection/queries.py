"""Queries over the registry shared by the web pages and the API (pseudonymised fields only)."""

from __future__ import annotations

from django.db.models import CharField, QuerySet
from django.db.models.functions import Cast

from .models import DamageClaim, ProtectedPerson


def with_role(people: QuerySet[ProtectedPerson], role: str) -> QuerySet[ProtectedPerson]:
    """People whose role list includes ``role``; the same query on SQLite and PostgreSQL.

    The JSON list is compared as text with the quoted role (``"victim"``): JSON containment
    lookups are not available on SQLite, and the quotes keep one role from matching another.
    """
    text = Cast("roles", output_field=CharField())
    return people.annotate(roles_text=text).filter(roles_text__contains=f'"{role}"')


def with_claim(people: QuerySet[ProtectedPerson], category: str) -> QuerySet[ProtectedPerson]:
    """People with at least one claim of ``category``."""
    return people.filter(
        pk__in=DamageClaim.objects.filter(category=category).values("person")
    )
