"""Near-duplicate images: PDQ hashes searched with multi-index hashing, pHash as a second opinion.

PDQ (Meta's ThreatExchange perceptual hash: luminance, Jarosz box filters down to 64×64, a
16×16 DCT, median threshold → 256 bits plus a quality score) survives re-encoding, resizing,
small crops and overlays with a distance well under 31 bits, while unrelated images sit near
128. The C++ reference implementation comes from the ``pdqhash`` package. Its eight dihedral
variants (rotations and mirrors) cost one more DCT pass, so a query can also find a rotated or
mirrored copy. The 64-bit DCT pHash from ``imagehash`` is stored alongside and reported with
each match, so that a reviewer sees two independent measures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import imagehash
import numpy as np
import numpy.typing as npt
import pdqhash
from PIL import Image, ImageOps

from .hamming import HammingIndex, U64Array, bits_to_words, hamming, load_arrays, save_arrays
from .match import Match

ALGORITHM = "pdq"
VERSION = f"pdq-1.0/pdqhash-{pdqhash.__version__}"
PHASH_VERSION = f"imagehash-{imagehash.__version__}/phash-8"
PDQ_BITS = 256
# Meta's recommended match threshold for PDQ; the index guarantees every pair within it.
DEFAULT_MAX_DISTANCE = 31
# Below this PDQ quality the image is too flat for its hash to mean much (ThreatExchange advice).
LOW_QUALITY = 50
# Decoding above this size adds nothing: PDQ works on a 64×64 reduction.
_WORKING_SIZE = 512
_FILE_FORMAT = "vestige-image-index/1"
DIHEDRAL_NAMES = (
    "original",
    "rotate90",
    "rotate180",
    "rotate270",
    "flip_x",
    "flip_y",
    "flip_diagonal",
    "flip_antidiagonal",
)


@dataclass(frozen=True)
class ImageFingerprint:
    """The hashes of one image. ``dihedral`` (8 × 4 words) is present when asked for."""

    pdq: U64Array
    quality: int
    phash: U64Array
    dihedral: U64Array | None = None

    def pdq_hex(self) -> str:
        return self.pdq.astype(">u8").tobytes().hex()


def load_image(path: Path) -> Image.Image:
    """An RGB image upright per its EXIF orientation, decoded at a reduced size when possible."""
    with Image.open(path) as opened:
        opened.draft("RGB", (_WORKING_SIZE, _WORKING_SIZE))  # JPEG: decode at 1/2…1/8 scale
        image = ImageOps.exif_transpose(opened)
        image = image.convert("RGB")
    image.thumbnail((_WORKING_SIZE, _WORKING_SIZE), Image.Resampling.BOX)
    return image


def image_fingerprint(image: Image.Image | Path | str, dihedral: bool = False) -> ImageFingerprint:
    """PDQ hash and quality, pHash, and optionally the eight dihedral PDQ hashes."""
    if not isinstance(image, Image.Image):
        image = load_image(Path(image))
    elif image.mode != "RGB":
        image = image.convert("RGB")
    pixels = np.asarray(image, dtype=np.uint8)
    variants: U64Array | None = None
    if dihedral:
        bit_vectors, qualities = pdqhash.compute_dihedral(pixels)
        variants = np.stack([bits_to_words(v) for v in bit_vectors])
        pdq, quality = variants[0], int(qualities)  # one quality for all eight
    else:
        bits, quality = pdqhash.compute(pixels)
        pdq = bits_to_words(bits)
    phash = bits_to_words(imagehash.phash(image).hash.reshape(-1))
    return ImageFingerprint(pdq, int(quality), phash, variants)


def _score(distance: int) -> float:
    """Share of equal bits: 1.0 identical, ~0.5 unrelated; ≥ 0.88 within the default radius."""
    return _SCORES[distance]


# Every possible score, computed once: a batch builds thousands of matches.
_SCORES = [round(1.0 - distance / PDQ_BITS, 6) for distance in range(PDQ_BITS + 1)]


class ImageIndex:
    """PDQ hashes by key; :meth:`query` finds every stored image within ``max_distance`` bits."""

    def __init__(self, max_distance: int = DEFAULT_MAX_DISTANCE) -> None:
        self._index = HammingIndex(PDQ_BITS, max_distance)
        self._quality: list[int] = []
        self._phash: list[U64Array] = []
        self._phash_array: U64Array | None = None

    def __len__(self) -> int:
        return len(self._index)

    @property
    def max_distance(self) -> int:
        return self._index.max_distance

    @property
    def keys(self) -> Sequence[str]:
        return self._index.keys

    def add(self, key: str, fingerprint: ImageFingerprint) -> None:
        """Index one image's fingerprint under ``key``."""
        self._index.add(key, fingerprint.pdq)
        self._quality.append(fingerprint.quality)
        self._phash.append(fingerprint.phash.reshape(1))
        self._phash_array = None

    def add_hashes(
        self, keys: Sequence[str], pdq: U64Array, quality: Sequence[int], phash: U64Array
    ) -> None:
        """Index many precomputed fingerprints at once (rows of ``pdq`` and ``phash``)."""
        self._index.add_many(keys, pdq)
        self._quality.extend(int(q) for q in quality)
        self._phash.extend(np.asarray(phash, dtype=np.uint64).reshape(-1, 1))
        self._phash_array = None

    def build(self) -> None:
        """Build the search tables now instead of at the first query."""
        self._index.build()

    def query(
        self,
        fingerprint: ImageFingerprint,
        k: int = 10,
        max_distance: int | None = None,
        dihedral: bool = True,
    ) -> list[Match]:
        """Stored images within ``max_distance`` of ``fingerprint``, closest first.

        With ``dihedral`` and a fingerprint made with ``dihedral=True``, rotated and mirrored
        copies are found too; ``details["transform"]`` names the variant that matched.
        """
        if not dihedral or fingerprint.dihedral is None:
            rows_one, distances_one = self._index.search_one(fingerprint.pdq, max_distance)
            return [self._match(r, d, fingerprint, DIHEDRAL_NAMES[0])
                    for r, d in zip(rows_one[:k], distances_one[:k], strict=True)]  # fmt: skip
        q_rows, rows, distances = self._index.search(fingerprint.dihedral, max_distance)
        best: dict[int, tuple[int, int]] = {}
        for q, r, d in zip(q_rows.tolist(), rows.tolist(), distances.tolist(), strict=True):
            if r not in best or d < best[r][0]:
                best[r] = (d, q)
        ranked = sorted(best.items(), key=lambda item: (item[1][0], item[0]))[:k]
        return [self._match(r, d, fingerprint, DIHEDRAL_NAMES[q]) for r, (d, q) in ranked]

    def query_hashes(self, pdq: U64Array, max_distance: int | None = None) -> list[list[Match]]:
        """Batch search for many bare PDQ hashes (rows), e.g. a whole import at once."""
        pdq = np.asarray(pdq, dtype=np.uint64).reshape(-1, PDQ_BITS // 64)
        keys = self.keys
        if len(pdq) == 1:  # the common case (one upload) has a leaner path
            rows_one, distances_one = self._index.search_one(pdq[0], max_distance)
            return [[Match(keys[r], _score(d), ALGORITHM, VERSION, d)
                     for r, d in zip(rows_one, distances_one, strict=True)]]  # fmt: skip
        q_rows, rows, distances = self._index.search(pdq, max_distance)
        results: list[list[Match]] = [[] for _ in range(len(pdq))]
        order = np.lexsort((rows, distances, q_rows))
        for q, row, dist in zip(q_rows.take(order).tolist(), rows.take(order).tolist(),
                                distances.take(order).tolist(), strict=True):  # fmt: skip
            results[q].append(Match(keys[row], _score(dist), ALGORITHM, VERSION, dist))
        return results

    def exhaustive(self, pdq: U64Array, max_distance: int | None = None) -> list[tuple[str, int]]:
        """Brute-force Hamming distance to every stored hash: the benchmark's baseline."""
        limit = self.max_distance if max_distance is None else max_distance
        distances = hamming(self._index.hashes(), np.asarray(pdq, dtype=np.uint64).reshape(-1))
        rows = np.flatnonzero(distances <= limit)
        return [(self.keys[r], int(distances[r])) for r in rows.tolist()]

    def _phashes(self) -> U64Array:
        if self._phash_array is None:
            self._phash_array = (
                np.concatenate(self._phash) if self._phash else np.zeros(0, dtype=np.uint64)
            )
        return self._phash_array

    def _match(self, row: int, distance: int, query: ImageFingerprint, transform: str) -> Match:
        details: dict[str, Any] = {
            "quality": min(query.quality, self._quality[row]),
            "low_quality": min(query.quality, self._quality[row]) < LOW_QUALITY,
            "transform": transform,
        }
        if transform == "original":  # pHash has no dihedral variants to compare with
            phash_distance = int(np.bitwise_count(self._phashes()[row] ^ query.phash[0]))
            details["phash_distance"] = phash_distance
            details["phash_version"] = PHASH_VERSION
        return Match(self.keys[row], _score(distance), ALGORITHM, VERSION, distance, details)

    def save(self, path: Path) -> None:
        """Write keys and hashes to an ``.npz`` file (no pickles)."""
        header = {"format": _FILE_FORMAT, "version": VERSION, "max_distance": self.max_distance}
        save_arrays(
            path,
            header,
            keys=np.array(list(self.keys), dtype=str),
            pdq=self._index.hashes(),
            quality=np.array(self._quality, dtype=np.int16),
            phash=self._phashes(),
        )

    @classmethod
    def load(cls, path: Path) -> ImageIndex:
        """Read an index written by :meth:`save` (any pdqhash build: PDQ is a fixed spec)."""
        header, arrays = load_arrays(path, _FILE_FORMAT)
        index = cls(int(header["max_distance"]))
        index.add_hashes(
            [str(k) for k in arrays["keys"]],
            arrays["pdq"],
            arrays["quality"].tolist(),
            arrays["phash"],
        )
        index.build()
        return index


def pdq_distance(a: ImageFingerprint, b: ImageFingerprint) -> int:
    """PDQ Hamming distance between two fingerprints."""
    return int(hamming(a.pdq, b.pdq))


def as_words(hex_hash: str) -> npt.NDArray[np.uint64]:
    """A PDQ hash given as 64 hex digits, as the index's words."""
    return np.frombuffer(bytes.fromhex(hex_hash), dtype=">u8").astype(np.uint64)
