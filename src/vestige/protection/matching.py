"""Normalised name and date-of-birth variants of an identity, for keyed-hash matching.

The same person is written ``Əliyev Rəşad Kamal oğlu``, ``Aliyev Rashad Kamal ogly`` and
``Алиев Рашад Камал оглы``; or ``Petrosyan`` and ``Պետրոսյան``. Every word is folded with
:mod:`vestige.core.names` (which also maps Armenian ``-yan`` to ``-ian`` and the Cyrillic
romanisations onto one another), the Azerbaijani ``oğlu``/``qızı`` (``ogly``/``kyzy``, ``оглы``/
``кызы``) and Russian ``-ovich``/``-ovna`` patronymics are reduced to the father's name, and the
words are sorted so that "family given" and "given family" give the same variant. Each variant is
produced with and without the patronymic, and again combined with the date of birth when known.

The variants are plain text: they must never be stored. :func:`vestige.protection.services` keeps
only their HMAC under the protection key. This module has no Django imports.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from ..core.names import tokens, word_keys

# Words that mark the word before them as a father's name (Azerbaijani and Turkic patronymics).
_PATRONYMIC_MARKERS = {
    "oglu",
    "ogly",
    "ogli",
    "oglou",
    "oğlu",
    "оглы",
    "оглу",
    "qizi",
    "qızı",
    "kizi",
    "kyzy",
    "gyzy",
    "gizi",
    "кызы",
    "гызы",
}
# Russian-style patronymic endings, longest first.
_PATRONYMIC_ENDINGS = (
    "ovich",
    "evich",
    "ovna",
    "evna",
    "ich",
    "ichna",
    "ична",
    "овна",
    "евна",
    "ович",
    "евич",
    "ич",
)
_MAX_READINGS = 8  # a name with many ə has 2^n readings; keep the first few


@dataclass(frozen=True)
class Variant:
    """One normalised form of a name, optionally with the date of birth."""

    text: str
    with_date_of_birth: bool


def _folded(word: str) -> list[str]:
    return sorted(word_keys(word))


def _is_marker(word: str) -> bool:
    return word.lower() in _PATRONYMIC_MARKERS


def _father_stem(word: str) -> str:
    """``Kamalovich`` → ``Kamal``; a word without a Russian patronymic ending is kept."""
    lower = word.lower()
    for ending in sorted(_PATRONYMIC_ENDINGS, key=len, reverse=True):
        if lower.endswith(ending) and len(lower) - len(ending) >= 3:
            return word[: len(word) - len(ending)]
    return word


def split_patronymic(words: list[str]) -> tuple[list[str], list[str]]:
    """(name words, father's-name words) of a full name written in one string."""
    names: list[str] = []
    father: list[str] = []
    for word in words:
        if _is_marker(word):
            if names:
                father.append(names.pop())
            continue
        names.append(word)
    return names, father


def _bags(words: Iterable[str]) -> set[str]:
    """Every sorted combination of the words' readings, space-joined."""
    options = [_folded(w) for w in words if w]
    options = [o for o in options if o]
    if not options:
        return set()
    result: set[str] = set()
    for combo in itertools.islice(itertools.product(*options), _MAX_READINGS):
        result.add(" ".join(sorted(combo)))
    return result


def _words(value: object) -> list[str]:
    return tokens(str(value)) if value else []


def normalise_date_of_birth(value: object) -> str:
    """ISO ``YYYY-MM-DD`` (or ``YYYY-MM``/``YYYY``) for the usual ways of writing a birth date."""
    text = str(value or "").strip()
    if not text:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    iso = re.fullmatch(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?", text)
    if iso:
        year, month, day = iso.groups()
        return "-".join(p for p in (year, month and month.zfill(2), day and day.zfill(2)) if p)
    dmy = re.fullmatch(r"(\d{1,2})[./](\d{1,2})[./](\d{4})", text)
    if dmy:
        day, month, year = dmy.groups()
        return f"{year}-{month.zfill(2)}-{day.zfill(2)}"
    return re.sub(r"\s+", " ", text.lower())


def variants(identity: dict[str, object]) -> set[Variant]:
    """Every normalised variant of the identity's names, alone and with the date of birth."""
    family = _words(identity.get("family_name"))
    given = _words(identity.get("given_name"))
    patronymic_words = _words(identity.get("patronymic"))
    father = [_father_stem(w) for w in patronymic_words if not _is_marker(w)]
    name_sets: list[list[str]] = []
    if family and given:
        name_sets.append(family + given)
        if father:
            name_sets.append(family + given + father)
    elif family or given:
        name_sets.append(family or given)
    others = identity.get("other_names") or []
    if isinstance(others, str):
        others = [others]
    if isinstance(others, list):
        for other in others:
            words, other_father = split_patronymic(_words(other))
            if len(words) >= 2:
                name_sets.append(words)
                if other_father:
                    name_sets.append(words + other_father)
    birth = normalise_date_of_birth(identity.get("date_of_birth"))
    result: set[Variant] = set()
    for words in name_sets:
        for text in _bags(words):
            # One word alone ("Rashad") matches too many people to mean anything without a
            # date of birth.
            if len(words) >= 2:
                result.add(Variant(f"name:{text}", False))
            if birth:
                result.add(Variant(f"name+dob:{text}|{birth}", True))
    return result
