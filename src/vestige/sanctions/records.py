"""What an importer yields: one listed entity, independent of the list's file format.

Kept free of Django so that parsers (and S2's name generator) can build records
without a database, and :func:`vestige.sanctions.store.import_entities` can write
them in large batches.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SCHEMAS = ("person", "organization", "vessel", "aircraft", "unknown")
NAME_KINDS = ("primary", "aka", "fka", "weak_aka")


@dataclass
class EntityRecord:
    """One entity as read from a list file, before it is stored.

    ``names`` holds the aliases only; the primary name is stored as a name of kind
    ``primary`` automatically.  ``birth_dates`` are ISO dates or partial ISO dates
    (``1962-03-12``, ``1962-03``, ``1962``).  ``nationalities`` are ISO 3166
    alpha-2 codes where the country could be recognised.
    """

    entity_id: str
    primary_name: str
    schema: str = "unknown"
    names: list[tuple[str, str]] = field(default_factory=list)
    programmes: list[str] = field(default_factory=list)
    nationalities: list[str] = field(default_factory=list)
    birth_dates: list[str] = field(default_factory=list)
    gender: str = ""
    identifiers: list[dict[str, str]] = field(default_factory=list)
    remarks: str = ""
    raw: dict[str, Any] = field(default_factory=dict)

    def add_name(self, name: str, kind: str = "aka") -> None:
        """Add an alias once (the same spelling twice adds nothing)."""
        name = " ".join(name.split())
        if not name or name == self.primary_name:
            return
        if any(existing == name for existing, _ in self.names):
            return
        self.names.append((name, kind))

    def add_unique(self, attribute: str, value: str) -> None:
        """Append ``value`` to a list attribute unless empty or already there."""
        values: list[str] = getattr(self, attribute)
        if value and value not in values:
            values.append(value)

    def add_identifier(self, kind: str, value: str, country: str = "") -> None:
        """Record one identity document or registration number."""
        value = value.strip().rstrip(".;,")
        if not value:
            return
        entry = {"type": kind.strip(), "value": value, "country": country}
        if entry not in self.identifiers:
            self.identifiers.append(entry)
