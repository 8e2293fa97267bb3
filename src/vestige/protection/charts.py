"""Charts of the registry statistics as SVG text, drawn on the server (no JavaScript).

Only suppressed figures reach these functions: a suppressed count is drawn as a hatched stub
labelled "suppressed", never as a bar whose length could be measured. Every label is escaped, and
the SVG carries no ``style`` attribute or element (the app's Content-Security-Policy forbids
inline styles): presentation attributes only, so it can be embedded in a page as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING

from .suppression import SuppressedTable

if TYPE_CHECKING:
    from .statistics import RegistryStatistics

BAR = "#3b6e8f"
MUTED = "#8a8f98"
TEXT = "#1f2328"
GRID = "#d0d7de"
FONT = "system-ui, -apple-system, 'Segoe UI', sans-serif"
SUPPRESSED = "suppressed"


def _attr(value: object) -> str:
    return escape(str(value), quote=True)


def _hatch(pattern_id: str) -> str:
    return (
        f'<defs><pattern id="{pattern_id}" width="6" height="6" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="6" height="6" fill="#f3f4f6"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="{MUTED}" stroke-width="2"/></pattern></defs>'
    )


def _svg_open(width: int, height: int, title: str, description: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="vestige-chart" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'aria-label="{_attr(title)}" font-family="{_attr(FONT)}" font-size="12">'
        f"<title>{escape(title)}</title><desc>{escape(description)}</desc>"
    )


def bar_chart_svg(
    labels: Sequence[str],
    values: Sequence[int | None],
    *,
    title: str,
    threshold: int,
    chart_id: str = "bars",
    width: int = 640,
) -> str:
    """Horizontal bars, one per label; ``None`` (suppressed) drawn as a hatched stub."""
    if len(labels) != len(values):
        raise ValueError("one value per label")
    row, top, label_width = 26, 34, min(260, max(120, 7 * max((len(x) for x in labels), default=0)))
    plot = width - label_width - 90
    height = top + row * max(len(labels), 1) + 14
    biggest = max((v for v in values if v is not None), default=0) or 1
    pattern = f"{chart_id}-hatch"
    parts = [
        _svg_open(width, height, title, _description(labels, values, threshold)),
        _hatch(pattern),
        f'<text x="0" y="18" font-size="14" font-weight="600" fill="{TEXT}">{escape(title)}</text>',
    ]
    if not labels:
        parts.append(f'<text x="0" y="{top + 16}" fill="{MUTED}">no records</text>')
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = top + index * row
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 16}" text-anchor="end" fill="{TEXT}">'
            f"{escape(label)}</text>"
        )
        if value is None:
            parts.append(
                f'<rect x="{label_width}" y="{y + 4}" width="24" height="{row - 8}" '
                f'fill="url(#{pattern})" stroke="{MUTED}"/>'
                f'<text x="{label_width + 32}" y="{y + 16}" fill="{MUTED}">{SUPPRESSED}</text>'
            )
            continue
        length = round(plot * value / biggest) if value else 0
        parts.append(
            f'<rect x="{label_width}" y="{y + 4}" width="{length}" height="{row - 8}" '
            f'fill="{BAR}"><title>{escape(label)}: {value}</title></rect>'
            f'<text x="{label_width + length + 6}" y="{y + 16}" fill="{TEXT}">{value}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def column_chart_svg(
    labels: Sequence[str],
    values: Sequence[int | None],
    *,
    title: str,
    threshold: int,
    chart_id: str = "columns",
    height: int = 240,
) -> str:
    """Vertical bars in label order (months); ``None`` drawn as a hatched stub."""
    if len(labels) != len(values):
        raise ValueError("one value per label")
    column, left, top, bottom = 44, 12, 34, 56
    width = max(320, left * 2 + column * len(labels))
    plot = height - top - bottom
    biggest = max((v for v in values if v is not None), default=0) or 1
    pattern = f"{chart_id}-hatch"
    base = top + plot
    parts = [
        _svg_open(width, height, title, _description(labels, values, threshold)),
        _hatch(pattern),
        f'<text x="0" y="18" font-size="14" font-weight="600" fill="{TEXT}">{escape(title)}</text>',
        f'<line x1="{left}" y1="{base}" x2="{width - left}" y2="{base}" stroke="{GRID}"/>',
    ]
    if not labels:
        parts.append(f'<text x="{left}" y="{top + 16}" fill="{MUTED}">no records</text>')
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = left + index * column
        middle = x + column / 2
        parts.append(
            f'<text x="{middle}" y="{base + 14}" text-anchor="end" fill="{TEXT}" '
            f'transform="rotate(-40 {middle} {base + 14})">{escape(label)}</text>'
        )
        if value is None:
            parts.append(
                f'<rect x="{x + 6}" y="{base - 18}" width="{column - 12}" height="18" '
                f'fill="url(#{pattern})" stroke="{MUTED}"><title>{escape(label)}: '
                f"{SUPPRESSED}</title></rect>"
            )
            continue
        length = round(plot * value / biggest) if value else 0
        parts.append(
            f'<rect x="{x + 6}" y="{base - length}" width="{column - 12}" height="{length}" '
            f'fill="{BAR}"><title>{escape(label)}: {value}</title></rect>'
            f'<text x="{middle}" y="{base - length - 4}" text-anchor="middle" fill="{TEXT}">'
            f"{value}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def heat_table_svg(table: SuppressedTable, *, chart_id: str = "heat", cell: int = 34) -> str:
    """The table's cells as shaded squares with their counts (rows × columns, e.g. place ×
    month); suppressed cells hatched. Totals are left to the HTML table beside it."""
    rows, columns = table.row_labels, table.column_labels
    label_width = min(240, max(100, 7 * max((len(x) for x in rows), default=0)))
    top = 34 + 70
    width = label_width + cell * max(len(columns), 1) + 12
    height = top + cell * max(len(rows), 1) + 12
    biggest = max((v for r in table.cells for v in r if v is not None), default=0) or 1
    pattern = f"{chart_id}-hatch"
    parts = [
        _svg_open(width, height, table.title, f"{len(rows)} rows by {len(columns)} columns; "
                  f"counts under {table.threshold} and those that would reveal them are "
                  "suppressed"),
        _hatch(pattern),
        f'<text x="0" y="18" font-size="14" font-weight="600" fill="{TEXT}">'
        f"{escape(table.title)}</text>",
    ]
    for c, label in enumerate(columns):
        x = label_width + c * cell + cell / 2
        parts.append(
            f'<text x="{x}" y="{top - 6}" fill="{TEXT}" transform="rotate(-50 {x} {top - 6})">'
            f"{escape(label)}</text>"
        )
    for r, label in enumerate(rows):
        y = top + r * cell
        parts.append(
            f'<text x="{label_width - 8}" y="{y + cell / 2 + 4}" text-anchor="end" '
            f'fill="{TEXT}">{escape(label)}</text>'
        )
        for c, value in enumerate(table.cells[r]):
            x = label_width + c * cell
            tip = f"{label}, {columns[c]}: {SUPPRESSED if value is None else value}"
            if value is None:
                fill, text, colour = f"url(#{pattern})", "", MUTED
            else:
                shade = 0.08 + 0.92 * (value / biggest) if value else 0.0
                fill = BAR if value else "#ffffff"
                text, colour = str(value), "#ffffff" if shade > 0.55 else TEXT
                parts.append(
                    f'<rect x="{x}" y="{y}" width="{cell - 2}" height="{cell - 2}" fill="{fill}" '
                    f'fill-opacity="{shade if value else 1:.2f}" stroke="{GRID}">'
                    f"<title>{escape(tip)}</title></rect>"
                )
                parts.append(
                    f'<text x="{x + cell / 2 - 1}" y="{y + cell / 2 + 4}" text-anchor="middle" '
                    f'fill="{colour}">{text}</text>'
                )
                continue
            parts.append(
                f'<rect x="{x}" y="{y}" width="{cell - 2}" height="{cell - 2}" fill="{fill}" '
                f'stroke="{GRID}"><title>{escape(tip)}</title></rect>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _description(labels: Sequence[str], values: Sequence[int | None], threshold: int) -> str:
    shown = "; ".join(
        f"{label}: {SUPPRESSED if value is None else value}"
        for label, value in zip(labels, values, strict=True)
    )
    return f"{shown}. Counts under {threshold}, and counts that would reveal them, are suppressed."


def claims_by_category_svg(statistics: RegistryStatistics) -> str:
    """Bar chart of people claiming per category (the claims table's row margin)."""
    from .models import ClaimCategory

    names = dict(ClaimCategory.choices)
    table = statistics.claims
    return bar_chart_svg(
        [str(names.get(code, code)) for code in table.row_labels],
        table.row_figures(),
        title="People claiming, by category",
        threshold=statistics.threshold,
        chart_id="claims",
    )


def displacement_by_month_svg(statistics: RegistryStatistics) -> str:
    """Column chart of displaced people per month (the displacement table's column margin)."""
    table = statistics.displacement
    return column_chart_svg(
        table.column_labels,
        table.column_figures(),
        title="Displaced people, by month of displacement",
        threshold=statistics.threshold,
        chart_id="months",
    )


def displacement_heat_svg(statistics: RegistryStatistics) -> str:
    """Heat table of displaced people by place of origin and month."""
    return heat_table_svg(statistics.displacement, chart_id="displacement")
