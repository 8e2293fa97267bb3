"""Importing files and folders into a case.

The walk happens here, in the calling process: it refuses what must not be imported (links
leading outside the given folders, loops, empty files, special files) with a per-file outcome.
The heavy work — copying into the blob store, hashing, extraction — runs in worker processes
(:func:`vestige.core.ingest.ingest_file`). The results are written to the database in small
batches, each in one transaction, so a killed import loses at most one uncommitted batch and the
next run redoes just that: files already recorded are skipped without being read again.
"""

from __future__ import annotations

import concurrent.futures as futures
import contextlib
import fcntl
import hashlib
import multiprocessing
import os
import stat
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.dispatch import Signal

from .. import __version__
from ..cases.models import Case
from ..core.blobstore import LocalBlobStore
from ..core.errors import UserError
from ..core.ingest import IngestResult, ingest_file
from .custody import PendingEvent, append_events
from .models import Derivative, Item, ItemKind, SourceFile

# Sent with ``items=[Item, ...]`` after a batch of new items and their derivatives is written
# (bulk inserts send no post_save); the search index listens.
items_recorded = Signal()

BATCH_FILES = 64
BATCH_SECONDS = 1.0


@dataclass
class FileOutcome:
    """What happened to one file (or to a folder with nothing in it)."""

    path: str
    status: str  # imported, duplicate, skipped, refused, failed
    item_id: str | None = None
    message: str = ""
    size: int = 0
    sha256: str | None = None
    media_type: str | None = None
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status in ("imported", "duplicate", "skipped")

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "status": self.status,
            "item_id": self.item_id,
            "message": self.message,
            "size": self.size,
            "sha256": self.sha256,
            "media_type": self.media_type,
            "warnings": self.warnings,
            "errors": self.errors,
        }


@dataclass
class ImportSummary:
    outcomes: list[FileOutcome] = field(default_factory=list)
    seconds: float = 0.0
    # Outcomes counted but not kept (one per Telegram message: an export may hold millions).
    tallied: Counter[str] = field(default_factory=Counter)
    tallied_bytes: int = 0

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status) + self.tallied[status]

    @property
    def bytes_read(self) -> int:
        kept = sum(o.size for o in self.outcomes if o.status in ("imported", "duplicate"))
        return kept + self.tallied_bytes

    @property
    def ok(self) -> bool:
        return all(o.ok for o in self.outcomes)


@dataclass
class Candidate:
    path: Path
    display: str
    size: int
    mtime_ns: int
    key: str


# (outcome, done so far, total or None while a Telegram export is being streamed)
ProgressCallback = Callable[[FileOutcome, int, int | None], None]


def display_path(path: Path | str) -> str:
    """A path as text that any database accepts: undecodable bytes become U+FFFD."""
    raw = os.fsencode(path)
    return raw.decode("utf-8", errors="replace")


def _source_key(real: Path, size: int, mtime_ns: int) -> str:
    return hashlib.sha256(f"{os.fsencode(real)!r}\0{size}\0{mtime_ns}".encode()).hexdigest()


def _within(path: Path, roots: list[Path]) -> bool:
    return any(path == root or root in path.parents for root in roots)


def walk(paths: list[Path]) -> Iterator[Candidate | FileOutcome]:
    """Every importable file under ``paths``, and an outcome for everything refused."""
    roots: list[Path] = []
    for given in paths:
        if not os.path.lexists(given):
            raise UserError(f"no such file or folder: {display_path(given)}")
        roots.append(Path(os.path.realpath(given)))
    seen: set[Path] = set()

    def consider(path: Path, given_root: bool) -> Iterator[Candidate | FileOutcome]:
        shown = display_path(path)
        try:
            info = os.lstat(path)
        except OSError as exc:
            yield FileOutcome(shown, "refused", message=f"cannot be read: {exc.strerror}")
            return
        if stat.S_ISLNK(info.st_mode) and not given_root:
            try:
                real = Path(path).resolve(strict=True)
            except RuntimeError:
                yield FileOutcome(shown, "refused", message="symbolic link loop")
                return
            except OSError:
                yield FileOutcome(shown, "refused", message="broken symbolic link")
                return
            if not _within(real, roots):
                yield FileOutcome(
                    shown, "refused", message="link leads outside the folders being imported"
                )
                return
            if real.is_dir():
                return  # its contents are inside the roots and are walked there
            info = os.stat(real)
        else:
            real = Path(os.path.realpath(path))
        if not stat.S_ISREG(info.st_mode):
            yield FileOutcome(shown, "refused", message="not a regular file")
            return
        if info.st_size == 0:
            yield FileOutcome(shown, "refused", message="empty file (0 bytes): nothing to preserve")
            return
        if real in seen:
            return
        seen.add(real)
        yield Candidate(
            real,
            shown,
            info.st_size,
            info.st_mtime_ns,
            _source_key(real, info.st_size, info.st_mtime_ns),
        )

    for given in paths:
        if os.path.isdir(given):
            for directory, dirnames, filenames in os.walk(given, followlinks=False):
                dirnames.sort()
                if not dirnames and not filenames:
                    yield FileOutcome(
                        display_path(directory),
                        "refused",
                        message="empty folder: nothing to import",
                    )
                for name in sorted(filenames) + [
                    d for d in dirnames if os.path.islink(os.path.join(directory, d))
                ]:
                    yield from consider(Path(directory) / name, given_root=False)
        else:
            try:
                Path(given).resolve(strict=True)
            except RuntimeError:
                yield FileOutcome(display_path(given), "refused", message="symbolic link loop")
                continue
            except OSError:
                yield FileOutcome(display_path(given), "refused", message="broken symbolic link")
                continue
            yield from consider(Path(given), given_root=True)


def _kind_for(media_type: str) -> str:
    if media_type in ("application/warc", "application/wacz"):
        return ItemKind.WEB_CAPTURE
    if media_type.startswith("image/"):
        return ItemKind.IMAGE
    if media_type.startswith("video/"):
        return ItemKind.VIDEO
    if media_type.startswith("audio/"):
        return ItemKind.AUDIO
    if (
        media_type == "application/pdf"
        or media_type.startswith("text/")
        or "document" in media_type
    ):
        return ItemKind.DOCUMENT
    return ItemKind.FILE


@contextlib.contextmanager
def _import_lock(store: LocalBlobStore) -> Iterator[None]:
    """Shared while importing; whoever gets it alone may clear a crashed import's leftovers."""
    handle = open(store.tmp / ".import.lock", "a+")  # noqa: SIM115
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            store.clean_temporary()
            fcntl.flock(handle, fcntl.LOCK_SH)
        except BlockingIOError:
            fcntl.flock(handle, fcntl.LOCK_SH)
        yield
    finally:
        handle.close()


class Importer:
    """Imports files into one case on behalf of one actor."""

    def __init__(
        self,
        case: Case,
        actor: str,
        user: Any = None,
        note: str = "",
        workers: int | None = None,
        on_progress: ProgressCallback | None = None,
        path_label: Callable[[str], str] | None = None,
    ) -> None:
        self.case = case
        self.actor = actor
        self.user = user if getattr(user, "is_authenticated", False) else None
        self.note = note
        configured = os.environ.get("VESTIGE_IMPORT_WORKERS")
        self.workers = workers or (int(configured) if configured else (os.cpu_count() or 1))
        self.on_progress = on_progress
        # How a source path is recorded and reported (uploads hide the server's temporary path).
        self.path_label = path_label
        self.store = LocalBlobStore(settings.BLOB_ROOT, fsync=settings.FSYNC_BLOBS)

    def run(self, paths: list[Path]) -> ImportSummary:
        """Import everything under ``paths``; return one outcome per file."""
        from .telegram_import import TelegramImport, export_root

        started = time.monotonic()
        summary = ImportSummary()
        found = [(p, export_root(Path(p))) for p in paths]
        exports = [root for _, root in found if root is not None]  # Telegram export folders
        paths = [p for p, root in found if root is None]
        entries = list(walk(paths))
        if self.path_label:
            for entry in entries:
                if isinstance(entry, Candidate):
                    entry.display = self.path_label(entry.display)
                else:
                    entry.path = self.path_label(entry.path)
        candidates = [e for e in entries if isinstance(e, Candidate)]
        total_files = len(entries)
        done = 0

        def report(outcome: FileOutcome) -> None:
            nonlocal done
            done += 1
            summary.outcomes.append(outcome)
            if self.on_progress:
                self.on_progress(outcome, done, None if exports else total_files)

        def tally(outcome: FileOutcome) -> None:
            nonlocal done
            if not outcome.ok:
                report(outcome)
                return
            done += 1
            summary.tallied[outcome.status] += 1
            if outcome.status in ("imported", "duplicate"):
                summary.tallied_bytes += outcome.size
            if self.on_progress:
                self.on_progress(outcome, done, None)

        for entry in entries:
            if isinstance(entry, FileOutcome):
                report(entry)
        known = (
            dict(
                SourceFile.objects.filter(
                    case=self.case, key__in=[c.key for c in candidates]
                ).values_list("key", "item_id")
            )
            if len(candidates) < 5000
            else self._known_keys()
        )
        todo = []
        for candidate in candidates:
            if candidate.key in known:
                report(
                    FileOutcome(
                        candidate.display,
                        "skipped",
                        item_id=str(known[candidate.key]),
                        message="already imported",
                        size=candidate.size,
                    )
                )
            else:
                todo.append(candidate)
        with _import_lock(self.store):
            for outcome in self._ingest_all(todo):
                report(outcome)
            for root in exports:
                TelegramImport(self, root, report, tally).run()
        summary.seconds = time.monotonic() - started
        return summary

    def _known_keys(self) -> dict[str, Any]:
        return dict(
            SourceFile.objects.filter(case=self.case).values_list("key", "item_id").iterator()
        )

    def _ingest_all(self, todo: list[Candidate]) -> Iterator[FileOutcome]:
        batch: list[tuple[Candidate, IngestResult | Exception]] = []
        last_flush = time.monotonic()

        def due() -> bool:
            return len(batch) >= BATCH_FILES or time.monotonic() - last_flush > BATCH_SECONDS

        for candidate, result in self._ingested(todo):
            batch.append((candidate, result))
            if due():
                yield from self._record_batch(batch)
                batch = []
                last_flush = time.monotonic()
        if batch:
            yield from self._record_batch(batch)

    def _ingested(
        self, todo: list[Candidate]
    ) -> Iterator[tuple[Candidate, IngestResult | Exception]]:
        root, fsync = settings.BLOB_ROOT, settings.FSYNC_BLOBS
        if self.workers <= 1 or len(todo) <= 1:
            for candidate in todo:
                try:
                    yield (
                        candidate,
                        ingest_file(candidate.path, root, fsync, display_name=candidate.path.name),
                    )
                except OSError as exc:
                    yield candidate, exc
            return
        context = multiprocessing.get_context("forkserver")
        with futures.ProcessPoolExecutor(self.workers, mp_context=context) as pool:
            pending: dict[futures.Future[IngestResult], Candidate] = {}
            queue = iter(todo)
            limit = self.workers * 4
            while True:
                while len(pending) < limit:
                    upcoming = next(queue, None)
                    if upcoming is None:
                        break
                    future = pool.submit(
                        ingest_file, upcoming.path, root, fsync, display_name=upcoming.path.name
                    )
                    pending[future] = upcoming
                if not pending:
                    break
                finished, _ = futures.wait(pending, return_when=futures.FIRST_COMPLETED)
                for future in finished:
                    candidate = pending.pop(future)
                    try:
                        yield candidate, future.result()
                    except (OSError, futures.process.BrokenProcessPool) as exc:
                        yield candidate, exc

    def _record_batch(
        self, batch: list[tuple[Candidate, IngestResult | Exception]]
    ) -> list[FileOutcome]:
        """Write one batch of results in one transaction, with a few bulk inserts."""
        outcomes: list[FileOutcome] = []
        new_items: list[Item] = []
        derivatives: list[Derivative] = []
        sources: list[SourceFile] = []
        events: list[PendingEvent] = []
        with transaction.atomic():
            hashes = {r.sha256 for _, r in batch if isinstance(r, IngestResult)}
            known = {
                item.sha256: item
                for item in Item.objects.filter(case=self.case, sha256__in=hashes).order_by(
                    "captured_at"
                )
            }
            for candidate, result in batch:
                if isinstance(result, Exception):
                    outcomes.append(
                        FileOutcome(
                            candidate.display,
                            "failed",
                            size=candidate.size,
                            message=f"could not be read: {result}",
                        )
                    )
                    continue
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
                existing = known.get(result.sha256)
                if existing is not None:
                    events.append(
                        PendingEvent(
                            "duplicate_imported",
                            existing,
                            {"path": candidate.display, "name": display_path(candidate.path.name),
                             "note": self.note},
                        )
                    )
                    item = existing
                    outcome.status = "duplicate"
                    outcome.message = f"same bytes as item {existing.pk} ({existing.title})"
                else:
                    item = self._new_item(candidate, result)
                    known[result.sha256] = item
                    new_items.append(item)
                    derivatives.extend(
                        Derivative(
                            item=item, kind=d.kind, sha256=d.sha256, size=d.size,
                            media_type=d.media_type, tool=d.tool,
                        )
                        for d in result.derivatives
                    )
                    events.append(PendingEvent("imported", item, self._details(candidate, result)))
                    outcome.message = "; ".join(result.warnings + errors)
                sources.append(
                    SourceFile(
                        case=self.case, key=candidate.key, path=candidate.display,
                        size=candidate.size, item=item, outcome=outcome.status,
                    )
                )
                outcome.item_id = str(item.pk)
                outcomes.append(outcome)
            Item.objects.bulk_create(new_items)
            Derivative.objects.bulk_create(derivatives)
            items_recorded.send(sender=Importer, items=new_items)  # bulk inserts send no post_save
            append_events(self.case, events, actor=self.actor, user=self.user)
            SourceFile.objects.bulk_create(sources)
        return outcomes

    def _new_item(self, candidate: Candidate, result: IngestResult) -> Item:
        mtime = datetime.fromtimestamp(candidate.mtime_ns / 1e9, tz=UTC).isoformat()
        metadata = dict(result.metadata)
        name = display_path(candidate.path.name)
        metadata["file"] = {"name": name, "modified": mtime}
        return Item(
            case=self.case,
            kind=_kind_for(result.media_type),
            title=name[:500],
            source_name=name[:1024],
            source_path=candidate.display,
            content_created_at=(result.captured_at or "")[:64],
            captured_at=datetime.now(UTC),
            captured_by=self.user,
            captured_by_label=self.actor,
            capture_tool="vestige import",
            capture_tool_version=__version__,
            sha256=result.sha256,
            size=result.size,
            media_type=result.media_type,
            metadata=metadata,
            note=self.note,
            warnings=list(result.warnings),
            errors=list(result.errors),
        )

    def _details(self, candidate: Candidate, result: IngestResult) -> dict[str, Any]:
        """What the ``imported`` custody event says about the file."""
        return {
            "path": candidate.display,
            "size": result.size,
            "media_type": result.media_type,
            "note": self.note,
            "tool": f"vestige import {__version__}",
            "derivatives": [
                {"kind": d.kind, "sha256": d.sha256, "tool": d.tool} for d in result.derivatives
            ],
            "errors": [f"{e['stage']}: {e['error']}" for e in result.errors],
        }
