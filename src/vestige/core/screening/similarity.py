"""Token similarity: a weighted edit distance that forgives what romanisations disagree on.

Romanisations of one Cyrillic or Armenian name differ in predictable ways: vowels
(``Aleksandr``/``Oleksandr``, ``Dmitry``/``Dmytro``), sibilants (ISO 9 ``z`` for ``zh``),
``g``/``h``/``kh`` (Ukrainian ``h`` for Russian ``g``), ``v``/``f`` (``-off``). Those
substitutions cost less than an arbitrary letter, so two romanisations of one name stay close
while two different names (``Rashad``/``Ramil``) stay apart. Pure Python with a large cache:
the vocabulary of name words is small, so pairs repeat.
"""

from __future__ import annotations

from functools import lru_cache

_VOWELS = frozenset("aeiouy")
# Letters that romanisations of one sound disagree on: ISO 9 z/c/s for zh/ch/sh, Ukrainian h
# for Russian g, German w and -ow, German ch (= kh) against English ch, Western Armenian b/p.
_CLASSES = (
    frozenset("csjz"),
    frozenset("xgkh"),
    frozenset("vfwb"),
    frozenset("iyj"),
    frozenset("cx"),
    frozenset("ck"),
)


def _sub_cost(a: str, b: str) -> float:
    if a == b:
        return 0.0
    if a in _VOWELS and b in _VOWELS:
        return 0.2 if {a, b} <= {"i", "y", "e"} else 0.45
    for group in _CLASSES:
        if a in group and b in group:
            return 0.4
    return 1.0


def _indel_cost(a: str) -> float:
    if a in "iy":
        return 0.3
    return 0.5 if a in _VOWELS else 1.0


_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_SUB = {(a, b): _sub_cost(a, b) for a in _LETTERS for b in _LETTERS}
_INDEL = {a: _indel_cost(a) for a in _LETTERS}


@lru_cache(maxsize=1_048_576)
def key_similarity(a: str, b: str) -> float:
    """1 minus the weighted edit distance over the longer key's length (0..1)."""
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    longest = max(len(a), len(b))
    if abs(len(a) - len(b)) > longest / 2:
        return 0.0
    sub, indel = _SUB, _INDEL
    prev = [0.0]
    for ch in b:
        prev.append(prev[-1] + indel.get(ch, 1.0))
    for ca in a:
        del_a = indel.get(ca, 1.0)
        cur = [prev[0] + del_a]
        left = cur[0]
        for j, cb in enumerate(b):
            best = prev[j] + sub.get((ca, cb), 0.0 if ca == cb else 1.0)
            up = prev[j + 1] + del_a
            if up < best:
                best = up
            ins = left + indel.get(cb, 1.0)
            if ins < best:
                best = ins
            cur.append(best)
            left = best
        prev = cur
    return max(0.0, 1.0 - prev[-1] / longest)


def keys_similarity(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    """The best similarity between any key of one word and any key of the other."""
    best = 0.0
    for x in a:
        for y in b:
            s = key_similarity(x, y) if x <= y else key_similarity(y, x)
            if s > best:
                best = s
                if best == 1.0:
                    return best
    return best


_CODE_CLASS = {
    c: g
    for g, letters in (("s", "csjz"), ("k", "xgkhq"), ("v", "vfwb"), ("t", "td"))
    for c in letters
}


# A coarser class map for a second code: j is dropped (German j is a y), and hissing and
# guttural letters merge (German "ch" is kh where English "ch" is ч).
_LOOSE_CLASS = {**_CODE_CLASS, **{c: "S" for c in "csjzxgkhq"}}


def blocking_code(key: str, loose: bool = False) -> str:
    """A coarse code for the inverted index: first letter class + consonant skeleton."""
    if not key:
        return ""
    classes = _LOOSE_CLASS if loose else _CODE_CLASS
    first = "A" if key[0] in _VOWELS else classes.get(key[0], key[0])
    out = [first]
    for ch in key[1:]:
        if ch in _VOWELS or (loose and ch == "j"):
            continue
        c = classes.get(ch, ch)
        if c != out[-1]:
            out.append(c)
    return ("~" if loose else "") + "".join(out)
