"""Sub-linear search of bit hashes within a Hamming radius: multi-index hashing.

A 256-bit PDQ hash is cut into 16 chunks of 16 bits. If two hashes differ in at most ``d`` bits,
the pigeonhole principle says at least one chunk differs in at most ``floor(d / 16)`` bits; so
probing every chunk's table with the query's chunk and its neighbours within that radius finds
*every* hash within ``d`` — no recall is traded away — while touching only a few buckets of a
65,536-bucket table per chunk. Candidates are then checked with an exact Hamming distance
(Norouzi, Punjani & Fleet, "Fast search in Hamming space with multi-index hashing", CVPR 2012).

The tables are compressed sparse rows over ``chunk * 65536 + value``: one offsets array and one
id array, built with one sort, so a probe is two array reads and a batch of queries is a handful
of vectorised numpy calls. Hashes added after the last build sit in a small tail that is searched
by brute force until it is worth rebuilding.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from .match import FormatError

CHUNK_BITS = 16
_BUCKETS = 1 << CHUNK_BITS
_FILE_FORMAT = "vestige-hamming-index/1"
# Rebuild the tables once the brute-force tail is this large (or an eighth of the index).
_MIN_TAIL = 4096
# Queries searched together at most (a batch is cut into blocks of this size).
_BLOCK = 256

U64Array = npt.NDArray[np.uint64]
IntArray = npt.NDArray[np.int64]


def bits_to_words(bits: npt.ArrayLike) -> U64Array:
    """Pack a 0/1 vector (length a multiple of 64) into uint64 words, first bit most significant."""
    packed = np.packbits(np.asarray(bits, dtype=np.uint8).reshape(-1))
    return packed.view(">u8").astype(np.uint64)


def words_to_hex(words: U64Array) -> str:
    """Hex digits of a packed hash, in bit order."""
    return words.astype(">u8").tobytes().hex()


def hex_to_words(text: str) -> U64Array:
    """Inverse of :func:`words_to_hex`."""
    return np.frombuffer(bytes.fromhex(text), dtype=">u8").astype(np.uint64)


def hamming(a: U64Array, b: U64Array) -> IntArray:
    """Hamming distances between rows of ``a`` and ``b`` (broadcasting over leading axes)."""
    counts = np.bitwise_count(np.bitwise_xor(a, b))
    # A matrix product sums the per-word counts faster than .sum(axis=-1) on small arrays.
    return (counts @ np.ones(counts.shape[-1], dtype=np.uint16)).astype(np.int64)


def _flip_masks(radius: int) -> npt.NDArray[np.uint16]:
    """Every 16-bit mask with at most ``radius`` bits set: the neighbours to probe per chunk."""
    masks = [0]
    for r in range(1, radius + 1):
        for combo in itertools.combinations(range(CHUNK_BITS), r):
            masks.append(sum(1 << b for b in combo))
    return np.array(masks, dtype=np.uint16)


class HammingIndex:
    """Keys with fixed-length bit hashes; finds every stored hash within ``max_distance``.

    ``bits`` must be a multiple of 64. The same key may be added more than once (a video adds
    one hash per keyframe); results name the key and the row.
    """

    def __init__(self, bits: int, max_distance: int) -> None:
        if bits % 64 or bits <= 0:
            raise ValueError("bits must be a positive multiple of 64")
        if not 0 <= max_distance < bits:
            raise ValueError("max_distance must be between 0 and bits - 1")
        self.bits = bits
        self.words = bits // 64
        self.chunks = bits // CHUNK_BITS
        self.max_distance = max_distance
        # Pigeonhole: some chunk differs in at most floor(max_distance / chunks) bits.
        self.probe_radius = max_distance // self.chunks
        self._masks = _flip_masks(self.probe_radius)
        self._chunk_base = np.arange(self.chunks, dtype=np.int64) * _BUCKETS
        self._keys: list[str] = []
        self._rows: list[U64Array] = []  # appended since the last consolidation
        self._hashes: U64Array = np.zeros((0, self.words), dtype=np.uint64)
        self._built = 0  # rows covered by the tables
        self._offsets: IntArray = np.zeros(self.chunks * _BUCKETS + 1, dtype=np.int64)
        self._ids: npt.NDArray[np.int32] = np.zeros(0, dtype=np.int32)

    def __len__(self) -> int:
        return len(self._keys)

    @property
    def keys(self) -> Sequence[str]:
        return self._keys

    def add(self, key: str, words: U64Array) -> None:
        """Store one hash (``words``: ``bits // 64`` uint64 words) under ``key``."""
        self.add_many([key], np.asarray(words, dtype=np.uint64).reshape(1, self.words))

    def add_many(self, keys: Sequence[str], words: U64Array) -> None:
        """Store many hashes at once (rows of ``words``)."""
        words = np.ascontiguousarray(words, dtype=np.uint64).reshape(-1, self.words)
        if len(keys) != len(words):
            raise ValueError("one key per hash")
        self._keys.extend(keys)
        self._rows.append(words)

    def hashes(self) -> U64Array:
        """All stored hashes, one row per ``keys`` entry."""
        self._consolidate()
        return self._hashes

    def _consolidate(self) -> None:
        if self._rows:
            self._hashes = np.concatenate([self._hashes, *self._rows])
            self._rows = []

    def build(self) -> None:
        """(Re)build the chunk tables over every stored hash; queries call it when worthwhile."""
        self._consolidate()
        n = len(self._hashes)
        chunks = self._chunk_values(self._hashes)  # (n, chunks)
        slots = (np.arange(self.chunks, dtype=np.int64) * _BUCKETS)[None, :] + chunks
        flat = slots.reshape(-1)
        order = np.argsort(flat, kind="stable")
        self._ids = (order // self.chunks).astype(np.int32)
        counts = np.bincount(flat, minlength=self.chunks * _BUCKETS)
        self._offsets = np.zeros(self.chunks * _BUCKETS + 1, dtype=np.int64)
        np.cumsum(counts, out=self._offsets[1:])
        self._built = n

    def _chunk_values(self, words: U64Array) -> IntArray:
        """The 16-bit chunks of each hash, as int64 (rows × chunks)."""
        return words.view(np.uint16).reshape(len(words), self.chunks).astype(np.int64)

    def _ensure_built(self) -> None:
        self._consolidate()
        tail = len(self._hashes) - self._built
        if tail > max(_MIN_TAIL, self._built // 8):
            self.build()

    def search(
        self, queries: U64Array, max_distance: int | None = None
    ) -> tuple[IntArray, IntArray, IntArray]:
        """Every (query row, stored row, distance) with distance ≤ ``max_distance``.

        ``max_distance`` may be lower than the index's (the probes still cover it) but not
        higher: beyond it the pigeonhole guarantee no longer holds.
        """
        limit = self.max_distance if max_distance is None else max_distance
        if limit > self.max_distance:
            raise ValueError(f"this index answers distances up to {self.max_distance} only")
        queries = np.ascontiguousarray(queries, dtype=np.uint64).reshape(-1, self.words)
        self._ensure_built()
        if len(queries) > _BLOCK:
            # Blocks keep the candidate arrays small enough to stay in cache.
            parts = [self._search_block(queries[s : s + _BLOCK], limit)
                     for s in range(0, len(queries), _BLOCK)]  # fmt: skip
            offsets = np.arange(0, len(queries), _BLOCK)
            return (
                np.concatenate([p[0] + o for p, o in zip(parts, offsets, strict=True)]),
                np.concatenate([p[1] for p in parts]),
                np.concatenate([p[2] for p in parts]),
            )
        return self._search_block(queries, limit)

    def _search_block(self, queries: U64Array, limit: int) -> tuple[IntArray, IntArray, IntArray]:
        q_rows, rows = self._candidates(queries)
        if len(self._hashes) > self._built:
            tail_q, tail_rows = self._tail_pairs(len(queries))
            q_rows = np.concatenate([q_rows, tail_q])
            rows = np.concatenate([rows, tail_rows])
        # take() is much faster than fancy indexing for row gathers.
        distances = hamming(self._hashes.take(rows, axis=0), queries.take(q_rows, axis=0))
        keep = distances <= limit
        q_rows, rows, distances = q_rows[keep], rows[keep], distances[keep]
        # A close pair shares several chunks, so it was probed more than once: deduplicate the
        # few survivors rather than every candidate.
        if len(rows) > 1:
            _, first = np.unique(q_rows * len(self._hashes) + rows, return_index=True)
            q_rows, rows, distances = q_rows[first], rows[first], distances[first]
        return q_rows, rows, distances

    def _candidates(self, queries: U64Array) -> tuple[IntArray, IntArray]:
        """Rows sharing a probed chunk value with each query (a row may appear several times)."""
        empty = np.zeros(0, dtype=np.int64)
        if self._built == 0:
            return empty, empty
        chunks = self._chunk_values(queries)  # (q, chunks)
        probes = chunks[:, :, None] ^ self._masks.astype(np.int64)[None, None, :]
        slots = (self._chunk_base[None, :, None] + probes).reshape(-1)
        lo = self._offsets.take(slots)
        counts = self._offsets.take(slots + 1) - lo
        ends = np.cumsum(counts)
        # Expand the (lo, count) ranges into positions without a Python loop.
        positions = np.repeat(lo - (ends - counts), counts) + np.arange(ends[-1], dtype=np.int64)
        rows = self._ids.take(positions).astype(np.int64)
        if len(queries) == 1:
            return np.zeros(len(rows), dtype=np.int64), rows
        per_query = self.chunks * len(self._masks)
        q_totals = ends[per_query - 1 :: per_query]
        q_counts = np.diff(q_totals, prepend=0)
        return np.repeat(np.arange(len(queries), dtype=np.int64), q_counts), rows

    def _tail_pairs(self, n_queries: int) -> tuple[IntArray, IntArray]:
        """Every (query, row) pair for rows added since the last build (checked exhaustively)."""
        tail = np.arange(self._built, len(self._hashes), dtype=np.int64)
        q_rows = np.repeat(np.arange(n_queries, dtype=np.int64), len(tail))
        return q_rows, np.tile(tail, n_queries)

    def save(self, path: Path, meta: dict[str, Any] | None = None) -> None:
        """Write keys, hashes and ``meta`` to an ``.npz`` file atomically (no pickled objects)."""
        header = {
            "format": _FILE_FORMAT,
            "bits": self.bits,
            "max_distance": self.max_distance,
            "meta": meta or {},
        }
        save_arrays(path, header, keys=np.array(self._keys, dtype=str), hashes=self.hashes())

    @classmethod
    def load(cls, path: Path) -> tuple[HammingIndex, dict[str, Any]]:
        """Read an index written by :meth:`save`; returns it and the saved ``meta``."""
        header, arrays = load_arrays(path, _FILE_FORMAT)
        index = cls(int(header["bits"]), int(header["max_distance"]))
        index.add_many([str(k) for k in arrays["keys"]], arrays["hashes"])
        index.build()
        return index, dict(header["meta"])


def save_arrays(path: Path, header: dict[str, Any], **arrays: npt.NDArray[Any]) -> None:
    """numpy arrays plus a JSON header in one ``.npz``, written to a temporary name then renamed."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "wb") as handle:
            payload: dict[str, Any] = {"header": np.array(json.dumps(header, sort_keys=True))}
            payload.update(arrays)
            np.savez(handle, **payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def load_arrays(
    path: Path, expected_format: str
) -> tuple[dict[str, Any], dict[str, npt.NDArray[Any]]]:
    """Read a file written by :func:`save_arrays`, refusing pickles and other formats."""
    try:
        with np.load(Path(path), allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except (OSError, ValueError) as exc:
        raise FormatError(f"{path}: not a near-duplicate index file ({exc})") from exc
    try:
        header = json.loads(str(arrays.pop("header")))
    except (KeyError, ValueError) as exc:
        raise FormatError(f"{path}: the index file has no readable header") from exc
    if header.get("format") != expected_format:
        raise FormatError(
            f"{path}: index format {header.get('format')!r}, expected {expected_format!r}"
        )
    return header, arrays


def group_best(
    q_rows: Iterable[int], rows: Iterable[int], distances: Iterable[int]
) -> dict[int, dict[int, int]]:
    """For each query row, the smallest distance per stored row."""
    best: dict[int, dict[int, int]] = {}
    for q, r, d in zip(q_rows, rows, distances, strict=True):
        per = best.setdefault(int(q), {})
        if int(r) not in per or int(d) < per[int(r)]:
            per[int(r)] = int(d)
    return best
