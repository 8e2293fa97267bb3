"""Contradicting claims side by side: the counts the claims on one incident state.

Claims keep the numbers they state in ``content["quantities"]`` (low / best / high, with a
category such as killed, injured, displaced). Claims on the same incident that state different
numbers for the same category are not averaged or resolved: they become a range (lowest to
highest), and each stated value is shown with the claims that state it and the independent
sources behind those claims. The incident's own recorded count (``IncidentCount``) is shown next
to the range for comparison.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..cases.graph import Claim, ClaimStatus, Incident, IncidentCount
from .independence import SourceGroup, independent_sources, summary


@dataclass
class StatedValue:
    """One value stated for a property, by which claims, from which independent sources."""

    low: int | None
    best: int | None
    high: int | None
    claims: list[Claim] = field(default_factory=list)
    groups: list[SourceGroup] = field(default_factory=list)

    @property
    def floor(self) -> int:
        return min(v for v in (self.low, self.best, self.high) if v is not None)

    @property
    def ceiling(self) -> int:
        return max(v for v in (self.low, self.best, self.high) if v is not None)

    @property
    def display(self) -> str:
        if self.best is not None and self.low is None and self.high is None:
            return f"{self.best:,}"
        if self.low is not None and self.high is not None:
            best = f" (best {self.best:,})" if self.best is not None else ""
            return f"{self.low:,}–{self.high:,}{best}"
        if self.low is not None:
            return f"at least {self.low:,}"
        if self.high is not None:
            return f"at most {self.high:,}"
        return f"{self.best:,}"

    @property
    def sources(self) -> str:
        return summary(self.groups)


@dataclass
class PropertyRange:
    """Every value the incident's claims state for one property (e.g. "killed")."""

    name: str
    values: list[StatedValue]
    recorded: IncidentCount | None = None

    @property
    def disputed(self) -> bool:
        return len(self.values) > 1

    @property
    def minimum(self) -> int:
        return min(v.floor for v in self.values)

    @property
    def maximum(self) -> int:
        return max(v.ceiling for v in self.values)

    @property
    def display(self) -> str:
        if self.minimum == self.maximum:
            return f"{self.minimum:,}"
        return f"{self.minimum:,}–{self.maximum:,}"


def _number(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _quantities(claim: Claim) -> Iterable[tuple[str, tuple[int | None, int | None, int | None]]]:
    content = claim.content if isinstance(claim.content, dict) else {}
    for quantity in content.get("quantities") or []:
        if not isinstance(quantity, dict):
            continue
        key = (
            _number(quantity.get("low")),
            _number(quantity.get("best")),
            _number(quantity.get("high")),
        )
        if all(v is None for v in key):
            continue
        name = str(quantity.get("category") or quantity.get("unit") or "count").strip()
        yield name.lower(), key


def stated_values(incident: Incident, claims: Iterable[Claim] | None = None) -> list[PropertyRange]:
    """Every counted property of the incident's claims (rejected claims left out), each value
    with its claims and independent sources. ``claims`` narrows to those a user may see."""
    if claims is None:
        claims = Claim.objects.filter(incidents=incident)
    claims = [c for c in claims if c.status != ClaimStatus.REJECTED]
    table: dict[str, dict[tuple[int | None, int | None, int | None], StatedValue]] = {}
    for claim in claims:
        seen: set[tuple[str, Any]] = set()
        for name, key in _quantities(claim):
            if (name, key) in seen:
                continue  # the same number twice in one passage is one statement
            seen.add((name, key))
            value = table.setdefault(name, {}).setdefault(key, StatedValue(*key))
            value.claims.append(claim)
    recorded = {c.category.lower(): c for c in IncidentCount.objects.filter(incident=incident)}
    result = []
    for name in sorted(table):
        values = sorted(table[name].values(), key=lambda v: (v.floor, v.ceiling))
        for value in values:
            value.groups = independent_sources(value.claims)
        result.append(PropertyRange(name, values, recorded.get(name)))
    return result


def contradictions(
    incident: Incident, claims: Iterable[Claim] | None = None
) -> list[PropertyRange]:
    """The properties for which the incident's claims state different values: each a range
    (min–max) with every value's claims and independent sources."""
    return [p for p in stated_values(incident, claims) if p.disputed]
