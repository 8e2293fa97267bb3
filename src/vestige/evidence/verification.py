"""Verification: re-hash every blob, check every case's custody chain and signatures.

Every problem names exactly what is wrong: which item or event, what was expected, what was
found. A case that checks clean gets a ``verified`` custody event; a broken chain gets none, so
that an appended event can never paper over a removed one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from ..cases.models import Case
from ..core.blobstore import LocalBlobStore
from ..core.custody import EventRecord, check_chain
from ..core.errors import NotFound
from .custody import record_event
from .keys import instance_key
from .models import CustodyEvent, CustodyHead, Derivative, Item


@dataclass
class Problem:
    case: str
    subject: str  # "item <id>", "custody event #n", "derivative …"
    message: str

    def __str__(self) -> str:
        return f"[{self.case}] {self.subject}: {self.message}"


@dataclass
class CaseReport:
    case: str
    items: int = 0
    blobs: int = 0
    bytes: int = 0
    events: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class VerifyReport:
    cases: list[CaseReport] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.cases)

    @property
    def problems(self) -> list[Problem]:
        return [p for c in self.cases for p in c.problems]

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "cases": [
                {
                    "case": c.case,
                    "ok": c.ok,
                    "items": c.items,
                    "blobs": c.blobs,
                    "bytes": c.bytes,
                    "events": c.events,
                    "problems": [{"subject": p.subject, "message": p.message} for p in c.problems],
                }
                for c in self.cases
            ],
        }


BlobProgress = Callable[[int], None]


class Verifier:
    """Checks cases; blobs shared between cases are hashed once per run."""

    def __init__(self, on_bytes: BlobProgress | None = None) -> None:
        self.store = LocalBlobStore(settings.BLOB_ROOT, fsync=False)
        self.on_bytes = on_bytes
        self._hashed: dict[str, str | None] = {}

    def _rehash(self, sha256: str) -> str | None:
        if sha256 not in self._hashed:
            try:
                found: str | None = self.store.verify(sha256)
                if self.on_bytes:
                    self.on_bytes(self.store.size(sha256))
            except NotFound:
                found = None
            self._hashed[sha256] = found
        return self._hashed[sha256]

    def check_blob(self, report: CaseReport, subject: str, sha256: str, size: int) -> None:
        report.blobs += 1
        found = self._rehash(sha256)
        if found is None:
            report.problems.append(
                Problem(report.case, subject, f"blob {sha256} is missing from the store")
            )
        elif found != sha256:
            report.problems.append(
                Problem(
                    report.case,
                    subject,
                    f"bytes changed: expected SHA-256 {sha256}, found {found}",
                )
            )
        else:
            report.bytes += size
            stored = self.store.size(sha256)
            if stored != size:
                report.problems.append(
                    Problem(report.case, subject, f"size recorded {size}, stored {stored}")
                )

    def verify_case(self, case: Case, actor: str, record: bool = True) -> CaseReport:
        report = CaseReport(case.slug)
        items = Item.objects.filter(case=case).order_by("captured_at", "id")
        for item in items.iterator():
            report.items += 1
            self.check_blob(report, f"item {item.pk} ({item.title})", item.sha256, item.size)
        derivatives = Derivative.objects.filter(item__case=case).order_by("id")
        for derivative in derivatives.iterator():
            self.check_blob(
                report,
                f"{derivative.kind} derivative of item {derivative.item_id}",
                derivative.sha256,
                derivative.size,
            )
        self.check_custody(case, report)
        if report.ok and record:
            record_event(
                case,
                "verified",
                actor=actor,
                details={
                    "items": report.items,
                    "blobs": report.blobs,
                    "bytes": report.bytes,
                    "events": report.events,
                },
            )
        return report

    def check_custody(self, case: Case, report: CaseReport) -> None:
        events = list(CustodyEvent.objects.filter(case=case).order_by("seq", "id"))
        records: list[EventRecord] = []
        labels: list[str] = []
        for event in events:
            record = event.record()
            if "<undecodable>" in record.details:
                report.problems.append(
                    Problem(
                        case.slug,
                        f"custody event #{event.seq} (row {event.pk})",
                        "details are not valid JSON: the row was edited",
                    )
                )
            records.append(record)
            labels.append(f"row {event.pk}, {event.action}")
        report.events = len(records)
        head = CustodyHead.objects.filter(case=case).first()
        expected = (head.seq, head.event_hash) if head else (0, "0" * 64)
        chain = check_chain(
            records,
            instance_key().public,
            expected_head=expected,
            row_label=lambda _event, index: labels[index],
        )
        report.problems.extend(
            Problem(
                case.slug,
                f"custody event #{p.seq} ({p.row})" if p.seq is not None else "custody log",
                p.message,
            )
            for p in chain.problems
        )
        # Every item must have its bytes on record in the log, with the same hash.
        logged: dict[str, set[str]] = {}
        for event in events:
            if event.item_id:
                logged.setdefault(str(event.item_id), set()).add(event.item_sha256)
        for item_id, sha256 in Item.objects.filter(case=case).values_list("id", "sha256"):
            hashes = logged.get(str(item_id))
            if not hashes:
                report.problems.append(
                    Problem(case.slug, f"item {item_id}", "has no custody record")
                )
            elif hashes != {sha256}:
                report.problems.append(
                    Problem(
                        case.slug,
                        f"item {item_id}",
                        f"its recorded hash {sha256} differs from the custody log's "
                        f"{', '.join(sorted(hashes))}",
                    )
                )


def verify_cases(
    cases: Iterable[Case], actor: str, on_bytes: BlobProgress | None = None, record: bool = True
) -> VerifyReport:
    """Verify each case and return the full report."""
    verifier = Verifier(on_bytes)
    report = VerifyReport()
    for case in cases:
        report.cases.append(verifier.verify_case(case, actor, record=record))
    return report


def orphan_blobs() -> list[str]:
    """Blobs in the store that no item or derivative refers to (e.g. after a crash)."""
    store = LocalBlobStore(settings.BLOB_ROOT, fsync=False)
    referenced = set(Item.objects.values_list("sha256", flat=True))
    referenced |= set(Derivative.objects.values_list("sha256", flat=True))
    return sorted(h for h in store.iter_hashes() if h not in referenced)
