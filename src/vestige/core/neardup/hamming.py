"""Sub-linear search of bit hashes within a Hamming radius: multi-index hashing.

A 256-bit PDQ hash is cut into 16 chunks of 16 bits. If two hashes differ in at most ``d`` bits,
the pigeonhole principle says at least one chunk differs in at most ``floor(d / 16)`` bits; so
probing every chunk's table with the query's chunk and its neighbours within that radius finds
*every* hash within ``d`` — no recall is traded away — while touching only a few buckets of a
65,536-bucket table per chunk. Candidates are then checked with an exact Hamming distance
(Norouzi, Punjani & Fleet, "Fast search in Hamming space with multi-index hashing", CVPR 2012).

The chunks are taken after a fixed pseudo-random permutation of the bits. PDQ's bits are not
independent (neighbouring DCT coefficients are correlated), so chunks of adjacent bits pile
unrelated images into the same few buckets; on 100,000 benchmark images the permutation cuts the
candidates per query by a third and the worst case by two thirds. Any fixed permutation keeps the
pigeonhole guarantee, since it only changes which bits form a chunk.

The tables are compressed sparse rows over ``chunk * 65536 + value``: a start and a count per
bucket and one id array, built with one sort. A query is a fixed, small number of vectorised
numpy calls (chunk values through a byte lookup table, bucket ranges, one gather of candidate
hashes, one popcount), so its cost is dominated by a few dozen microseconds of fixed overhead,
not by the size of the collection; a batch of queries shares those calls. Hashes added after the
last build sit in a small tail that is searched by brute force until it is worth rebuilding.
"""

from __future__ import annotations

import functools
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
# Rows whose chunk values are computed together while building (bounds the temporary arrays).
_BUILD_BLOCK = 8192
# Above this many probes (a batch), ranges are expanded with a running sum instead of np.repeat.
_SMALL_PROBE = 4096
# Seed of the bit permutation applied before chunking. Changing it changes no result (the
# tables are rebuilt from the stored hashes on load), only which bits share a chunk.
_PERMUTATION_SEED = 20261130

# _BYTE_SUM[v] = low byte + high byte of v: the last step of a row's popcount.
_BYTE_SUM = (np.arange(1 << 16) & 0xFF) + (np.arange(1 << 16) >> 8)
_BYTE_SUM = _BYTE_SUM.astype(np.uint16)

U64Array = npt.NDArray[np.uint64]
IntArray = npt.NDArray[np.int64]
I32Array = npt.NDArray[np.int32]


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


def _flip_masks(radius: int) -> npt.NDArray[np.int32]:
    """Every 16-bit mask with at most ``radius`` bits set: the neighbours to probe per chunk."""
    masks = [0]
    for r in range(1, radius + 1):
        for combo in itertools.combinations(range(CHUNK_BITS), r):
            masks.append(sum(1 << b for b in combo))
    return np.array(masks, dtype=np.int32)


@functools.cache
def _slot_table(bits: int) -> I32Array:
    """Lookup table from (byte position, byte value) to that byte's share of every slot.

    Row ``position * 256 + value`` holds, for each chunk, ``chunk * 65536`` OR-ed with the bits
    that byte contributes to the chunk after the permutation. OR-ing the rows of a hash's bytes
    therefore gives its slot in every chunk table: one gather and one reduction per query,
    whatever the permutation.
    """
    n_bytes, chunks = bits // 8, bits // CHUNK_BITS
    permutation = np.random.default_rng(_PERMUTATION_SEED).permutation(bits)
    # Bit b of the hash (in memory order: byte b // 8, most significant bit first) becomes bit
    # ``target[b]`` of the permuted hash; chunk c holds permuted bits 16c … 16c + 15.
    target = np.empty(bits, dtype=np.int64)
    target[permutation] = np.arange(bits)
    values = np.arange(256, dtype=np.int64)
    table = np.zeros((n_bytes, 256, chunks), dtype=np.int32)
    for position in range(n_bytes):
        for bit in range(8):
            source = position * 8 + bit
            chunk, offset = divmod(int(target[source]), CHUNK_BITS)
            present = (values >> (7 - bit)) & 1
            table[position, :, chunk] |= (present << (CHUNK_BITS - 1 - offset)).astype(np.int32)
    table |= (np.arange(chunks, dtype=np.int32) * _BUCKETS)[None, None, :]
    table.flags.writeable = False  # shared by every index of this width
    return table.reshape(n_bytes * 256, chunks)


def _expand_ranges(
    starts: npt.NDArray[np.integer[Any]], ends: npt.NDArray[np.integer[Any]], ids: I32Array
) -> I32Array:
    """``ids[starts[0]:ends[0]]``, ``ids[starts[1]:ends[1]]``, … concatenated.

    For many ranges (a batch of queries) this beats ``np.repeat``, whose per-element loop is
    slow: positions are the running sum of steps that are 1 inside a range and jump to the next
    range's start at each boundary.
    """
    filled = np.flatnonzero(ends > starts)
    if not len(filled):
        return np.zeros(0, dtype=np.int32)
    first, last = starts.take(filled).astype(np.int64), ends.take(filled).astype(np.int64)
    boundaries = np.cumsum(last - first)
    steps = np.ones(int(boundaries[-1]), dtype=np.int64)
    steps[boundaries[:-1]] = first[1:] - last[:-1] + 1
    steps[0] = first[0]
    return ids.take(np.cumsum(steps, out=steps))


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
        self._slot_rows = _slot_table(bits)
        self._byte_base = np.arange(bits // 8, dtype=np.int64) * 256
        self._keys: list[str] = []
        self._rows: list[U64Array] = []  # appended since the last consolidation
        self._hashes: U64Array = np.zeros((0, self.words), dtype=np.uint64)
        self._built = 0  # rows covered by the tables
        # Bucket ``s`` holds ``_ids[_offsets[s] : _offsets[s + 1]]``; ``_ends`` is the same
        # array shifted by one, so a probe's start and end are two gathers from one cache line.
        self._offsets: npt.NDArray[np.integer[Any]] = np.zeros(
            self.chunks * _BUCKETS + 1, dtype=np.int32
        )
        self._ends = self._offsets[1:]
        self._ids: I32Array = np.zeros(0, dtype=np.int32)

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
        slots = np.concatenate(
            [self._slots(self._hashes[s : s + _BUILD_BLOCK]) for s in range(0, n, _BUILD_BLOCK)]
            or [np.zeros((0, self.chunks), dtype=np.int32)]
        ).reshape(-1)
        order = np.argsort(slots, kind="stable")
        self._ids = (order // self.chunks).astype(np.int32)
        counts = np.bincount(slots, minlength=self.chunks * _BUCKETS)
        dtype = np.int32 if len(slots) < 2**31 else np.int64
        self._offsets = np.zeros(self.chunks * _BUCKETS + 1, dtype=dtype)
        np.cumsum(counts, out=self._offsets[1:])
        self._ends = self._offsets[1:]
        self._built = n

    def _slots(self, words: U64Array) -> I32Array:
        """Each hash's bucket in every chunk table, ``chunk * 65536 + value`` (rows × chunks)."""
        positions = self._byte_base + np.ascontiguousarray(words).view(np.uint8)
        rows = self._slot_rows.take(positions, axis=0)  # (n, bytes, chunks)
        return np.bitwise_or.reduce(rows, axis=-2)

    def _ensure_built(self) -> None:
        self._consolidate()
        tail = len(self._hashes) - self._built
        if tail > max(_MIN_TAIL, self._built // 8):
            self.build()

    def _limit(self, max_distance: int | None) -> int:
        limit = self.max_distance if max_distance is None else max_distance
        if limit > self.max_distance:
            raise ValueError(f"this index answers distances up to {self.max_distance} only")
        return limit

    def search_one(
        self, query: U64Array, max_distance: int | None = None
    ) -> tuple[list[int], list[int]]:
        """Rows within ``max_distance`` of one hash and their distances, closest first.

        The same answer as :meth:`search` for a single row, with the per-call overhead cut to
        the bone: one query at a time is how an upload is checked.
        """
        limit = self._limit(max_distance)
        query = np.ascontiguousarray(query, dtype=np.uint64).reshape(self.words)
        self._ensure_built()
        found: dict[int, int] = {}
        if self._built:
            rows, _ = self._probe(self._slots(query))
            if len(rows):
                gathered = self._hashes.take(rows, axis=0)
                distances = self._distances(np.bitwise_xor(gathered, query, out=gathered))
                keep = np.flatnonzero(distances <= limit)
                # A close hash shares several chunks, so it may come back several times; a dict
                # keeps one copy (same row, same distance) without a sort.
                found = dict(
                    zip(rows.take(keep).tolist(), distances.take(keep).tolist(), strict=True)
                )
        if len(self._hashes) > self._built:
            tail = hamming(self._hashes[self._built :], query)
            for row in np.flatnonzero(tail <= limit).tolist():
                found[self._built + row] = int(tail[row])
        ranked = sorted(found.items(), key=lambda item: (item[1], item[0]))
        return [r for r, _ in ranked], [d for _, d in ranked]

    def _distances(self, xor: U64Array) -> npt.NDArray[np.uint16]:
        """Popcount of each row of ``xor``: summing a few uint8 counts along a short axis is slow
        in numpy, so pairs of counts are read as one uint16 and a table adds the two bytes."""
        counts = np.bitwise_count(xor)
        if self.words % 2 or self.words > 6:
            # Above 6 words the low bytes could sum past 255 and carry into the high byte.
            return counts.sum(axis=1, dtype=np.uint16)
        pairs = counts.view(np.uint16)  # (n, words / 2): low byte + 256 × high byte
        total = pairs[:, 0]
        for column in range(1, self.words // 2):
            total = total + pairs[:, column]  # each byte at most 3 × 64: no carry
        return _BYTE_SUM.take(total)

    def _probe(self, slots: I32Array) -> tuple[I32Array, npt.NDArray[np.integer[Any]]]:
        """Ids in every bucket of ``slots`` and of its neighbours within the probe radius, and
        how many each probe gave (shaped like ``slots`` × masks)."""
        probes = slots[..., None] ^ self._masks
        starts = self._offsets.take(probes)
        ends = self._ends.take(probes)
        counts = ends - starts
        if probes.size > _SMALL_PROBE:
            return _expand_ranges(starts.reshape(-1), ends.reshape(-1), self._ids), counts
        totals = np.cumsum(counts)  # flattened
        if not len(totals) or totals[-1] == 0:
            return np.zeros(0, dtype=np.int32), counts
        # Expand the [start, end) ranges into positions without a Python loop: within the
        # output, range i begins at totals[i] - counts[i], so position = index + end - total.
        positions = np.repeat(ends.reshape(-1) - totals, counts.reshape(-1))
        positions += np.arange(len(positions))
        return self._ids.take(positions), counts

    def search(
        self, queries: U64Array, max_distance: int | None = None
    ) -> tuple[IntArray, IntArray, IntArray]:
        """Every (query row, stored row, distance) with distance ≤ ``max_distance``.

        ``max_distance`` may be lower than the index's (the probes still cover it) but not
        higher: beyond it the pigeonhole guarantee no longer holds.
        """
        limit = self._limit(max_distance)
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
        q_rows, candidates = self._candidates(queries)
        rows: IntArray = np.zeros(0, dtype=np.int64)
        found: IntArray = np.zeros(0, dtype=np.int64)
        if len(candidates):
            gathered = self._hashes.take(candidates, axis=0)
            np.bitwise_xor(gathered, queries.take(q_rows, axis=0), out=gathered)
            distances = self._distances(gathered)
            keep = np.flatnonzero(distances <= limit)
            q_rows, rows = q_rows.take(keep), candidates.take(keep).astype(np.int64)
            found = distances.take(keep).astype(np.int64)
        if len(self._hashes) > self._built:
            tail = hamming(self._hashes[None, self._built :], queries[:, None, :])
            tail_q, tail_rows = np.nonzero(tail <= limit)
            q_rows = np.concatenate([q_rows, tail_q])
            rows = np.concatenate([rows, tail_rows + self._built])
            found = np.concatenate([found, tail[tail_q, tail_rows]])
        # A close pair shares several chunks, so it was probed more than once: deduplicate the
        # few survivors rather than every candidate.
        if len(rows) > 1:
            _, first = np.unique(q_rows * len(self._hashes) + rows, return_index=True)
            q_rows, rows, found = q_rows[first], rows[first], found[first]
        return q_rows, rows, found

    def _candidates(self, queries: U64Array) -> tuple[IntArray, I32Array]:
        """(query row, stored row) sharing a probed bucket (a pair may appear several times)."""
        if self._built == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int32)
        rows, counts = self._probe(self._slots(queries))
        q_counts = counts.reshape(len(queries), -1).sum(axis=1)
        return np.repeat(np.arange(len(queries), dtype=np.int64), q_counts), rows

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
