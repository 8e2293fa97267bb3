"""The custody chain: how an event is serialised, hashed, linked and signed.

Each event's hash is the SHA-256 of a canonical JSON document of its fields, including the hash
of the event before it in the same case. The signature is an Ed25519 signature over that hash
(as ASCII hex), so an outsider can check an event with the public key and any JSON library.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from .signing import verify_signature

GENESIS_HASH = "0" * 64

ACTIONS = (
    "captured",
    "imported",
    "duplicate_imported",
    "viewed",
    "downloaded",
    "exported",
    "verified",
    "derived",
    "redacted",
    "transferred",
    "restricted",  # access narrowed (e.g. testimony linked to a protected person)
)


def canonical_json(document: Any) -> bytes:
    """JSON with sorted keys, no spaces and UTF-8: the same bytes for the same document."""
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


@dataclass(frozen=True)
class EventRecord:
    """One custody event as it is hashed, stored and exported."""

    case: str
    seq: int
    action: str
    timestamp: str
    actor: str
    item_id: str | None
    item_sha256: str | None
    details: dict[str, Any]
    prev_hash: str
    event_hash: str = ""
    signature: str = ""
    key_id: str = ""

    def hashed_fields(self) -> dict[str, Any]:
        """The fields covered by the hash (everything but the hash, signature and key id)."""
        return {
            "case": self.case,
            "seq": self.seq,
            "action": self.action,
            "timestamp": self.timestamp,
            "actor": self.actor,
            "item_id": self.item_id,
            "item_sha256": self.item_sha256,
            "details": self.details,
            "prev_hash": self.prev_hash,
        }

    def compute_hash(self) -> str:
        return hashlib.sha256(canonical_json(self.hashed_fields())).hexdigest()

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.hashed_fields(),
            "event_hash": self.event_hash,
            "signature": self.signature,
            "key_id": self.key_id,
        }


@dataclass
class ChainProblem:
    """One thing wrong with a chain, named precisely enough to find it."""

    seq: int | None
    row: str
    message: str

    def __str__(self) -> str:
        where = f"custody event #{self.seq}" if self.seq is not None else "custody log"
        return f"{where} ({self.row}): {self.message}"


@dataclass
class ChainReport:
    """The outcome of checking one chain."""

    checked: int = 0
    problems: list[ChainProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_chain(
    events: Sequence[EventRecord] | Iterable[EventRecord],
    public_key: Ed25519PublicKey,
    expected_head: tuple[int, str] | None = None,
    row_label: Any = None,
) -> ChainReport:
    """Check hashes, links, sequence numbers and signatures of one case's events, in stored order.

    ``expected_head`` is the (seq, hash) that the chain's head record says is last; it catches
    events removed from the end. ``row_label`` names a row for messages (e.g. its database id).
    """
    report = ChainReport()
    previous_hash = GENESIS_HASH
    expected_seq = 1
    last: EventRecord | None = None
    for index, event in enumerate(events):
        label = row_label(event, index) if row_label else f"position {index + 1}"
        report.checked += 1
        if event.seq != expected_seq:
            report.problems.append(
                ChainProblem(
                    event.seq,
                    label,
                    f"sequence number is {event.seq} where {expected_seq} was expected "
                    "(an event was removed, inserted or moved)",
                )
            )
        recomputed = event.compute_hash()
        if recomputed != event.event_hash:
            report.problems.append(
                ChainProblem(
                    event.seq,
                    label,
                    f"contents changed: stored hash {event.event_hash[:16]}… but the fields "
                    f"hash to {recomputed[:16]}…",
                )
            )
        if event.prev_hash != previous_hash:
            report.problems.append(
                ChainProblem(
                    event.seq,
                    label,
                    f"link broken: previous-event hash is {event.prev_hash[:16]}… but the "
                    f"event before it hashes to {previous_hash[:16]}…",
                )
            )
        if not verify_signature(public_key, event.event_hash.encode("ascii"), event.signature):
            report.problems.append(
                ChainProblem(event.seq, label, "signature does not verify with the instance key")
            )
        previous_hash = event.event_hash
        expected_seq = event.seq + 1
        last = event
    if expected_head is not None:
        head_seq, head_hash = expected_head
        if last is None and head_seq:
            report.problems.append(
                ChainProblem(None, "head", f"the log is empty but its head says {head_seq} events")
            )
        elif last is not None and (last.seq, last.event_hash) != (head_seq, head_hash):
            report.problems.append(
                ChainProblem(
                    last.seq,
                    "head",
                    f"the last event is #{last.seq} ({last.event_hash[:16]}…) but the recorded "
                    f"head is #{head_seq} ({head_hash[:16]}…): events were removed from the end",
                )
            )
    return report
