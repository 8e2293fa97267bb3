"""Appending to a case's custody log: hash-chained, signed, one writer at a time."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import transaction

from ..cases.models import Case
from ..core.custody import ACTIONS, EventRecord, canonical_json
from .keys import instance_key
from .models import CustodyEvent, CustodyHead, Item


def actor_label(user: Any) -> str:
    """How a user is named in the custody log."""
    if user is None or not getattr(user, "is_authenticated", False):
        return "system"
    return str(user.get_username())


def utc_timestamp(moment: datetime | None = None) -> str:
    """An exact UTC time in ISO 8601 with microseconds, as stored and hashed."""
    moment = moment or datetime.now(UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class PendingEvent:
    """An event waiting to be appended (see :func:`append_events`)."""

    action: str
    item: Item | None = None
    details: dict[str, Any] = field(default_factory=dict)


def record_event(
    case: Case,
    action: str,
    *,
    item: Item | None = None,
    actor: str,
    user: Any = None,
    details: dict[str, Any] | None = None,
) -> CustodyEvent:
    """Append one event to ``case``'s custody log and return it."""
    return append_events(case, [PendingEvent(action, item, details or {})], actor=actor, user=user)[
        0
    ]


def append_events(
    case: Case, pending: list[PendingEvent], *, actor: str, user: Any = None
) -> list[CustodyEvent]:
    """Append events to ``case``'s custody log, in order, and return them.

    Runs in a transaction that locks the case's head row, so concurrent writers (several
    workers on PostgreSQL) append one after another and the chain never forks. The events are
    inserted together, which is what makes large imports fast.
    """
    for entry in pending:
        if entry.action not in ACTIONS:
            raise ValueError(f"unknown custody action {entry.action!r}")
    if not pending:
        return []
    key = instance_key()
    account = user if getattr(user, "is_authenticated", False) else None
    events: list[CustodyEvent] = []
    with transaction.atomic():
        head, _ = CustodyHead.objects.select_for_update().get_or_create(case=case)
        seq, previous = head.seq, head.event_hash
        for entry in pending:
            seq += 1
            item = entry.item
            record = EventRecord(
                case=case.slug,
                seq=seq,
                action=entry.action,
                timestamp=utc_timestamp(),
                actor=actor,
                item_id=str(item.pk) if item else None,
                item_sha256=item.sha256 if item else None,
                details=entry.details,
                prev_hash=previous,
            )
            previous = record.compute_hash()
            events.append(
                CustodyEvent(
                    case=case,
                    seq=seq,
                    action=entry.action,
                    timestamp=record.timestamp,
                    actor=actor,
                    user=account,
                    item=item,
                    item_sha256=item.sha256 if item else "",
                    # Canonical JSON, so the stored text is exactly what was hashed.
                    details=canonical_json(entry.details).decode("utf-8"),
                    prev_hash=record.prev_hash,
                    event_hash=previous,
                    signature=key.sign(previous.encode("ascii")),
                    key_id=key.key_id,
                )
            )
        CustodyEvent.objects.bulk_create(events)
        head.seq, head.event_hash = seq, previous
        head.save(update_fields=["seq", "event_hash"])
    return events
