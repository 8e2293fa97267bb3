"""Media type detection from a file's content (libmagic), never from its name."""

from __future__ import annotations

import mimetypes
import zipfile
import zlib
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


WARC = "application/warc"
WACZ = "application/wacz"  # the type the WACZ specification suggests; a zip with a datapackage


def _starts_like_warc(path: Path) -> bool:
    """A WARC, plain or gzip (judged from the start of the first gzip member)."""
    with open(path, "rb") as handle:
        head = handle.read(4096)
    if head.startswith(b"\x1f\x8b"):
        try:
            head = zlib.decompressobj(wbits=31).decompress(head, 16)
        except zlib.error:
            return False
    return head.startswith(b"WARC/")


def _is_wacz(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            return any(info.filename == "datapackage.json" for info in archive.infolist())
    except (zipfile.BadZipFile, OSError):
        return False


def detect_media_type(path: Path) -> str:
    """The media type of a file, from its first bytes."""
    detected = magic.from_file(str(path), mime=True)
    detected = _ALIASES.get(detected, detected)
    if detected == "application/zip" and _is_wacz(path):
        return WACZ
    if detected in ("application/gzip", "text/plain", "application/octet-stream") and (
        _starts_like_warc(path)
    ):
        return WARC
    return detected


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
