"""Capturing web pages into a case: requests, runs, and what each run leaves in the locker.

Deviations from the shared interface spec (additions only; every name of the spec is kept):

- ``CaptureBatch.background`` says whether the batch was queued for ``vestige worker``;
  ``Capture.updated_at`` moves with every progress line (a running capture whose
  ``updated_at`` stops moving was interrupted) and ``Capture.task_id`` names its django-tasks
  result.
- ``previous`` and ``version`` count *preserved* versions: they are set when a capture stores
  an archive. A capture that failed or was refused keeps ``previous=None`` and ``version=1``.
- ``run_capture`` takes optional keywords ``on_progress`` (a callable receiving each progress
  line, used by the CLI's display) and ``limit`` (how many captures may run at once across all
  processes; when the limit is reached it returns the capture still queued).

The flow: :func:`request_captures` validates the URLs and writes a batch of queued captures
(and, in the background, one task each). :func:`run_capture` claims one queued capture, runs
the engine (:func:`vestige.core.capture.capture_url`) in a work folder, retries a transient
failure a bounded number of times, then streams every file into the blob store and records, in
one transaction, the WACZ as an item of kind ``web_capture``, the screenshot, DOM, PDF print
and text as its derivatives, embedded media as child items, and a signed ``captured`` custody
event for each new item. A recapture never touches the earlier version: it links to it, and
records what changed in the text and, when the page has gone, the finding "unavailable at
source" — on the capture, in the item's warnings and metadata, and in the custody event, whose
hash chain and signature make the finding verifiable.
"""

from __future__ import annotations

import difflib
import logging
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from .. import __version__
from ..cases.models import Case
from ..cases.roles import Permission
from ..core.blobstore import LocalBlobStore
from ..core.capture.types import MODES, CapturedFile, CaptureOptions, CaptureOutput
from ..core.errors import UserError
from ..core.ingest import IngestResult, ingest_file
from ..core.mediatype import detect_media_type
from ..evidence.custody import PendingEvent, append_events
from ..evidence.importing import _import_lock, _kind_for
from ..evidence.models import Derivative, Item, ItemKind
from .archive_check import check_wacz
from .models import Capture, CaptureBatch, CaptureStatus

logger = logging.getLogger("vestige.capture")

TOOL = "vestige-capture"
MAX_URLS = 10_000
MAX_URL_LENGTH = 2048
# A diff longer than this is cut (the counts stay exact); the full texts remain derivatives.
MAX_DIFF_CHARS = 200_000
# The earlier version's text is read for the diff up to this size.
MAX_DIFF_SOURCE_BYTES = 20 * 2**20
PROGRESS_SAVE_SECONDS = 1.0
# A running capture writes a sign of life at least this often, even when its line is unchanged.
HEARTBEAT_SECONDS = 15.0
# How long past its own page time limit the engine may run before it is abandoned.
ENGINE_GRACE_SECONDS = 60.0
# A running capture that shows no progress for the capture timeout plus this grace counts as
# interrupted.
STALE_GRACE_SECONDS = 60.0
# Any two numbers will do: the advisory lock that serialises claims on PostgreSQL.
_ADVISORY_LOCK = 0x76657374

STATUS_FOR_OUTCOME = {
    "ok": CaptureStatus.DONE,
    "unavailable": CaptureStatus.DONE,
    "refused": CaptureStatus.REFUSED,
    "timeout": CaptureStatus.FAILED,
    "too_large": CaptureStatus.FAILED,
    "failed": CaptureStatus.FAILED,
}
DEFAULT_ERRORS = {
    "refused": "the address was refused",
    "timeout": "the page did not finish within the time limit",
    "too_large": "the page's responses exceeded the size limit",
    "failed": "the capture failed",
}
UNAVAILABLE_FINDING = "unavailable at source"

ProgressCallback = Callable[[str], None]

_engine_pool: ThreadPoolExecutor | None = None
_engine_pool_size = 0
_engine_lock = threading.Lock()


# ---------------------------------------------------------------------------------------------
# Requests


def normalise_url(raw: str) -> str:
    """A URL as it is captured and compared: scheme and host in lower case, ``/`` for an empty
    path. Raise UserError, naming the URL, when it cannot be captured."""
    url = raw.strip()
    shown = url if len(url) <= 120 else url[:117] + "…"
    if not url:
        raise UserError("an empty URL was given")
    if len(url) > MAX_URL_LENGTH:
        raise UserError(f"URL longer than {MAX_URL_LENGTH} characters: {shown}")
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise UserError(f"URL contains spaces or control characters: {shown!r}")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UserError(f"not a valid URL ({exc}): {shown}") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UserError(f"only http and https URLs can be captured, not {shown!r}")
    if not parts.hostname:
        raise UserError(f"URL has no host name: {shown}")
    if parts.username is not None or parts.password is not None:
        raise UserError(
            f"URL contains a user name or password; remove it (it would be recorded): {shown}"
        )
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port is None else f"{host}:{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, parts.fragment))


def request_captures(
    case: Case,
    urls: Iterable[str],
    *,
    user: Any = None,
    actor: str,
    mode: str = "browser",
    background: bool = False,
) -> list[Capture]:
    """Write a batch of queued captures of ``urls`` in ``case`` and return them, in order.

    Every URL is checked first; one bad URL refuses the whole request with a UserError naming
    it, so nothing is half-queued. A URL given twice is captured once. When ``background``, each
    capture is queued for ``vestige worker``; otherwise the caller runs them
    (:func:`run_capture`).
    """
    if mode not in MODES:
        raise UserError(f"unknown capture mode {mode!r}: use one of {', '.join(MODES)}")
    account = user if getattr(user, "is_authenticated", False) else None
    if account is not None:
        from ..cases.access import require

        require(account, case, Permission.IMPORT)
    wanted: list[str] = []
    for raw in urls:
        url = normalise_url(raw)
        if url not in wanted:
            wanted.append(url)
    if not wanted:
        raise UserError("no URL to capture")
    if len(wanted) > MAX_URLS:
        raise UserError(f"{len(wanted)} URLs in one request; at most {MAX_URLS} are accepted")
    with transaction.atomic():
        batch = CaptureBatch.objects.create(
            case=case,
            requested_by=account,
            requested_by_label=actor[:150],
            mode=mode,
            background=background,
        )
        captures = Capture.objects.bulk_create(
            Capture(
                case=case,
                batch=batch,
                url=url,
                mode=mode,
                requested_by=account,
                requested_by_label=actor[:150],
                progress="queued",
            )
            for url in wanted
        )
        if background:
            for capture in captures:
                enqueue(capture)
    return captures


def enqueue(capture: Capture, delay: float = 0.0) -> None:
    """Queue ``capture`` for ``vestige worker`` and remember the task's id."""
    from .tasks import capture_task

    task = capture_task
    if delay > 0:
        task = capture_task.using(run_after=timezone.now() + timedelta(seconds=delay))
    result = task.enqueue(str(capture.pk))
    capture.task_id = str(result.id)
    Capture.objects.filter(pk=capture.pk).update(task_id=capture.task_id)


# ---------------------------------------------------------------------------------------------
# Status


def capture_status(captures: Iterable[Capture]) -> list[dict[str, Any]]:
    """JSON-able rows describing each capture, for the live status, the CLI and the API."""
    return [status_row(capture) for capture in captures]


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None


def status_row(capture: Capture) -> dict[str, Any]:
    diff = capture.text_diff or {}
    return {
        "id": str(capture.pk),
        "capture_id": str(capture.pk),
        "batch_id": str(capture.batch_id) if capture.batch_id else None,
        "url": capture.url,
        "mode": capture.mode,
        "status": capture.status,
        "outcome": capture.outcome,
        "progress": capture.progress,
        "item_id": str(capture.item_id) if capture.item_id else None,
        "error": capture.error,
        "attempts": capture.attempts,
        "version": capture.version,
        "previous_id": str(capture.previous_id) if capture.previous_id else None,
        "final_url": capture.final_url,
        "http_status": capture.http_status,
        "unavailable": capture.unavailable,
        "removal": capture.removal,
        "text_changes": (
            {"added": diff.get("added", 0), "removed": diff.get("removed", 0)} if diff else None
        ),
        "requested_at": _iso(capture.requested_at),
        "started_at": _iso(capture.started_at),
        "finished_at": _iso(capture.finished_at),
    }


# ---------------------------------------------------------------------------------------------
# Claiming: one runner per capture, at most ``limit`` running at once


def stale_before() -> datetime:
    """A running capture whose last progress is older than this was interrupted."""
    return timezone.now() - timedelta(seconds=float(settings.CAPTURE_TIMEOUT) + STALE_GRACE_SECONDS)


def _running_now() -> int:
    return Capture.objects.filter(
        status=CaptureStatus.RUNNING, updated_at__gte=stale_before()
    ).count()


def claim(capture_id: Any, limit: int | None = None) -> Capture | None:
    """Move a queued capture to running and return it; None when it is not queued any more
    (another runner has it, or it finished) or when ``limit`` captures are already running.

    The check and the change happen in one transaction that holds a lock every claimer takes
    (PostgreSQL advisory lock; SQLite write transactions are exclusive already), so two workers
    never both take the last slot or the same capture.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_LOCK])
        if limit is not None and _running_now() >= limit:
            return None
        now = timezone.now()
        taken = Capture.objects.filter(pk=capture_id, status=CaptureStatus.QUEUED).update(
            status=CaptureStatus.RUNNING,
            started_at=now,
            updated_at=now,
            progress="starting",
        )
        if not taken:
            return None
    return Capture.objects.select_related("case", "requested_by").get(pk=capture_id)


# ---------------------------------------------------------------------------------------------
# Running


def capture_options(mode: str) -> CaptureOptions:
    """Engine options from the VESTIGE_CAPTURE_* settings."""
    page_timeout = float(settings.CAPTURE_TIMEOUT)
    return CaptureOptions(
        mode=mode,
        timeout=min(30.0, page_timeout),
        page_timeout=page_timeout,
        max_bytes=int(settings.CAPTURE_MAX_BYTES),
        allow_private=bool(settings.CAPTURE_ALLOW_PRIVATE_ADDRESSES),
    )


class _Progress:
    """Progress lines of one capture: passed to the caller (the CLI's display) at once, and
    written to the database — for the live status, and as the sign of life in ``updated_at`` —
    by :meth:`flush`, which only the thread running the capture calls.

    The engine reports from its own threads; they must never touch the database (a browser
    capture's thread runs Playwright's event loop, where Django refuses synchronous queries).
    """

    def __init__(self, capture: Capture, forward: ProgressCallback | None) -> None:
        self.capture = capture
        self.forward = forward
        self.line = capture.progress
        self.saved_line: str | None = None
        self.saved_at = 0.0
        self.thread = threading.get_ident()

    def __call__(self, line: str, force: bool = False) -> None:
        self.line = line.strip()[:500]
        if self.forward:
            self.forward(self.line)
        if force and threading.get_ident() == self.thread:
            self.flush(force=True)

    def flush(self, force: bool = False) -> None:
        """Save the last line when it changed (or, unchanged, every HEARTBEAT_SECONDS)."""
        now = time.monotonic()
        changed = self.line != self.saved_line
        if (
            force
            or (changed and now - self.saved_at >= PROGRESS_SAVE_SECONDS)
            or (now - self.saved_at >= HEARTBEAT_SECONDS)
        ):
            self.saved_line, self.saved_at = self.line, now
            self.capture.progress = self.line
            Capture.objects.filter(pk=self.capture.pk).update(
                progress=self.line, updated_at=timezone.now()
            )


def run_capture(
    capture_id: Any,
    *,
    on_progress: ProgressCallback | None = None,
    limit: int | None = None,
) -> Capture:
    """Run one queued capture to its end and return it.

    A capture that is not queued is returned as it is (finished, or run by someone else); with
    ``limit``, one that finds no free slot is returned still queued. Every failure ends up on
    the capture (status ``failed`` or ``refused`` with ``error``); an interruption
    (KeyboardInterrupt, a killed process) leaves it ``running``, to be resumed.
    """
    capture = claim(capture_id, limit)
    if capture is None:
        return Capture.objects.get(pk=capture_id)
    progress = _Progress(capture, on_progress)
    attempts: list[dict[str, Any]] = []
    retries = max(0, int(settings.CAPTURE_RETRIES))
    delay = float(settings.CAPTURE_RETRY_DELAY)
    while True:
        capture.attempts += 1
        Capture.objects.filter(pk=capture.pk).update(attempts=capture.attempts)
        workdir = _workdir(capture)
        try:
            output = _run_engine(capture, workdir, progress)
            if output is None:  # the engine broke; recorded already
                return capture
            attempts.append(
                {"attempt": capture.attempts, "outcome": output.outcome, "error": output.error}
            )
            if output.transient and output.outcome != "ok" and len(attempts) <= retries:
                pause = delay * (2 ** (len(attempts) - 1))
                progress(
                    f"attempt {capture.attempts} failed ({output.error or output.outcome}); "
                    f"trying again in {pause:g} s",
                    force=True,
                )
                time.sleep(pause)
                continue
            progress("storing", force=True)
            return _record(capture, output, attempts)
        except Exception as exc:
            # Storing failed (disk full, database gone …): say so on the capture, not only in
            # a log, then let the caller see the exception too.
            _finish_failed(capture, f"could not store the capture: {type(exc).__name__}: {exc}")
            raise
        finally:
            shutil.rmtree(workdir, ignore_errors=True)


def _workdir(capture: Capture) -> Path:
    """A fresh folder for one attempt, next to the blob store so files move on one disk."""
    store = _store()
    return Path(tempfile.mkdtemp(prefix=f"capture-{capture.pk}-", dir=store.tmp))


def _store() -> LocalBlobStore:
    return LocalBlobStore(settings.BLOB_ROOT, fsync=settings.FSYNC_BLOBS)


def _engine_executor() -> ThreadPoolExecutor:
    """The threads the engine runs in, kept between captures (each keeps its browser warm)."""
    global _engine_pool, _engine_pool_size
    size = max(1, int(settings.CAPTURE_PARALLEL))
    with _engine_lock:
        if _engine_pool is None or _engine_pool_size < size:
            _engine_pool = ThreadPoolExecutor(size, thread_name_prefix="capture-engine")
            _engine_pool_size = size
        return _engine_pool


def _run_engine(capture: Capture, workdir: Path, progress: _Progress) -> CaptureOutput | None:
    """The engine's output, or None after recording on the capture why there is none.

    The engine runs in a thread of its own while this thread writes its progress to the
    database and watches the clock: an engine that overruns its own time limit by
    ENGINE_GRACE_SECONDS is abandoned and the capture ends as a timeout.
    """
    from ..core.capture import capture_url

    options = capture_options(capture.mode)
    limit = options.page_timeout + ENGINE_GRACE_SECONDS
    started = time.monotonic()
    future = _engine_executor().submit(capture_url, capture.url, workdir, options, progress)
    try:
        while not wait([future], timeout=PROGRESS_SAVE_SECONDS).done:
            progress.flush()
            if time.monotonic() - started > limit:
                future.cancel()
                logger.error("capture %s: the engine overran its time limit", capture.pk)
                _finish_failed(
                    capture,
                    f"the capture did not finish within {limit:g} seconds",
                    outcome="timeout",
                )
                return None
        return future.result()
    except ValueError as exc:
        _finish_failed(capture, f"the URL cannot be captured: {exc}", CaptureStatus.REFUSED)
    except Exception as exc:  # a bug in the engine must still end the capture visibly
        logger.exception("capture %s: the capture engine failed", capture.pk)
        _finish_failed(capture, f"the capture engine failed: {type(exc).__name__}: {exc}")
    return None


def _finish_failed(
    capture: Capture, error: str, status: str = CaptureStatus.FAILED, outcome: str = "failed"
) -> None:
    capture.status = status
    capture.outcome = outcome
    capture.error = error
    capture.progress = status
    capture.finished_at = timezone.now()
    capture.save(update_fields=["status", "outcome", "error", "progress", "finished_at"])


# ---------------------------------------------------------------------------------------------
# Recording


@dataclass
class _Stored:
    """A file of the capture, in the blob store."""

    role: str
    sha256: str
    size: int
    media_type: str
    captured: CapturedFile
    ingest: IngestResult | None = None  # for media items and the screenshot (thumbnail)
    error: str = ""


@dataclass
class _Parts:
    wacz: _Stored | None = None
    derived: list[_Stored] = field(default_factory=list)
    media: list[_Stored] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)


def _store_parts(output: CaptureOutput, workdir_text: Path | None) -> _Parts:
    """Stream every file the engine made into the blob store (outside any transaction)."""
    store = _store()
    root, fsync = settings.BLOB_ROOT, settings.FSYNC_BLOBS
    parts = _Parts()
    files = list(output.files)
    if workdir_text is not None:
        files.append(CapturedFile("text", workdir_text, "text/plain; charset=utf-8"))
    # Shared with imports: an import that starts now must not clear our half-written blobs.
    with _import_lock(store):
        for captured in files:
            try:
                if captured.role in ("media", "screenshot"):
                    result = ingest_file(
                        captured.path, root, fsync, display_name=captured.path.name
                    )
                    stored = _Stored(
                        captured.role,
                        result.sha256,
                        result.size,
                        result.media_type,
                        captured,
                        ingest=result,
                    )
                else:
                    blob = store.put_file(captured.path)
                    media_type = captured.media_type or detect_media_type(
                        store.path_for(blob.sha256)
                    )
                    stored = _Stored(captured.role, blob.sha256, blob.size, media_type, captured)
            except OSError as exc:
                parts.errors.append(
                    {"stage": TOOL, "error": f"{captured.role} file could not be stored: {exc}"}
                )
                continue
            if captured.role == "wacz":
                parts.wacz = stored
            elif captured.role == "media":
                parts.media.append(stored)
            else:
                parts.derived.append(stored)
    return parts


def _text_file(output: CaptureOutput) -> Path | None:
    """The page's text as a file when the engine gave it only as a string."""
    if output.file("text") is not None or not output.text:
        return None
    wacz = output.file("wacz")
    folder = wacz.path.parent if wacz else None
    if folder is None:
        return None
    path = folder / "vestige-page-text.txt"
    path.write_text(output.text, encoding="utf-8")
    return path


def _tool_label(output: CaptureOutput) -> str:
    tools = [
        f"{t.get('name')} {t.get('version')}".strip()
        for t in output.context.get("tools", [])
        if isinstance(t, dict) and t.get("name")
    ]
    label = f"{TOOL} {__version__}"
    if tools:
        label += " (" + ", ".join(tools) + ")"
    return label[:200]


def _previous_version(capture: Capture) -> Capture | None:
    """The latest earlier capture of the same URL in the case that preserved something."""
    return (
        Capture.objects.filter(case_id=capture.case_id, url=capture.url, item__isnull=False)
        .exclude(pk=capture.pk)
        .select_related("item")
        .order_by("-version", "-finished_at")
        .first()
    )


def _read_text(item: Item) -> str | None:
    """The text derivative of an earlier capture, or None when it has none."""
    text = item.derivatives.filter(kind="text").order_by("-created_at").first()
    if text is None or text.size > MAX_DIFF_SOURCE_BYTES:
        return None
    chunks = list(_store().open_verified(text.sha256))
    return b"".join(chunks).decode("utf-8", errors="replace")


def text_diff(before: str, after: str, from_label: str, to_label: str) -> dict[str, Any]:
    """What changed between two texts, line by line: counts and a unified diff."""
    old, new = before.splitlines(), after.splitlines()
    lines = list(difflib.unified_diff(old, new, fromfile=from_label, tofile=to_label, lineterm=""))
    added = sum(1 for line in lines if line.startswith("+") and not line.startswith("+++"))
    removed = sum(1 for line in lines if line.startswith("-") and not line.startswith("---"))
    unified = "\n".join(lines)
    truncated = len(unified) > MAX_DIFF_CHARS
    return {
        "added": added,
        "removed": removed,
        "identical": not lines,
        "unified": unified[:MAX_DIFF_CHARS],
        "truncated": truncated,
    }


def _record(capture: Capture, output: CaptureOutput, attempts: list[dict[str, Any]]) -> Capture:
    """Write down what the engine produced; return the finished capture."""
    status = STATUS_FOR_OUTCOME.get(output.outcome, CaptureStatus.FAILED)
    error = (
        ""
        if status == CaptureStatus.DONE
        else (output.error or DEFAULT_ERRORS.get(output.outcome, "the capture failed"))
    )
    parts = _store_parts(output, _text_file(output))
    if parts.wacz is None:
        if status == CaptureStatus.DONE:
            status, error = CaptureStatus.FAILED, "the capture produced no archive"
        problems = [e["error"] for e in parts.errors]
        capture.status = status
        capture.outcome = output.outcome
        capture.error = "; ".join([error, *problems]) if problems else error
        _copy_outcome(capture, output)
        capture.progress = str(status)
        capture.finished_at = timezone.now()
        capture.save()
        return capture
    validation = check_wacz(_store().path_for(parts.wacz.sha256))
    with transaction.atomic():
        # Recordings of one case take turns, so two recaptures never get the same version.
        Case.objects.select_for_update().filter(pk=capture.case_id).first()
        previous = _previous_version(capture)
        _record_items(capture, output, parts, previous, validation, attempts, status, error)
    return capture


def _copy_outcome(capture: Capture, output: CaptureOutput) -> None:
    capture.final_url = (output.final_url or "")[:MAX_URL_LENGTH]
    capture.http_status = output.http_status
    unavailable = output.outcome == "unavailable" or bool(output.removal)
    capture.unavailable = unavailable
    capture.removal = (output.removal or (output.error if unavailable else ""))[:500]


def _record_items(
    capture: Capture,
    output: CaptureOutput,
    parts: _Parts,
    previous: Capture | None,
    validation: dict[str, Any],
    attempts: list[dict[str, Any]],
    status: str,
    error: str,
) -> None:
    assert parts.wacz is not None
    tool = _tool_label(output)
    now = timezone.now()
    version = previous.version + 1 if previous else 1
    _copy_outcome(capture, output)
    warnings = list(output.warnings)
    errors = list(parts.errors)
    if status != CaptureStatus.DONE:
        warnings.append(f"incomplete capture ({output.outcome}): {error}")
        errors.append({"stage": TOOL, "error": error})
    if not validation.get("valid", False) and validation.get("checked"):
        warnings.append(f"the WACZ did not validate: {validation.get('reason') or 'see metadata'}")
    diff: dict[str, Any] = {}
    if previous is not None and previous.item is not None:
        before = _read_text(previous.item)
        if before is not None:
            diff = text_diff(
                before, output.text, f"version {previous.version}", f"version {version}"
            )
            diff.update({"from_version": previous.version, "to_version": version})
    finding: dict[str, Any] | None = None
    if capture.unavailable:
        finding = {
            "finding": UNAVAILABLE_FINDING,
            "reason": capture.removal,
            "http_status": output.http_status,
            "observed_at": _iso(now),
            "previous_item": str(previous.item_id) if previous else None,
            "previous_version": previous.version if previous else None,
        }
        where = f" (version {previous.version} was preserved earlier)" if previous else ""
        warnings.append(f"{UNAVAILABLE_FINDING}: {capture.removal}{where}")
    metadata: dict[str, Any] = {
        "capture": output.context,
        "page": output.metadata,
        "pages": output.pages,
        "wacz_validation": validation,
        "capture_id": str(capture.pk),
        "version": version,
        "previous_item": str(previous.item_id) if previous else None,
        "attempts": attempts,
    }
    if diff:
        metadata["text_diff"] = {k: v for k, v in diff.items() if k != "unified"}
    if finding:
        metadata["finding"] = finding
    page = output.metadata or {}
    item = Item.objects.create(
        case_id=capture.case_id,
        kind=ItemKind.WEB_CAPTURE,
        title=(str(page.get("title") or "") or capture.url)[:500],
        description=str(page.get("description") or ""),
        source_name=(capture.url)[:1024],
        source_url=capture.url,
        content_created_at=str(page.get("published") or "")[:64],
        captured_at=now,
        captured_by=capture.requested_by,
        captured_by_label=capture.requested_by_label,
        capture_tool=TOOL,
        capture_tool_version=__version__,
        sha256=parts.wacz.sha256,
        size=parts.wacz.size,
        media_type=parts.wacz.media_type,
        metadata=metadata,
        language=str(page.get("language") or "")[:35],
        warnings=warnings,
        errors=errors,
    )
    derivative_notes = _record_derivatives(item, parts.derived, tool)
    events = [
        PendingEvent(
            "captured",
            item,
            _event_details(capture, output, version, previous, tool, derivative_notes, finding),
        )
    ]
    events.extend(_record_media(capture, item, parts.media, now))
    append_events(capture.case, events, actor=capture.requested_by_label, user=capture.requested_by)
    # Provenance findings (WACZ signature, C2PA, EXIF, copies) for the page and its media.
    from ..verification.provenance import compute_for_items

    compute_for_items({e.item.pk: e.item for e in events if e.item is not None}.values())
    from ..corroboration.fingerprints import fingerprint_new_items

    fingerprint_new_items({e.item.pk: e.item for e in events if e.item is not None}.values())
    capture.status = status
    capture.outcome = output.outcome
    capture.error = error
    capture.item = item
    capture.previous = previous
    capture.version = version
    capture.text_diff = diff
    capture.progress = str(status)
    capture.finished_at = now
    capture.save()


def _record_derivatives(item: Item, derived: list[_Stored], tool: str) -> list[dict[str, str]]:
    """Screenshot, DOM, PDF and text as derivatives of the WACZ item (plus the screenshot's
    thumbnail when the image stage made one)."""
    rows: list[Derivative] = []
    seen: set[tuple[str, str]] = set()

    def add(kind: str, sha256: str, size: int, media_type: str, made_by: str) -> None:
        if (kind, sha256) not in seen:
            seen.add((kind, sha256))
            rows.append(
                Derivative(
                    item=item,
                    kind=kind,
                    sha256=sha256,
                    size=size,
                    media_type=media_type,
                    tool=made_by[:200],
                )
            )

    for stored in derived:
        add(stored.role, stored.sha256, stored.size, stored.media_type, tool)
        if stored.ingest is not None:
            for extra in stored.ingest.derivatives:
                if extra.kind == "thumbnail":
                    add("thumbnail", extra.sha256, extra.size, extra.media_type, extra.tool)
    for row in rows:
        row.save()  # one by one: the search index listens for the text derivative
    return [{"kind": r.kind, "sha256": r.sha256, "tool": r.tool} for r in rows]


def _record_media(
    capture: Capture, page: Item, media: list[_Stored], now: datetime
) -> list[PendingEvent]:
    """Each embedded image or video as a child item of the page's item."""
    events: list[PendingEvent] = []
    for stored in media:
        result = stored.ingest
        assert result is not None
        source = stored.captured.source_url or ""
        name = Path(urlsplit(source).path).name or stored.captured.path.name
        metadata = dict(result.metadata)
        metadata["capture"] = {
            "capture_id": str(capture.pk),
            "page_url": capture.url,
            "media": stored.captured.metadata,
        }
        kind = _kind_for(result.media_type)
        if kind not in (ItemKind.IMAGE, ItemKind.VIDEO, ItemKind.AUDIO):
            kind = ItemKind.VIDEO if stored.captured.media_type.startswith("video/") else kind
        child = Item.objects.create(
            case_id=capture.case_id,
            parent=page,
            kind=kind,
            title=name[:500],
            source_name=name[:1024],
            source_url=source[:MAX_URL_LENGTH],
            content_created_at=(result.captured_at or "")[:64],
            captured_at=now,
            captured_by=capture.requested_by,
            captured_by_label=capture.requested_by_label,
            capture_tool=TOOL,
            capture_tool_version=__version__,
            sha256=result.sha256,
            size=result.size,
            media_type=result.media_type,
            metadata=metadata,
            warnings=list(result.warnings),
            errors=list(result.errors),
        )
        for d in result.derivatives:
            Derivative.objects.create(
                item=child,
                kind=d.kind,
                sha256=d.sha256,
                size=d.size,
                media_type=d.media_type,
                tool=d.tool,
            )
        events.append(
            PendingEvent(
                "captured",
                child,
                {
                    "url": source,
                    "page_url": capture.url,
                    "page_item": str(page.pk),
                    "capture_id": str(capture.pk),
                    "media_type": result.media_type,
                    "size": result.size,
                    "tool": f"{TOOL} {__version__}",
                    "derivatives": [
                        {"kind": d.kind, "sha256": d.sha256, "tool": d.tool}
                        for d in result.derivatives
                    ],
                    "errors": [f"{e['stage']}: {e['error']}" for e in result.errors],
                },
            )
        )
    return events


def _event_details(
    capture: Capture,
    output: CaptureOutput,
    version: int,
    previous: Capture | None,
    tool: str,
    derivatives: list[dict[str, str]],
    finding: dict[str, Any] | None,
) -> dict[str, Any]:
    """What the ``captured`` custody event states about the page (hashed and signed)."""
    context = output.context or {}
    tls = context.get("tls") if isinstance(context.get("tls"), dict) else None
    details: dict[str, Any] = {
        "url": capture.url,
        "final_url": output.final_url,
        "ip": context.get("ip", ""),
        "outcome": output.outcome,
        "http_status": output.http_status,
        "mode": capture.mode,
        "capture_id": str(capture.pk),
        "version": version,
        "previous_item": str(previous.item_id) if previous else None,
        "started_at": context.get("started_at"),
        "finished_at": context.get("finished_at"),
        "tls_certificate_sha256": tls.get("sha256") if tls else None,
        "tool": tool,
        "derivatives": derivatives,
    }
    if finding:
        details["finding"] = finding
    return details


# ---------------------------------------------------------------------------------------------
# Interrupted batches


def unfinished(batch: CaptureBatch) -> list[Capture]:
    return list(
        batch.captures.filter(status__in=[CaptureStatus.QUEUED, CaptureStatus.RUNNING]).order_by(
            "requested_at", "url"
        )
    )


def requeue_interrupted(captures: Sequence[Capture] | None = None, *, force: bool = False) -> int:
    """Put interrupted running captures back in the queue; return how many.

    A capture is interrupted when it is ``running`` but has shown no progress for the capture
    timeout plus a grace minute (its process died), or, with ``force``, whenever it is running
    (the caller knows its runner is gone, e.g. after Ctrl-C).
    """
    query = Capture.objects.filter(status=CaptureStatus.RUNNING)
    if captures is not None:
        query = query.filter(pk__in=[c.pk for c in captures])
    if not force:
        query = query.filter(updated_at__lt=stale_before())
    return query.update(
        status=CaptureStatus.QUEUED, progress="interrupted; queued again", updated_at=timezone.now()
    )


def clean_leftover_workdirs(capture_ids: Iterable[Any]) -> None:
    """Remove the work folders that interrupted attempts of these captures left behind."""
    tmp = _store().tmp
    for capture_id in capture_ids:
        for leftover in tmp.glob(f"capture-{capture_id}-*"):
            shutil.rmtree(leftover, ignore_errors=True)


def interrupted_batches() -> list[CaptureBatch]:
    """Batches with unfinished captures and no sign of life from whoever ran them."""
    cutoff = stale_before()
    alive = Capture.objects.filter(
        status__in=[CaptureStatus.QUEUED, CaptureStatus.RUNNING], updated_at__gte=cutoff
    ).values("batch_id")
    return list(
        CaptureBatch.objects.filter(
            captures__status__in=[CaptureStatus.QUEUED, CaptureStatus.RUNNING]
        )
        .exclude(Q(pk__in=alive) & Q(background=False))
        .distinct()
    )
