"""Near-duplicate detection for texts, images and videos (pure Python + numpy, no Django).

- :mod:`.text`: MinHash over cross-script folded word shingles, LSH banding, exact Jaccard re-check.
- :mod:`.image`: PDQ (+ pHash) with a multi-index Hamming search that misses nothing within 31 bits.
- :mod:`.video`: PDQ of frames streamed from ffmpeg, compared vPDQ-style in both directions.

Every result is a :class:`Match` naming its algorithm and version next to its score.
"""

from .hamming import HammingIndex
from .image import ImageFingerprint, ImageIndex, image_fingerprint
from .match import FormatError, Match
from .text import TextIndex, TextParams, shingles
from .video import VideoFingerprint, VideoIndex, compare_videos, video_fingerprint

__all__ = [
    "FormatError",
    "HammingIndex",
    "ImageFingerprint",
    "ImageIndex",
    "Match",
    "TextIndex",
    "TextParams",
    "VideoFingerprint",
    "VideoIndex",
    "compare_videos",
    "image_fingerprint",
    "shingles",
    "video_fingerprint",
]
