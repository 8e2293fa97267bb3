"""The custody log: signed, hash-chained, and append-only through the ORM."""

from __future__ import annotations

from typing import Any

import pytest

from vestige.core.custody import GENESIS_HASH, check_chain
from vestige.core.errors import ImmutableRecordError
from vestige.evidence.custody import record_event
from vestige.evidence.keys import instance_key
from vestige.evidence.models import CustodyEvent, CustodyHead

pytestmark = pytest.mark.django_db


def _events(case: Any, n: int) -> list[CustodyEvent]:
    return [record_event(case, "verified", actor="tester", details={"n": i}) for i in range(n)]


def test_events_link_and_sign(case: Any) -> None:
    events = _events(case, 3)
    assert [e.seq for e in events] == [1, 2, 3]
    assert events[0].prev_hash == GENESIS_HASH
    assert events[1].prev_hash == events[0].event_hash
    assert events[2].prev_hash == events[1].event_hash
    head = CustodyHead.objects.get(case=case)
    assert (head.seq, head.event_hash) == (3, events[2].event_hash)
    stored = [e.record() for e in CustodyEvent.objects.filter(case=case).order_by("seq")]
    report = check_chain(stored, instance_key().public, expected_head=(3, head.event_hash))
    assert report.ok, report.problems
    assert report.checked == 3


def test_orm_refuses_to_change_an_event(case: Any) -> None:
    event = _events(case, 1)[0]
    event.actor = "someone else"
    with pytest.raises(ImmutableRecordError):
        event.save()
    with pytest.raises(ImmutableRecordError):
        event.delete()
    with pytest.raises(ImmutableRecordError):
        CustodyEvent.objects.filter(case=case).update(actor="x")
    with pytest.raises(ImmutableRecordError):
        CustodyEvent.objects.filter(case=case).delete()
    assert CustodyEvent.objects.get(pk=event.pk).actor == "tester"


def test_unknown_actions_are_refused(case: Any) -> None:
    with pytest.raises(ValueError, match="unknown custody action"):
        record_event(case, "tampered", actor="x")


def test_chains_are_per_case(case: Any, user: Any) -> None:
    from vestige.cases.services import create_case

    other = create_case("other-case", "Other", owner=user)
    _events(case, 2)
    event = record_event(other, "verified", actor="t")
    assert event.seq == 1
    assert event.prev_hash == GENESIS_HASH


def test_checker_names_a_changed_event(case: Any) -> None:
    from dataclasses import replace

    records = [e.record() for e in _events(case, 3)]
    records[1] = replace(records[1], actor="forger")
    report = check_chain(records, instance_key().public)
    assert not report.ok
    assert any(p.seq == 2 and "contents changed" in p.message for p in report.problems)
