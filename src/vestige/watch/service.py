"""Checking watched sources on a schedule, capturing what is new, and re-checking captures.

The clock is always passed in (``now``), so the schedule can be tested and replayed: a source is
due when ``next_due <= now``; after a check — successful or not — ``next_due = now + every``.
Each check fetches the source through the capture engine's guarded fetcher (the address guard
and VESTIGE_CAPTURE_ALLOW_PRIVATE_ADDRESSES apply, as for any capture), records what is new as
:class:`~vestige.watch.models.WatchEntry` rows (unique per source, so nothing is recorded
twice), and asks the capture app to preserve each new entry's URL. Once a capture has finished,
its item's candidate claims are extracted and the places, actors and incidents they name are
stored on the entry ("settling" it). Every failure ends up on the source (``last_error``) or on
the entry (``error``); none is swallowed.
"""

from __future__ import annotations

import hashlib
import logging
import re
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .. import __version__
from ..capture import service as capture_service
from ..capture.models import Capture, CaptureStatus
from ..cases.extraction import actor_index, place_index, propose_claims
from ..cases.graph import Incident
from ..cases.models import Case
from ..cases.roles import Permission
from ..core.capture import fetch as capture_fetch
from ..core.capture.textmeta import extract as extract_text
from ..core.errors import UserError
from .feeds import MAX_FEED_BYTES, FeedEntry, FeedError, looks_like_feed, parse_feed
from .models import EntryStatus, SourceKind, WatchedSource, WatchEntry

logger = logging.getLogger("vestige.watch")

ACTOR = "vestige-watch"
# Watched entries are captured without JavaScript: fast, and enough for articles and posts.
CAPTURE_MODE = "http"
MIN_EVERY = 60
MAX_EVERY = 365 * 86400
# At most this many new entries of one source are captured per check (the rest stay recorded).
MAX_CAPTURES_PER_CHECK = 50
# Captured URLs of watched entries are captured again after this long, to detect removal.
RECHECK_AFTER = timedelta(days=7)
MAX_RECHECKS_PER_RUN = 100
GONE_STATUSES = (404, 410)
_EVERY = re.compile(r"^\s*(\d+)\s*([smhdw]?)\s*$", re.I)
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


class WatchError(Exception):
    """A check failed; the message is what ``last_error`` says."""


@dataclass
class CheckReport:
    """What one check of one source did (printed by ``vestige watch run-due``)."""

    source_id: int
    url: str
    status: int | None = None
    kind: str = ""
    new_entries: int = 0
    captures: int = 0
    error: str = ""

    def line(self) -> str:
        if self.error:
            return f"source {self.source_id} {self.url}: FAILED: {self.error}"
        return (
            f"source {self.source_id} {self.url}: {self.kind or 'unknown'}, http "
            f"{self.status}, {self.new_entries} new entr{'y' if self.new_entries == 1 else 'ies'}"
            f", {self.captures} capture(s) requested"
        )


@dataclass
class RunReport:
    """What one :func:`run_due` did."""

    now: datetime
    checks: list[CheckReport] = field(default_factory=list)
    settled: int = 0
    rechecks: int = 0

    def lines(self) -> list[str]:
        out = [c.line() for c in self.checks]
        out.append(
            f"{len(self.checks)} source(s) checked, {self.settled} entr"
            f"{'y' if self.settled == 1 else 'ies'} settled, {self.rechecks} "
            f"captured URL(s) re-checked at {self.now.isoformat()}"
        )
        return out


# --------------------------------------------------------------------------------- sources


def parse_every(text: str | int) -> int:
    """Seconds from ``"30m"``, ``"1h"``, ``"1d"``, ``"2w"``, ``"90s"`` or a plain number."""
    match = _EVERY.match(str(text))
    if not match:
        raise UserError(f"not an interval: {text!r} (use e.g. 30m, 1h, 1d)")
    seconds = int(match.group(1)) * _UNITS[match.group(2).lower()]
    if not MIN_EVERY <= seconds <= MAX_EVERY:
        raise UserError(f"the interval must be between 1 minute and 1 year, not {text!r}")
    return seconds


def format_every(seconds: int) -> str:
    for unit, size in (("w", 7 * 86400), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def add_source(
    case: Case,
    url: str,
    *,
    every: str | int = "1h",
    user: Any = None,
    actor: str = "",
    now: datetime | None = None,
) -> WatchedSource:
    """Watch ``url`` in ``case``; the first check is due at once. UserError for a bad URL, an
    interval out of range, a URL the case already watches, or a user without the import right."""
    account = user if getattr(user, "is_authenticated", False) else None
    if account is not None:
        from ..cases.access import require

        require(account, case, Permission.IMPORT)
    normalised = capture_service.normalise_url(url)
    seconds = parse_every(every)
    if WatchedSource.objects.filter(case=case, url=normalised).exists():
        raise UserError(f"the case already watches {normalised}")
    return WatchedSource.objects.create(
        case=case,
        url=normalised,
        every=seconds,
        next_due=now or timezone.now(),
        created_by=account,
        created_by_label=(actor or ACTOR)[:150],
    )


# --------------------------------------------------------------------------------- fetching


@dataclass
class Fetched:
    status: int
    media_type: str
    final_url: str
    body: bytes
    text: str
    etag: str
    last_modified: str


def fetch_source(source: WatchedSource) -> Fetched:
    """GET the source through the guarded fetcher (conditional when it sent validators)."""
    options = capture_service.capture_options(CAPTURE_MODE)
    options.max_bytes = min(options.max_bytes, MAX_FEED_BYTES + 1)
    headers: list[tuple[str, str]] = [
        ("Accept", "application/rss+xml, application/atom+xml, text/html;q=0.9, */*;q=0.5")
    ]
    if source.etag:
        headers.append(("If-None-Match", source.etag))
    if source.last_modified:
        headers.append(("If-Modified-Since", source.last_modified))
    work = Path(tempfile.mkdtemp(prefix="watch-"))
    recorder = capture_fetch.WarcRecorder(work / "watch.warc.gz", f"vestige-watch {__version__}")
    fetcher = capture_fetch.Fetcher(options, work, recorder)
    try:
        result = fetcher.follow(fetcher.fetch_one(source.url, headers=headers))
        exchange = result.exchange
        body = exchange.decoded_body().read(MAX_FEED_BYTES + 1)
        text = exchange.read_text(MAX_FEED_BYTES) if exchange.media_type.endswith("html") else ""
        return Fetched(
            exchange.status,
            exchange.media_type,
            exchange.url,
            body,
            text,
            exchange.header("etag")[:500],
            exchange.header("last-modified")[:100],
        )
    except capture_fetch.FetchError as exc:
        raise WatchError(f"{exc.outcome}: {exc}") from exc
    finally:
        fetcher.close()
        recorder.discard()
        shutil.rmtree(work, ignore_errors=True)


# --------------------------------------------------------------------------------- checking


def due_sources(now: datetime) -> list[WatchedSource]:
    return list(
        WatchedSource.objects.filter(active=True, next_due__lte=now)
        .select_related("case")
        .order_by("next_due", "pk")
    )


def _claim(source: WatchedSource, now: datetime) -> bool:
    """Move the source's next_due past ``now`` only if nobody else has since it was read: one
    conditional UPDATE, so two runners at the same moment never check the same source twice."""
    claimed = WatchedSource.objects.filter(pk=source.pk, next_due=source.next_due).update(
        next_due=now + timedelta(seconds=source.every)
    )
    return claimed == 1


def run_due(now: datetime | None = None, *, background: bool = False) -> RunReport:
    """Check every active source due at ``now`` (default: the current time), capture what is
    new (queued for the worker when ``background``, else run here), settle finished captures,
    and re-check the watched URLs captured longer than RECHECK_AFTER ago."""
    now = now or timezone.now()
    report = RunReport(now)
    report.settled += settle_entries()
    cases: dict[int, Case] = {}
    for source in due_sources(now):
        if not _claim(source, now):
            continue  # another runner (the worker, or `watch run-due` by hand) took it
        report.checks.append(check_source(source, now, background=background))
        cases[source.case_id] = source.case
    report.settled += settle_entries()
    for case in cases.values():
        report.rechecks += len(recheck_captures(case, now, background=background))
    return report


def check_source(source: WatchedSource, now: datetime, *, background: bool = False) -> CheckReport:
    """Check one source now; whatever happens, record it on the source and move next_due."""
    report = CheckReport(source.pk, source.url)
    error = ""
    try:
        fetched = fetch_source(source)
        report.status = source.last_status = fetched.status
        if fetched.status == 304:
            pass
        elif fetched.status in GONE_STATUSES:
            error = f"the source answered HTTP {fetched.status}"
            if source.kind == SourceKind.PAGE:
                _record_gone(source, fetched.status, now, report, background)
        elif fetched.status >= 400:
            error = f"the source answered HTTP {fetched.status}"
        else:
            if not source.kind:
                feed = looks_like_feed(fetched.media_type, fetched.body[:2048])
                source.kind = SourceKind.FEED if feed else SourceKind.PAGE
            if source.kind == SourceKind.FEED:
                entries = parse_feed(fetched.body, fetched.final_url)
                _record_feed(source, entries, now, report, background)
            else:
                _record_page(source, fetched, now, report, background)
            source.etag, source.last_modified = fetched.etag, fetched.last_modified
    except (WatchError, FeedError, UserError) as exc:
        error = str(exc)
    except Exception as exc:  # a bug must not stop the other sources; it is recorded, and logged
        logger.exception("checking watched source %s failed", source.pk)
        error = f"internal error: {exc.__class__.__name__}: {exc}"
    report.kind = source.kind
    report.error = error
    source.last_error = error
    source.last_checked = now
    source.next_due = now + timedelta(seconds=source.every)
    source.save()
    return report


def _record_feed(
    source: WatchedSource,
    entries: list[FeedEntry],
    now: datetime,
    report: CheckReport,
    background: bool,
) -> None:
    known = set(WatchEntry.objects.filter(source=source).values_list("key", flat=True))
    fresh: list[WatchEntry] = []
    for entry in entries:
        if entry.key in known:
            continue
        known.add(entry.key)
        fresh.append(
            WatchEntry(
                source=source,
                key=entry.key,
                url=entry.url[:2048],
                title=entry.title,
                summary=entry.summary,
                published=entry.published,
                seen_at=now,
            )
        )
    _store_and_capture(source, fresh, report, background)


def _record_page(
    source: WatchedSource,
    fetched: Fetched,
    now: datetime,
    report: CheckReport,
    background: bool,
) -> None:
    """A page's main text changed (or was seen for the first time): a new entry."""
    html = fetched.text or fetched.body.decode("utf-8", errors="replace")
    metadata, text, _warnings = extract_text(html, fetched.final_url)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    if digest == source.content_hash:
        return
    source.content_hash = digest
    title = str(metadata.get("title") or "")[:500]
    entry = WatchEntry(
        source=source,
        key=f"text:{digest}",
        url=source.url,
        title=title,
        summary=text[:2000],
        seen_at=now,
    )
    if WatchEntry.objects.filter(source=source, key=entry.key).exists():
        entry.key = f"text:{digest[:40]}:{now.isoformat()}"  # back to an earlier text
    _store_and_capture(source, [entry], report, background)


def _record_gone(
    source: WatchedSource, status: int, now: datetime, report: CheckReport, background: bool
) -> None:
    """The watched page now answers 404/410: capture it once more, so the capture app records
    "unavailable at source" against the preserved version."""
    key = f"gone:{source.content_hash[:40]}:{status}"
    if WatchEntry.objects.filter(source=source, key=key).exists():
        return
    entry = WatchEntry(
        source=source,
        key=key,
        url=source.url,
        title=f"unavailable at source: http {status}",
        seen_at=now,
    )
    _store_and_capture(source, [entry], report, background)


def _store_and_capture(
    source: WatchedSource, fresh: list[WatchEntry], report: CheckReport, background: bool
) -> None:
    """Save the new entries and request a capture of each one's URL."""
    to_capture: dict[str, list[WatchEntry]] = {}
    for entry in fresh:
        if not entry.url:
            continue
        try:
            url = capture_service.normalise_url(entry.url)
        except UserError as exc:
            entry.status, entry.error, entry.settled = EntryStatus.FAILED, str(exc), True
            continue
        if len(to_capture) < MAX_CAPTURES_PER_CHECK or url in to_capture:
            to_capture.setdefault(url, []).append(entry)
        else:
            entry.error = f"not captured: more than {MAX_CAPTURES_PER_CHECK} new entries at once"
    with transaction.atomic():
        for entry in fresh:
            entry.save()
        report.new_entries += len(fresh)
        captures: list[Capture] = []
        if to_capture:
            captures = capture_service.request_captures(
                source.case,
                list(to_capture),
                actor=f"{ACTOR}:{source.pk}",
                mode=CAPTURE_MODE,
                background=background,
            )
            for capture in captures:
                for entry in to_capture.get(capture.url, []):
                    entry.capture = capture
                    entry.save(update_fields=["capture"])
        report.captures += len(captures)
    if not background:
        for capture in captures:
            capture_service.run_capture(capture.pk)


# --------------------------------------------------------------------------------- settling


def settle_entries(entries: Iterable[WatchEntry] | None = None) -> int:
    """Extract and match claims for entries whose capture has finished; return how many."""
    query = (
        WatchEntry.objects.filter(settled=False).select_related("source__case", "capture__item")
        if entries is None
        else entries
    )
    count = 0
    for entry in query:
        if settle_entry(entry):
            count += 1
    return count


def settle_entry(entry: WatchEntry) -> bool:
    """Settle one entry when its capture has finished (or it has none); True if settled."""
    capture = entry.capture
    if capture is not None:
        capture.refresh_from_db()
        if not capture.finished:
            return False
    case = entry.source.case
    candidates: list[dict[str, Any]] = []
    if capture is not None and capture.status == CaptureStatus.DONE and capture.item is not None:
        try:
            candidates = [c.proposal for c in propose_claims(capture.item, None)]
        except UserError as exc:
            entry.error = str(exc)
        if entry.status == EntryStatus.NEW:
            entry.status = EntryStatus.CAPTURED
        if capture.unavailable:
            entry.error = f"unavailable at source: {capture.removal}"
    elif capture is not None:
        entry.status = EntryStatus.FAILED
        entry.error = capture.error or f"the capture ended {capture.status}"
    entry.matches = match(case, f"{entry.title}\n{entry.summary}", candidates)
    entry.settled = True
    entry.save()
    return True


def match(case: Case, text: str, proposals: list[dict[str, Any]]) -> dict[str, Any]:
    """The places, actors and incidents of the case named by the entry: the places and actors
    of its candidate claims plus those named in its title and summary (any script, via
    :mod:`vestige.core.names`); the incidents are those at a matched place or with a matched
    actor."""
    places: set[Any] = set()
    actors: set[Any] = set()
    for proposal in proposals:
        places.update(p["id"] for p in proposal.get("places", []) if "id" in p)
        actors.update(a["id"] for a in proposal.get("actors", []) if "id" in a)
    if text.strip():
        places.update(m.id for m in place_index(case).find(text))
        actors.update(m.id for m in actor_index(case).find(text))
    incidents = (
        list(
            Incident.objects.filter(case=case)
            .filter(Q(places__in=places) | Q(actor_links__actor__in=actors))
            .values_list("pk", flat=True)
            .distinct()
        )
        if places or actors
        else []
    )
    return {
        "incidents": sorted(incidents),
        "actors": sorted(actors),
        "places": sorted(places),
        "claims": len(proposals),
    }


# --------------------------------------------------------------------------------- re-checks


def recheck_captures(
    case: Case,
    now: datetime | None = None,
    *,
    older_than: timedelta = RECHECK_AFTER,
    background: bool = False,
    limit: int = MAX_RECHECKS_PER_RUN,
) -> list[Capture]:
    """Capture again each URL captured for a watched entry of ``case`` whose latest capture
    finished before ``now - older_than`` and was not already found gone; the capture app's
    recapture path links the versions and records "unavailable at source" when it is."""
    now = now or timezone.now()
    urls = set(
        WatchEntry.objects.filter(source__case=case, capture__isnull=False).values_list(
            "capture__url", flat=True
        )
    )
    stale: list[str] = []
    for url in sorted(urls):
        latest = Capture.objects.filter(case=case, url=url).order_by("-requested_at").first()
        if latest is None or not latest.finished or latest.unavailable:
            continue
        if latest.finished_at is not None and latest.finished_at <= now - older_than:
            stale.append(url)
        if len(stale) >= limit:
            break
    if not stale:
        return []
    captures = capture_service.request_captures(
        case, stale, actor=f"{ACTOR}:recheck", mode=CAPTURE_MODE, background=background
    )
    if not background:
        captures = [capture_service.run_capture(c.pk) for c in captures]
    return captures
