"""Appending to a case's custody log: hash-chained, signed, one writer at a time."""

from __future__ import annotations

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


def record_event(
    case: Case,
    action: str,
    *,
    item: Item | None = None,
    actor: str,
    user: Any = None,
    details: dict[str, Any] | None = None,
) -> CustodyEvent:
    """Append one event to ``case``'s custody log and return it.

    Runs in a transaction that locks the case's head row, so concurrent writers (several
    workers on PostgreSQL) append one after another and the chain never forks.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown custody action {action!r}")
    key = instance_key()
    details = details or {}
    # Round-trip through canonical JSON so the stored text is exactly what was hashed.
    details_text = canonical_json(details).decode("utf-8")
    with transaction.atomic():
        head, _ = CustodyHead.objects.select_for_update().get_or_create(case=case)
        record = EventRecord(
            case=case.slug,
            seq=head.seq + 1,
            action=action,
            timestamp=utc_timestamp(),
            actor=actor,
            item_id=str(item.pk) if item else None,
            item_sha256=item.sha256 if item else None,
            details=details,
            prev_hash=head.event_hash,
        )
        event_hash = record.compute_hash()
        event = CustodyEvent(
            case=case,
            seq=record.seq,
            action=action,
            timestamp=record.timestamp,
            actor=actor,
            user=user if getattr(user, "is_authenticated", False) else None,
            item=item,
            item_sha256=item.sha256 if item else "",
            details=details_text,
            prev_hash=record.prev_hash,
            event_hash=event_hash,
            signature=key.sign(event_hash.encode("ascii")),
            key_id=key.key_id,
        )
        event.save()
        head.seq = record.seq
        head.event_hash = event_hash
        head.save(update_fields=["seq", "event_hash"])
    return event
