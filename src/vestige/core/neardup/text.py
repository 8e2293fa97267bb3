"""Near-duplicate texts: MinHash signatures over folded word shingles, LSH banding, exact re-check.

Texts are cut into overlapping runs of ``shingle_size`` words after folding every word with
:mod:`vestige.core.names` (Armenian and Cyrillic transliterated, diacritics dropped, spelling
variants merged), so a header written ``Ստեփանակերտ`` in one copy and ``Stepanakert`` in another
yields the same shingles. The Jaccard similarity of two shingle sets is estimated by a MinHash
signature; signatures are cut into ``bands`` bands of ``rows`` values, and two texts become
candidates when any band is equal. The band shape is chosen so that a pair at the target
similarity is a candidate with the target probability (``1 - (1 - s**r)**b``); candidates are
then re-checked with the exact Jaccard similarity of their shingle sets, so false candidates
cost time but never appear in results.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ..names import tokens, word_keys
from .hamming import load_arrays, save_arrays
from .match import FormatError, Match

ALGORITHM = "minhash-lsh"
VERSION = "1"
_FILE_FORMAT = "vestige-text-index/1"
_MASK32 = np.uint64(0xFFFFFFFF)
_EMPTY = np.zeros(0, dtype=np.uint32)
_FILTER_FROM = 1 << 16
# Re-sort the band table once this many texts (or an eighth of the index) were added since.
_MIN_TAIL = 2048
_FILTER_MASK = np.uint32((1 << 22) - 1)

U32Array = npt.NDArray[np.uint32]


def folded_words(text: str) -> list[str]:
    """The words of ``text`` folded across scripts, one key per word.

    :func:`vestige.core.names.fold_text` writes *every* reading of a word (``Əliyev`` gives
    ``aliev eliev``) because a search index wants them all; a shingle needs exactly one token
    per word, so this takes the first reading of the same folding.
    """
    words = []
    for word in tokens(text):
        keys = word_keys(word)
        if keys:
            words.append(min(keys))
    return words


def shingles(text: str, size: int = 3) -> U32Array:
    """Sorted unique 32-bit hashes of the runs of ``size`` folded words in ``text``.

    A text shorter than ``size`` words is one shingle; an empty text has none.
    """
    words = folded_words(text)
    if not words:
        return _EMPTY
    if len(words) < size:
        runs: Iterable[str] = [" ".join(words)]
    else:
        runs = (" ".join(words[i : i + size]) for i in range(len(words) - size + 1))
    values = np.fromiter((zlib.crc32(r.encode()) for r in runs), dtype=np.uint32)
    return np.unique(values)


def jaccard(a: U32Array, b: U32Array) -> float:
    """Exact Jaccard similarity of two sorted unique shingle arrays."""
    if len(a) == 0 or len(b) == 0:
        return 0.0
    inter = len(np.intersect1d(a, b, assume_unique=True))
    return inter / (len(a) + len(b) - inter)


def members(values: U32Array, universe: U32Array) -> npt.NDArray[np.bool_]:
    """Which entries of ``values`` (any order, repeats allowed) are in sorted ``universe``.

    ``np.isin`` sorts ``values``; with millions of shingles against one small query set it is
    far faster to look each value up in a bit table of the query's low bits first and binary
    search only the few that pass.
    """
    if len(universe) == 0:
        return np.zeros(len(values), dtype=bool)
    if len(values) > _FILTER_FROM:
        table = np.zeros(_FILTER_MASK + 1, dtype=bool)
        table[universe & _FILTER_MASK] = True
        maybe = np.flatnonzero(table.take(values & _FILTER_MASK))
        hits = np.zeros(len(values), dtype=bool)
        hits[maybe] = _searched_members(values.take(maybe), universe)
        return hits
    return _searched_members(values, universe)


def _searched_members(values: U32Array, universe: U32Array) -> npt.NDArray[np.bool_]:
    where = np.minimum(np.searchsorted(universe, values), len(universe) - 1)
    return np.asarray(universe.take(where) == values)


def candidate_probability(similarity: float, bands: int, rows: int) -> float:
    """Probability that a pair with this Jaccard similarity shares at least one band."""
    return float(1.0 - (1.0 - similarity**rows) ** bands)


def choose_bands(num_perm: int, threshold: float, recall: float) -> tuple[int, int]:
    """The (bands, rows) with the most rows per band that still reaches ``recall`` at
    ``threshold``: more rows per band means fewer chance candidates to re-check."""
    best: tuple[int, int] | None = None
    for rows in range(1, num_perm + 1):
        bands = num_perm // rows
        if candidate_probability(threshold, bands, rows) >= recall:
            best = (bands, rows)
    if best is None:
        raise ValueError(f"{num_perm} permutations cannot reach recall {recall} at {threshold}")
    return best


@dataclass(frozen=True)
class TextParams:
    """Everything that decides a signature: texts indexed with other params do not compare."""

    shingle_size: int = 3
    num_perm: int = 128
    threshold: float = 0.5
    target_recall: float = 0.97
    seed: int = 20261129


class MinHasher:
    """MinHash signatures with ``num_perm`` multiply-add-shift hash functions.

    ``h_i(x) = ((a_i * x + b_i) mod 2**64) >> 32`` with odd random ``a_i`` is a universal family
    for 32-bit ``x`` (Dietzfelbinger et al.) and needs no modular arithmetic in numpy.
    """

    def __init__(self, num_perm: int, seed: int) -> None:
        rng = np.random.default_rng(seed)
        self.a = rng.integers(0, 2**63, size=num_perm, dtype=np.uint64) * np.uint64(2) + np.uint64(
            1
        )
        self.b = rng.integers(0, 2**63, size=num_perm, dtype=np.uint64)
        self.num_perm = num_perm

    def signature(self, values: U32Array) -> U32Array:
        """The signature of one shingle set (all 0xFFFFFFFF for an empty set)."""
        if len(values) == 0:
            return np.full(self.num_perm, 0xFFFFFFFF, dtype=np.uint32)
        x = values.astype(np.uint64)[:, None]
        hashed = (x * self.a[None, :] + self.b[None, :]) >> np.uint64(32)
        return hashed.min(axis=0).astype(np.uint32)


class TextIndex:
    """Texts by key; :meth:`query` returns the stored texts with Jaccard ≥ a threshold.

    Shingle sets are kept (as one flat array plus offsets) for the exact re-check, and saved
    with the signatures by :meth:`save`.
    """

    def __init__(self, params: TextParams | None = None) -> None:
        self.params = params or TextParams()
        self.bands, self.rows = choose_bands(
            self.params.num_perm, self.params.threshold, self.params.target_recall
        )
        self._hasher = MinHasher(self.params.num_perm, self.params.seed)
        # One random odd multiplier per band position to combine a band into a 64-bit key.
        rng = np.random.default_rng(self.params.seed + 1)
        self._band_mix = rng.integers(0, 2**63, size=self.rows, dtype=np.uint64) * np.uint64(
            2
        ) + np.uint64(1)
        self._band_salt = np.arange(self.bands, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        self._keys: list[str] = []
        self._sets: list[U32Array] = []
        self._signatures: list[U32Array] = []
        self._flat: U32Array = _EMPTY
        self._offsets = np.zeros(1, dtype=np.int64)
        self._built = 0
        self._band_keys = np.zeros(0, dtype=np.uint64)
        self._band_rows = np.zeros(0, dtype=np.int64)

    def __len__(self) -> int:
        return len(self._keys)

    @property
    def version(self) -> str:
        p = self.params
        return f"{VERSION}/k{p.shingle_size}/p{p.num_perm}/b{self.bands}x{self.rows}/s{p.seed}"

    def add(self, key: str, text: str) -> None:
        """Index one text under ``key`` (a text with no words is kept but never matches)."""
        self.add_shingles(key, shingles(text, self.params.shingle_size))

    def add_shingles(self, key: str, values: U32Array) -> None:
        """Index a shingle set already computed (and stored) by :func:`shingles`, so that a long
        text is not read and folded again."""
        self._keys.append(key)
        self._sets.append(values)
        self._signatures.append(self._hasher.signature(values))

    def add_many(self, items: Iterable[tuple[str, str]]) -> None:
        """Index many (key, text) pairs."""
        for key, text in items:
            self.add(key, text)

    def _band_keys_of(self, signatures: U32Array) -> npt.NDArray[np.uint64]:
        """64-bit keys of each band of each signature (rows × bands), salted by band."""
        used = signatures[:, : self.bands * self.rows].astype(np.uint64)
        shaped = used.reshape(len(signatures), self.bands, self.rows)
        mixed = (shaped * self._band_mix[None, None, :]).sum(axis=2, dtype=np.uint64)
        mixed ^= mixed >> np.uint64(29)
        return mixed + self._band_salt[None, :]

    def build(self) -> None:
        """Sort the band keys of every text; queries call it when texts were added."""
        sets = self._sets
        lengths = np.fromiter((len(s) for s in sets), dtype=np.int64, count=len(sets))
        self._offsets = np.zeros(len(sets) + 1, dtype=np.int64)
        np.cumsum(lengths, out=self._offsets[1:])
        self._flat = np.concatenate(sets) if sets else _EMPTY
        signatures = self.signatures()
        keys = self._band_keys_of(signatures)
        # Empty texts get no band entries: they would all collide with each other.
        keys[lengths == 0] = 0
        flat = keys.reshape(-1)
        rows = np.repeat(np.arange(len(sets), dtype=np.int64), self.bands)
        present = np.repeat(lengths > 0, self.bands)
        flat, rows = flat[present], rows[present]
        order = np.argsort(flat, kind="stable")
        self._band_keys, self._band_rows = flat[order], rows[order]
        self._built = len(sets)

    def signatures(self) -> U32Array:
        """Every stored signature (rows in ``keys`` order)."""
        if not self._signatures:
            return np.zeros((0, self.params.num_perm), dtype=np.uint32)
        return np.vstack(self._signatures)

    @property
    def keys(self) -> Sequence[str]:
        return self._keys

    def shingle_set(self, row: int) -> U32Array:
        """The shingles of one stored text."""
        return self._sets[row]

    def candidates(self, signature: U32Array) -> npt.NDArray[np.int64]:
        """Rows sharing at least one band with ``signature`` (before the exact re-check).

        Texts added since the last build are compared band by band (a small brute-force tail)
        until there are enough of them to be worth re-sorting the whole table.
        """
        tail = len(self._keys) - self._built
        if tail > max(_MIN_TAIL, self._built // 8):
            self.build()
            tail = 0
        qkeys = self._band_keys_of(signature.reshape(1, -1)).reshape(-1)
        found = []
        if self._built:
            lo = np.searchsorted(self._band_keys, qkeys, side="left")
            hi = np.searchsorted(self._band_keys, qkeys, side="right")
            counts = hi - lo
            if counts.any():
                ends = np.cumsum(counts)
                positions = np.repeat(lo - (ends - counts), counts) + np.arange(ends[-1])
                found.append(self._band_rows.take(positions))
        if tail:
            tail_keys = self._band_keys_of(np.vstack(self._signatures[self._built :]))
            hits = (tail_keys == qkeys[None, :]).any(axis=1)
            empty = np.array([len(s) == 0 for s in self._sets[self._built :]])
            found.append(self._built + np.flatnonzero(hits & ~empty))
        if not found:
            return np.zeros(0, dtype=np.int64)
        return np.unique(np.concatenate(found))

    def query(self, text: str, k: int = 10, min_score: float | None = None) -> list[Match]:
        """The ``k`` stored texts most similar to ``text`` with Jaccard ≥ ``min_score``
        (default: the index threshold), best first."""
        values = shingles(text, self.params.shingle_size)
        return self.query_shingles(values, k, min_score)

    def query_shingles(
        self, values: U32Array, k: int = 10, min_score: float | None = None
    ) -> list[Match]:
        """:meth:`query` for a shingle set already computed."""
        if len(values) == 0:
            return []
        floor = self.params.threshold if min_score is None else min_score
        signature = self._hasher.signature(values)
        rows = self.candidates(signature)
        scored = []
        for row, score in zip(rows.tolist(), self._exact_scores(values, rows), strict=True):
            if score >= floor:
                scored.append((score, row))
        scored.sort(key=lambda pair: (-pair[0], pair[1]))
        return [
            Match(self._keys[row], round(score, 6), ALGORITHM, self.version)
            for score, row in scored[:k]
        ]

    def _exact_scores(self, values: U32Array, rows: npt.NDArray[np.int64]) -> list[float]:
        """Exact Jaccard of ``values`` with each candidate row, vectorised over built rows."""
        built = rows[rows < self._built]
        scores = dict(zip(built.tolist(), self._built_scores(values, built), strict=True))
        for row in rows[rows >= self._built].tolist():  # the few texts added since the build
            scores[row] = jaccard(values, self._sets[row])
        return [scores[row] for row in rows.tolist()]

    def _built_scores(self, values: U32Array, rows: npt.NDArray[np.int64]) -> list[float]:
        if len(rows) == 0:
            return []
        lo, hi = self._offsets[rows], self._offsets[rows + 1]
        counts = hi - lo
        ends = np.cumsum(counts)
        positions = np.repeat(lo - (ends - counts), counts) + np.arange(ends[-1])
        hits = members(self._flat.take(positions), values)
        inter = np.add.reduceat(hits.astype(np.int64), ends - counts) if len(hits) else counts
        inter = np.where(counts > 0, inter, 0)
        union = counts + len(values) - inter
        return (inter / np.maximum(union, 1)).tolist()

    def exhaustive(self, text: str, min_score: float | None = None) -> list[Match]:
        """Exact Jaccard against *every* stored text: the baseline the benchmark compares with."""
        values = shingles(text, self.params.shingle_size)
        if len(values) == 0 or not self._keys:
            return []
        if self._built != len(self._keys):
            self.build()
        floor = self.params.threshold if min_score is None else min_score
        hits = members(self._flat, values).astype(np.int64)
        counts = np.diff(self._offsets)
        starts = np.minimum(self._offsets[:-1], max(len(hits) - 1, 0))
        inter = np.add.reduceat(hits, starts) if len(hits) else counts
        inter = np.where(counts > 0, inter, 0)
        scores = inter / np.maximum(counts + len(values) - inter, 1)
        rows = np.flatnonzero(scores >= floor)
        order = rows[np.argsort(-scores[rows], kind="stable")]
        return [Match(self._keys[r], round(float(scores[r]), 6), "jaccard", "1") for r in order]

    def save(self, path: Path) -> None:
        """Write keys, shingle sets and signatures to an ``.npz`` file (no pickles)."""
        if self._built != len(self._keys):
            self.build()
        p = self.params
        header = {
            "format": _FILE_FORMAT,
            "algorithm": ALGORITHM,
            "version": self.version,
            "params": {
                "shingle_size": p.shingle_size,
                "num_perm": p.num_perm,
                "threshold": p.threshold,
                "target_recall": p.target_recall,
                "seed": p.seed,
            },
        }
        save_arrays(
            path,
            header,
            keys=np.array(self._keys, dtype=str),
            shingles=self._flat,
            offsets=self._offsets,
            signatures=self.signatures(),
        )

    @classmethod
    def load(cls, path: Path) -> TextIndex:
        """Read an index written by :meth:`save`."""
        header, arrays = load_arrays(path, _FILE_FORMAT)
        index = cls(TextParams(**header["params"]))
        if header.get("version") != index.version:
            raise FormatError(f"{path}: written by {header.get('version')}, not {index.version}")
        offsets = arrays["offsets"]
        flat = arrays["shingles"].astype(np.uint32)
        index._keys = [str(k) for k in arrays["keys"]]
        index._sets = [flat[offsets[i] : offsets[i + 1]] for i in range(len(index._keys))]
        index._signatures = list(arrays["signatures"].astype(np.uint32))
        index.build()
        return index
