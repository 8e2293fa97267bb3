"""Extraction stages run on each imported file.

A stage is a small class with a declared ``name`` and ``version``, a test of which media types
it applies to, and one method, :meth:`Stage.run`, that reads the original and returns metadata
and derivative files. A stage that fails raises :class:`ExtractionError`; the importer records
the error on the item and goes on with the other stages — it never drops it silently.
"""

from __future__ import annotations

import codecs
import json
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from fractions import Fraction
from pathlib import Path
from typing import Any, ClassVar

from .errors import ExtractionError

# Pillow's decompression-bomb guard stays on; this makes an oversized image an error, not a warning.
MAX_IMAGE_PIXELS = 180_000_000
TOOL_TIMEOUT_SECONDS = 120
THUMBNAIL_SIZE = (480, 480)


@dataclass
class DerivedFile:
    """A file a stage made from the original, not yet in the blob store."""

    kind: str  # thumbnail, text, ...
    path: Path
    media_type: str
    tool: str


@dataclass
class StageResult:
    metadata: dict[str, Any] = field(default_factory=dict)
    derived: list[DerivedFile] = field(default_factory=list)
    captured_at: str | None = None  # ISO 8601 when the file says when it was made
    errors: list[str] = field(default_factory=list)  # partial failures; the rest still counts
    warnings: list[str] = field(default_factory=list)  # facts about the file worth a warning


class Stage:
    """One step of the import pipeline."""

    name: ClassVar[str]
    version: ClassVar[str] = "1"

    def applies_to(self, media_type: str) -> bool:
        raise NotImplementedError

    def run(self, original: Path, media_type: str, workdir: Path) -> StageResult:
        raise NotImplementedError

    @classmethod
    def tool(cls) -> str:
        return f"vestige.{cls.name}/{cls.version}"


def _pillow_version() -> str:
    import PIL

    return f"Pillow {PIL.__version__}"


def _rational(value: Any) -> float:
    if isinstance(value, tuple) and len(value) == 2:
        return float(Fraction(int(value[0]), int(value[1]) or 1))
    return float(value)


def _gps_to_decimal(gps: dict[int, Any]) -> dict[str, float] | None:
    try:
        lat = gps[2]
        lon = gps[4]
        lat_ref = str(gps.get(1, "N")).upper()
        lon_ref = str(gps.get(3, "E")).upper()
    except KeyError:
        return None
    latitude = _rational(lat[0]) + _rational(lat[1]) / 60 + _rational(lat[2]) / 3600
    longitude = _rational(lon[0]) + _rational(lon[1]) / 60 + _rational(lon[2]) / 3600
    if lat_ref.startswith("S"):
        latitude = -latitude
    if lon_ref.startswith("W"):
        longitude = -longitude
    result = {"latitude": round(latitude, 7), "longitude": round(longitude, 7)}
    if 6 in gps:
        altitude = _rational(gps[6])
        result["altitude"] = round(-altitude if gps.get(5) in (1, b"\x01") else altitude, 2)
    return result


def _exif_datetime(value: str, offset: str | None) -> str | None:
    try:
        moment = datetime.strptime(value.strip(), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    if offset:
        try:
            sign = -1 if offset.startswith("-") else 1
            hours, minutes = offset.lstrip("+-").split(":")
            tz = timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))
            return moment.replace(tzinfo=tz).isoformat()
        except ValueError:
            pass
    return moment.isoformat()  # local time of the camera, zone unknown


def _plain(value: Any) -> Any:
    """EXIF values as JSON-friendly values."""
    if isinstance(value, bytes):
        return value.hex() if len(value) <= 64 else f"<{len(value)} bytes>"
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "numerator") and hasattr(value, "denominator"):
        return float(value) if value.denominator else None
    if isinstance(value, str):
        return value.replace("\x00", "").strip()
    return value


class ImageStage(Stage):
    """EXIF (with GPS and capture time), dimensions and a thumbnail, through Pillow."""

    name = "image"
    version = "1"

    def applies_to(self, media_type: str) -> bool:
        return media_type.startswith("image/")

    def run(self, original: Path, media_type: str, workdir: Path) -> StageResult:
        from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

        Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
        result = StageResult()
        try:
            with Image.open(original) as image:
                result.metadata["image"] = {
                    "format": image.format,
                    "width": image.width,
                    "height": image.height,
                    "mode": image.mode,
                }
                exif = image.getexif()
                if exif:
                    tags = {ExifTags.TAGS.get(k, str(k)): _plain(v) for k, v in exif.items()}
                    details = exif.get_ifd(ExifTags.IFD.Exif)
                    tags.update(
                        {ExifTags.TAGS.get(k, str(k)): _plain(v) for k, v in details.items()}
                    )
                    # Offsets of sub-directories and maker notes say nothing to a reader.
                    for pointer in ("MakerNote", "GPSInfo", "ExifOffset", "InteropOffset"):
                        tags.pop(pointer, None)
                    result.metadata["exif"] = tags
                    gps_ifd = exif.get_ifd(ExifTags.IFD.GPSInfo)
                    if gps_ifd:
                        gps = _gps_to_decimal(dict(gps_ifd))
                        if gps:
                            result.metadata["gps"] = gps
                    taken = details.get(0x9003) or exif.get(0x0132)
                    if taken:
                        result.captured_at = _exif_datetime(str(taken), details.get(0x9011))
                try:
                    image.load()
                    thumb = ImageOps.exif_transpose(image) or image
                    thumb.thumbnail(THUMBNAIL_SIZE)
                    if thumb.mode not in ("RGB", "L"):
                        thumb = thumb.convert("RGB")
                    target = workdir / "thumbnail.jpg"
                    thumb.save(target, "JPEG", quality=82)
                    result.derived.append(
                        DerivedFile("thumbnail", target, "image/jpeg", _pillow_version())
                    )
                except (OSError, ValueError, SyntaxError) as exc:
                    result.errors.append(f"image data could not be decoded: {exc}")
        except (OSError, UnidentifiedImageError, Image.DecompressionBombError, SyntaxError) as exc:
            raise ExtractionError(f"image could not be read: {exc}") from exc
        return result


class PdfStage(Stage):
    """Document information and text of a PDF, through pypdf."""

    name = "pdf"
    version = "1"
    max_pages = 2000

    def applies_to(self, media_type: str) -> bool:
        return media_type == "application/pdf"

    def run(self, original: Path, media_type: str, workdir: Path) -> StageResult:
        import pypdf
        from pypdf.errors import PyPdfError

        result = StageResult()
        try:
            reader = pypdf.PdfReader(original)
            info: dict[str, Any] = dict(reader.metadata or {})
            result.metadata["pdf"] = {
                "pages": len(reader.pages),
                "encrypted": reader.is_encrypted,
                "info": {str(k).lstrip("/"): str(v) for k, v in info.items()},
            }
            created = getattr(reader.metadata, "creation_date", None) if reader.metadata else None
            if created is not None:
                result.captured_at = created.isoformat()
            target = workdir / "text.txt"
            with open(target, "w", encoding="utf-8") as out:
                for number, page in enumerate(reader.pages):
                    if number >= self.max_pages:
                        break
                    out.write(page.extract_text() or "")
                    out.write("\n\f\n")
            result.derived.append(
                DerivedFile(
                    "text", target, "text/plain; charset=utf-8", f"pypdf {pypdf.__version__}"
                )
            )
        except (PyPdfError, OSError, ValueError, KeyError) as exc:
            raise ExtractionError(f"PDF could not be read: {exc}") from exc
        return result


class TextStage(Stage):
    """The text of a plain-text file as UTF-8, with the encoding it was found in."""

    name = "text"
    version = "2"  # 2: streamed; UTF-16 only with a byte-order mark
    encodings = ("utf-8", "utf-16", "cp1251", "cp1252")

    def applies_to(self, media_type: str) -> bool:
        return media_type.startswith("text/")

    limit = 64 * 1024 * 1024  # bytes of the original turned into text
    chunk = 1024 * 1024

    def run(self, original: Path, media_type: str, workdir: Path) -> StageResult:
        target = workdir / "text.txt"
        with original.open("rb") as head:
            bom = head.read(2)
        # UTF-16 only with its byte-order mark: without one, almost any even-length file
        # "decodes" as UTF-16 into nonsense before the real 8-bit encoding is tried.
        wanted = [e for e in self.encodings if e != "utf-16" or bom in (b"\xff\xfe", b"\xfe\xff")]
        for encoding in wanted:
            try:
                characters = self._transcode(original, encoding, target)
            except UnicodeDecodeError:
                continue
            break
        else:
            target.unlink(missing_ok=True)
            raise ExtractionError("text is in no known encoding")
        result = StageResult(metadata={"text": {"encoding": encoding, "characters": characters}})
        result.derived.append(DerivedFile("text", target, "text/plain; charset=utf-8", self.tool()))
        return result

    def _transcode(self, original: Path, encoding: str, target: Path) -> int:
        """Stream the first ``limit`` bytes of ``original`` from ``encoding`` into UTF-8 at
        ``target``, a megabyte at a time; raises UnicodeDecodeError when it is not that encoding.
        A character cut by the limit is dropped, not an error."""
        decoder = codecs.getincrementaldecoder(encoding)()
        characters, remaining = 0, self.limit
        with original.open("rb") as source, target.open("w", encoding="utf-8") as out:
            while remaining > 0:
                block = source.read(min(self.chunk, remaining))
                if not block:
                    break
                remaining -= len(block)
                text = decoder.decode(block)
                characters += len(text)
                out.write(text)
            if remaining > 0:  # the whole file was read: a dangling partial character is an error
                text = decoder.decode(b"", final=True)
                characters += len(text)
                out.write(text)
        return characters


def _tool_version(binary: str) -> str:
    try:
        out = subprocess.run(
            [binary, "-version"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except OSError:
        return binary
    first = out.splitlines()[0] if out else binary
    parts = first.split()
    return f"{binary} {parts[2]}" if len(parts) > 2 else binary


class MediaStage(Stage):
    """Duration, codecs and creation time of audio and video (ffprobe); a frame as thumbnail."""

    name = "av"
    version = "1"

    def applies_to(self, media_type: str) -> bool:
        return media_type.startswith(("video/", "audio/"))

    def run(self, original: Path, media_type: str, workdir: Path) -> StageResult:
        if not shutil.which("ffprobe"):
            raise ExtractionError("ffprobe is not installed: audio and video metadata not read")
        try:
            probe = subprocess.run(
                [
                    "ffprobe",
                    "-v",
                    "error",
                    "-print_format",
                    "json",
                    "-show_format",
                    "-show_streams",
                    "--",
                    str(original),
                ],
                capture_output=True,
                text=True,
                timeout=TOOL_TIMEOUT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise ExtractionError("ffprobe took too long") from exc
        if probe.returncode != 0:
            raise ExtractionError(f"ffprobe could not read the file: {probe.stderr.strip()[:300]}")
        data = json.loads(probe.stdout or "{}")
        fmt = data.get("format", {})
        streams = [
            {
                "type": s.get("codec_type"),
                "codec": s.get("codec_name"),
                "width": s.get("width"),
                "height": s.get("height"),
                "duration": s.get("duration"),
            }
            for s in data.get("streams", [])
        ]
        tags = fmt.get("tags", {}) or {}
        result = StageResult(
            metadata={
                "av": {
                    "container": fmt.get("format_name"),
                    "duration_seconds": float(fmt["duration"]) if fmt.get("duration") else None,
                    "bit_rate": fmt.get("bit_rate"),
                    "streams": streams,
                    "tags": tags,
                }
            }
        )
        if tags.get("creation_time"):
            result.captured_at = tags["creation_time"]
        if any(s["type"] == "video" for s in streams) and shutil.which("ffmpeg"):
            target = workdir / "thumbnail.jpg"
            frame = subprocess.run(
                [
                    "ffmpeg",
                    "-nostdin",
                    "-v",
                    "error",
                    "-i",
                    str(original),
                    "-frames:v",
                    "1",
                    "-vf",
                    "scale='min(480,iw)':-2",
                    "-y",
                    str(target),
                ],
                capture_output=True,
                text=True,
                timeout=TOOL_TIMEOUT_SECONDS,
                check=False,
            )
            if frame.returncode == 0 and target.exists():
                result.derived.append(
                    DerivedFile("thumbnail", target, "image/jpeg", _tool_version("ffmpeg"))
                )
            else:
                result.errors.append(f"no frame could be taken: {frame.stderr.strip()[:300]}")
        return result


def _archive_stages() -> tuple[type[Stage], ...]:
    from .archives.stage import WaczStage, WarcStage  # imports this module: import late

    return (WarcStage, WaczStage)


DEFAULT_STAGES: tuple[type[Stage], ...] = (
    ImageStage,
    PdfStage,
    TextStage,
    MediaStage,
    *_archive_stages(),
)
