"""Near-duplicate videos: PDQ hashes of sampled frames, compared vPDQ-style in both directions.

Frames are pulled from ``ffmpeg`` one at a time through a pipe (one frame per second by default,
or only at scene changes), scaled to a small square and hashed; the video is never held in
memory. Two videos match when enough of each one's distinct frame hashes have a close partner in
the other (the two "match percentages" of Meta's vPDQ): a clip cut from a longer video matches
in one direction only, and both fractions are reported so a reviewer sees which case it is.
"""

from __future__ import annotations

import queue
import re
import shutil
import subprocess
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pdqhash

from ..errors import ExtractionError
from .hamming import HammingIndex, U64Array, bits_to_words, hamming
from .image import DEFAULT_MAX_DISTANCE, LOW_QUALITY, PDQ_BITS
from .match import Match

ALGORITHM = "vpdq-frames"
VERSION = f"1/pdqhash-{pdqhash.__version__}"
FRAME_SIZE = 128  # PDQ reduces to 64×64 anyway; 128 keeps its box filter meaningful
DEFAULT_FPS = 1.0
DEFAULT_MATCH_FRACTION = 0.8
TIMEOUT_SECONDS = 3600
_TIME_WAIT_SECONDS = 5.0
_PTS = re.compile(rb"pts_time:\s*([0-9.+-eE]+)")


@dataclass(frozen=True)
class VideoFingerprint:
    """PDQ hashes of a video's sampled frames (rows of ``hashes``), their times and qualities."""

    hashes: U64Array  # (frames, 4)
    times: tuple[float, ...]
    qualities: tuple[int, ...]
    sampling: str

    def distinct(self) -> U64Array:
        """The frame hashes worth comparing: informative (quality ≥ 50) and deduplicated.

        Flat frames (black fades, title cards) say nothing about identity; a static shot
        repeated for a minute should weigh as one frame, not sixty.
        """
        good = np.array(self.qualities, dtype=np.int64) >= LOW_QUALITY
        rows = self.hashes[good] if good.any() else self.hashes
        if len(rows) == 0:
            return rows
        return np.unique(rows, axis=0)


def _ffmpeg_command(path: Path, fps: float, scene: float | None) -> list[str]:
    binary = shutil.which("ffmpeg")
    if binary is None:
        raise ExtractionError("ffmpeg is not installed: video near-duplicates need it")
    sample = f"select='eq(n\\,0)+gt(scene\\,{scene})'" if scene is not None else f"fps={fps}"
    filters = f"{sample},scale={FRAME_SIZE}:{FRAME_SIZE}:flags=area,showinfo"
    return [binary, "-nostdin", "-hide_banner", "-loglevel", "info", "-i", str(path),
            "-vf", filters, "-fps_mode", "vfr", "-an", "-sn", "-dn",
            "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"]  # fmt: skip


def iter_frames(
    path: Path, fps: float = DEFAULT_FPS, scene: float | None = None
) -> Iterator[tuple[float, np.ndarray]]:
    """(time in seconds, RGB frame) pairs streamed from ffmpeg, one frame in memory at a time.

    ``scene`` (e.g. 0.3) samples the first frame and every scene change instead of ``fps``.
    Raises :class:`ExtractionError` with ffmpeg's own message when it fails.
    """
    frame_bytes = FRAME_SIZE * FRAME_SIZE * 3
    proc = subprocess.Popen(
        _ffmpeg_command(path, fps, scene), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    times: queue.Queue[float] = queue.Queue()
    tail: deque[bytes] = deque(maxlen=20)
    assert proc.stdout is not None and proc.stderr is not None
    stderr = proc.stderr

    def drain() -> None:  # read stderr concurrently so ffmpeg never blocks on a full pipe
        for line in stderr:
            found = _PTS.search(line)
            if found:
                times.put(float(found.group(1)))
            else:
                tail.append(line.strip())

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    index = 0
    try:
        while True:
            chunk = proc.stdout.read(frame_bytes)
            if len(chunk) < frame_bytes:
                break
            frame = np.frombuffer(chunk, dtype=np.uint8).reshape(FRAME_SIZE, FRAME_SIZE, 3)
            # showinfo logs a frame before ffmpeg writes it, but the reader thread may lag.
            try:
                when = times.get(timeout=_TIME_WAIT_SECONDS)
            except queue.Empty:
                when = index / fps if scene is None else -1.0
            index += 1
            yield when, frame
    finally:
        proc.stdout.close()
        code = proc.wait(timeout=TIMEOUT_SECONDS)
        reader.join(timeout=5)
        stderr.close()
    if code != 0:
        message = b" / ".join(tail).decode("utf-8", "replace")[-500:]
        raise ExtractionError(f"ffmpeg could not read {path.name}: {message}")


def video_fingerprint(
    path: Path, fps: float = DEFAULT_FPS, scene: float | None = None
) -> VideoFingerprint:
    """PDQ hashes of frames sampled at ``fps`` (or at scene changes when ``scene`` is given)."""
    rows: list[U64Array] = []
    times: list[float] = []
    qualities: list[int] = []
    for when, frame in iter_frames(Path(path), fps, scene):
        bits, quality = pdqhash.compute(frame)
        rows.append(bits_to_words(bits))
        times.append(round(when, 3))
        qualities.append(int(quality))
    if not rows:
        raise ExtractionError(f"{Path(path).name}: ffmpeg found no video frames")
    sampling = f"scene>{scene}" if scene is not None else f"fps={fps}"
    return VideoFingerprint(np.stack(rows), tuple(times), tuple(qualities), sampling)


def _matched_fraction(a: U64Array, b: U64Array, max_distance: int) -> float:
    """Share of ``a``'s hashes with some hash of ``b`` within ``max_distance`` (chunked)."""
    if len(a) == 0 or len(b) == 0:
        return 0.0
    matched = 0
    for start in range(0, len(a), 256):
        block = a[start : start + 256]
        distances = hamming(block[:, None, :], b[None, :, :])
        matched += int((distances.min(axis=1) <= max_distance).sum())
    return matched / len(a)


def compare_videos(
    query: VideoFingerprint,
    target: VideoFingerprint,
    max_distance: int = DEFAULT_MAX_DISTANCE,
) -> tuple[float, float]:
    """(share of the query's frames found in the target, share of the target's in the query)."""
    a, b = query.distinct(), target.distinct()
    return _matched_fraction(a, b, max_distance), _matched_fraction(b, a, max_distance)


class VideoIndex:
    """Videos by key; frames go into one Hamming index, candidates are compared in full."""

    def __init__(self, max_distance: int = DEFAULT_MAX_DISTANCE) -> None:
        self._frames = HammingIndex(PDQ_BITS, max_distance)
        self._videos: dict[str, VideoFingerprint] = {}

    def __len__(self) -> int:
        return len(self._videos)

    @property
    def keys(self) -> Sequence[str]:
        return list(self._videos)

    def add(self, key: str, fingerprint: VideoFingerprint) -> None:
        """Index a video's distinct frames under ``key``."""
        if key in self._videos:
            raise ValueError(f"video {key!r} is already indexed")
        distinct = fingerprint.distinct()
        self._videos[key] = fingerprint
        self._frames.add_many([key] * len(distinct), distinct)

    def query(
        self,
        fingerprint: VideoFingerprint,
        k: int = 10,
        min_fraction: float = DEFAULT_MATCH_FRACTION,
    ) -> list[Match]:
        """Stored videos where at least ``min_fraction`` of the frames match in one direction.

        ``score`` is the smaller of the two fractions (1.0: same footage both ways); a clip of
        a longer video scores its own share and says so in ``details``.
        """
        distinct = fingerprint.distinct()
        if len(distinct) == 0 or len(self._frames) == 0:
            return []
        _, rows, _ = self._frames.search(distinct)
        candidates = {self._frames.keys[r] for r in rows.tolist()}
        matches = []
        for key in sorted(candidates):
            forward, backward = compare_videos(fingerprint, self._videos[key],
                                               self._frames.max_distance)  # fmt: skip
            if max(forward, backward) < min_fraction:
                continue
            details = {
                "query_fraction": round(forward, 4),
                "target_fraction": round(backward, 4),
                "query_frames": len(distinct),
                "target_frames": len(self._videos[key].distinct()),
                "sampling": fingerprint.sampling,
            }
            score = round(min(forward, backward), 6)
            matches.append(Match(key, score, ALGORITHM, VERSION, None, details))
        matches.sort(key=lambda m: (-m.score, m.key))
        return matches[:k]
