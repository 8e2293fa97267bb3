"""Streaming reader for Telegram Desktop's machine-readable export (``result.json``).

Exports of several gigabytes are normal, so the file is never loaded whole: :func:`read_export`
walks the JSON event stream with ijson (its C backend when installed) and yields one
:class:`ChatInfo` when a chat's message list begins, then one :class:`Message` per message,
building only that message's object in memory. Both shapes Telegram writes are understood: a
single chat (``{"name", "type", "id", "messages": [...]}``) and a whole-account export
(``{"chats": {"list": [{..., "messages": [...]}]}}``, plus ``left_chats`` the same way).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import ijson

EXPORT_FILE_NAME = "result.json"
NOT_INCLUDED = "(File not included."  # Telegram's placeholder when media were not exported
MEDIA_FIELDS = ("photo", "file", "thumbnail")
_SCALARS = frozenset({"null", "boolean", "integer", "double", "number", "string"})
# Where a chat's own fields and its messages sit, for each export shape.
_CHAT_PREFIXES = ("", "chats.list.item", "left_chats.list.item")


@dataclass(frozen=True)
class ChatInfo:
    """The chat (channel, group, private chat) whose messages follow."""

    id: int | str | None
    name: str
    type: str


@dataclass
class Message:
    """One message as exported, with the fields Vestige records pulled out."""

    chat: ChatInfo
    raw: dict[str, Any]
    id: int
    type: str
    date: str
    date_unixtime: str
    sender: str
    sender_id: str
    actor: str
    actor_id: str
    action: str
    forwarded_from: str
    reply_to_message_id: int | None
    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)
    edited: str = ""
    media: dict[str, Any] = field(default_factory=dict)

    def media_paths(self) -> list[tuple[str, str]]:
        """``(field, relative path)`` of every media file the export says it includes."""
        found = []
        for name in MEDIA_FIELDS:
            value = self.raw.get(name)
            if isinstance(value, str) and value and not value.startswith(NOT_INCLUDED):
                found.append((name, value))
        return found

    def missing_media(self) -> list[str]:
        """Media fields Telegram left out of the export (the settings excluded them)."""
        return [
            name
            for name in MEDIA_FIELDS
            if isinstance(self.raw.get(name), str) and self.raw[name].startswith(NOT_INCLUDED)
        ]


def plain_text(value: Any) -> str:
    """A message's ``text`` as plain text: a string, or a list of strings and entity objects."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(
            part if isinstance(part, str) else str(part.get("text", ""))
            for part in value
            if isinstance(part, str | dict)
        )
    return ""


def _entities(raw: dict[str, Any]) -> list[dict[str, Any]]:
    entities = raw.get("text_entities")
    if isinstance(entities, list):
        return [e for e in entities if isinstance(e, dict)]
    text = raw.get("text")
    if isinstance(text, list):
        return [e for e in text if isinstance(e, dict)]
    return []


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def message_from(raw: dict[str, Any], chat: ChatInfo) -> Message:
    """Pull the recorded fields out of one exported message object."""
    reply = raw.get("reply_to_message_id")
    media = {
        key: raw[key]
        for key in (
            "media_type",
            "mime_type",
            "duration_seconds",
            "width",
            "height",
            "file_name",
            "file_size",
            "sticker_emoji",
        )
        if key in raw
    }
    return Message(
        chat=chat,
        raw=raw,
        id=int(raw.get("id", 0)),
        type=_text(raw.get("type")) or "message",
        date=_text(raw.get("date")),
        date_unixtime=_text(raw.get("date_unixtime")),
        sender=_text(raw.get("from")),
        sender_id=_text(raw.get("from_id")),
        actor=_text(raw.get("actor")),
        actor_id=_text(raw.get("actor_id")),
        action=_text(raw.get("action")),
        forwarded_from=_text(raw.get("forwarded_from")),
        reply_to_message_id=int(reply) if isinstance(reply, int) else None,
        text=plain_text(raw.get("text")),
        entities=_entities(raw),
        edited=_text(raw.get("edited")),
        media=media,
    )


def canonical_message(message: Message) -> bytes:
    """The bytes Vestige preserves for a message: its exported object and its chat, as
    canonical JSON (sorted keys, no spaces, UTF-8). An item's sha256 covers exactly these."""
    document = {
        "chat": {"id": message.chat.id, "name": message.chat.name, "type": message.chat.type},
        "message": message.raw,
        "format": "telegram-desktop-export",
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def iter_events(handle: BinaryIO) -> Iterator[ChatInfo | Message]:
    """Chats and messages of an open ``result.json``, one at a time, in file order."""
    fields: dict[str, dict[str, Any]] = {}
    chat: ChatInfo | None = None
    builder: Any = None
    messages_prefix = ""
    for prefix, event, value in ijson.parse(handle, use_float=True):
        if builder is not None:
            if prefix == messages_prefix and event == "end_array":
                builder = None
                continue
            builder.event(event, value)
            if builder.depth == 0 and builder.value is not None:
                assert chat is not None
                raw = builder.value
                builder = _Builder()
                if isinstance(raw, dict):
                    yield message_from(raw, chat)
            continue
        if event in _SCALARS:
            parent, _, key = prefix.rpartition(".")
            if parent in _CHAT_PREFIXES and key in ("id", "name", "type"):
                fields.setdefault(parent, {})[key] = value
            continue
        if event == "start_map" and prefix in _CHAT_PREFIXES[1:]:
            fields[prefix] = {}
            continue
        if event == "start_array" and prefix.endswith("messages"):
            parent = prefix[: -len("messages")].rstrip(".")
            if parent not in _CHAT_PREFIXES:
                continue
            own = fields.get(parent, {})
            chat = ChatInfo(own.get("id"), _text(own.get("name")), _text(own.get("type")))
            yield chat
            messages_prefix = prefix
            builder = _Builder()


class _Builder:
    """Builds one JSON value from parse events, tracking how deep it is."""

    def __init__(self) -> None:
        self.depth = 0
        self.value: Any = None
        self._stack: list[Any] = []
        self._key: list[str | None] = []

    def _put(self, value: Any) -> None:
        if not self._stack:
            self.value = value
            return
        top = self._stack[-1]
        if isinstance(top, list):
            top.append(value)
        else:
            top[self._key[-1]] = value

    def event(self, event: str, value: Any) -> None:
        if event == "map_key":
            self._key[-1] = value
        elif event in ("start_map", "start_array"):
            container: Any = {} if event == "start_map" else []
            self._put(container)
            self._stack.append(container)
            self._key.append(None)
            self.depth += 1
        elif event in ("end_map", "end_array"):
            self._stack.pop()
            self._key.pop()
            self.depth -= 1
        else:
            self._put(value)


def read_export(path: Path) -> Iterator[ChatInfo | Message]:
    """Open ``path`` and stream its chats and messages (see :func:`iter_events`)."""
    with open(path, "rb") as handle:
        yield from iter_events(handle)


def looks_like_export(path: Path, probe_events: int = 20000) -> bool:
    """Whether ``path`` is a Telegram Desktop ``result.json``: a top-level object with a
    ``messages`` list beside the chat's ``name``/``type``, or a ``chats`` list of them, or the
    account export's ``about`` notice mentioning Telegram. Reads only the first events."""
    if path.name != EXPORT_FILE_NAME or not path.is_file():
        return False
    seen: set[str] = set()
    try:
        with open(path, "rb") as handle:
            for count, (prefix, event, value) in enumerate(ijson.parse(handle)):
                if count > probe_events:
                    return False
                if count == 0 and event != "start_map":
                    return False
                if event != "map_key":
                    if prefix == "about" and event == "string" and "Telegram" in value:
                        return True
                    continue
                if prefix == "":
                    seen.add(value)
                    if value == "messages" and seen & {"name", "type", "id"}:
                        return True
                    if value in ("chats", "left_chats"):
                        return True
    except (ijson.JSONError, OSError, UnicodeDecodeError):
        return False
    return False
