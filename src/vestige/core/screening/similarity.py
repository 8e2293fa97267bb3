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
    frozenset("csjz"), frozenset("xgkh"), frozenset("vfwb"), frozenset("iyj"), frozenset("cx"),
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


@lru_cache(maxsize=1_048_576)
def key_similarity(a: str, b: str) -> float:
    """1 minus the weighted edit distance over the longer key's length (0..1)."""
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    if abs(len(a) - len(b)) > max(len(a), len(b)) / 2:
        return 0.0
    prev = [0.0]
    for ch in b:
        prev.append(prev[-1] + _indel_cost(ch))
    for ca in a:
        cur = [prev[0] + _indel_cost(ca)]
        for j, cb in enumerate(b):
            cur.append(
                min(prev[j] + _sub_cost(ca, cb), prev[j + 1] + _indel_cost(ca),
                    cur[j] + _indel_cost(cb))
            )
        prev = cur
    return max(0.0, 1.0 - prev[-1] / max(len(a), len(b)))


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


_CODE_CLASS = {c: g for g, letters in (("s", "csjz"), ("k", "xgkhq"), ("v", "vfwb"), ("t", "td"))
               for c in letters}


def blocking_code(key: str) -> str:
    """A coarse code for the inverted index: first letter class + consonant skeleton."""
    if not key:
        return ""
    first = "A" if key[0] in _VOWELS else _CODE_CLASS.get(key[0], key[0])
    out = [first]
    for ch in key[1:]:
        if ch in _VOWELS:
            continue
        c = _CODE_CLASS.get(ch, ch)
        if c != out[-1]:
            out.append(c)
    return "".join(out)
