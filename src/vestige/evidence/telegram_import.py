"""Importing a Telegram Desktop export (``result.json`` and its media folders).

``vestige import FOLDER`` hands a folder holding a Telegram ``result.json`` to
:class:`TelegramImport` instead of walking it file by file. The export becomes:

- one item for ``result.json`` itself (imported as any file: its bytes are the export as
  received);
- one item per message (kind ``message``), a child of that item. A message has no file of its
  own, so the bytes Vestige preserves for it are a small canonical JSON document: the message
  object exactly as exported plus its chat's id, name and type (sorted keys, no spaces, UTF-8;
  see :func:`vestige.core.telegram.canonical_message`). The item's sha256 covers those bytes,
  which are in the blob store like any original;
- one child item of its message for each media file the message references (photo, file,
  thumbnail), ingested through the normal path (extraction stages in worker processes);
  byte-identical media are found by hash as the importer does.

The export is streamed (never loaded whole) and recorded in batches, each in one transaction;
a message's resumability key is its chat id and message id, so a rerun — or a later export of
the same chat — imports only messages not seen before. Replies are linked to the replied
message's item when it is known (in the same or an earlier batch, or at the end of the run).
"""

from __future__ import annotations

import concurrent.futures as futures
import hashlib
import io
import multiprocessing
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction

from .. import __version__
from ..core.blobstore import LocalBlobStore
from ..core.ingest import IngestResult, ingest_file
from ..core.telegram import (
    EXPORT_FILE_NAME,
    ChatInfo,
    Message,
    canonical_message,
    looks_like_export,
    read_export,
)
from .custody import PendingEvent, append_events
from .models import Derivative, Item, ItemKind, SourceFile

if TYPE_CHECKING:
    from .importing import Candidate, FileOutcome, Importer

BATCH_MESSAGES = 500
MESSAGE_MEDIA_TYPE = "application/json"
TOOL = "vestige import (telegram)"


def export_root(path: Path) -> Path | None:
    """The export folder if ``path`` is a Telegram export (folder or its ``result.json``)."""
    candidate = path / EXPORT_FILE_NAME if path.is_dir() else path
    if candidate.is_symlink() or not looks_like_export(candidate):
        return None
    return candidate.parent


def message_key(chat: ChatInfo, message_id: int) -> str:
    """The resumability key of a message: its chat and its id within the chat."""
    chat_key = chat.id if chat.id is not None else f"name:{chat.name}"
    return hashlib.sha256(f"telegram\0{chat_key}\0{message_id}".encode()).hexdigest()


@dataclass
class _Media:
    field: str
    relative: str
    candidate: Candidate | None = None
    result: IngestResult | Exception | None = None
    known_item: Any = None  # the item of a file already imported by path
    problem: str = ""


@dataclass
class _Pending:
    message: Message
    key: str
    path: str
    media: list[_Media] = field(default_factory=list)
    blob_sha256: str = ""
    blob_size: int = 0


class TelegramImport:
    """One export folder imported on behalf of an :class:`Importer`."""

    def __init__(
        self,
        importer: Importer,
        root: Path,
        report: Callable[[FileOutcome], None],
        tally: Callable[[FileOutcome], None],
    ) -> None:
        self.importer = importer
        self.case = importer.case
        self.root = root
        self.real_root = Path(os.path.realpath(root))
        self.report = report  # outcomes kept in the summary (the export file, media, failures)
        self.tally = tally  # outcomes only counted (one per message: there may be millions)
        # Message blobs are small and many: written without an fsync each, then made durable
        # with one sync per batch, before the batch's records are committed.
        self.store = LocalBlobStore(settings.BLOB_ROOT, fsync=False)
        self.parent: Item | None = None
        self.export_label = ""
        self.unresolved: list[tuple[Any, str]] = []  # (message item id, replied message key)
        self._pool: futures.ProcessPoolExecutor | None = None

    # -- the whole run -------------------------------------------------------------------------

    def run(self) -> None:
        try:
            if not self._import_export_file():
                return
            batch: list[Message] = []
            for record in read_export(self.root / EXPORT_FILE_NAME):
                if isinstance(record, ChatInfo):
                    continue
                batch.append(record)
                if len(batch) >= BATCH_MESSAGES:
                    self._import_batch(batch)
                    batch = []
            if batch:
                self._import_batch(batch)
            self._resolve_replies()
        finally:
            if self._pool is not None:
                self._pool.shutdown()

    def _import_export_file(self) -> bool:
        """Import ``result.json`` itself (or find it imported before); False if it failed."""
        from .importing import Candidate, FileOutcome, walk

        path = self.root / EXPORT_FILE_NAME
        entries = list(walk([path]))
        entry = entries[0] if entries else None
        if not isinstance(entry, Candidate):
            if isinstance(entry, FileOutcome):
                self._relabel(entry)
                self.report(entry)
            return False
        self._relabel(entry)
        self.export_label = entry.display
        known = SourceFile.objects.filter(case=self.case, key=entry.key).first()
        if known is not None:
            self.parent = known.item
            self.report(
                FileOutcome(
                    entry.display,
                    "skipped",
                    item_id=str(known.item_id),
                    message="already imported",
                    size=entry.size,
                )
            )
            return True
        # No extraction stages: the messages are the export's content, read below as a stream
        # (the text stage would read up to 64 MB of a large result.json into memory).
        result: IngestResult | Exception
        try:
            result = ingest_file(
                entry.path,
                settings.BLOB_ROOT,
                settings.FSYNC_BLOBS,
                stages=(),
                display_name=entry.path.name,
            )
        except OSError as exc:
            result = exc
        for outcome in self.importer._record_batch([(entry, result)]):
            self.report(outcome)
            if outcome.item_id is None:
                return False
            self.parent = Item.objects.get(pk=outcome.item_id)
        return self.parent is not None

    def _relabel(self, entry: Candidate | FileOutcome) -> None:
        label = self.importer.path_label
        if label is None:
            return
        if hasattr(entry, "display"):
            entry.display = label(entry.display)
        else:
            entry.path = label(entry.path)

    # -- one batch -----------------------------------------------------------------------------

    def _import_batch(self, messages: list[Message]) -> None:
        from .importing import FileOutcome

        pending = [_Pending(m, message_key(m.chat, m.id), self._message_label(m)) for m in messages]
        known = dict(
            SourceFile.objects.filter(case=self.case, key__in=[p.key for p in pending]).values_list(
                "key", "item_id"
            )
        )
        todo: list[_Pending] = []
        for entry in pending:
            if entry.key in known:
                self.tally(
                    FileOutcome(
                        entry.path,
                        "skipped",
                        item_id=str(known[entry.key]),
                        message="already imported",
                    )
                )
            else:
                todo.append(entry)
        if not todo:
            return
        self._find_media(todo)
        self._ingest_media(todo)
        created = False
        for entry in todo:
            stored = self.store.put_stream(io.BytesIO(canonical_message(entry.message)))
            entry.blob_sha256, entry.blob_size = stored.sha256, stored.size
            created = created or stored.created
        if created and settings.FSYNC_BLOBS:
            os.sync()
        for outcome, keep in self._record(todo):
            (self.report if keep else self.tally)(outcome)

    def _message_label(self, message: Message) -> str:
        return f"{self.export_label}#chat={message.chat.id}&message={message.id}"

    def _find_media(self, todo: list[_Pending]) -> None:
        """Turn each referenced media path into a candidate, or a reason it cannot be one."""
        from .importing import Candidate, walk

        for entry in todo:
            for name, relative in entry.message.media_paths():
                media = _Media(name, relative)
                entry.media.append(media)
                path = self.root / relative
                real = Path(os.path.realpath(path))
                if self.real_root not in real.parents:
                    media.problem = f"{name} {relative!r} points outside the export folder"
                    continue
                if not os.path.lexists(path):
                    media.problem = f"{name} {relative!r} is listed but absent from the export"
                    continue
                found = next(iter(walk([path])), None)
                if not isinstance(found, Candidate):
                    reason = found.message if found is not None else "not a file"
                    media.problem = f"{name} {relative!r} not imported: {reason}"
                    continue
                self._relabel(found)
                media.candidate = found
        candidates = [m.candidate for e in todo for m in e.media if m.candidate is not None]
        known = {
            row.key: row.item
            for row in SourceFile.objects.filter(
                case=self.case, key__in=[c.key for c in candidates]
            ).select_related("item")
        }
        for entry in todo:
            for media in entry.media:
                if media.candidate is not None and media.candidate.key in known:
                    media.known_item = known[media.candidate.key]

    def _ingest_media(self, todo: list[_Pending]) -> None:
        """Store and extract the batch's media files (in worker processes when allowed)."""
        work = [
            m for e in todo for m in e.media if m.candidate is not None and m.known_item is None
        ]
        root, fsync = settings.BLOB_ROOT, settings.FSYNC_BLOBS
        if not work:
            return
        if self.importer.workers <= 1 or len(work) == 1:
            for media in work:
                assert media.candidate is not None
                try:
                    media.result = ingest_file(
                        media.candidate.path, root, fsync, display_name=media.candidate.path.name
                    )
                except OSError as exc:
                    media.result = exc
            return
        if self._pool is None:
            context = multiprocessing.get_context("forkserver")
            self._pool = futures.ProcessPoolExecutor(self.importer.workers, mp_context=context)
        submitted = {}
        for media in work:
            assert media.candidate is not None
            future = self._pool.submit(
                ingest_file,
                media.candidate.path,
                root,
                fsync,
                display_name=media.candidate.path.name,
            )
            submitted[future] = media
        for future, media in submitted.items():
            try:
                media.result = future.result()
            except (OSError, futures.process.BrokenProcessPool) as exc:
                media.result = exc

    def _record(self, todo: list[_Pending]) -> Iterator[tuple[FileOutcome, bool]]:
        """Write the batch in one transaction; yield each outcome and whether to keep it."""
        recorder = _BatchRecorder(self)
        with transaction.atomic():
            outcomes = recorder.record(todo)
        return iter(outcomes)

    # -- replies -------------------------------------------------------------------------------

    def reply_targets(self, keys: list[str]) -> dict[str, Any]:
        return dict(
            SourceFile.objects.filter(case=self.case, key__in=keys).values_list("key", "item_id")
        )

    def _resolve_replies(self) -> None:
        """Link replies whose message was recorded after them (rare: Telegram lists in order)."""
        for start in range(0, len(self.unresolved), 500):
            chunk = self.unresolved[start : start + 500]
            targets = self.reply_targets([key for _, key in chunk])
            with transaction.atomic():
                for item_id, key in chunk:
                    if key not in targets:
                        continue
                    item = Item.objects.select_for_update().get(pk=item_id)
                    item.metadata["reply_to"]["item_id"] = str(targets[key])
                    item.save(update_fields=["metadata"])
        self.unresolved = []


class _BatchRecorder:
    """The records of one batch, built in memory and written with bulk inserts."""

    def __init__(self, run: TelegramImport) -> None:
        self.run = run
        self.importer = run.importer
        self.case = run.case
        self.messages: list[Item] = []
        self.media_items: list[Item] = []
        self.derivatives: list[Derivative] = []
        self.sources: list[SourceFile] = []
        self.events: list[PendingEvent] = []
        self.outcomes: list[tuple[FileOutcome, bool]] = []
        self.by_hash: dict[str, Item] = {}
        self.new_message_ids: set[Any] = set()

    def record(self, todo: list[_Pending]) -> list[tuple[FileOutcome, bool]]:
        hashes = {e.blob_sha256 for e in todo} | {
            m.result.sha256 for e in todo for m in e.media if isinstance(m.result, IngestResult)
        }
        for item in Item.objects.filter(case=self.case, sha256__in=hashes).order_by("captured_at"):
            self.by_hash.setdefault(item.sha256, item)
        batch_keys = {e.key: e for e in todo}
        reply_keys = [
            message_key(e.message.chat, e.message.reply_to_message_id)
            for e in todo
            if e.message.reply_to_message_id is not None
        ]
        earlier = self.run.reply_targets([k for k in reply_keys if k not in batch_keys])
        items_by_key: dict[str, Item] = {}
        for entry in todo:
            items_by_key[entry.key] = self._message(entry)
        for entry in todo:
            self._link_reply(entry, items_by_key, earlier)
        Item.objects.bulk_create(self.messages)
        Item.objects.bulk_create(self.media_items)
        Derivative.objects.bulk_create(self.derivatives)
        from ..search import index
        from .importing import Importer, items_recorded

        # Media items get every listener (search, provenance findings, fingerprints), as files
        # do. Message items are only indexed for search: the per-item provenance and
        # fingerprint listeners cost ~10 ms an item and read nothing a message holds.
        index.index_items(self.messages)
        items_recorded.send(sender=Importer, items=self.media_items)
        append_events(self.case, self.events, actor=self.importer.actor, user=self.importer.user)
        SourceFile.objects.bulk_create(self.sources)
        return self.outcomes

    def _message(self, entry: _Pending) -> Item:
        from .importing import FileOutcome

        message = entry.message
        outcome = FileOutcome(
            entry.path,
            "imported",
            size=entry.blob_size,
            sha256=entry.blob_sha256,
            media_type=MESSAGE_MEDIA_TYPE,
        )
        existing = self.by_hash.get(entry.blob_sha256)
        if existing is not None:
            item = existing
            outcome.status = "duplicate"
            outcome.message = f"same bytes as item {existing.pk} ({existing.title})"
            self.events.append(
                PendingEvent(
                    "duplicate_imported",
                    existing,
                    {
                        "path": entry.path,
                        "note": self.importer.note,
                        "telegram": {"chat_id": message.chat.id, "message_id": message.id},
                    },
                )
            )
        else:
            item = self._new_message_item(entry)
            self.by_hash[entry.blob_sha256] = item
            self.messages.append(item)
            self.new_message_ids.add(item.pk)
            self.events.append(
                PendingEvent(
                    "imported",
                    item,
                    {
                        "path": entry.path,
                        "size": entry.blob_size,
                        "media_type": MESSAGE_MEDIA_TYPE,
                        "note": self.importer.note,
                        "tool": f"{TOOL} {__version__}",
                        "telegram": {"chat_id": message.chat.id, "message_id": message.id},
                    },
                )
            )
        self.sources.append(
            SourceFile(
                case=self.case,
                key=entry.key,
                path=entry.path,
                size=entry.blob_size,
                item=item,
                outcome=outcome.status,
            )
        )
        outcome.item_id = str(item.pk)
        outcome.warnings = list(item.warnings) if existing is None else []
        self.outcomes.append((outcome, bool(outcome.warnings)))
        files = [self._media(media, item if existing is None else None) for media in entry.media]
        if existing is None:
            item.metadata["media_files"] = files
        return item

    def _new_message_item(self, entry: _Pending) -> Item:
        message = entry.message
        text = message.text.strip()
        first_line = text.splitlines()[0] if text else ""
        if first_line:
            title = first_line
        elif message.type == "service":
            title = f"{message.chat.name}: {message.action or 'service message'}"
        else:
            title = f"{message.chat.name}: message {message.id}"
        warnings = [m.problem for m in entry.media if m.problem]
        warnings.extend(
            f"{name}: not included in the export (Telegram's export settings left it out)"
            for name in message.missing_media()
        )
        return Item(
            case=self.case,
            parent=self.run.parent,
            kind=ItemKind.MESSAGE,
            title=title[:500],
            description=message.text,
            source_name=f"message {message.id}",
            source_path=entry.path,
            source_channel=message.chat.name[:300],
            source_uploader=(message.sender or message.actor)[:300],
            claimed_date=message.date[:64],
            content_created_at=message.date[:64],
            captured_at=datetime.now(UTC),
            captured_by=self.importer.user,
            captured_by_label=self.importer.actor,
            capture_tool=TOOL,
            capture_tool_version=__version__,
            sha256=entry.blob_sha256,
            size=entry.blob_size,
            media_type=MESSAGE_MEDIA_TYPE,
            metadata=_message_metadata(message),
            note=self.importer.note,
            warnings=warnings,
        )

    def _media(self, media: _Media, message_item: Item | None) -> dict[str, Any]:
        """Record one media file of a message; return what the message's metadata says of it."""
        from .importing import FileOutcome

        listed: dict[str, Any] = {"field": media.field, "path": media.relative}
        if media.problem or media.candidate is None:
            listed["problem"] = media.problem
            return listed
        candidate = media.candidate
        if media.known_item is not None:
            listed.update(
                item_id=str(media.known_item.pk), sha256=media.known_item.sha256, status="skipped"
            )
            self.outcomes.append(
                (
                    FileOutcome(
                        candidate.display,
                        "skipped",
                        item_id=str(media.known_item.pk),
                        message="already imported",
                        size=candidate.size,
                    ),
                    True,
                )
            )
            return listed
        result = media.result
        if not isinstance(result, IngestResult):
            message = f"could not be read: {result}"
            listed["problem"] = message
            self.outcomes.append(
                (
                    FileOutcome(candidate.display, "failed", size=candidate.size, message=message),
                    True,
                )
            )
            return listed
        errors = [f"{e['stage']}: {e['error']}" for e in result.errors]
        outcome = FileOutcome(
            candidate.display,
            "imported",
            size=result.size,
            sha256=result.sha256,
            media_type=result.media_type,
            warnings=list(result.warnings),
            errors=errors,
        )
        existing = self.by_hash.get(result.sha256)
        if existing is not None:
            item = existing
            outcome.status = "duplicate"
            outcome.message = f"same bytes as item {existing.pk} ({existing.title})"
            self.events.append(
                PendingEvent(
                    "duplicate_imported",
                    existing,
                    {
                        "path": candidate.display,
                        "name": candidate.path.name,
                        "note": self.importer.note,
                    },
                )
            )
        else:
            item = self.importer._new_item(candidate, result)
            item.parent = message_item or self.run.parent
            self.by_hash[result.sha256] = item
            self.media_items.append(item)
            self.derivatives.extend(
                Derivative(
                    item=item,
                    kind=d.kind,
                    sha256=d.sha256,
                    size=d.size,
                    media_type=d.media_type,
                    tool=d.tool,
                )
                for d in result.derivatives
            )
            self.events.append(
                PendingEvent("imported", item, self.importer._details(candidate, result))
            )
            outcome.message = "; ".join(result.warnings + errors)
        self.sources.append(
            SourceFile(
                case=self.case,
                key=candidate.key,
                path=candidate.display,
                size=candidate.size,
                item=item,
                outcome=outcome.status,
            )
        )
        outcome.item_id = str(item.pk)
        self.outcomes.append((outcome, True))
        listed.update(item_id=str(item.pk), sha256=result.sha256, status=outcome.status)
        return listed

    def _link_reply(
        self, entry: _Pending, items_by_key: dict[str, Item], earlier: dict[str, Any]
    ) -> None:
        replied = entry.message.reply_to_message_id
        item = items_by_key[entry.key]
        if replied is None or item.pk not in self.new_message_ids:
            return
        key = message_key(entry.message.chat, replied)
        target = items_by_key.get(key)
        target_id = str(target.pk) if target is not None else None
        if target_id is None and key in earlier:
            target_id = str(earlier[key])
        item.metadata["reply_to"] = {"message_id": replied, "item_id": target_id}
        if target_id is None:
            self.run.unresolved.append((item.pk, key))


def _message_metadata(message: Message) -> dict[str, Any]:
    """What an item records about its message (the exported object itself is its bytes)."""
    metadata: dict[str, Any] = {
        "source": "telegram-desktop-export",
        "chat_id": message.chat.id,
        "chat_name": message.chat.name,
        "chat_type": message.chat.type,
        "message_id": message.id,
        "message_type": message.type,
        "date": message.date,
        "date_unixtime": message.date_unixtime,
        "from": message.sender,
        "from_id": message.sender_id,
        "forwarded_from": message.forwarded_from or None,
        "reply_to": None,
        "edited": message.edited or None,
        "text": message.text,
        "entities": message.entities,
    }
    if message.type == "service":
        metadata.update(actor=message.actor, actor_id=message.actor_id, action=message.action)
    if message.media:
        metadata["media"] = message.media
    return metadata
