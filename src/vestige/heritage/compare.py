"""Before/after comparison of two images of a site: an aid to the reviewer, never a verdict.

Pure functions on bytes (no Django): the images are read from chunk iterators (the blob
store's ``open_verified``) into a spooled temporary file, so the originals are never touched
and a large file goes to disk rather than memory. Both are scaled to the same working size
(no geometric registration: two photographs from different points of view differ everywhere),
their luminance is blurred a little so that JPEG noise and a pixel of misalignment do not
count, and the change score is the fraction of pixels whose luminance changed by more than a
threshold. The difference map shows the change as a red heat overlay on the "after" image.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter, ImageOps

DISCLAIMER = "An aid to the reviewer, never a verdict."
WORKING_SIDE = 1024  # longest side of the working images, in pixels
THRESHOLD = 0.12  # a luminance change (0..1) larger than this counts as "changed"
BLUR_RADIUS = 1.5
SPOOL_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class Comparison:
    """What the app computed: a score in 0..1, the mean difference and the working size."""

    score: float  # fraction of pixels whose blurred luminance changed by more than THRESHOLD
    mean_difference: float  # mean absolute luminance difference, 0..1
    width: int
    height: int
    threshold: float = THRESHOLD
    disclaimer: str = DISCLAIMER


def load_image(chunks: Iterable[bytes], side: int = WORKING_SIDE) -> Image.Image:
    """An RGB copy of the image in ``chunks``, turned upright and no larger than ``side``."""
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        for chunk in chunks:
            spool.write(chunk)
        spool.seek(0)
        with Image.open(spool) as opened:
            opened.draft("RGB", (side, side))  # JPEG: decode at a reduced scale when possible
            image = ImageOps.exif_transpose(opened).convert("RGB")
    image.thumbnail((side, side), Image.Resampling.LANCZOS)
    return image


def align(before: Image.Image, after: Image.Image) -> tuple[Image.Image, Image.Image]:
    """Both images at the same size: the smaller width and height of the two."""
    size = (min(before.width, after.width), min(before.height, after.height))
    return (
        before if before.size == size else before.resize(size, Image.Resampling.LANCZOS),
        after if after.size == size else after.resize(size, Image.Resampling.LANCZOS),
    )


def _luminance(image: Image.Image) -> np.ndarray:
    blurred = image.convert("L").filter(ImageFilter.GaussianBlur(BLUR_RADIUS))
    return np.asarray(blurred, dtype=np.float32) / 255.0


def difference(before: Image.Image, after: Image.Image) -> np.ndarray:
    """Per-pixel absolute luminance difference (0..1) of two aligned images."""
    if before.size != after.size:
        raise ValueError("align the images first")
    return np.abs(_luminance(after) - _luminance(before))


def score(diff: np.ndarray, threshold: float = THRESHOLD) -> Comparison:
    """The change score and mean difference of a difference array."""
    height, width = diff.shape
    changed = float(np.count_nonzero(diff > threshold)) / float(diff.size or 1)
    return Comparison(
        score=round(changed, 4), mean_difference=round(float(diff.mean()), 4),
        width=width, height=height, threshold=threshold,
    )


def heat_map(after: Image.Image, diff: np.ndarray, threshold: float = THRESHOLD) -> bytes:
    """PNG of the "after" image greyed and dimmed, with change drawn over it in red: faint
    below the threshold, full above it."""
    base = np.asarray(after.convert("L"), dtype=np.float32) * 0.55
    heat = np.clip(diff / (2 * threshold), 0.0, 1.0)
    rgb = np.stack([base, base, base], axis=-1)
    red = np.array([255.0, 40.0, 30.0], dtype=np.float32)
    rgb = rgb * (1 - heat[..., None] * 0.85) + red * (heat[..., None] * 0.85)
    picture = Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), "RGB")
    out = io.BytesIO()
    picture.save(out, format="PNG", optimize=False)
    return out.getvalue()


def compare(
    before: Iterable[bytes], after: Iterable[bytes], threshold: float = THRESHOLD
) -> tuple[Comparison, bytes]:
    """Compare two images given as byte chunks; returns the score and the difference map PNG."""
    first, second = align(load_image(before), load_image(after))
    diff = difference(first, second)
    return score(diff, threshold), heat_map(second, diff, threshold)
