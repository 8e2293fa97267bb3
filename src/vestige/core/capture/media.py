"""Embedded images and videos of a captured page, and media platforms through yt-dlp.

Images and videos come from the responses the capture already received (they are in the WARC
too), so nothing is downloaded twice and what is saved is exactly what the page served. A URL
that one of yt-dlp's site extractors claims (YouTube, Telegram, X, …) is additionally handed to
yt-dlp, which knows how to get the real video behind a player.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .fetch import Exchange
from .guardproxy import GuardedProxy
from .netguard import GuardPolicy
from .types import CapturedFile

MIN_IMAGE_BYTES = 1024  # smaller images are icons, spacers and tracking pixels
MEDIA_PREFIXES = ("image/", "video/", "audio/")
EXTENSIONS = {
    "image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/webp": ".webp",
    "image/svg+xml": ".svg", "image/avif": ".avif", "video/mp4": ".mp4", "video/webm": ".webm",
    "video/ogg": ".ogv", "audio/mpeg": ".mp3", "audio/ogg": ".ogg", "audio/webm": ".weba",
    "video/quicktime": ".mov", "audio/mp4": ".m4a",
}
YTDLP_INFO_KEYS = ("id", "title", "uploader", "uploader_id", "channel", "upload_date",
                   "timestamp", "duration", "webpage_url", "extractor", "description",
                   "view_count", "width", "height", "ext", "format_id")


def _media_type(exchange: Exchange) -> str:
    declared = exchange.media_type
    if declared.startswith(MEDIA_PREFIXES):
        return declared
    guessed = mimetypes.guess_type(urlsplit(exchange.url).path)[0] or ""
    if declared in ("", "application/octet-stream") and guessed.startswith(MEDIA_PREFIXES):
        return guessed
    return ""


def _safe_name(url: str, media_type: str, number: int) -> str:
    stem = Path(urlsplit(url).path).stem or "media"
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", stem)[:60] or "media"
    return f"{number:03d}-{stem}{EXTENSIONS.get(media_type, '')}"


def _image_size(path: Path) -> dict[str, Any]:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            return {"width": image.width, "height": image.height, "format": image.format}
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return {}


def embedded_media(exchanges: list[Exchange], target: Path) -> list[CapturedFile]:
    """Save each distinct image/video/audio response (complete, 200) as a media file."""
    target.mkdir(parents=True, exist_ok=True)
    seen: set[str] = set()
    files: list[CapturedFile] = []
    for exchange in exchanges:
        media_type = _media_type(exchange)
        if not media_type or exchange.status != 200 or exchange.truncated:
            continue
        if media_type.startswith("image/") and exchange.size < MIN_IMAGE_BYTES:
            continue
        body = exchange.decoded_body()
        digest = body.sha256  # taken while the body arrived
        if digest in seen:
            continue
        seen.add(digest)
        path = target / _safe_name(exchange.url, media_type, len(files) + 1)
        # The body is scratch (the WARC holds the record): a spilled one is moved, not copied.
        body.save_as(path)
        metadata: dict[str, Any] = {"sha256": digest, "size": body.size,
                                    "via": "page", "warc_record_id": exchange.record_id}
        if media_type.startswith("image/"):
            metadata.update(_image_size(path))
        files.append(CapturedFile("media", path, media_type, exchange.url, metadata))
    return files


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


# -- yt-dlp ----------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _extractors() -> tuple[Any, ...]:
    from yt_dlp.extractor import gen_extractor_classes

    return tuple(ie for ie in gen_extractor_classes() if ie.ie_key() != "Generic")


@lru_cache(maxsize=1)
def _compiled_patterns() -> tuple[tuple[Any, tuple[Any, ...] | None], ...]:
    """Each extractor with its URL patterns compiled by ``regex`` (None: always a candidate)."""
    import regex

    out: list[tuple[Any, tuple[Any, ...] | None]] = []
    for extractor in _extractors():
        patterns = getattr(extractor, "_VALID_URL", None)
        if isinstance(patterns, str):
            patterns = (patterns,)
        if not isinstance(patterns, (list, tuple)) or not patterns:
            out.append((extractor, None))
            continue
        try:
            out.append((extractor, tuple(regex.compile(p) for p in patterns)))
        except Exception:  # a pattern regex cannot read: keep the extractor as a candidate
            out.append((extractor, None))
    return tuple(out)


@lru_cache(maxsize=512)
def _candidates(origin: str) -> tuple[Any, ...]:
    """The extractors whose URL pattern can match some URL starting with ``origin``.

    yt-dlp tries its ~1,800 patterns one by one for every URL (about 30 ms). A partial match of
    ``scheme://host`` rules out all but a few dozen for a host, once; the survivors are then
    asked in yt-dlp's own order, so the answer is the one yt-dlp would give.
    """
    return tuple(
        extractor for extractor, patterns in _compiled_patterns()
        if patterns is None or any(p.match(origin, partial=True) for p in patterns)
    )


@lru_cache(maxsize=1024)
def platform_extractor(url: str) -> str:
    """The name of the yt-dlp site extractor that claims ``url``, or "" (generic pages)."""
    parts = urlsplit(url)
    for extractor in _candidates(f"{parts.scheme.lower()}://{parts.netloc.lower()}"):
        if extractor.suitable(url):
            return str(extractor.ie_key())
    return ""


def ytdlp_version() -> str:
    from yt_dlp.version import __version__

    return str(__version__)


def ytdlp_download(
    url: str,
    target: Path,
    max_bytes: int,
    timeout: float,
    user_agent: str,
    policy: GuardPolicy,
) -> tuple[list[CapturedFile], list[str]]:
    """Download the media behind a platform URL; failures come back as warnings, not raises.

    yt-dlp's connections all go through a :class:`GuardedProxy`, so the address guard applies
    to the platform's API and video hosts as it does to the page.
    """
    target.mkdir(parents=True, exist_ok=True)
    with GuardedProxy(policy, timeout, max_bytes) as proxy:
        files, warnings = _ytdlp(url, target, max_bytes, timeout, user_agent, proxy.url)
    warnings.extend(f"refused (yt-dlp): {host}: {reason}" for host, reason in proxy.refused)
    if proxy.bytes_relayed > max_bytes:
        warnings.append(f"yt-dlp stopped at the capture's size limit of {max_bytes} bytes")
    return files, warnings


class _QuietLogger:
    """yt-dlp's messages stay out of the worker's output; errors come back as exceptions."""

    def debug(self, msg: str) -> None:
        return

    def info(self, msg: str) -> None:
        return

    def warning(self, msg: str) -> None:
        return

    def error(self, msg: str) -> None:
        return


def _ytdlp(
    url: str, target: Path, max_bytes: int, timeout: float, user_agent: str, proxy: str
) -> tuple[list[CapturedFile], list[str]]:
    import yt_dlp

    options: dict[str, Any] = {
        "outtmpl": str(target / "ytdlp-%(id)s.%(ext)s"),
        "noplaylist": True,
        "quiet": True,
        "no_warnings": True,
        "noprogress": True,
        "socket_timeout": timeout,
        "max_filesize": max_bytes,
        "retries": 1,
        "http_headers": {"User-Agent": user_agent},
        "proxy": proxy,
        "logger": _QuietLogger(),
        "format": f"best[filesize<?{max_bytes}]/best",
    }
    try:
        with yt_dlp.YoutubeDL(options) as ydl:
            info = ydl.extract_info(url, download=True)
            entries = [info] if info and "entries" not in info else list(info.get("entries") or [])
            files = []
            for entry in entries:
                path = Path(ydl.prepare_filename(entry))
                if not path.exists():
                    continue
                media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                subset = {k: entry.get(k) for k in YTDLP_INFO_KEYS if entry.get(k) is not None}
                subset.update({"via": "yt-dlp", "sha256": _sha256(path),
                               "size": path.stat().st_size})
                files.append(CapturedFile("media", path, media_type,
                                          str(entry.get("webpage_url") or url), subset))
            return files, []
    except Exception as exc:  # yt-dlp raises many kinds; each is recorded, never swallowed
        return [], [f"yt-dlp could not download the media of {url}: "
                    f"{exc.__class__.__name__}: {str(exc)[:300]}"]
