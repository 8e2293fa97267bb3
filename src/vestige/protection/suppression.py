"""Small-cell suppression for published counts: tables in, suppressed tables out (no Django).

A count below the threshold could single someone out ("the 2 people from this village who fled
in March"), so it is never published. Suppressing it alone is not enough: a row total minus the
published cells of that row gives it back. So every *line* of the table — each row with its row
total, each column with its column total, the row of column totals with the grand total — is
treated as one equation ``part + part + … = whole``, and the rules are:

1. *primary*: every entry (cell or total) with ``0 < value < threshold`` is suppressed;
2. *complementary*: a line with exactly one suppressed entry gets a second one, so that the
   line's equation has two unknowns and gives neither back;
3. because zeros are never suppressed (a zero singles no one out, and the rule is public), a
   reader knows every suppressed entry is at least 1; a line whose suppressed entries are all
   parts adding up to exactly their number (all ones) would give them back, so it gets one more.

Complements are the smallest non-zero published entries of the line (cells before totals, then
position), so as little as possible is hidden and the result is the same on every run. The
rules are applied until nothing changes; each pass suppresses at least one more entry, so it
ends. The property tests in ``tests/test_statistics.py`` check all three rules on random tables.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

SUPPRESSED_MARK = "suppressed"

Position = tuple[int, int]


@dataclass(frozen=True)
class Line:
    """One equation of the table: the parts add up to the whole."""

    parts: tuple[Position, ...]
    whole: Position

    @property
    def entries(self) -> tuple[Position, ...]:
        return (*self.parts, self.whole)


@dataclass
class SuppressedTable:
    """A table of counts with its totals, where ``None`` means suppressed.

    ``cells[r][c]`` is the count for row ``r`` and column ``c``. ``row_totals`` is empty when
    the table has a single column and ``column_totals`` when it has a single row (they would
    repeat the cells); ``grand_total`` is the sum of every cell.
    """

    title: str
    row_header: str
    row_labels: list[str]
    column_labels: list[str]
    cells: list[list[int | None]]
    row_totals: list[int | None]
    column_totals: list[int | None]
    grand_total: int | None
    threshold: int
    suppressed: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def has_row_totals(self) -> bool:
        return bool(self.row_totals)

    @property
    def has_column_totals(self) -> bool:
        return bool(self.column_totals)

    def row_figures(self) -> list[int | None]:
        """The figure per row label: its total, or its only cell in a one-column table."""
        if self.has_row_totals:
            return list(self.row_totals)
        if self.column_labels:
            return [row[0] for row in self.cells]
        return [0 for _ in self.row_labels]

    def column_figures(self) -> list[int | None]:
        """The figure per column label: its total, or its only cell in a one-row table."""
        if self.has_column_totals:
            return list(self.column_totals)
        if self.row_labels:
            return list(self.cells[0])
        return [0 for _ in self.column_labels]

    def csv_rows(self) -> Iterator[list[str]]:
        """The table as CSV rows: a header, one row per row label, and the totals row.

        A suppressed entry is written as ``suppressed``, never as a number or a range.
        """

        def show(value: int | None) -> str:
            return SUPPRESSED_MARK if value is None else str(value)

        header = [self.row_header, *self.column_labels]
        if self.has_row_totals:
            header.append("total")
        yield header
        for index, label in enumerate(self.row_labels):
            row = [label, *(show(v) for v in self.cells[index])]
            if self.has_row_totals:
                row.append(show(self.row_totals[index]))
            yield row
        if self.has_column_totals:
            last = ["total", *(show(v) for v in self.column_totals)]
            if self.has_row_totals:
                last.append(show(self.grand_total))
            yield last


def table_lines(rows: int, columns: int) -> list[Line]:
    """The equations of a ``rows`` × ``columns`` table extended by its totals.

    Row ``rows`` holds the column totals and column ``columns`` the row totals; a table with one
    row (or one column) has no totals row (column), since it would repeat the cells.
    """
    with_row_totals = columns > 1
    with_column_totals = rows > 1
    lines: list[Line] = []
    row_range = range(rows + 1) if with_column_totals else range(rows)
    column_range = range(columns + 1) if with_row_totals else range(columns)
    if with_row_totals:
        for r in row_range:
            lines.append(Line(tuple((r, c) for c in range(columns)), (r, columns)))
    if with_column_totals:
        for c in column_range:
            lines.append(Line(tuple((r, c) for r in range(rows)), (rows, c)))
    return lines


def _extended(cells: Sequence[Sequence[int]]) -> dict[Position, int]:
    rows = len(cells)
    columns = len(cells[0]) if rows else 0
    values: dict[Position, int] = {}
    for r in range(rows):
        for c in range(columns):
            values[(r, c)] = int(cells[r][c])
    if columns > 1:
        for r in range(rows):
            values[(r, columns)] = sum(values[(r, c)] for c in range(columns))
    if rows > 1:
        for c in range(columns):
            values[(rows, c)] = sum(values[(r, c)] for r in range(rows))
    if rows > 1 and columns > 1:
        values[(rows, columns)] = sum(values[(r, columns)] for r in range(rows))
    return values


def _needs_more(line: Line, hidden: set[Position], values: dict[Position, int]) -> bool:
    """Whether the line's equation would give back a suppressed entry."""
    unknown = [p for p in line.entries if p in hidden]
    if not unknown:
        return False
    if len(unknown) == 1:
        return True
    if line.whole in hidden:
        return False  # the whole is unbounded above: no part can be pinned down
    # Parts only: their sum is published implicitly (whole − published parts). Each is ≥ 1,
    # so they are pinned down exactly when they are all ones.
    return sum(values[p] for p in unknown) == len(unknown)


def _complement(line: Line, hidden: set[Position], values: dict[Position, int]) -> Position | None:
    """The entry to suppress next in ``line``: the smallest non-zero published one."""
    candidates = [p for p in line.entries if p not in hidden and values[p] > 0]
    if not candidates:
        return None
    return min(candidates, key=lambda p: (values[p], p == line.whole, p))


def suppress_positions(
    cells: Sequence[Sequence[int]], threshold: int
) -> tuple[dict[Position, int], set[Position]]:
    """The extended table's values and the positions to suppress in it."""
    if threshold < 1:
        raise ValueError("the threshold must be at least 1")
    values = _extended(cells)
    rows = len(cells)
    columns = len(cells[0]) if rows else 0
    if any(len(row) != columns for row in cells):
        raise ValueError("every row must have the same number of columns")
    if any(v < 0 for v in values.values()):
        raise ValueError("counts cannot be negative")
    hidden = {p for p, v in values.items() if 0 < v < threshold}
    lines = table_lines(rows, columns)
    changed = True
    while changed:
        changed = False
        for line in lines:
            if _needs_more(line, hidden, values):
                extra = _complement(line, hidden, values)
                if extra is not None:
                    hidden.add(extra)
                    changed = True
    return values, hidden


def _grand_total_position(rows: int, columns: int) -> Position:
    """Where the sum of every cell sits in the extended table."""
    if rows > 1 and columns > 1:
        return (rows, columns)
    if columns > 1:
        return (0, columns)
    if rows > 1:
        return (rows, 0)
    return (0, 0)


def suppress(
    cells: Sequence[Sequence[int]],
    threshold: int,
    *,
    title: str = "",
    row_header: str = "",
    row_labels: Sequence[str] | None = None,
    column_labels: Sequence[str] | None = None,
) -> SuppressedTable:
    """Suppress small counts in ``cells`` (and their totals) so that none can be recovered."""
    rows = len(cells)
    columns = len(cells[0]) if rows else 0
    values, hidden = suppress_positions(cells, threshold)

    def shown(position: Position) -> int | None:
        return None if position in hidden else values[position]

    return SuppressedTable(
        title=title,
        row_header=row_header,
        row_labels=list(row_labels) if row_labels is not None else [str(r) for r in range(rows)],
        column_labels=(
            list(column_labels) if column_labels is not None else [str(c) for c in range(columns)]
        ),
        cells=[[shown((r, c)) for c in range(columns)] for r in range(rows)],
        row_totals=[shown((r, columns)) for r in range(rows)] if columns > 1 else [],
        column_totals=[shown((rows, c)) for c in range(columns)] if rows > 1 else [],
        grand_total=shown(_grand_total_position(rows, columns)) if rows and columns else 0,
        threshold=threshold,
        suppressed=len(hidden),
    )
