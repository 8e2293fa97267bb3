"""Fingerprints of items, made at import and capture and on demand (``vestige near-duplicates``).

Images get a PDQ hash (searched) and a pHash (the second opinion shown with each match), from
the original when Pillow can read it, else from the thumbnail made at import. Texts (the item's
text derivative, or the original when it is text) get the set of their folded word shingles, so
the MinHash index can be rebuilt and the exact Jaccard re-check made without reading the text
again. Videos get the PDQ hashes of one frame a second, streamed from ffmpeg.

A fingerprint that cannot be made is written into the item's warnings, naming the algorithm
and the reason: a missing fingerprint must never look like "no near-duplicates".
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.db import DatabaseError, transaction

from ..cases.extraction import item_text
from ..core.blobstore import LocalBlobStore
from ..core.neardup import TextIndex, image_fingerprint, shingles, video_fingerprint
from ..core.neardup import image as neardup_image
from ..core.neardup import video as neardup_video
from ..core.neardup.hamming import words_to_hex
from ..evidence.models import Item
from .models import Algorithm, ItemFingerprint

log = logging.getLogger(__name__)
TEXT_INDEX_VERSION = TextIndex().version
TEXT_SHINGLE_SIZE = TextIndex().params.shingle_size
WARNING_PREFIX = "near-duplicate fingerprint"


def _blob(sha256: str) -> Path:
    path = LocalBlobStore(settings.BLOB_ROOT, fsync=False).path_for(sha256)
    if not path.exists():
        raise FileNotFoundError(f"blob {sha256[:12]}… is missing from the blob store")
    return path


def is_image(item: Item) -> bool:
    return item.media_type.startswith("image/") or item.kind in ("image", "satellite_image")


def is_video(item: Item) -> bool:
    return item.media_type.startswith("video/") or item.kind == "video"


def _image_rows(item: Item) -> list[ItemFingerprint]:
    """PDQ and pHash of the original, or of the thumbnail when the original cannot be decoded
    (RAW, HEIC without a plugin, a truncated file)."""
    sources: list[tuple[str, str]] = [("original", item.sha256)]
    thumbnail = item.derivatives.filter(kind="thumbnail").order_by("-created_at").first()
    if thumbnail is not None:
        sources.append(("thumbnail", thumbnail.sha256))
    failures: list[str] = []
    for label, sha256 in sources:
        try:
            fingerprint = image_fingerprint(_blob(sha256))
        except Exception as exc:  # Pillow raises many kinds; the next source may do
            failures.append(f"{label}: {type(exc).__name__}: {exc}")
            continue
        common = {"case_id": item.case_id, "item": item, "source": label}
        return [
            ItemFingerprint(
                algorithm=Algorithm.PDQ,
                version=neardup_image.VERSION,
                value=fingerprint.pdq_hex(),
                quality=fingerprint.quality,
                **common,
            ),
            ItemFingerprint(
                algorithm=Algorithm.PHASH,
                version=neardup_image.PHASH_VERSION,
                value=words_to_hex(fingerprint.phash),
                **common,
            ),
        ]
    raise ValueError("no readable image (" + "; ".join(failures) + ")")


def _text_rows(item: Item) -> list[ItemFingerprint]:
    text = item_text(item)
    if text is None:
        return []
    values = shingles(text, TEXT_SHINGLE_SIZE)
    if len(values) == 0:
        return []
    return [
        ItemFingerprint(
            case_id=item.case_id,
            item=item,
            algorithm=Algorithm.MINHASH,
            version=TEXT_INDEX_VERSION,
            data=values.astype(">u4").tobytes(),
            source="text",
            details={"shingles": len(values)},
        )
    ]


def _video_rows(item: Item) -> list[ItemFingerprint]:
    fingerprint = video_fingerprint(_blob(item.sha256))
    return [
        ItemFingerprint(
            case_id=item.case_id,
            item=item,
            algorithm=Algorithm.VPDQ,
            version=neardup_video.VERSION,
            data=fingerprint.hashes.astype(">u8").tobytes(),
            quality=min(fingerprint.qualities) if fingerprint.qualities else None,
            source="frames",
            details={
                "times": list(fingerprint.times),
                "qualities": list(fingerprint.qualities),
                "sampling": fingerprint.sampling,
            },
        )
    ]


def shingles_of(row: ItemFingerprint) -> Any:
    """The shingle set stored in a text fingerprint, as the index wants it."""
    return np.frombuffer(bytes(row.data or b""), dtype=">u4").astype(np.uint32)


def video_of(row: ItemFingerprint) -> neardup_video.VideoFingerprint:
    """The video fingerprint stored in a ``vpdq`` row."""
    hashes = np.frombuffer(bytes(row.data or b""), dtype=">u8").astype(np.uint64).reshape(-1, 4)
    details = row.details or {}
    return neardup_video.VideoFingerprint(
        hashes,
        tuple(details.get("times", [])),
        tuple(details.get("qualities", [])),
        str(details.get("sampling", "")),
    )


def _record_warning(item: Item, message: str) -> None:
    """Append the failure to the item's warnings (the bytes are untouched)."""
    warnings = list(
        Item.objects.filter(pk=item.pk).values_list("warnings", flat=True).first() or []
    )
    if message not in warnings:
        warnings.append(message)
        Item.objects.filter(pk=item.pk).update(warnings=warnings)
        item.warnings = warnings


def compute_fingerprints(item: Item, replace: bool = False) -> list[ItemFingerprint]:
    """Make and store the fingerprints ``item`` lacks (all of them with ``replace``).

    Each kind fails on its own: a video ffmpeg cannot read still gets its text fingerprint,
    and the failure is written into the item's warnings.
    """
    have = set(ItemFingerprint.objects.filter(item=item).values_list("algorithm", flat=True))
    makers: list[tuple[str, Any]] = []
    if is_image(item):
        makers.append((Algorithm.PDQ, _image_rows))
    if is_video(item):
        makers.append((Algorithm.VPDQ, _video_rows))
    makers.append((Algorithm.MINHASH, _text_rows))
    made: list[ItemFingerprint] = []
    for algorithm, maker in makers:
        if algorithm in have and not replace:
            continue
        try:
            rows = maker(item)
        except Exception as exc:  # recorded on the item, never swallowed
            _record_warning(
                item,
                f"{WARNING_PREFIX} ({algorithm}) could not be made: {type(exc).__name__}: {exc}"[
                    :500
                ],
            )
            continue
        with transaction.atomic():
            kinds = [r.algorithm for r in rows] or [algorithm]
            ItemFingerprint.objects.filter(item=item, algorithm__in=kinds).delete()
            made.extend(ItemFingerprint.objects.bulk_create(rows))
    return made


def fingerprint_new_items(items: Iterable[Item]) -> int:
    """Fingerprints for a batch of new items (import and capture), then a search of each case
    for their near-copies. A database failure for one item is rolled back to its savepoint and
    logged, so the import itself still completes; `vestige near-duplicates` makes the missing
    fingerprints later."""
    from .suggestions import search_pending

    done = 0
    cases: dict[Any, Any] = {}
    for item in items:
        try:
            with transaction.atomic():
                compute_fingerprints(item)
            done += 1
            cases[item.case_id] = item.case_id
        except DatabaseError as exc:
            log.error(
                "fingerprints of item %s could not be stored: %s", item.pk, type(exc).__name__
            )
    for case_id in cases:
        try:
            with transaction.atomic():
                search_pending(case_id)
        except DatabaseError as exc:
            log.error("near-duplicate search of case %s failed: %s", case_id, type(exc).__name__)
    return done
