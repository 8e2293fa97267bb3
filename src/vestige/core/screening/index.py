"""An in-memory inverted index over listed names, for screening many names quickly.

Blocking: every word of every listed name is folded to keys (:mod:`.normalize`); each key is
filed under coarse codes (its consonant skeleton, its first four letters). A query word looks up
the keys that share a code, keeps those similar enough (:mod:`.similarity`, cached), and their
posting lists give the candidate names. Candidates are ranked with numpy by the weighted share of
query words they contain, and only the best few are aligned and scored in full
(:mod:`.scoring`). No database: the service builds an index from the lists in force on a date,
and the benchmark builds one over a million generated names.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from .normalize import ParsedName, Role, parse_name
from .scoring import (
    ALGORITHM,
    DEFAULT_THRESHOLD,
    MIN_TOKEN_SIM,
    NO_QUALIFIERS,
    VERSION,
    Qualifiers,
    apply_qualifiers,
    score_names,
)
from .similarity import blocking_code, key_similarity

# How many candidate names per query are scored in full.
CANDIDATES = 30
# Candidates whose weighted word overlap is below this cannot reach a useful score.
MIN_APPROX = 0.35
_BLOCK_ROLES = (Role.NAME, Role.PATRONYMIC)


@dataclass(frozen=True, slots=True)
class ListedRecord:
    """One listed entity as the matcher needs it; ``ref`` is the caller's handle (a pk)."""

    ref: Any
    list_label: str
    entity_id: str
    schema: str
    names: tuple[str, ...]
    qualifiers: Qualifiers = NO_QUALIFIERS


@dataclass(slots=True)
class Match:
    """One screening result: a listed record, the name that matched, the score and why."""

    record: ListedRecord
    matched_name: str
    score: float
    features: dict[str, Any] = field(default_factory=dict)
    algorithm: str = ALGORITHM
    version: str = VERSION


def _codes(key: str) -> tuple[str, ...]:
    return (blocking_code(key), blocking_code(key, loose=True), "p:" + key[:4])


class ScreeningIndex:
    """Listed names, their folded keys and posting lists; answers :meth:`search`."""

    def __init__(self, records: Iterable[ListedRecord]) -> None:
        self.records: list[ListedRecord] = []
        self._names: list[str] = []
        name_record: list[int] = []
        name_weight: list[float] = []
        key_ids: dict[str, int] = {}
        postings: list[list[int]] = []
        for record in records:
            rec_no = len(self.records)
            self.records.append(record)
            for name in dict.fromkeys(n for n in record.names if n.strip()):
                name_no = len(self._names)
                self._names.append(name)
                name_record.append(rec_no)
                weight = 0.0
                for word in name.replace(",", " ").split():
                    keys, w = _index_keys(word)
                    weight += w
                    for key in keys:
                        kid = key_ids.get(key)
                        if kid is None:
                            kid = key_ids[key] = len(postings)
                            postings.append([])
                        plist = postings[kid]
                        if not plist or plist[-1] != name_no:
                            plist.append(name_no)
                name_weight.append(weight)
        self._keys = list(key_ids)
        self._postings = [np.asarray(p, dtype=np.int32) for p in postings]
        self._blocks: dict[str, list[int]] = defaultdict(list)
        for kid, key in enumerate(self._keys):
            for code in _codes(key):
                self._blocks[code].append(kid)
        self._name_record = np.asarray(name_record, dtype=np.int32)
        self._name_weight = np.asarray(name_weight, dtype=np.float32)
        # Scratch accumulators reused by every query (allocating 1M floats per query costs more
        # than the query); the lock keeps concurrent web requests from sharing them.
        self._lock = threading.Lock()
        self._acc = np.zeros(len(self._names), dtype=np.float32)
        self._cnt = np.zeros(len(self._names), dtype=np.int16)

    def __len__(self) -> int:
        return len(self._names)

    def _similar_keys(self, keys: tuple[str, ...]) -> dict[int, float]:
        found: dict[int, float] = {}
        for key in keys:
            for code in _codes(key):
                for kid in self._blocks.get(code, ()):
                    other = self._keys[kid]
                    s = key_similarity(key, other) if key <= other else key_similarity(other, key)
                    if s >= MIN_TOKEN_SIM and s > found.get(kid, 0.0):
                        found[kid] = s
        return found

    def _candidates(self, query: ParsedName) -> np.ndarray:
        """Name numbers worth scoring in full, best first by a cheap weighted overlap."""
        with self._lock:
            return self._candidates_locked(query)

    def _candidates_locked(self, query: ParsedName) -> np.ndarray:
        touched: list[np.ndarray] = []
        blockable = [t for t in query.tokens if t.role in _BLOCK_ROLES]
        for token in blockable:
            similar = self._similar_keys(token.keys)
            if not similar:
                continue
            weight = 1.0 if token.role == Role.NAME else 0.4
            ordered = sorted(similar.items(), key=lambda kv: kv[1])  # max written last
            ids = np.concatenate([self._postings[k] for k, _ in ordered])
            vals = np.concatenate(
                [np.full(len(self._postings[k]), s * weight, np.float32) for k, s in ordered]
            )
            self._acc[ids] += vals
            self._cnt[ids] += 1
            touched.append(ids)
        if not touched:
            return np.empty(0, dtype=np.int32)
        all_ids = np.concatenate(touched)  # with repeats: cheaper than np.unique on all
        need = 2 if len(blockable) >= 2 else 1
        counts = self._cnt[all_ids]
        enough = counts >= need
        keep = np.unique(all_ids[enough] if enough.any() else all_ids)
        w_q = sum(1.0 if t.role == Role.NAME else 0.4 for t in query.tokens)
        approx = 2 * self._acc[keep] / (w_q + self._name_weight[keep])
        self._acc[all_ids] = 0
        self._cnt[all_ids] = 0
        good = approx >= MIN_APPROX
        keep, approx = keep[good], approx[good]
        if len(keep) > CANDIDATES:
            top = np.argpartition(-approx, CANDIDATES)[:CANDIDATES]
            keep = keep[top]
        return keep

    def search(
        self,
        name: str,
        qualifiers: Qualifiers = NO_QUALIFIERS,
        threshold: float = DEFAULT_THRESHOLD,
        limit: int = 20,
    ) -> list[Match]:
        """Listed records whose best name scores at least ``threshold``, best first."""
        query = parse_name(name)
        best: dict[int, Match] = {}
        for name_no in self._candidates(query).tolist():
            listed_name = self._names[name_no]
            base = score_names(query, parse_name(listed_name))
            rec_no = int(self._name_record[name_no])
            record = self.records[rec_no]
            scored = apply_qualifiers(base, qualifiers, record.qualifiers)
            current = best.get(rec_no)
            if current is None or scored.score > current.score:
                best[rec_no] = Match(record, listed_name, scored.score, scored.features)
        results = [m for m in best.values() if m.score >= threshold]
        results.sort(key=lambda m: (-m.score, m.record.entity_id))
        return results[:limit]


@lru_cache(maxsize=1_048_576)
def _index_keys(word: str) -> tuple[tuple[str, ...], float]:
    """The keys a listed word is filed under and its weight, without parsing the whole name.

    Building an index over a million names must not parse each name: words repeat, so the
    keys are cached per word. A word that could be a patronymic is also filed under its stem.
    """
    parsed = parse_name(f"x {word} x")  # the word in a middle position, as a patronymic would be
    if len(parsed.tokens) != 3 or parsed.tokens[1].role not in _BLOCK_ROLES:
        # a particle, marker, legal form or initial: filed nowhere
        inner = [t for t in parse_name(word).tokens if t.role in _BLOCK_ROLES]
        keys = tuple(sorted({k for t in inner for k in t.keys}))
        return keys, float(len(inner))
    token = parsed.tokens[1]
    return token.keys, (1.0 if token.role == Role.NAME else 0.4)
