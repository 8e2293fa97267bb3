"""Extended Date/Time Format (EDTF, ISO 8601-2) values: checking them and their date bounds.

Vestige stores uncertain dates as EDTF strings — ``2023-09`` (a month), ``2020-11~``
(approximately), ``2023-09-19/2023-09-20`` (an interval), ``2022-12/..`` (open end) — and keeps
the earliest and latest day each can mean, so that lists can be filtered and drawn on a timeline.
This covers EDTF level 0 and the level-1 qualifiers (``?``, ``~``, ``%``), unspecified digits
(``202X``, ``2023-XX``) and open or unknown interval ends.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from .errors import UserError

_SINGLE = re.compile(
    r"^(?P<year>-?\d{4}|\d{2}XX|\d{3}X)"
    r"(?:-(?P<month>\d{2}|XX)(?:-(?P<day>\d{2}|XX))?)?"
    r"(?P<qualifier>[?~%])?$"
)
_SEASONS = {"21": (3, 5), "22": (6, 8), "23": (9, 11), "24": (12, 2)}


@dataclass(frozen=True)
class EdtfBounds:
    """What an EDTF value can mean: the earliest and latest day, and how precise it is."""

    lower: date | None
    upper: date | None
    precision: str  # day, month, season, year, decade, century, interval
    approximate: bool = False
    uncertain: bool = False


def _single(value: str) -> EdtfBounds:
    match = _SINGLE.match(value)
    if not match:
        raise UserError(f"not an EDTF date: {value!r} (examples: 2023-09-20, 2023-09, 2020-11~)")
    year_text = match["year"]
    qualifier = match["qualifier"] or ""
    approximate = qualifier in ("~", "%")
    uncertain = qualifier in ("?", "%")
    if "X" in year_text:
        digits = year_text.rstrip("X")
        span = 10 ** (4 - len(digits))
        start_year = int(digits) * span
        precision = "decade" if span == 10 else "century"
        return EdtfBounds(
            date(max(start_year, 1), 1, 1), date(start_year + span - 1, 12, 31),
            precision, approximate, uncertain,
        )
    year = int(year_text)
    if year < 1:
        raise UserError(f"years before 1 CE are not supported: {value!r}")
    month_text, day_text = match["month"], match["day"]
    if month_text is None or month_text == "XX":
        return EdtfBounds(date(year, 1, 1), date(year, 12, 31), "year", approximate, uncertain)
    if month_text in _SEASONS:
        first, last = _SEASONS[month_text]
        end_year = year + 1 if last < first else year
        return EdtfBounds(
            date(year, first, 1),
            date(end_year, last, calendar.monthrange(end_year, last)[1]),
            "season", approximate, uncertain,
        )
    month = int(month_text)
    if not 1 <= month <= 12:
        raise UserError(f"month out of range in {value!r}")
    last_day = calendar.monthrange(year, month)[1]
    if day_text is None or day_text == "XX":
        return EdtfBounds(
            date(year, month, 1), date(year, month, last_day), "month", approximate, uncertain
        )
    day = int(day_text)
    if not 1 <= day <= last_day:
        raise UserError(f"day out of range in {value!r}")
    moment = date(year, month, day)
    return EdtfBounds(moment, moment, "day", approximate, uncertain)


def parse_edtf(value: str) -> EdtfBounds:
    """The bounds of an EDTF date or interval; raise UserError when it is not valid EDTF."""
    value = value.strip()
    if not value:
        raise UserError("empty date")
    if "/" in value:
        start_text, _, end_text = value.partition("/")
        start = None if start_text in ("", "..") else _single(start_text)
        end = None if end_text in ("", "..") else _single(end_text)
        if start is None and end is None:
            raise UserError(f"an interval needs at least one end: {value!r}")
        lower = start.lower if start else None
        upper = end.upper if end else None
        if lower and upper and lower > upper:
            raise UserError(f"the interval {value!r} ends before it starts")
        return EdtfBounds(
            lower, upper, "interval",
            approximate=any(b.approximate for b in (start, end) if b),
            uncertain=any(b.uncertain for b in (start, end) if b),
        )
    return _single(value)


def is_edtf(value: str) -> bool:
    """Whether ``value`` is a date Vestige understands as EDTF."""
    try:
        parse_edtf(value)
    except UserError:
        return False
    return True
