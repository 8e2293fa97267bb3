"""Registry statistics that single no one out: counts with small cells suppressed.

Two tables, each published only through :func:`vestige.protection.suppression.suppress`:

- *displaced people* by place of origin (rows) and month of displacement (columns). A person
  counts once: in the month their displacement date falls in, or in "month unknown" when the
  date is missing or spans more than one month; people with no place in "place unknown".
  Displaced means: a displacement date, or a forced-displacement claim.
- *claims* by category (rows) and place (columns). The unit is a person claiming in a category,
  counted once per category even with several claims of it (so every count is a count of
  people), at the place of their earliest claim of that category (else their place of origin).

The "by category", "by month" and "by place" figures are the margins of these two tables, not
separate tables: separately suppressed tables of the same people could be subtracted from one
another to give back a hidden cell. Everyone in the registry is counted (suppressed aggregates
identify no one; counting only those who consented to statistics would bias every figure).
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings

from ..cases.access import require
from ..cases.graph import Place
from ..cases.models import Case
from ..cases.roles import Permission
from ..core.errors import UserError
from .models import AuditAction, ClaimCategory, DamageClaim, ProtectedPerson
from .suppression import SuppressedTable, suppress

PLACE_UNKNOWN = "place unknown"
PLACE_UNKNOWN_KEY: int | None = None
MONTH_UNKNOWN = "month unknown"


def min_cell(requested: int | None = None) -> int:
    """The threshold to use: the instance's, or a higher one asked for; never a lower one."""
    configured = int(settings.STATS_MIN_CELL)
    if requested is None:
        return configured
    if requested < configured:
        raise UserError(
            f"the smallest publishable count cannot be lowered below {configured} "
            "(VESTIGE_STATS_MIN_CELL); it can only be raised"
        )
    return requested


def month_of(lower: date | None, upper: date | None) -> str:
    """``YYYY-MM`` when a date range lies within one month, else :data:`MONTH_UNKNOWN`."""
    if lower is None or upper is None:
        return MONTH_UNKNOWN
    if (lower.year, lower.month) != (upper.year, upper.month):
        return MONTH_UNKNOWN
    return f"{lower.year:04d}-{lower.month:02d}"


def _place_labels(places: dict[int, Place]) -> dict[int, str]:
    """Display names, with the country code (then the id) added where two would look alike."""
    labels = {pk: place.display_name for pk, place in places.items()}
    counts = Counter(labels.values())
    for pk, place in places.items():
        if counts[labels[pk]] > 1:
            labels[pk] = f"{place.display_name} ({place.country_code or pk})"
    counts = Counter(labels.values())
    for pk in places:
        if counts[labels[pk]] > 1:
            labels[pk] = f"{labels[pk]} #{pk}"
    return labels


def _ordered_places(place_ids: set[int | None]) -> tuple[list[int | None], dict[int | None, str]]:
    places = {p.pk: p for p in Place.objects.filter(pk__in=[i for i in place_ids if i])}
    labels: dict[int | None, str] = {PLACE_UNKNOWN_KEY: PLACE_UNKNOWN}
    for pk, label in _place_labels(places).items():
        labels[pk] = label
    known = sorted((i for i in place_ids if i), key=lambda i: (labels[i].casefold(), i))
    order: list[int | None] = [*known]
    if None in place_ids:
        order.append(None)
    return order, labels


def displacement_counts(case: Case) -> dict[tuple[int | None, str], int]:
    """People per (place of origin id, month): the raw counts, never published as they are."""
    displaced_by_claim = set(
        DamageClaim.objects.filter(
            person__case=case, category=ClaimCategory.FORCED_DISPLACEMENT
        ).values_list("person_id", flat=True)
    )
    counts: Counter[tuple[int | None, str]] = Counter()
    rows = ProtectedPerson.objects.filter(case=case).values_list(
        "pk", "place_of_origin_id", "displacement_date", "displacement_lower", "displacement_upper"
    )
    for pk, place_id, edtf, lower, upper in rows.iterator():
        if not edtf and pk not in displaced_by_claim:
            continue
        counts[(place_id, month_of(lower, upper))] += 1
    return dict(counts)


def displacement_table(case: Case, threshold: int) -> SuppressedTable:
    """Displaced people by place of origin and month of displacement, suppressed."""
    counts = displacement_counts(case)
    order, labels = _ordered_places({place for place, _ in counts})
    months = sorted({m for _, m in counts if m != MONTH_UNKNOWN})
    if any(m == MONTH_UNKNOWN for _, m in counts):
        months.append(MONTH_UNKNOWN)
    cells = [[counts.get((place, month), 0) for month in months] for place in order]
    return suppress(
        cells,
        threshold,
        title="Displaced people by place of origin and month of displacement",
        row_header="place_of_origin",
        row_labels=[labels[p] for p in order],
        column_labels=months,
    )


def claim_counts(case: Case) -> dict[tuple[str, int | None], int]:
    """People claiming per (category, place id): raw counts, never published as they are."""
    first: dict[tuple[Any, str], Any] = {}
    rows = (
        DamageClaim.objects.filter(person__case=case)
        .order_by("created_at", "pk")
        .values_list("person_id", "category", "place_id", "person__place_of_origin_id")
    )
    for person_id, category, place_id, origin_id in rows.iterator():
        first.setdefault((person_id, category), place_id or origin_id)
    counts: Counter[tuple[str, int | None]] = Counter()
    for (_person, category), place_id in first.items():
        counts[(category, place_id)] += 1
    return dict(counts)


def claims_table(case: Case, threshold: int) -> SuppressedTable:
    """People claiming, by claim category and place, suppressed."""
    counts = claim_counts(case)
    order, labels = _ordered_places({place for _, place in counts})
    categories = list(ClaimCategory.values)
    cells = [[counts.get((category, place), 0) for place in order] for category in categories]
    return suppress(
        cells,
        threshold,
        title="People claiming, by claim category and place",
        row_header="category",
        row_labels=categories,
        column_labels=[labels[p] for p in order],
    )


@dataclass
class RegistryStatistics:
    """Both tables of a case, suppressed with one threshold."""

    case: str
    threshold: int
    displacement: SuppressedTable
    claims: SuppressedTable

    def tables(self) -> list[SuppressedTable]:
        return [self.displacement, self.claims]

    def as_dict(self) -> dict[str, Any]:
        return {
            "case": self.case,
            "threshold": self.threshold,
            "tables": [
                {
                    "title": t.title,
                    "row_header": t.row_header,
                    "rows": t.row_labels,
                    "columns": t.column_labels,
                    "cells": t.cells,
                    "row_totals": t.row_totals,
                    "column_totals": t.column_totals,
                    "total": t.grand_total,
                    "suppressed": t.suppressed,
                }
                for t in self.tables()
            ],
        }


def registry_statistics(
    case: Case, user: Any, *, threshold: int | None = None, purpose: str = "view"
) -> RegistryStatistics:
    """The case's suppressed statistics for a user holding REGISTRY; audited (counts only)."""
    from .services import audit

    require(user, case, Permission.REGISTRY)
    limit = min_cell(threshold)
    statistics = RegistryStatistics(
        case=case.slug,
        threshold=limit,
        displacement=displacement_table(case, limit),
        claims=claims_table(case, limit),
    )
    audit(
        case,
        AuditAction.STATISTICS,
        user=user,
        details={"threshold": limit, "purpose": purpose},
    )
    return statistics


def statistics_csv(statistics: RegistryStatistics) -> str:
    """Both tables as one CSV text: each table under a line naming it, a blank line between.

    Suppressed counts are written as ``suppressed``; the threshold is stated at the top.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([f"# {statistics.case}: counts from 1 to {statistics.threshold - 1} and the "
                     "counts that would give them back are suppressed"])
    for index, table in enumerate(statistics.tables()):
        if index:
            writer.writerow([])
        writer.writerow([f"# {table.title}"])
        for row in table.csv_rows():
            writer.writerow(row)
    return buffer.getvalue()


def write_statistics_csv(statistics: RegistryStatistics, path: Path) -> None:
    """Write :func:`statistics_csv` to ``path`` atomically (a temporary file renamed)."""
    import os
    import tempfile

    path = Path(path)
    if not path.parent.exists():
        raise UserError(f"folder {path.parent} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=".stats-", suffix=".csv", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(statistics_csv(statistics))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def totals_by(statistics: RegistryStatistics) -> dict[str, list[tuple[str, int | None]]]:
    """The margins the charts draw: claims by category, displacement by month and by place."""
    claims, displacement = statistics.claims, statistics.displacement
    return {
        "claims_by_category": list(zip(claims.row_labels, claims.row_figures(), strict=True)),
        "displacement_by_month": list(
            zip(displacement.column_labels, displacement.column_figures(), strict=True)
        ),
        "displacement_by_place": list(
            zip(displacement.row_labels, displacement.row_figures(), strict=True)
        ),
    }
