"""Write a realistic Telegram Desktop export (``result.json`` + media folders) for tests and
benchmarks.

The layout and field names follow Telegram Desktop's machine-readable ("JSON") export of one
channel: a top-level object with ``name``, ``type``, ``id`` and ``messages``; each message with
``id``, ``type`` (message/service), ``date`` + ``date_unixtime``, ``from``/``from_id``,
``forwarded_from``, ``reply_to_message_id``, ``edited``, ``text`` (a string, or a list of strings
and entity objects) with ``text_entities``, and media fields (``photo``, ``file``, ``thumbnail``,
``media_type``, ``mime_type``, ``duration_seconds``, ``width``, ``height``) pointing into
``photos/`` and ``video_files/``. Text is Armenian, Russian, Azerbaijani and English; some
messages are forwards, replies, edits or service messages; some photos are byte-identical copies
under other names (Telegram stores a re-posted photo again). Messages are written one at a time,
so exports of any size can be produced without holding them in memory.

Usage: ``python benchmarks/gen_telegram_export.py OUT_FOLDER [--messages N]``
"""

from __future__ import annotations

import argparse
import io
import json
import random
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

CHANNEL_ID = 1627384950
CHANNEL_NAME = "Արցախ Լուրեր | Карабах новости"
START = datetime(2023, 9, 19, 6, 0, tzinfo=UTC)

TEXTS = [
    ("hy", "Ստեփանակերտում լսվում են պայթյուններ", "Ստեփանակերտ"),
    ("hy", "Մարտունու շրջանում հրետակոծություն է", "Մարտունի"),
    ("ru", "Сообщают об обстреле Степанакерта", "Степанакерт"),
    ("ru", "Гуманитарный коридор через Лачин закрыт", "Лачин"),
    ("az", "Xankəndidə antiterror tədbirləri davam edir", "Xankəndi"),
    ("az", "Ağdam istiqamətində hərəkət müşahidə olunur", "Ağdam"),
    ("en", "Reports of shelling near Stepanakert this morning", "Stepanakert"),
    ("en", "Convoy seen on the Lachin corridor road", "Lachin"),
]
FORWARD_SOURCES = ["Azatutyun", "Report.az", "Новости Армении", "CivilNet"]
SERVICE_ACTIONS = ["pin_message", "edit_group_title", "create_channel"]


@dataclass
class ExportStats:
    """What was written, so tests can check the import against it."""

    messages: int = 0
    service: int = 0
    forwards: int = 0
    replies: int = 0
    edited: int = 0
    photos: int = 0
    distinct_photos: int = 0
    videos: int = 0
    media_files: list[str] = field(default_factory=list)


def _jpeg(index: int, size: tuple[int, int] = (64, 48)) -> bytes:
    """A small real JPEG, different for each index."""
    image = Image.new("RGB", size, ((index * 53) % 256, (index * 97) % 256, (index * 31) % 256))
    draw = ImageDraw.Draw(image)
    draw.rectangle((index % 20, 4, index % 20 + 20, 30), fill=(255, 255, 255))
    draw.text((2, 30), str(index), fill=(0, 0, 0))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def _video(path: Path) -> bool:
    """A one-second MP4 made with ffmpeg; False if ffmpeg is absent."""
    if not shutil.which("ffmpeg"):
        return False
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=64x48:rate=5",
            "-t",
            "1",
            "-pix_fmt",
            "yuv420p",
            str(path),
        ],
        check=True,
        timeout=60,
    )
    return True


def _text(rng: random.Random, index: int) -> tuple[list[Any], list[dict[str, str]]]:
    """Text with entities, as Telegram writes it: a list of strings and entity objects."""
    _lang, sentence, place = TEXTS[index % len(TEXTS)]
    before, _, after = sentence.partition(place)
    parts: list[Any] = []
    entities: list[dict[str, str]] = []
    if before:
        parts.append(before)
        entities.append({"type": "plain", "text": before})
    parts.append({"type": "bold", "text": place})
    entities.append({"type": "bold", "text": place})
    tail = f"{after} #{index} "
    parts.append(tail)
    entities.append({"type": "plain", "text": tail})
    tag = {"type": "hashtag", "text": "#Karabakh"}
    parts.append(tag)
    entities.append(dict(tag))
    if rng.random() < 0.2:
        link = {"type": "link", "text": f"https://example.org/news/{index}"}
        parts.extend(["\n", link])
        entities.extend([{"type": "plain", "text": "\n"}, dict(link)])
    return parts, entities


def _stamp(moment: datetime) -> tuple[str, str]:
    return moment.strftime("%Y-%m-%dT%H:%M:%S"), str(int(moment.timestamp()))


def write_export(
    folder: Path,
    messages: int,
    seed: int = 8,
    photo_every: int = 10,
    distinct_photos: int = 8,
    video: bool = True,
) -> ExportStats:
    """Write ``folder/result.json`` with ``messages`` messages and its media folders."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "photos").mkdir(exist_ok=True)
    (folder / "video_files").mkdir(exist_ok=True)
    stats = ExportStats()
    photos = [_jpeg(i) for i in range(distinct_photos)]
    video_name = "video_files/clip_2023-09-19.mp4"
    has_video = video and _video(folder / video_name)
    with open(folder / "result.json", "w", encoding="utf-8") as out:
        out.write('{\n "name": ' + json.dumps(CHANNEL_NAME, ensure_ascii=False))
        out.write(',\n "type": "public_channel",\n "id": ' + str(CHANNEL_ID))
        out.write(',\n "messages": [')
        for number in range(1, messages + 1):
            moment = START + timedelta(seconds=37 * number)
            date, unix = _stamp(moment)
            message: dict[str, Any] = {"id": number}
            if number % 50 == 0:
                message.update(
                    type="service",
                    date=date,
                    date_unixtime=unix,
                    actor=CHANNEL_NAME,
                    actor_id=f"channel{CHANNEL_ID}",
                    action=SERVICE_ACTIONS[number % len(SERVICE_ACTIONS)],
                )
                if message["action"] == "pin_message":
                    message["message_id"] = number - 1
                message.update(text="", text_entities=[])
                stats.service += 1
            else:
                message.update(
                    type="message",
                    date=date,
                    date_unixtime=unix,
                    **{"from": CHANNEL_NAME},
                    from_id=f"channel{CHANNEL_ID}",
                )
                if number % 7 == 0:
                    message["forwarded_from"] = FORWARD_SOURCES[number % len(FORWARD_SOURCES)]
                    stats.forwards += 1
                if number % 5 == 0 and number > 5:
                    message["reply_to_message_id"] = number - 1 - (number % 4)
                    stats.replies += 1
                if number % 11 == 0:
                    edited, edited_unix = _stamp(moment + timedelta(minutes=3))
                    message.update(edited=edited, edited_unixtime=edited_unix)
                    stats.edited += 1
                if number % photo_every == 3:
                    which = stats.photos % distinct_photos
                    name = f"photos/photo_{number}@{moment:%d-%m-%Y_%H-%M-%S}.jpg"
                    (folder / name).write_bytes(photos[which])
                    message.update(photo=name, width=64, height=48)
                    stats.photos += 1
                    stats.media_files.append(name)
                elif number == 4 and has_video:
                    message.update(
                        file=video_name,
                        thumbnail="(File not included. Change data exporting"
                        " settings to download.)",
                        media_type="video_file",
                        mime_type="video/mp4",
                        duration_seconds=1,
                        width=64,
                        height=48,
                    )
                    stats.videos += 1
                    stats.media_files.append(video_name)
                parts, entities = _text(rng, number)
                message.update(text=parts, text_entities=entities)
            stats.messages += 1
            body = json.dumps(message, ensure_ascii=False, indent=1).replace("\n", "\n  ")
            out.write(("\n  " if number == 1 else ",\n  ") + body)
        out.write("\n ]\n}\n")
    stats.distinct_photos = min(distinct_photos, stats.photos)
    return stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--photo-every", type=int, default=10)
    args = parser.parse_args()
    stats = write_export(args.folder, args.messages, photo_every=args.photo_every)
    size = (args.folder / "result.json").stat().st_size
    print(f"{stats.messages} messages, {stats.photos} photos, result.json {size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
