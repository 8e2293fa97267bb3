"""Telegram Desktop exports: the streaming parser and ``vestige import`` of an export folder."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from benchmarks.gen_telegram_export import CHANNEL_ID, CHANNEL_NAME, write_export

from tests.conftest import raw_sql, vestige
from vestige.core.telegram import (
    ChatInfo,
    Message,
    canonical_message,
    iter_events,
    looks_like_export,
    plain_text,
    read_export,
)

FULL_EXPORT = {
    "about": "Here is the data you requested. Remember: Telegram is ad free...",
    "personal_information": {"user_id": 5, "first_name": "Ani"},
    "contacts": {"about": "", "list": [{"first_name": "Bob", "phone_number": "+374"}]},
    "chats": {
        "about": "This page lists all chats from this export.",
        "list": [
            {
                "name": "Ани",
                "type": "personal_chat",
                "id": 42,
                "messages": [
                    {
                        "id": 1,
                        "type": "message",
                        "date": "2023-09-19T10:00:00",
                        "from": "Ани",
                        "from_id": "user42",
                        "text": "Բարեւ",
                    },
                    {
                        "id": 2,
                        "type": "message",
                        "date": "2023-09-19T10:01:00",
                        "from": "Ani",
                        "from_id": "user5",
                        "reply_to_message_id": 1,
                        "text": [{"type": "italic", "text": "Salam"}, "!"],
                    },
                ],
            },
            {"name": "Empty group", "type": "private_group", "id": 43, "messages": []},
        ],
    },
    "left_chats": {
        "list": [
            {
                "name": "Old",
                "type": "public_supergroup",
                "id": 44,
                "messages": [
                    {
                        "id": 9,
                        "type": "service",
                        "actor": "Old",
                        "action": "create_group",
                        "text": "",
                    }
                ],
            }
        ]
    },
}


def test_full_account_export_is_streamed_chat_by_chat(tmp_path: Path) -> None:
    path = tmp_path / "result.json"
    path.write_text(json.dumps(FULL_EXPORT, ensure_ascii=False), encoding="utf-8")
    assert looks_like_export(path)
    records = list(read_export(path))
    chats = [r for r in records if isinstance(r, ChatInfo)]
    messages = [r for r in records if isinstance(r, Message)]
    assert [(c.id, c.name, c.type) for c in chats] == [
        (42, "Ани", "personal_chat"),
        (43, "Empty group", "private_group"),
        (44, "Old", "public_supergroup"),
    ]
    assert [(m.chat.id, m.id) for m in messages] == [(42, 1), (42, 2), (44, 9)]
    assert messages[1].text == "Salam!" and messages[1].reply_to_message_id == 1
    assert messages[1].entities == [{"type": "italic", "text": "Salam"}]
    assert messages[2].type == "service" and messages[2].action == "create_group"
    # The canonical bytes name the chat, so equal messages of two chats never collide.
    other = Message(**{**messages[0].__dict__, "chat": chats[1]})
    assert canonical_message(messages[0]) != canonical_message(other)


def test_what_is_not_an_export(tmp_path: Path) -> None:
    (tmp_path / "result.json").write_text('{"results": [1, 2, 3]}')
    assert not looks_like_export(tmp_path / "result.json")
    (tmp_path / "other.json").write_text(json.dumps({"name": "x", "messages": []}))
    assert not looks_like_export(tmp_path / "other.json")  # Telegram always names it result.json
    (tmp_path / "result.json").write_text("[1, 2")
    assert not looks_like_export(tmp_path / "result.json")
    assert plain_text(["a", {"type": "bold", "text": "b"}, 3]) == "ab"
    with open(tmp_path / "result.json", "rb") as handle, pytest.raises(Exception):
        list(iter_events(handle))


def _sample(tmp_path: Path) -> tuple[Path, Any]:
    """60 messages: photos at 3, 13, … (3 distinct pictures, so 3 are byte-identical copies),
    a video at 4, forwards every 7th, replies every 5th, edits every 11th, a service at 50."""
    root = tmp_path / "ChatExport_2023-09-20"
    stats = write_export(root, 60, photo_every=10, distinct_photos=3)
    return root, stats


@pytest.mark.django_db(transaction=True)
def test_sample_export_imports_messages_media_forwards_and_replies(
    tmp_path: Path, case: Any
) -> None:
    from vestige.core.blobstore import LocalBlobStore
    from vestige.evidence.importing import Importer
    from vestige.evidence.models import CustodyEvent, Item

    root, stats = _sample(tmp_path)
    (root / "photos" / "stray.jpg").write_bytes(b"not referenced by any message")
    missing = next(name for name in stats.media_files if name.startswith("photos/photo_53@"))
    (root / missing).unlink()

    summary = Importer(case, actor="tester", workers=2).run([root])
    assert summary.ok, [o.as_dict() for o in summary.outcomes if not o.ok]

    export = Item.objects.get(case=case, source_name="result.json")
    assert export.parent is None and export.kind in ("file", "document")
    messages = {m.metadata["message_id"]: m for m in Item.objects.filter(kind="message")}
    assert len(messages) == 60 == stats.messages
    assert all(m.parent_id == export.pk for m in messages.values())

    first = messages[1]
    assert first.source_channel == CHANNEL_NAME and first.source_uploader == CHANNEL_NAME
    assert first.claimed_date == "2023-09-19T06:00:37"
    assert first.metadata["chat_id"] == CHANNEL_ID
    assert first.metadata["from_id"] == f"channel{CHANNEL_ID}"
    assert first.metadata["text"] == first.description
    assert first.metadata["text"].startswith("Մարտունու")
    assert {"type": "bold", "text": "Մարտունի"} in first.metadata["entities"]
    assert messages[2].metadata["text"].startswith("Сообщают")
    assert "Ağdam istiqamətində" in messages[5].metadata["text"]
    assert messages[6].metadata["text"].startswith("Reports of shelling")
    # The item's bytes are the canonical JSON of the message and its chat, in the blob store.
    from django.conf import settings

    blob = LocalBlobStore(settings.BLOB_ROOT)
    stored = json.loads(b"".join(blob.open_verified(first.sha256)))
    assert stored["chat"] == {"id": CHANNEL_ID, "name": CHANNEL_NAME, "type": "public_channel"}
    assert stored["message"]["id"] == 1 and stored["message"]["date_unixtime"] == "1695103237"

    assert messages[7].metadata["forwarded_from"] == "CivilNet"
    assert messages[8].metadata["forwarded_from"] is None
    assert messages[11].metadata["edited"] == "2023-09-19T06:09:47"
    assert messages[10].metadata["reply_to"] == {"message_id": 7, "item_id": str(messages[7].pk)}
    service = messages[50]
    assert service.metadata["message_type"] == "service"
    assert service.metadata["action"] == "create_channel"
    assert service.source_uploader == CHANNEL_NAME

    # Media: children of their message; the byte-identical photos found by hash.
    photos = Item.objects.filter(kind="image")
    assert photos.count() == 3  # 6 photo messages (one file missing), 3 distinct pictures
    assert all(p.parent.kind == "message" for p in photos)
    assert messages[3].children.get().kind == "image"
    assert messages[33].children.count() == 0  # same bytes as message 3's photo
    listed = messages[33].metadata["media_files"][0]
    assert listed["status"] == "duplicate"
    assert listed["item_id"] == str(messages[3].children.get().pk)
    assert (
        CustodyEvent.objects.filter(
            action="duplicate_imported", item=messages[3].children.get()
        ).count()
        == 1
    )
    video = messages[4].children.get()
    assert video.kind == "video" and video.metadata["file"]["name"] == "clip_2023-09-19.mp4"
    assert messages[4].metadata["media"]["mime_type"] == "video/mp4"
    assert any("thumbnail" in w and "not included" in w for w in messages[4].warnings)
    assert any("absent from the export" in w for w in messages[53].warnings)
    assert not Item.objects.filter(source_name="stray.jpg").exists()

    # Custody: one `imported` event per new item, chained as for any import.
    new_items = Item.objects.filter(case=case).count()
    assert CustodyEvent.objects.filter(action="imported").count() == new_items
    assert summary.count("imported") == new_items

    # A rerun imports nothing new: messages are keyed by chat id + message id.
    again = Importer(case, actor="tester", workers=2).run([root])
    assert again.count("imported") == 0 and again.count("duplicate") == 0
    assert again.count("skipped") == 61
    assert Item.objects.filter(case=case).count() == new_items


@pytest.mark.django_db(transaction=True)
def test_later_export_of_the_same_chat_adds_only_new_messages(tmp_path: Path, case: Any) -> None:
    from vestige.evidence.importing import Importer
    from vestige.evidence.models import Item

    write_export(tmp_path / "first", 20, photo_every=1000, video=False)
    write_export(tmp_path / "second", 30, photo_every=1000, video=False)
    Importer(case, actor="tester", workers=1).run([tmp_path / "first"])
    summary = Importer(case, actor="tester", workers=1).run([tmp_path / "second" / "result.json"])
    assert summary.count("skipped") == 20
    assert summary.count("imported") == 10 + 1  # ten messages and the second result.json
    assert Item.objects.filter(kind="message").count() == 30
    reply = Item.objects.get(kind="message", metadata__message_id=25)
    target = Item.objects.get(kind="message", metadata__message_id=23)
    assert reply.metadata["reply_to"]["item_id"] == str(target.pk)


# A whole-file json.load of the 100,000-message result.json (about 77 MB) alone peaks near
# 470 MB on CPython 3.11 (measured); the streaming import, Django and all, stays far below.
MEMORY_BOUND_KB = 300 * 1024


@pytest.mark.slow
def test_hundred_thousand_messages_import_within_a_memory_bound(
    tmp_path: Path, cli_env: dict[str, str]
) -> None:
    root = tmp_path / "export"
    stats = write_export(root, 100_000, photo_every=1000, distinct_photos=40)
    size = (root / "result.json").stat().st_size
    assert size > 60_000_000
    vestige(["init"], cli_env, check=True)
    vestige(["case", "create", "tg", "--title", "Telegram"], cli_env, check=True)
    # A wrapper process runs the import and reports the peak RSS of its children (the import
    # and its worker processes): the test's own other subprocesses cannot inflate it.
    wrapper = (
        "import resource, subprocess, sys\n"
        "r = subprocess.run([sys.executable, '-m', 'vestige', 'import', sys.argv[1],"
        " '--case', 'tg'], capture_output=True, text=True)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        "sys.stderr.write(r.stdout + r.stderr)\n"
        "sys.exit(r.returncode)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", wrapper, str(root)],
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    peak_kb = int(run.stdout.strip())
    assert peak_kb < MEMORY_BOUND_KB, f"peak RSS {peak_kb / 1024:.0f} MB"
    counts = raw_sql(
        cli_env,
        "SELECT kind, count(*) FROM evidence_item GROUP BY kind ORDER BY kind",
    )
    kinds = dict(counts)
    # result.json: libmagic calls a large JSON file text/plain (a document), a small one JSON.
    assert kinds.pop("document", 0) + kinds.pop("file", 0) == 1
    assert kinds == {"image": 40, "message": 100_000, "video": 1}
    assert stats.photos == 100
