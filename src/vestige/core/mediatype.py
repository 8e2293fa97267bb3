"""Media type detection from a file's content (libmagic), never from its name."""

from __future__ import annotations

import mimetypes
from pathlib import Path

import magic

# libmagic names a few common types differently from the IANA registry; normalise them.
_ALIASES = {
    "image/x-ms-bmp": "image/bmp",
    "audio/x-wav": "audio/wav",
    "application/x-pdf": "application/pdf",
}

# Extensions whose usual type legitimately differs from what content sniffing reports.
_COMPATIBLE = {
    "text/plain": {"text/csv", "text/markdown", "application/json", "text/x-python"},
    "application/zip": {
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/epub+zip",
    },
    "application/octet-stream": set(),
}


def detect_media_type(path: Path) -> str:
    """The media type of a file, from its first bytes."""
    detected = magic.from_file(str(path), mime=True)
    return _ALIASES.get(detected, detected)


def expected_media_type(name: str) -> str | None:
    """The media type a file's extension suggests, or None when the extension says nothing."""
    guessed, _ = mimetypes.guess_type(name, strict=False)
    return guessed


def extension_mismatch(name: str, detected: str) -> str | None:
    """A sentence saying the extension and content disagree, or None when they agree."""
    expected = expected_media_type(name)
    if expected is None or expected == detected:
        return None
    if expected in _COMPATIBLE.get(detected, set()):
        return None
    if detected.startswith("text/") and expected.startswith("text/"):
        return None
    suffix = Path(name).suffix
    return f"the name ends in {suffix} ({expected}) but the content is {detected}"
