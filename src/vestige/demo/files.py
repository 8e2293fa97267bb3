"""The demonstration files, written by Vestige itself.

Everything here is made up or drawn by the project, and says so in its own bytes: the
photographs are drawings captioned "DEMONSTRATION MATERIAL", the witness statement is invented
and labelled as such at top and bottom, the situation report summarises public events and names
its public sources. The files are regenerated deterministically — same bytes and same
modification time on every run — so that importing them again finds them already imported.
"""

from __future__ import annotations

import hashlib
import io
import os
import random
import shutil
import struct
import subprocess
import tempfile
import textwrap
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

DEMO_LABEL = "DEMONSTRATION MATERIAL"
REPORT_LABEL = "DEMONSTRATION MATERIAL — written for the Vestige demo"
STATEMENT_LABEL = "DEMONSTRATION MATERIAL — an invented statement; the person does not exist"

# Every demo file gets this modification time, so the importer's resume key stays the same.
FIXED_MTIME = datetime(2023, 10, 1, 12, 0, tzinfo=UTC)
FIXED_MTIME_NS = int(FIXED_MTIME.timestamp()) * 1_000_000_000

VIDEO_SIZE = (320, 240)
VIDEO_FPS = 10
VIDEO_SECONDS = 3
VIDEO_CREATION_TIME = "2023-09-25T08:00:00Z"
VIDEO_NAMES = ("demo-video-lachin-road.webm", "demo-video-lachin-road.mp4",
               "demo-video-lachin-road.avi")


@dataclass(frozen=True)
class DemoFile:
    """One file of the demonstration case and how its item is to be described."""

    path: Path
    title: str
    description: str
    claimed_date: str  # EDTF
    graphic: bool = False
    language: str = ""


@dataclass(frozen=True)
class Place:
    """A real place of the region, named as both sides name it."""

    name: str
    latitude: float
    longitude: float


STEPANAKERT = Place("Stepanakert/Khankendi", 39.8153, 46.7519)
LACHIN = Place("Lachin", 39.6383, 46.5461)
SHUSHI = Place("Shushi/Shusha", 39.7586, 46.7492)


# --------------------------------------------------------------------------- writing files


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` unless it holds those bytes already; fix its mtime either way.

    Returns True when the file was (re)written.
    """
    changed = not (path.is_file() and path.read_bytes() == data)
    if changed:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    os.utime(path, ns=(FIXED_MTIME_NS, FIXED_MTIME_NS))
    return changed


# --------------------------------------------------------------------------- photographs


def _font(size: int) -> Any:
    from PIL import ImageFont

    return ImageFont.load_default(size=size)


def _sky(draw: Any, size: tuple[int, int], top: tuple[int, int, int],
         bottom: tuple[int, int, int], height: int) -> None:
    for y in range(height):
        t = y / max(height - 1, 1)
        colour = tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
        draw.line([(0, y), (size[0], y)], fill=colour)


def _caption(draw: Any, size: tuple[int, int], subtitle: str) -> None:
    width, height = size
    draw.rectangle([0, height - 58, width, height], fill=(0, 0, 0))
    draw.text((16, height - 54), DEMO_LABEL, fill=(255, 214, 0), font=_font(24))
    draw.text((16, height - 24), subtitle, fill=(255, 255, 255), font=_font(14))
    draw.rectangle([0, 0, width, 30], fill=(0, 0, 0))
    draw.text((12, 6), f"{DEMO_LABEL} - drawn by Vestige, not a photograph",
              fill=(255, 214, 0), font=_font(16))


def _mountains(draw: Any, size: tuple[int, int], horizon: int, seed: int,
               colour: tuple[int, int, int]) -> None:
    rng = random.Random(seed)  # noqa: S311 - a fixed drawing, not a secret
    points = [(0, horizon)]
    x = 0
    while x < size[0]:
        x += rng.randint(40, 110)
        points.append((x, horizon - rng.randint(30, 120)))
    points += [(size[0], horizon), (0, horizon)]
    draw.polygon(points, fill=colour)


def draw_checkpoint(size: tuple[int, int] = (800, 533)) -> Any:
    """A mountain road closed by a striped barrier beside a guard booth."""
    from PIL import Image, ImageDraw

    width, height = size
    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)
    horizon = 250
    _sky(draw, size, (120, 170, 220), (210, 225, 240), horizon)
    _mountains(draw, size, horizon, 11, (96, 120, 96))
    draw.rectangle([0, horizon, width, height], fill=(110, 140, 80))
    draw.polygon([(360, horizon), (440, horizon), (760, height), (40, height)], fill=(70, 70, 72))
    for step in range(8):
        top = horizon + 10 + step * 32
        draw.polygon([(398, top), (402, top), (404 + step, top + 18), (396 - step, top + 18)],
                     fill=(230, 230, 200))
    # booth
    draw.rectangle([560, 300, 660, 420], fill=(180, 170, 150), outline=(40, 40, 40), width=3)
    draw.rectangle([580, 320, 640, 360], fill=(60, 90, 120))
    draw.polygon([(550, 300), (670, 300), (610, 270)], fill=(120, 60, 50))
    # barrier: posts and a red-and-white striped bar across the road
    draw.rectangle([150, 350, 166, 440], fill=(50, 50, 50))
    draw.rectangle([640, 350, 656, 440], fill=(50, 50, 50))
    bar_top, bar_bottom = 360, 378
    for index, x in enumerate(range(166, 640, 40)):
        colour = (200, 30, 30) if index % 2 == 0 else (245, 245, 245)
        draw.rectangle([x, bar_top, min(x + 40, 640), bar_bottom], fill=colour)
    draw.rectangle([166, bar_top, 640, bar_bottom], outline=(30, 30, 30), width=2)
    _caption(draw, size, "Drawn scene: a barrier across a road near Lachin")
    return image


def draw_damaged_building(size: tuple[int, int] = (800, 533)) -> Any:
    """A block of flats with a broken roofline, dark window holes, rubble and smoke."""
    from PIL import Image, ImageDraw

    width, height = size
    rng = random.Random(21)  # noqa: S311 - a fixed drawing, not a secret
    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)
    ground = 420
    _sky(draw, size, (150, 150, 155), (200, 195, 185), ground)
    draw.rectangle([0, ground, width, height], fill=(120, 110, 100))
    for _ in range(14):  # smoke
        x, y, r = rng.randint(330, 560), rng.randint(60, 200), rng.randint(30, 70)
        grey = rng.randint(90, 140)
        draw.ellipse([x - r, y - r, x + r, y + r], fill=(grey, grey, grey + 4))
    left, right = 220, 600
    roof = [(left, ground), (left, 170)]
    x = left
    while x < right:
        x = min(x + rng.randint(18, 45), right)
        roof.append((x, 170 + rng.choice([0, 0, 20, 45, 80, 110])))
    roof.append((right, ground))
    draw.polygon(roof, fill=(150, 140, 128), outline=(60, 55, 50))
    for row in range(4):
        for col in range(6):
            wx, wy = left + 20 + col * 60, 200 + row * 52
            dark = rng.random() < 0.4
            draw.rectangle([wx, wy, wx + 32, wy + 30],
                           fill=(25, 25, 25) if dark else (90, 110, 130))
    for _ in range(60):  # rubble
        x, y = rng.randint(180, 660), rng.randint(ground - 20, ground + 40)
        s = rng.randint(6, 22)
        shade = rng.randint(90, 150)
        draw.polygon([(x, y), (x + s, y - s // 2), (x + s // 2, y + s // 2)],
                     fill=(shade, shade - 8, shade - 16))
    _caption(draw, size, "Drawn scene: a damaged building in Stepanakert/Khankendi")
    return image


def draw_church(size: tuple[int, int] = (800, 533)) -> Any:
    """The silhouette of a church with a conical dome on a hill at dusk."""
    from PIL import Image, ImageDraw

    width, height = size
    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)
    _sky(draw, size, (60, 70, 120), (240, 170, 110), height)
    draw.ellipse([-200, 380, width + 200, 760], fill=(40, 45, 50))
    silhouette = (25, 25, 30)
    draw.rectangle([280, 250, 520, 400], fill=silhouette)  # nave
    draw.polygon([(270, 250), (530, 250), (400, 200)], fill=silhouette)  # roof
    draw.rectangle([365, 150, 435, 210], fill=silhouette)  # drum
    draw.polygon([(355, 152), (445, 152), (400, 95)], fill=silhouette)  # conical dome
    draw.rectangle([396, 55, 404, 97], fill=silhouette)  # cross
    draw.rectangle([384, 66, 416, 73], fill=silhouette)
    for x in (310, 360, 430, 480):
        draw.rectangle([x, 300, x + 14, 340], fill=(240, 170, 110))
    _caption(draw, size, "Drawn scene: a church in Shushi/Shusha")
    return image


def _dms(value: float) -> tuple[Any, Any, Any]:
    """Decimal degrees as EXIF degrees, minutes and seconds (rationals)."""
    from PIL.TiffImagePlugin import IFDRational

    hundredths = round(abs(value) * 3600 * 100)
    degrees, rest = divmod(hundredths, 3600 * 100)
    minutes, seconds = divmod(rest, 60 * 100)
    return IFDRational(degrees, 1), IFDRational(minutes, 1), IFDRational(seconds, 100)


def photo_bytes(image: Any, place: Place, taken: str, offset: str, description: str) -> bytes:
    """The image as a JPEG with camera, time, description and GPS EXIF (deterministic)."""
    from PIL import ExifTags, Image

    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Vestige Demo Camera"
    exif[ExifTags.Base.Model] = "Vestige Demo Camera"
    exif[ExifTags.Base.ImageDescription] = description
    exif[ExifTags.Base.Software] = "Vestige demo generator"
    exif[ExifTags.Base.DateTime] = taken
    details = exif.get_ifd(ExifTags.IFD.Exif)
    details[ExifTags.Base.DateTimeOriginal] = taken
    details[ExifTags.Base.OffsetTimeOriginal] = offset
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSVersionID] = b"\x02\x03\x00\x00"
    gps[ExifTags.GPS.GPSLatitudeRef] = "N" if place.latitude >= 0 else "S"
    gps[ExifTags.GPS.GPSLatitude] = _dms(place.latitude)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E" if place.longitude >= 0 else "W"
    gps[ExifTags.GPS.GPSLongitude] = _dms(place.longitude)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, exif=exif.tobytes())
    return out.getvalue()


# --------------------------------------------------------------------------- the PDF report

REPORT_TITLE = "Demonstration situation report: Nagorno-Karabakh, 2020-2023"

REPORT: list[tuple[str, str]] = [
    # (style, text): "label", "title", "heading", "body", "source"
    ("label", REPORT_LABEL),
    ("title", "Demonstration situation report: Nagorno-Karabakh, 2020–2023"),
    ("body", "Written by the Vestige project for its demonstration case; dated 1 October 2023 "
             "for the purposes of the demo. No real author or organisation stands behind it."),
    ("heading", "Purpose"),
    ("body", "This document is not evidence and not original research. It summarises public, "
             "well-documented events and names the public sources that reported them, so that "
             "the demonstration case holds a searchable PDF. Anyone relying on these facts must "
             "go back to the sources cited. Places are named as both sides name them where the "
             "names differ (Stepanakert/Khankendi, Shushi/Shusha)."),
    ("heading", "1. The blockade of the Lachin corridor (December 2022 – September 2023)"),
    ("body", "From 12 December 2022 the Lachin corridor, the only road linking Nagorno-Karabakh "
             "with Armenia, was blocked: first by people presenting themselves as environmental "
             "protesters, then, from 23 April 2023, by an Azerbaijani checkpoint at the Hakari "
             "bridge. Shortages of food, medicine and fuel were reported through 2023, and for "
             "long periods the International Committee of the Red Cross was the only "
             "organisation able to move patients and aid along the road."),
    ("source", "International Court of Justice, Armenia v. Azerbaijan (CERD), Order on "
               "provisional measures, 22 February 2023: Azerbaijan to take all measures at its "
               "disposal to ensure unimpeded movement of persons, vehicles and cargo along the "
               "Lachin Corridor in both directions."),
    ("source", "Amnesty International, \"Azerbaijan: Blockade of Lachin corridor putting "
               "thousands of lives in peril must be immediately lifted\", 9 February 2023."),
    ("heading", "2. The offensive of 19–20 September 2023 and the exodus"),
    ("body", "On 19 September 2023 Azerbaijan launched a military operation it described as "
             "\"local anti-terrorist measures\". A ceasefire announced on 20 September 2023 "
             "provided for the disarmament of the local Armenian forces. From 24 September "
             "almost the entire Armenian population of the region left for Armenia, about "
             "100,000 people. On 28 September 2023 the de facto authorities signed a decree "
             "dissolving their institutions by 1 January 2024."),
    ("source", "UNHCR, the UN Refugee Agency, statements and Armenia refugee response updates, "
               "late September to early October 2023 (more than 100,000 refugees arrived in "
               "Armenia)."),
    ("source", "United Nations Security Council, meeting on the situation, 21 September 2023."),
    ("heading", "3. Allegations against every party: the strikes on Ganja, October 2020"),
    ("body", "During the war of 27 September – 10 November 2020, Ganja, the second city of "
             "Azerbaijan and far from the front line, was hit by missiles several times in "
             "October 2020; the strikes of 11 and 17 October destroyed homes and killed "
             "civilians. Human-rights organisations reported them as attacks on civilians in "
             "Azerbaijan. The same organisations documented strikes by Azerbaijani forces, "
             "including with cluster munitions, on Stepanakert/Khankendi."),
    ("source", "Human Rights Watch, \"Armenia: Unlawful Rocket, Missile Strikes on "
               "Azerbaijan\", 11 December 2020."),
    ("source", "Amnesty International, \"In the line of fire: Civilian casualties from "
               "unlawful strikes in the Armenian-Azerbaijani conflict\", January 2021."),
    ("source", "Human Rights Watch, \"Azerbaijan: Cluster Munitions Used in "
               "Nagorno-Karabakh\", 23 October 2020."),
    ("heading", "4. The two CERD cases before the International Court of Justice (2021)"),
    ("body", "Each state has brought a case against the other under the International "
             "Convention on the Elimination of All Forms of Racial Discrimination (CERD):"),
    ("source", "Armenia v. Azerbaijan, application filed on 16 September 2021."),
    ("source", "Azerbaijan v. Armenia, application filed on 23 September 2021."),
    ("body", "On 7 December 2021 the Court indicated provisional measures in both cases, "
             "addressed to each party. Allegations made in these proceedings are claims of a "
             "party, not findings of the Court."),
    ("heading", "5. The rest of this demonstration case"),
    ("body", "The photographs in this case are drawings made by Vestige, the video is a "
             "generated test pattern, and the witness statement is invented: the person does "
             "not exist. They show how Vestige records, describes and verifies material; they "
             "prove nothing about the events above."),
    ("label", REPORT_LABEL),
]

_PAGE_WIDTH, _PAGE_HEIGHT = 595, 842  # A4 in points
_MARGIN = 56
_STYLES: dict[str, tuple[str, float, float, int, int]] = {
    # style: (font, size, leading, wrap width in characters, indent)
    "label": ("F2", 11, 16, 80, 0),
    "title": ("F2", 14, 20, 64, 0),
    "heading": ("F2", 11, 17, 80, 0),
    "body": ("F1", 10, 13, 92, 0),
    "source": ("F1", 9, 12, 96, 14),
}


def _pdf_string(text: str) -> bytes:
    """A PDF literal string in WinAnsiEncoding, with everything outside ASCII escaped."""
    out = bytearray(b"(")
    for byte in text.encode("cp1252"):
        if byte in (0x28, 0x29, 0x5C):
            out += b"\\" + bytes([byte])
        elif byte < 0x20 or byte > 0x7E:
            out += b"\\%03o" % byte
        else:
            out.append(byte)
    out += b")"
    return bytes(out)


def _pdf_pages(blocks: list[tuple[str, str]]) -> list[bytes]:
    """Lay the blocks out on A4 pages; return one content stream per page."""
    pages: list[bytes] = []
    current = bytearray()
    y: float = _PAGE_HEIGHT - _MARGIN
    for style, text in blocks:
        font, size, leading, wrap, indent = _STYLES[style]
        prefix = "- " if style == "source" else ""
        lines = textwrap.wrap(prefix + text, wrap, subsequent_indent="  " if prefix else "")
        gap = 8 if style in ("heading", "label", "title") else 4
        if y - gap - leading * min(len(lines), 3) < _MARGIN:
            pages.append(bytes(current))
            current, y = bytearray(), float(_PAGE_HEIGHT - _MARGIN)
        y -= gap
        for line in lines:
            if y - leading < _MARGIN:
                pages.append(bytes(current))
                current, y = bytearray(), float(_PAGE_HEIGHT - _MARGIN)
            y -= leading
            current += b"BT /%s %g Tf %d %g Td " % (font.encode(), size, _MARGIN + indent, y)
            current += _pdf_string(line) + b" Tj ET\n"
    pages.append(bytes(current))
    return pages


def pdf_bytes(blocks: list[tuple[str, str]] = REPORT, title: str = REPORT_TITLE) -> bytes:
    """A small valid PDF (Helvetica, WinAnsiEncoding) holding ``blocks`` as real text."""
    streams = _pdf_pages(blocks)
    page_count = len(streams)
    # 1 catalog, 2 pages, 3 Helvetica, 4 Helvetica-Bold, 5 info, then page and content pairs
    first_page = 6
    kids = " ".join(f"{first_page + 2 * i} 0 R" for i in range(page_count))
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {page_count} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold "
        b"/Encoding /WinAnsiEncoding >>",
        b"<< /Title " + _pdf_string(f"{title} ({DEMO_LABEL})")
        + b" /Author (The Vestige project - demonstration material)"
        + b" /Subject (Demonstration material written for the Vestige demo)"
        + b" /Creator (Vestige demo generator)"
        + b" /CreationDate (D:20231001120000Z) /ModDate (D:20231001120000Z) >>",
    ]
    for index, stream in enumerate(streams):
        content_ref = first_page + 2 * index + 1
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {_PAGE_WIDTH} {_PAGE_HEIGHT}] "
            f"/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> "
            f"/Contents {content_ref} 0 R >>".encode()
        )
        objects.append(
            b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream"
        )
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets: list[int] = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    file_id = hashlib.sha256(bytes(out)).hexdigest()[:32].encode()
    out += (
        b"trailer\n<< /Size %d /Root 1 0 R /Info 5 0 R /ID [<%s> <%s>] >>\n"
        % (len(objects) + 1, file_id, file_id)
    )
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


# --------------------------------------------------------------------------- witness statement

STATEMENT = f"""{STATEMENT_LABEL}

Witness statement — demonstration
=================================

Witness: "Witness D-1", an invented person made up for the Vestige demonstration. The name,
the family and the story told here belong to no one; any likeness to a real person is
accidental. This text exists only to show how Vestige stores and searches a statement.

Interview (invented): 2 October 2023, Goris (Գորիս), Armenia.
Language of the interview: Armenian, with some Russian; put into English by the (invented)
interviewer. Words and dates as the witness said them are kept in brackets.

1. I lived with my family in Stepanakert (Ստեփանակերտ) — on Azerbaijani maps, Khankendi. I
   worked at a bakery.

2. During the blockade of the Lachin road (in Russian we said «блокада»), from December 2022,
   bread (հաց; «хлеб») was sold by ration. In summer 2023 there was almost no fuel; people
   queued for bread from the early morning.

3. On 19 September 2023 (2023 թ. սեպտեմբերի 19; «19 сентября 2023 года») around one in the
   afternoon we heard explosions from the direction of the city's edge. We stayed in the
   basement of our building (մեր տունը — our home) until the next evening, when the radio
   said there was a ceasefire.

4. On 25 September 2023 («25 сентября») we left by car with two neighbours. The queue on the
   road towards Lachin (Լաչին) moved very slowly; we slept in the car. We crossed the
   checkpoint at the Hakari bridge on 26 September and reached Goris the same night.

5. I have not been back. I was not hurt. I did not see anyone killed.

Signed: "Witness D-1" (invented) — no signature exists, because the person does not exist.

{STATEMENT_LABEL}
"""


# --------------------------------------------------------------------------- the video


def _video_frame(index: int, size: tuple[int, int] = VIDEO_SIZE) -> Any:
    """One frame of a drawn road scene with a car moving along it and the demo caption."""
    from PIL import Image, ImageDraw

    width, height = size
    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)
    _sky(draw, size, (120, 170, 220), (210, 225, 240), 120)
    draw.rectangle([0, 120, width, height], fill=(110, 140, 80))
    draw.rectangle([0, 140, width, 180], fill=(70, 70, 72))
    total = VIDEO_FPS * VIDEO_SECONDS
    x = -60 + round((width + 60) * index / max(total - 1, 1))
    draw.rectangle([x, 146, x + 56, 168], fill=(190, 40, 40))
    draw.rectangle([x + 10, 138, x + 42, 148], fill=(150, 30, 30))
    draw.rectangle([0, height - 34, width, height], fill=(0, 0, 0))
    draw.text((8, height - 31), DEMO_LABEL, fill=(255, 214, 0), font=_font(14))
    draw.text((8, height - 15), f"generated by Vestige - frame {index + 1}/{total}",
              fill=(255, 255, 255), font=_font(10))
    return image


def _chunk(fourcc: bytes, data: bytes) -> bytes:
    """A RIFF chunk, padded to an even length."""
    body = fourcc + struct.pack("<I", len(data)) + data
    return body + (b"\0" if len(data) % 2 else b"")


def _riff_list(kind: bytes, data: bytes) -> bytes:
    """A RIFF LIST chunk of type ``kind``."""
    return _chunk(b"LIST", kind + data)


def avi_bytes(frames: list[bytes], size: tuple[int, int] = VIDEO_SIZE, fps: int = VIDEO_FPS,
              creation: datetime | None = None, title: str = "") -> bytes:
    """A Motion-JPEG AVI of ``frames`` (JPEG bytes), written without any outside tool."""
    width, height = size
    largest = max(len(f) for f in frames)
    avih = struct.pack(
        "<IIIIIIIIII4I",
        1_000_000 // fps,  # microseconds per frame
        largest * fps,  # max bytes per second
        0,  # padding granularity
        0x10,  # AVIF_HASINDEX
        len(frames),
        0,  # initial frames
        1,  # streams
        largest,  # suggested buffer size
        width,
        height,
        0, 0, 0, 0,
    )
    strh = struct.pack(
        "<4s4sIHHIIIIIIiI4h",
        b"vids", b"MJPG",
        0,  # flags
        0, 0,  # priority, language
        0,  # initial frames
        1, fps,  # scale, rate: fps frames per second
        0,  # start
        len(frames),  # length in frames
        largest,
        -1,  # quality: default
        0,  # sample size: varies
        0, 0, width, height,
    )
    strf = struct.pack(
        "<IiiHH4sIiiII", 40, width, height, 1, 24, b"MJPG", width * height * 3, 0, 0, 0, 0
    )
    header = _chunk(b"avih", avih) + _riff_list(b"strl", _chunk(b"strh", strh)
                                                   + _chunk(b"strf", strf))
    if creation is not None:
        # ffmpeg reads IDIT ("Mon Sep 25 08:00:00 2023") as the file's creation_time
        header += _chunk(b"IDIT", creation.strftime("%a %b %d %H:%M:%S %Y").encode() + b"\0")
    info = _chunk(b"ISFT", b"Vestige demo generator\0")
    if title:
        info += _chunk(b"INAM", title.encode("ascii", "replace") + b"\0")
    if creation is not None:
        info += _chunk(b"ICRD", creation.strftime("%Y-%m-%d").encode() + b"\0")
    movi = bytearray()
    index = bytearray()
    for frame in frames:
        offset = 4 + len(movi)  # from the 'movi' list type, as the AVI index counts
        movi += _chunk(b"00dc", frame)
        index += struct.pack("<4sIII", b"00dc", 0x10, offset, len(frame))
    body = (
        b"AVI "
        + _riff_list(b"hdrl", header)
        + _riff_list(b"INFO", info)
        + _riff_list(b"movi", bytes(movi))
        + _chunk(b"idx1", bytes(index))
    )
    return b"RIFF" + struct.pack("<I", len(body)) + body


def avi_video_bytes() -> bytes:
    """The demo video as Motion-JPEG AVI, made with Pillow alone."""
    frames = []
    for index in range(VIDEO_FPS * VIDEO_SECONDS):
        out = io.BytesIO()
        _video_frame(index).save(out, "JPEG", quality=70)
        frames.append(out.getvalue())
    creation = datetime.fromisoformat(VIDEO_CREATION_TIME.replace("Z", "+00:00"))
    return avi_bytes(frames, creation=creation, title=f"{DEMO_LABEL} - generated road scene")


def _ffmpeg_encoders() -> str:
    try:
        return subprocess.run(
            ["ffmpeg", "-hide_banner", "-encoders"], capture_output=True, text=True,
            timeout=30, check=False,
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return ""


def ffmpeg_video_bytes() -> tuple[bytes, str] | None:
    """The demo video made by ffmpeg (test pattern with the demo banner laid over it).

    Returns the bytes and the file suffix, or None when ffmpeg is missing or fails.
    """
    if not shutil.which("ffmpeg"):
        return None
    encoders = _ffmpeg_encoders()
    if " libvpx " in encoders:  # WebM plays in every browser
        suffix, codec = ".webm", ["-c:v", "libvpx", "-b:v", "300k"]
    elif " mpeg4 " in encoders:
        suffix, codec = ".mp4", ["-c:v", "mpeg4", "-q:v", "5"]
    else:
        return None
    from PIL import Image, ImageDraw

    banner = Image.new("RGBA", (VIDEO_SIZE[0], 34), (0, 0, 0, 200))
    draw = ImageDraw.Draw(banner)
    draw.text((8, 3), DEMO_LABEL, fill=(255, 214, 0, 255), font=_font(14))
    draw.text((8, 19), "generated by Vestige - a test pattern, not a recording",
              fill=(255, 255, 255, 255), font=_font(10))
    with tempfile.TemporaryDirectory(prefix="vestige-demo-") as work:
        banner_path = Path(work) / "banner.png"
        banner.save(banner_path, "PNG")
        target = Path(work) / f"video{suffix}"
        width, height = VIDEO_SIZE
        command = [
            "ffmpeg", "-nostdin", "-v", "error", "-y",
            "-f", "lavfi",
            "-i", f"testsrc=size={width}x{height}:rate={VIDEO_FPS}:duration={VIDEO_SECONDS}",
            "-i", str(banner_path),
            "-filter_complex", "[0:v][1:v]overlay=0:main_h-overlay_h,format=yuv420p",
            *codec, "-threads", "1", "-an",
            "-map_metadata", "-1",
            "-metadata", f"creation_time={VIDEO_CREATION_TIME}",
            "-metadata", f"title={DEMO_LABEL} - generated test pattern",
            "-fflags", "+bitexact", "-flags:v", "+bitexact",
            str(target),
        ]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=120,
                                  check=False)
        except (OSError, subprocess.TimeoutExpired):
            return None
        if done.returncode != 0 or not target.is_file() or target.stat().st_size == 0:
            return None
        return target.read_bytes(), suffix


def video_bytes(use_ffmpeg: bool | None = None) -> tuple[bytes, str]:
    """The demo video and its suffix: ffmpeg's when available (or asked for), else our AVI.

    ``use_ffmpeg`` None means "if ffmpeg is on PATH"; False forces the pure-Python writer.
    """
    if use_ffmpeg is not False:
        made = ffmpeg_video_bytes()
        if made is not None:
            return made
        if use_ffmpeg:
            raise RuntimeError("ffmpeg was asked for but could not make the demo video")
    return avi_video_bytes(), ".avi"


# --------------------------------------------------------------------------- all together


def write_demo_files(folder: Path, use_ffmpeg: bool | None = None) -> list[DemoFile]:
    """Write every demo file into ``folder`` (same bytes and mtime on every run); list them."""
    folder.mkdir(parents=True, exist_ok=True)
    files: list[DemoFile] = []

    photos = [
        (
            "demo-photo-lachin-checkpoint.jpg", draw_checkpoint, LACHIN,
            "2023:06:15 09:30:00", "+04:00", "2023-06",
            "DEMONSTRATION MATERIAL — drawn scene: barrier on the road near Lachin", False,
        ),
        (
            "demo-photo-stepanakert-damaged-building.jpg", draw_damaged_building, STEPANAKERT,
            "2023:09:21 10:42:00", "+04:00", "2023-09-21",
            "DEMONSTRATION MATERIAL — drawn scene: damaged building, Stepanakert/Khankendi", True,
        ),
        (
            "demo-photo-shushi-church.jpg", draw_church, SHUSHI,
            "2023:05:10 18:05:00", "+04:00", "2023-05",
            "DEMONSTRATION MATERIAL — drawn scene: church in Shushi/Shusha", False,
        ),
    ]
    for name, draw, place, taken, offset, claimed, title, graphic in photos:
        description = (
            f"{DEMO_LABEL}: a drawing made by Vestige, not a photograph. Its EXIF data "
            f"(camera, time {taken} {offset}, GPS {place.latitude:.4f}N "
            f"{place.longitude:.4f}E at {place.name}) was written by the demo generator to "
            f"show how Vestige reads the location and time a camera records."
        )
        data = photo_bytes(
            draw(), place, taken, offset,
            f"{DEMO_LABEL} - drawn by Vestige, not a photograph ({place.name})",
        )
        path = folder / name
        write_if_changed(path, data)
        files.append(DemoFile(path, title, description, claimed, graphic=graphic))

    report = folder / "demo-situation-report.pdf"
    write_if_changed(report, pdf_bytes())
    files.append(
        DemoFile(
            report, "DEMONSTRATION MATERIAL — situation report (summary of public sources)",
            f"{REPORT_LABEL}. A two-page summary of public, well-documented events (the "
            "blockade of the Lachin corridor, the offensive of 19-20 September 2023 and the "
            "exodus, the strikes on Ganja in October 2020, the two CERD cases before the ICJ) "
            "citing its sources by name and date. Not evidence; go back to the sources.",
            "2023-10", language="en",
        )
    )

    statement = folder / "demo-witness-statement-invented.txt"
    write_if_changed(statement, STATEMENT.encode("utf-8"))
    files.append(
        DemoFile(
            statement,
            "DEMONSTRATION MATERIAL — invented witness statement (the person does not exist)",
            f"{STATEMENT_LABEL}. Shows how a statement with Armenian and Russian words and "
            "dates is stored and searched. It is not testimony.",
            "2023-09-19/2023-09-26", language="en",
        )
    )

    data, suffix = video_bytes(use_ffmpeg)
    video = folder / f"demo-video-lachin-road{suffix}"
    write_if_changed(video, data)
    for other in VIDEO_NAMES:  # a video left by an earlier run with the other writer
        if other != video.name:
            (folder / other).unlink(missing_ok=True)
    files.append(
        DemoFile(
            video, "DEMONSTRATION MATERIAL — generated video (test pattern, not a recording)",
            f"{DEMO_LABEL}: a {VIDEO_SECONDS}-second clip generated by Vestige "
            f"({'ffmpeg test pattern' if suffix != '.avi' else 'drawn frames, Motion-JPEG AVI'})"
            ", with the creation time 2023-09-25 08:00 UTC written into it, to show how "
            "Vestige reads a video's duration, codec and creation time.",
            "2023-09-25",
        )
    )
    return files
