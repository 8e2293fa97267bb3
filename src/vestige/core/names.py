"""Names across scripts: folding Armenian, Cyrillic and Azerbaijani spellings to one Latin key.

``Stepanakert``, ``Ստեփանակերտ`` and ``Степанакерт`` fold to the same key; so do ``Aliyev``,
``Əliyev`` and ``Алиев``, and ``Khankendi`` and ``Xankəndi``. A word can have several keys (``ə``
is written ``a`` in some romanisations and ``e`` in others), so :func:`name_keys` returns a set and
two names match when their key sets meet. :func:`fold_text` gives one searchable string with every
variant, for full-text indexes.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Armenian (Eastern, as romanised in the region's place names) to Latin.
_ARMENIAN = {
    "ա": "a", "բ": "b", "գ": "g", "դ": "d", "ե": "e", "զ": "z", "է": "e", "ը": "y", "թ": "t",
    "ժ": "zh", "ի": "i", "լ": "l", "խ": "kh", "ծ": "ts", "կ": "k", "հ": "h", "ձ": "dz",
    "ղ": "gh", "ճ": "ch", "մ": "m", "յ": "y", "ն": "n", "շ": "sh", "ո": "o", "չ": "ch",
    "պ": "p", "ջ": "j", "ռ": "r", "ս": "s", "վ": "v", "տ": "t", "ր": "r", "ց": "ts",
    "ւ": "v", "փ": "p", "ք": "k", "և": "ev", "օ": "o", "ֆ": "f",
}
# Russian, Ukrainian and Belarusian Cyrillic to Latin (a simple, lossy scheme for matching).
_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "ґ": "g", "д": "d", "е": "e", "ё": "e", "є": "ye",
    "ж": "zh", "з": "z", "и": "i", "і": "i", "ї": "yi", "й": "y", "к": "k", "л": "l",
    "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
    "ў": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "",
    "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya", "ә": "a", "ғ": "g", "қ": "k",
    "ң": "n", "ө": "o", "ү": "u", "һ": "h",
}
# Latin letters that NFKD does not decompose.
_LATIN = {"ı": "i", "ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ð": "d", "þ": "th", "ł": "l"}
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
# Spelling habits that differ between romanisations; applied to every key, in this order.
_FOLDS = (
    ("kh", "x"), ("iy", "i"), ("yi", "i"), ("ye", "e"), ("yo", "o"), ("ya", "ia"),
    ("yu", "iu"), ("ts", "c"), ("dzh", "j"), ("zh", "j"), ("sh", "s"), ("ch", "c"),
    ("gh", "g"), ("w", "v"), ("q", "g"), ("ck", "k"), ("ks", "x"), ("yan", "ian"),
    # Russian writes Azerbaijani and Armenian h as х (kh): Ilham / Ильхам.
    ("h", "x"),
)


def transliterate(text: str) -> str:
    """Latin letters for Armenian and Cyrillic, lower case, no diacritics; other text kept."""
    out = []
    for char in text.lower().replace("ու", "u"):
        if char in _ARMENIAN:
            out.append(_ARMENIAN[char])
        elif char in _CYRILLIC:
            out.append(_CYRILLIC[char])
        elif char in _LATIN:
            out.append(_LATIN[char])
        elif char == "ə":
            out.append("ə")  # resolved into both readings by word_keys
        else:
            out.append(char)
    decomposed = unicodedata.normalize("NFKD", "".join(out))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _fold(word: str) -> str:
    for old, new in _FOLDS:
        word = word.replace(old, new)
    # Double letters are spelled single in some romanisations (Shushi / Shushsi aside).
    return re.sub(r"(.)\1+", r"\1", word)


@lru_cache(maxsize=65536)
def word_keys(word: str) -> frozenset[str]:
    """Every key one word folds to (more than one only for letters read two ways)."""
    latin = transliterate(word)
    readings = {latin.replace("ə", "a"), latin.replace("ə", "e")} if "ə" in latin else {latin}
    return frozenset(_fold(r) for r in readings if r)


def tokens(text: str) -> list[str]:
    """The words of a text, in any script."""
    return _TOKEN.findall(text)


def name_keys(name: str) -> frozenset[str]:
    """Keys for a whole name: its folded words joined by spaces, in every combination."""
    keys = {""}
    for word in tokens(name):
        keys = {f"{k} {v}".strip() for k in keys for v in word_keys(word)}
        if len(keys) > 16:  # a long name with many ə: keep the first readings
            keys = set(sorted(keys)[:16])
    return frozenset(k for k in keys if k)


def names_match(a: str, b: str) -> bool:
    """Whether two names fold to a common key."""
    return bool(name_keys(a) & name_keys(b))


def fold_text(text: str) -> str:
    """A searchable form of a text: every word replaced by all its keys."""
    return " ".join(" ".join(sorted(word_keys(w))) for w in tokens(text))


def script_of(text: str) -> str:
    """The main script of a name: Latin, Armenian, Cyrillic, Arabic, Georgian, Greek, CJK, …"""
    counts: dict[str, int] = {}
    for char in text:
        if not char.isalpha():
            continue
        try:
            script = unicodedata.name(char).split()[0]
        except ValueError:
            continue
        if script in ("CJK", "HIRAGANA", "KATAKANA", "HANGUL"):
            script = "CJK"
        counts[script] = counts.get(script, 0) + 1
    if not counts:
        return ""
    return max(counts, key=lambda k: counts[k]).title()
