"""Dates written in running text — English, Russian, Armenian, ISO — as EDTF with their precision.

``September 2023`` → ``2023-09``; ``20 September 2023`` and ``September 20, 2023`` →
``2023-09-20``; ``19–20 September 2023`` → ``2023-09-19/2023-09-20``; ``20 сентября 2023 года``
and ``2023 թվականի սեպտեմբերի 20-ին`` → ``2023-09-20``; a year alone (``the 2022 Human Rights
Report``) → ``2022``.

Nothing is ever filled in from today's date. A date whose year the text does not state
(``in September``, ``on 20 September``) gets **no** EDTF value: it is returned by
:func:`find_date_spans` with ``edtf=None`` so that its numbers are not read as quantities, but
:func:`find_dates` leaves it out. Guessing the year from elsewhere in the document would be a
guess, and a reviewer can always add the date to the claim.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .edtf import parse_edtf
from .errors import UserError

_ENGLISH = (
    ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
    ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sept", "sep"),
    ("october", "oct"), ("november", "nov"), ("december", "dec"),
)
# Russian: every case form a month name takes in dates (nominative, genitive, prepositional).
_RUSSIAN = (
    ("январь", "января", "январе"), ("февраль", "февраля", "феврале"),
    ("март", "марта", "марте"), ("апрель", "апреля", "апреле"), ("май", "мая", "мае"),
    ("июнь", "июня", "июне"), ("июль", "июля", "июле"), ("август", "августа", "августе"),
    ("сентябрь", "сентября", "сентябре"), ("октябрь", "октября", "октябре"),
    ("ноябрь", "ноября", "ноябре"), ("декабрь", "декабря", "декабре"),
)
# Armenian: the stem; case endings (-ի, -ին, -ից, -ը, -ն, -ում) are matched separately.
_ARMENIAN = (
    "հունվար", "փետրվար", "մարտ", "ապրիլ", "մայիս", "հունիս", "հուլիս", "օգոստոս",
    "սեպտեմբեր", "հոկտեմբեր", "նոյեմբեր", "դեկտեմբեր",
)
_ARMENIAN_ENDING = r"(?:ին|ից|ի|ը|ն|ում)?"

MONTHS: dict[str, int] = {}
for _number, _forms in enumerate(_ENGLISH, start=1):
    for _form in _forms:
        MONTHS[_form] = _number
for _number, _forms in enumerate(_RUSSIAN, start=1):
    for _form in _forms:
        MONTHS[_form] = _number
for _number, _stem in enumerate(_ARMENIAN, start=1):
    MONTHS[_stem] = _number

_latin_cyrillic = sorted(
    (f for f in MONTHS if not ("\u0530" <= f[0] <= "\u058f")), key=len, reverse=True
)
_MONTH = (
    r"(?<![^\W\d_])(?:"
    + "|".join(f"{re.escape(f)}(?:\\.(?=\\s))?" for f in _latin_cyrillic)
    + "|"
    + "|".join(f"{re.escape(s)}{_ARMENIAN_ENDING}" for s in _ARMENIAN)
    + r")(?![^\W\d_])"
)
_DASH = r"\s*[-–—‒]\s*"
_ORD = r"(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>1[6-9]\d\d|20\d\d)"
_RU_YEAR = r"(?:\s*(?:года|году|г\.|гг\.))?"
_HY_YEAR = r"(?:\s*(?:թվականի|թվականին|թ\.))?"
_HY_DAY = r"(?:-?(?:ին|ից|ը|ի|ն))?"
_END = r"(?!\d)"


def _p(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


# Tried in this order; a later match may not overlap an earlier one.
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("iso", _p(r"(?<![\d-])(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})(?![\d-])")),
    ("dotted", _p(r"(?<![\d.])(?P<day>\d{1,2})\.(?P<month>\d{1,2})\.(?P<year>\d{4})(?![\d])")),
    # between 27 September and 9 November 2020, from 12 December 2022 to 25 September 2023
    ("day month to day month year", _p(
        rf"(?<!\d)(?P<day>\d{{1,2}}){_ORD}\s+(?P<mname>{_MONTH})(?:,?\s+(?P<year1>1[6-9]\d\d|20\d\d))?"
        rf"\s*(?:and|to|until|till|through|[-–—]|по|до)\s*(?P<day2b>\d{{1,2}}){_ORD}\s+"
        rf"(?P<mname2>{_MONTH}),?\s+{_YEAR}{_END}{_RU_YEAR}"
    )),
    # 19–20 September 2023, 19-20 сентября 2023 года
    ("day-range month year", _p(
        rf"(?<!\d)(?P<day>\d{{1,2}}){_ORD}{_DASH}(?P<day2>\d{{1,2}}){_ORD}\s+(?:of\s+)?"
        rf"(?P<mname>{_MONTH}),?\s+{_YEAR}{_END}{_RU_YEAR}"
    )),
    # September 19–20, 2023
    ("month day-range year", _p(
        rf"(?P<mname>{_MONTH})\s+(?P<day>\d{{1,2}}){_ORD}{_DASH}(?P<day2>\d{{1,2}}){_ORD},?\s+"
        rf"{_YEAR}{_END}"
    )),
    # 2023 թվականի սեպտեմբերի 19-20-ը / 2023 թ. սեպտեմբերի 20-ին
    ("year month day", _p(
        rf"(?<!\d){_YEAR}{_HY_YEAR}\s+(?P<mname>{_MONTH})\s+(?P<day>\d{{1,2}})"
        rf"(?:{_DASH}(?P<day2>\d{{1,2}}))?{_HY_DAY}{_END}"
    )),
    # 20 September 2023, 20th of September, 2023, 20 сентября 2023 года
    ("day month year", _p(
        rf"(?<!\d)(?P<day>\d{{1,2}}){_ORD}\s+(?:of\s+)?(?P<mname>{_MONTH}),?\s+{_YEAR}{_END}"
        rf"{_RU_YEAR}"
    )),
    # September 20, 2023
    ("month day year", _p(
        rf"(?P<mname>{_MONTH})\s+(?P<day>\d{{1,2}}){_ORD},?\s+{_YEAR}{_END}"
    )),
    # 2023 թվականի սեպտեմբերին
    ("year month", _p(rf"(?<!\d){_YEAR}{_HY_YEAR}\s+(?P<mname>{_MONTH})")),
    # September 2023, в сентябре 2023 года
    ("month year", _p(rf"(?P<mname>{_MONTH}),?\s+(?:of\s+)?{_YEAR}{_END}{_RU_YEAR}")),
    # 2020–2023
    ("year range", _p(rf"(?<![\d,.]){_YEAR}{_DASH}(?P<year2>1[6-9]\d\d|20\d\d)(?![\d,.]\d)")),
    # Dates without a year: kept out of quantities, given no EDTF value.
    ("day month", _p(
        rf"(?<!\d)(?P<day>\d{{1,2}})(?:{_DASH}(?P<day2>\d{{1,2}}))?{_ORD}\s+(?:of\s+)?"
        rf"(?P<mname>{_MONTH})"
    )),
    ("month day", _p(
        rf"(?P<mname>{_MONTH})\s+(?P<day>\d{{1,2}})(?:{_DASH}(?P<day2>\d{{1,2}}))?{_ORD}"
        rf"{_HY_DAY}(?![\d,.]?\d)"
    )),
    ("month", _p(_MONTH)),
    # A year alone. Numbers followed by what they count (2000 people) are quantities instead.
    ("year", _p(
        r"(?<![\d,.\-–/])(?P<year>1[89]\d\d|20\d\d)(?![\d%]|[,.]\d|\s*(?:-|–)\s*\d)"
        r"(?:\s*(?:года|году|г\.|թվականի|թվականին|թ\.))?"
    )),
)

# Words after a four-digit number that make it a count, not a year.
_COUNTED = re.compile(
    r"\s+(?:people|persons|civilians|soldiers|troops|residents|refugees|children|"
    r"women|men|families|homes|houses|buildings|prisoners|detainees|victims|dead|bodies|"
    r"Armenians?|Azerbaijanis?|ethnic|человек|жителей|беженцев|мирных|военных|семей|домов|"
    r"մարդ|բնակիչ|փախստական|զինծառայող)",
    re.IGNORECASE,
)
# Words before a four-digit number that make it a count.
_COUNT_CUE = re.compile(
    r"(?:about|around|approximately|nearly|almost|some|over|more than|at least|up to|"
    r"estimated|killed|wounded|displaced|около|примерно|более|свыше|не менее|до|մոտ|շուրջ|"
    r"առնվազն|ավելի քան)\s+$",
    re.IGNORECASE,
)
# An English month name that is also a common word: only a date with a number beside it.
_AMBIGUOUS_MONTHS = {"may", "mar", "march", "jan", "dec", "sep", "oct", "nov", "jun", "jul",
                     "aug", "apr", "feb", "sept", "март", "май"}


@dataclass(frozen=True)
class DateSpan:
    """A date found in a text; ``edtf`` is None when the text does not state a year."""

    text: str
    start: int
    end: int
    edtf: str | None
    precision: str

    def as_dict(self, offset: int = 0) -> dict[str, object]:
        """The JSON form, with offsets shifted by ``offset``."""
        return {
            "text": self.text, "edtf": self.edtf, "precision": self.precision,
            "start": self.start + offset, "end": self.end + offset,
        }


def month_number(word: str) -> int | None:
    """The month a month name means (English, Russian or Armenian, any case ending)."""
    key = word.lower().rstrip(".")
    if key in MONTHS:
        return MONTHS[key]
    for stem in _ARMENIAN:
        if key.startswith(stem):
            return MONTHS[stem]
    return None


def _ymd(year: int, month: int | None = None, day: int | None = None) -> str:
    if month is None:
        return f"{year:04d}"
    if day is None:
        return f"{year:04d}-{month:02d}"
    return f"{year:04d}-{month:02d}-{day:02d}"


def _edtf_for(kind: str, match: re.Match[str]) -> tuple[str | None, str] | None:
    """(EDTF, precision) for a match, (None, precision) for yearless dates, None if invalid."""
    groups = match.groupdict()
    month = None
    if groups.get("mname"):
        month = month_number(groups["mname"])
        if month is None:
            return None
    elif groups.get("month"):
        month = int(groups["month"])
    year = int(groups["year"]) if groups.get("year") else None
    day = int(groups["day"]) if groups.get("day") else None
    day2 = int(groups["day2"]) if groups.get("day2") else None
    if year is None:
        if kind == "month" and match.group(0).lower().rstrip(".") in _AMBIGUOUS_MONTHS:
            return None
        precision = "day" if day is not None else "month"
        return (None, precision)
    if kind == "day month to day month year":
        month2 = month_number(groups["mname2"])
        year1 = int(groups["year1"]) if groups.get("year1") else year
        if month is None or month2 is None or day is None:
            return None
        value = f"{_ymd(year1, month, day)}/{_ymd(year, month2, int(groups['day2b']))}"
        try:
            bounds = parse_edtf(value)
        except UserError:
            return None
        return (value, "interval") if bounds.lower and bounds.upper else None
    if kind == "year range":
        year2 = int(groups["year2"])
        if year2 <= year:
            return None
        value, precision = f"{year:04d}/{year2:04d}", "interval"
    elif day2 is not None:
        if day is None or day2 <= day:
            return None
        value, precision = f"{_ymd(year, month, day)}/{_ymd(year, month, day2)}", "interval"
    elif day is not None:
        value, precision = _ymd(year, month, day), "day"
    elif month is not None:
        value, precision = _ymd(year, month), "month"
    else:
        value, precision = _ymd(year), "year"
    try:
        parse_edtf(value)
    except UserError:
        return None
    return (value, precision)


def find_date_spans(text: str) -> list[DateSpan]:
    """Every date in ``text``, in order — including those without a year (``edtf=None``)."""
    found: list[DateSpan] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(text):
            start, end = match.span()
            if any(start < b and a < end for a, b in taken):
                continue
            if kind == "year" and (
                _COUNTED.match(text, end) or _COUNT_CUE.search(text[max(0, start - 30):start])
            ):
                continue
            result = _edtf_for(kind, match)
            if result is None:
                continue
            span_text = match.group(0).rstrip()
            end = start + len(span_text)
            taken.append((start, end))
            found.append(DateSpan(span_text, start, end, result[0], result[1]))
    found.sort(key=lambda d: d.start)
    return found


def find_dates(text: str) -> list[DateSpan]:
    """The dates in ``text`` that the text itself pins to a year, as EDTF."""
    return [d for d in find_date_spans(text) if d.edtf is not None]
