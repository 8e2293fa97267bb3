"""Counts written in running text, with their hedges, as low / best / high.

``around 100,000`` → best 100000, approximate; ``at least 50`` → low 50; ``up to 200`` → high 200;
``between 10 and 20`` → low 10, high 20; ``dozens`` or ``hundreds`` → an approximate range.
Numbers may be written with commas, spaces or thin spaces (``100 000``), with a scale word
(``1.5 million``, ``20 тысяч``, ``100 հազար``) or, for common cases, in words (``two hundred``,
``десятки``, ``հարյուրավոր``). Years and dates are never counts: pass the date spans of the same
text (:func:`vestige.core.dates.find_date_spans`) and any number inside one is skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_SEP = r"[,\u00a0\u202f\u2009 ]"
_NUM = (
    rf"\d{{1,3}}(?:{_SEP}\d{{3}})+(?:\.\d+)?(?!\d)"
    r"|\d+(?:[.,]\d{1,2})?(?=\s*(?:million|billion|млн|миллион|тыс|միլիոն|հազար))"
    r"|\d+(?:\.\d+)?"
)
_SCALES = {
    "hundred": 100, "thousand": 1000, "million": 1_000_000, "billion": 1_000_000_000,
    "сотни": 100, "тыс": 1000, "тысяч": 1000, "тысячи": 1000, "тысяча": 1000, "млн": 1_000_000,
    "миллион": 1_000_000, "миллиона": 1_000_000, "миллионов": 1_000_000,
    "հազար": 1000, "միլիոն": 1_000_000,
}
_SCALE_WORDS = (
    r"hundred|thousand|million|billion|тыс\.?|тысяч[аи]?|млн\.?|миллион(?:а|ов)?|հազար|միլիոն"
)


def _scale(name: str) -> str:
    return rf"(?:\s*(?P<{name}>{_SCALE_WORDS})(?![^\W\d_]))?"


_WORDS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
    "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
    "a dozen": 12, "a hundred": 100, "a thousand": 1000, "one hundred": 100,
    "one thousand": 1000,
}
_WORD_NUM = "|".join(sorted((re.escape(w) for w in _WORDS), key=len, reverse=True))
# Vague amounts: (low, high).
_VAGUE = {
    "tens of thousands": (20_000, 99_999), "hundreds of thousands": (200_000, 999_999),
    "several hundred": (300, 900), "several thousand": (3000, 9000),
    "a few dozen": (24, 60), "several dozen": (36, 99), "dozens": (24, 99),
    "scores": (40, 99), "hundreds": (200, 999), "thousands": (2000, 9999),
    "десятки тысяч": (20_000, 99_999), "сотни тысяч": (200_000, 999_999),
    "десятки": (20, 99), "десятков": (20, 99), "сотни": (200, 999), "сотен": (200, 999),
    "тысячи": (2000, 9999), "тысяч": (2000, 9999),
    "տասնյակ հազարավոր": (20_000, 99_999), "տասնյակ հազար": (20_000, 99_999),
    "հարյուրավոր": (200, 999), "հազարավոր": (2000, 9999), "տասնյակներ": (20, 99),
    "տասնյակ": (20, 99),
}
_VAGUE_RE = "|".join(sorted((re.escape(w) for w in _VAGUE), key=len, reverse=True))

_APPROX = (
    r"around|about|approximately|roughly|some|nearly|almost|an estimated|estimated|circa|"
    r"close to|an approximate|~|около|примерно|приблизительно|порядка|почти|"
    r"մոտավորապես|մոտ|շուրջ|գրեթե"
)
_LOW = (
    r"at least|more than|over|in excess of|upwards of|no fewer than|no less than|not less than|"
    r"не менее|более|свыше|больше|по меньшей мере|по крайней мере|առնվազն|ավելի քան"
)
_HIGH = (
    r"up to|as many as|at most|no more than|fewer than|less than|до|не более|менее|մինչև|մինչեւ"
)
_HEDGE = rf"(?:(?P<approx>{_APPROX})|(?P<low>{_LOW})|(?P<high>{_HIGH}))\s+"

_B = r"(?<![^\W_])"  # not inside a word
_E = r"(?![^\W_])"

_RANGE = re.compile(
    rf"{_B}(?:(?P<rapprox>{_APPROX})\s+)?(?:between|from|от)?\s*(?P<a>{_NUM}){_scale('ascale')}"
    rf"\s*(?:and|to|до|[-–—]|-ից)\s*(?P<b>{_NUM}){_scale('bscale')}{_E}",
    re.IGNORECASE,
)
_VAGUE_PAT = re.compile(rf"{_B}(?:{_HEDGE})?(?P<vague>{_VAGUE_RE}){_E}", re.IGNORECASE)
_SINGLE = re.compile(
    rf"{_B}(?:{_HEDGE})?(?P<n>{_NUM}|{_WORD_NUM}){_scale('scale')}(?P<post>-ից ավելի|\+)?{_E}",
    re.IGNORECASE,
)
# Words just before a number that make it a reference, not a count.
_REFERENCE_BEFORE = re.compile(
    r"(?:no\.|nos\.|number|article|art\.|resolution|paragraph|para\.|page|p\.|section|§|#|"
    r"chapter|protocol|rule|report|статья|статьи|резолюци[яи]|հոդված)\s*$",
    re.IGNORECASE,
)
COUNT_NOUNS = re.compile(
    r"\s*(?:\w+\s+){0,2}(?:people|persons|civilians|soldiers|troops|servicemen|residents|"
    r"refugees|children|women|men|families|homes|houses|buildings|prisoners|detainees|"
    r"victims|bodies|Armenians|Azerbaijanis|villages|men|boys|girls)\b",
    re.IGNORECASE,
)
_UNIT_STOP = {
    "of", "in", "and", "or", "were", "was", "who", "from", "to", "the", "a", "an", "at", "on",
    "by", "had", "have", "has", "are", "is", "that", "which", "with", "during", "out", "since",
    "и", "в", "из", "на", "были", "было", "был", "что", "по", "որ", "եւ", "և", "են", "է",
}
_UNIT_TOKEN = re.compile(r"[^\W\d_][\w’'-]*|%")
_CATEGORIES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.IGNORECASE))
    for name, pattern in (
        ("killed", r"kill|dead|died|death|lost their lives|executed|убит|погиб|гибел|смерт|казн|"
                   r"զոհ|սպան|մահաց"),
        ("injured", r"wound|injur|hurt|ранен|пострадал|վիրավոր"),
        ("displaced", r"displac|fled|flee|forced out|forced to leave|drove|driven|expell|"
                      r"deport|refugee|out of their homes|беженц|вынужден|покинул|перемещ|"
                      r"выселен|տեղահան|բռնագաղթ|լքել|փախստ|հեռանալ"),
        ("detained", r"detain|arrest|captive|prisoner|held|abduct|hostage|задержан|плен|"
                     r"арестован|ձերբակալ|գերի|պահվում"),
        ("missing", r"missing|disappear|пропал|пропавш|անհայտ"),
        ("destroyed", r"destroy|destruct|damag|demolish|burn|разруш|уничтож|ավեր|ոչնչաց"),
    )
)


@dataclass
class Quantity:
    """One count found in a text, with offsets into that text."""

    text: str
    start: int
    end: int
    low: int | None = None
    best: int | None = None
    high: int | None = None
    approximate: bool = False
    unit: str = ""
    category: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self, offset: int = 0) -> dict[str, Any]:
        """The JSON form, with offsets shifted by ``offset``."""
        return {
            "text": self.text, "start": self.start + offset, "end": self.end + offset,
            "low": self.low, "best": self.best, "high": self.high,
            "approximate": self.approximate, "unit": self.unit, "category": self.category,
        }


def parse_number(text: str, scale: str | None = None) -> int | None:
    """The value of a written number (``100,000``, ``1.5`` with ``million``, ``twenty-five``)."""
    raw = text.strip().lower()
    value: float
    if raw in _WORDS:
        value = _WORDS[raw]
    else:
        digits = re.sub(_SEP, "", raw) if re.search(rf"\d{_SEP}\d{{3}}", raw) else raw
        digits = digits.replace(",", ".")
        try:
            value = float(digits)
        except ValueError:
            return None
    if scale:
        key = scale.lower().rstrip(".")
        value *= _SCALES.get(key, 1)
    return round(value)


def _unit(text: str, end: int) -> str:
    """The word or two after a number naming what it counts (``Armenians``, ``Azerbaijani
    soldiers``), or ``""``."""
    words: list[str] = []
    position = end
    for match in _UNIT_TOKEN.finditer(text, end):
        if text[position:match.start()].strip(" \u00a0") or match.group(0).lower() in _UNIT_STOP:
            break
        words.append(match.group(0))
        position = match.end()
        first = words[0]
        adjective = first[:1].isupper() or first.lower().endswith(("ian", "ani", "ий", "ых"))
        if len(words) == 2 or not adjective:
            break
    return " ".join(words)


def _category(text: str, start: int, end: int) -> str:
    best = ("", 10**9)
    for name, pattern in _CATEGORIES:
        for match in pattern.finditer(text):
            distance = match.start() - end if match.start() >= end else start - match.end()
            if 0 <= distance < best[1]:
                best = (name, distance)
    return best[0]


def find_quantities(text: str, exclude: list[tuple[int, int]] | None = None) -> list[Quantity]:
    """Every count in ``text`` outside the ``exclude`` spans (dates), in order."""
    taken: list[tuple[int, int]] = list(exclude or [])
    found: list[Quantity] = []

    def free(start: int, end: int) -> bool:
        return not any(start < b and a < end for a, b in taken)

    for match in _RANGE.finditer(text):
        a_text, b_text = match["a"], match["b"]
        if not free(match.start("a"), match.end()) or not free(match.start(), match.end()):
            continue
        joined = match.group(0)
        if re.fullmatch(r"\d+[-–—]\d+", joined.strip()) and not COUNT_NOUNS.match(
            text, match.end()
        ):
            continue  # "19-20" alone is more often a day range or a score than a count
        b_scale = match["bscale"]
        a_scale = match["ascale"] or b_scale
        low, high = parse_number(a_text, a_scale or None), parse_number(b_text, b_scale)
        if low is None or high is None or high <= low:
            continue
        taken.append(match.span())
        found.append(Quantity(joined, match.start(), match.end(), low=low, high=high,
                              approximate=bool(match["rapprox"])))
    for match in _VAGUE_PAT.finditer(text):
        if not free(*match.span()):
            continue
        low, high = _VAGUE[match["vague"].lower()]
        if match["low"]:
            high = None
        taken.append(match.span())
        found.append(Quantity(match.group(0), match.start(), match.end(), low=low, high=high,
                              approximate=True))
    for match in _SINGLE.finditer(text):
        start, end = match.span()
        number_start = match.start("n")
        if not free(number_start, end):
            continue  # (when only the hedge overlaps something, the bare number is kept)
        before = text[max(0, number_start - 1):number_start]
        if before in ("-", "/", ".", "–") and number_start > 1 and text[number_start - 2].isalnum():
            continue  # Su-25, 1/2, v1.2
        if re.match(r"(?:-[^\W\d_]|st\b|nd\b|rd\b|th\b|-й|-го|-րդ|\.\d)", text[end:end + 4]):
            continue  # ordinals, model names
        if _REFERENCE_BEFORE.search(text[max(0, number_start - 20):number_start]):
            continue
        is_word = not match["n"][0].isdigit()
        if is_word and not (match["scale"] or COUNT_NOUNS.match(text, end)):
            continue
        value = parse_number(match["n"], match["scale"])
        if value is None:
            continue
        quantity = Quantity(match.group(0), start, end)
        if not free(start, end):
            quantity = Quantity(text[number_start:end], number_start, end)
        if match["approx"]:
            quantity.best, quantity.approximate = value, True
        elif match["low"] or match["post"]:
            quantity.low = value
        elif match["high"]:
            quantity.high = value
        else:
            quantity.best = value
        taken.append((quantity.start, quantity.end))
        found.append(quantity)
    for quantity in found:
        quantity.text = quantity.text.strip()
        quantity.unit = _unit(text, quantity.end)
        quantity.category = _category(text, quantity.start, quantity.end)
    found.sort(key=lambda q: q.start)
    return found
