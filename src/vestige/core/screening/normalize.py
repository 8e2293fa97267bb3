"""Names broken into tokens with roles and matching keys, across scripts and romanisations.

Builds on :mod:`vestige.core.names`: :func:`~vestige.core.names.word_keys` already folds
Armenian, Cyrillic and Azerbaijani letters and the common romanisation habits (kh/x, sh/s,
zh/j, yan/ian, ə read as a or e). Screening needs a little more, because sanctions lists and
passports use romanisations that names.py does not meet in place names:

* German and French spellings of Russian names (``Schtschedrin``, ``Chevtchenko``, ``Iwanow``,
  ``Ivanoff``, ``Petrosjan``), ISO 9 (``Žukov`` → diacritics dropped → ``zukov``);
* Azerbaijani and Turkic patronymic markers (``oğlu``, ``qızı`` ↔ ``ogly``, ``kyzy``, ``gizi``)
  which say that the word before them is the father's name;
* Slavic patronymics (``-ovich``, ``-ovna``, Ukrainian ``-ovych``/``-ivna``, Belarusian
  ``-avich``) which are optional in most documents;
* initials (``A.``) and particles (``de``, ``van``, ``bin``) that carry little weight.

Each token gets a role, one or more folded *keys* (compared by the weighted edit distance in
:mod:`.similarity`) and coarse *blocking* codes used by the inverted index.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ..names import script_of, tokens, transliterate, word_keys

# Words that mark the previous word as the father's name (Azerbaijani, Turkic, Russian spellings).
PATRONYMIC_MARKERS = frozenset(
    {
        "oglu",
        "ogly",
        "ogli",
        "oglou",
        "ohlu",
        "ugli",
        "uly",
        "uulu",
        "ulu",
        "qizi",
        "kizi",
        "kyzy",
        "gizi",
        "kyzi",
        "qyzy",
        "gyzy",
        "gyzi",
        "kizy",
    }
)
# Endings of Slavic patronymics (Russian, Ukrainian, Belarusian romanisations, after folding).
# (Matched against folded keys: "ch" is "c", "ya" is "ia" by then.)
_PATRONYMIC_END = re.compile(r"(ovic|evic|ovyc|evyc|avic|ievic|iavic|ovna|evna|ivna|icna|ic|yc)$")
# Words that are part of names but say little about who is meant.
PARTICLES = frozenset(
    {
        "de",
        "del",
        "della",
        "di",
        "da",
        "do",
        "dos",
        "das",
        "la",
        "le",
        "las",
        "los",
        "y",
        "e",
        "van",
        "der",
        "den",
        "von",
        "zu",
        "al",
        "el",
        "bin",
        "ibn",
        "bint",
        "ben",
        "ould",
        "abd",
        "mc",
        "st",
        "the",
        "of",
        "and",
    }
)
# Legal-form words of organisations, ignored for matching.
LEGAL_FORMS = frozenset(
    {
        "ltd",
        "llc",
        "inc",
        "co",
        "corp",
        "sa",
        "srl",
        "gmbh",
        "ag",
        "plc",
        "jsc",
        "ojsc",
        "cjsc",
        "pjsc",
        "ooo",
        "zao",
        "oao",
        "pao",
        "limited",
        "company",
        "sarl",
        "bv",
        "nv",
        "lda",
        "cia",
        "sas",
        "spa",
        "fze",
        "fzco",
        "ao",
        "tov",
        "pte",
    }
)
# Romanisation habits folded before names.py's own folds (order matters).
_PRE_FOLDS = (
    ("schtsch", "shch"),
    ("stsch", "shch"),
    ("tsch", "ch"),
    ("sch", "sh"),
    ("tch", "ch"),
    ("tz", "ts"),
    ("dj", "dzh"),
    ("ou", "u"),
    ("aa", "a"),
)
_ENDINGS = (("off", "ov"), ("eff", "ev"), ("ow", "ov"), ("ew", "ev"), ("jan", "yan"), ("ij", "iy"))
# After names.py folding: ISO 9 ŝ/šč and BGN shch fold to "sc"; make them "s".
_POST_FOLDS = (("sc", "s"),)


# East Slavic given names whose Ukrainian, Belarusian and Russian forms differ by more than
# spelling (a cognate, not a romanisation): each form also gets the Russian form's key.
COGNATES = {
    "mykola": "nikolai",
    "mikalai": "nikolai",
    "mikola": "nikolai",
    "nikolay": "nikolai",
    "mykhailo": "mikhail",
    "mikhailo": "mikhail",
    "mikhas": "mikhail",
    "oleksandr": "aleksandr",
    "aliaksandr": "aleksandr",
    "alyaksandr": "aleksandr",
    "oleksiy": "aleksei",
    "oleksii": "aleksei",
    "aliaksei": "aleksei",
    "aleksey": "aleksei",
    "volodymyr": "vladimir",
    "uladzimir": "vladimir",
    "hryhoriy": "grigori",
    "ryhor": "grigori",
    "heorhiy": "georgi",
    "yurii": "yuri",
    "yuriy": "yuri",
    "yury": "yuri",
    "petro": "petr",
    "pyotr": "petr",
    "piotr": "petr",
    "pavlo": "pavel",
    "paval": "pavel",
    "vasyl": "vasili",
    "vasil": "vasili",
    "ihor": "igor",
    "oleh": "oleg",
    "serhiy": "sergei",
    "serhii": "sergei",
    "siarhei": "sergei",
    "andriy": "andrei",
    "andrii": "andrei",
    "andrei": "andrei",
    "dmytro": "dmitri",
    "dzmitry": "dmitri",
    "yevhen": "evgeni",
    "yauhen": "evgeni",
    "kostiantyn": "konstantin",
    "kanstantsin": "konstantin",
    "viktar": "viktor",
    "anatoliy": "anatoli",
    "anatol": "anatoli",
    "valeriy": "valeri",
    "valery": "valeri",
}


class Role:
    """What part a token plays in a name; weights live in :mod:`.scoring`."""

    NAME = "name"
    INITIAL = "initial"
    PATRONYMIC = "patronymic"
    PARTICLE = "particle"


@dataclass(frozen=True, slots=True)
class Token:
    """One word of a name."""

    text: str
    keys: tuple[str, ...]
    role: str
    surname_hint: bool  # written before the comma in "SURNAME, Given"


@dataclass(frozen=True, slots=True)
class ParsedName:
    """A name as the matcher sees it."""

    original: str
    tokens: tuple[Token, ...]
    script: str
    markers: int  # how many patronymic markers (oğlu, kyzy …) were seen


@lru_cache(maxsize=262144)
def _latin(word: str) -> str:
    """The word in lower-case Latin, with German/French/ISO spellings evened out."""
    text = transliterate(word)
    for old, new in _PRE_FOLDS:
        text = text.replace(old, new)
    for old, new in _ENDINGS:
        if text.endswith(old) and len(text) > len(old) + 2:
            text = text[: -len(old)] + new
    return text


@lru_cache(maxsize=262144)
def token_keys(word: str) -> tuple[str, ...]:
    """The folded keys of one word (several when a letter reads two ways, like ə)."""
    latin = _latin(word)
    readings = [latin]
    if latin in COGNATES:
        readings.append(COGNATES[latin])
    keys = set()
    for reading in readings:
        keys |= _folded(reading)
    return tuple(sorted(keys))


def _folded(latin: str) -> set[str]:
    keys = set()
    for key in word_keys(latin) or {latin}:
        for old, new in _POST_FOLDS:
            key = key.replace(old, new)
        if key:
            keys.add(key)
    return keys


def patronymic_stem(key: str) -> str | None:
    """The father's name inside a Slavic patronymic key (``kamalovic`` → ``kamal``), or None."""
    match = _PATRONYMIC_END.search(key)
    if match is None or len(key) - len(match.group(0)) < 3:
        return None
    return key[: match.start()]


def _has_patronymic(keys: tuple[str, ...]) -> bool:
    return any(patronymic_stem(k) for k in keys)


def _is_marker(word: str) -> bool:
    return _latin(word).replace("y", "i").replace("q", "k").replace("g", "k") in _MARKER_KEYS


_MARKER_KEYS = frozenset(
    m.replace("y", "i").replace("q", "k").replace("g", "k") for m in PATRONYMIC_MARKERS
)


# Dotted legal forms (S.A., S.R.L., L.L.C.) would otherwise read as initials.
_DOTTED_FORMS = re.compile(r"\b(?:[A-Za-z]\.\s?){2,4}(?=\s|$|,)")


@lru_cache(maxsize=262144)
def parse_name(name: str) -> ParsedName:
    """Split a name into tokens with roles; ``SURNAME, Given`` marks the surname part."""
    original = name
    name = _DOTTED_FORMS.sub(
        lambda m: " " if re.sub(r"[\s.]", "", m.group(0)).lower() in LEGAL_FORMS else m.group(0),
        name,
    )
    head, comma, _ = name.partition(",")
    surname_words = len(tokens(head)) if comma else 0
    words = tokens(name)
    out: list[Token] = []
    markers = 0
    for i, word in enumerate(words):
        low = _latin(word)
        if _is_marker(word):
            markers += 1
            if out and out[-1].role == Role.NAME:
                prev = out[-1]
                out[-1] = Token(prev.text, prev.keys, Role.PATRONYMIC, prev.surname_hint)
            continue
        if low in LEGAL_FORMS:
            continue
        keys = token_keys(word)
        if not keys:
            continue
        if len(low) == 1 and (i + 1 < len(words) or len(words) > 1):
            role = Role.INITIAL
        elif low in PARTICLES:
            role = Role.PARTICLE
        elif len(words) >= 3 and i >= surname_words and _has_patronymic(keys):
            role = Role.PATRONYMIC
            keys = tuple(sorted(set(keys) | {patronymic_stem(k) or k for k in keys}))
        else:
            role = Role.NAME
        out.append(Token(word, keys, role, i < surname_words))
    return ParsedName(original, tuple(out), script_of(name), markers)
