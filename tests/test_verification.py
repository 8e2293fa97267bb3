"""Verification records: an author writes, a second member with VERIFY approves; viewers and
outsiders cannot; every step is kept in the record's history."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from vestige.cases.graph import Claim
from vestige.cases.services import set_member
from vestige.core.errors import PermissionDenied, UserError
from vestige.evidence.importing import Importer
from vestige.evidence.models import Item
from vestige.verification import services
from vestige.verification.models import RecordStatus, VerificationEvent, VerificationRecord

pytestmark = pytest.mark.django_db

GEO = {"lat": "39.7617", "lon": "46.7486", "precision_m": "50", "method": "skyline match",
       "reasoning": "church dome and ridge line match the reference photo"}


@pytest.fixture
def people(case: Any, django_user_model: Any) -> dict[str, Any]:
    made = {}
    for name, role in (("rita", "reviewer"), ("ana", "analyst"), ("vic", "viewer")):
        made[name] = django_user_model.objects.create_user(username=name, password="pw-12345678")
        set_member(case.slug, name, role)
    return made


@pytest.fixture
def item(case: Any, make_files: Any) -> Item:
    Importer(case, actor="tester", workers=1).run([make_files({"report.txt": b"shelling at 10"})])
    return Item.objects.get(case=case)


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_author_cannot_approve_second_reviewer_can(case: Any, user: Any, people: dict[str, Any],
                                                    item: Item) -> None:
    record = services.create_record(case, people["ana"], "geolocation", GEO, item=item,
                                    submit=True)
    assert record.status == RecordStatus.SUBMITTED
    assert not services.approved_records(item=item).exists()
    # The analyst has no VERIFY; the owner has, but approving needs someone other than the author.
    with pytest.raises(PermissionDenied, match="verify"):
        services.approve(record, people["ana"])
    own = services.create_record(case, user, "chronolocation",
                                 {"date": "2023-09-19", "reasoning": "shadows"}, item=item,
                                 submit=True)
    with pytest.raises(PermissionDenied, match="second reviewer"):
        services.approve(own, user)
    services.approve(record, people["rita"], "checked the ridge")
    record.refresh_from_db()
    assert record.status == RecordStatus.APPROVED and record.reviewed_by == people["rita"]
    assert list(services.approved_records(item=item)) == [record]
    # Editing an approved record sends it back to review; the history keeps the old fields.
    services.edit_record(record, people["ana"], {**GEO, "precision_m": "20"})
    record.refresh_from_db()
    assert record.status == RecordStatus.SUBMITTED and record.reviewed_by is None
    assert record.version == 2
    assert not services.approved_records(item=item).exists()
    actions = list(record.events.values_list("action", "from_status", "to_status"))
    assert actions == [("created", "", "draft"), ("submitted", "draft", "submitted"),
                       ("approved", "submitted", "approved"), ("edited", "approved", "submitted")]
    edit = record.events.get(action="edited")
    assert edit.details["before"]["precision_m"] == 50
    assert edit.details["after"]["precision_m"] == 20


def test_rules_of_the_workflow(case: Any, user: Any, people: dict[str, Any], item: Item) -> None:
    with pytest.raises(PermissionDenied, match="does not allow writing"):
        services.create_record(case, people["vic"], "geolocation", GEO, item=item)
    with pytest.raises(UserError, match="lat must lie between"):
        services.create_record(case, user, "geolocation", {**GEO, "lat": "123"}, item=item)
    with pytest.raises(UserError, match="not an EDTF date"):
        services.create_record(case, user, "chronolocation",
                               {"date": "19 Sept", "reasoning": "x"}, item=item)
    with pytest.raises(UserError, match="reference imagery"):
        services.create_record(case, user, "geolocation",
                               {**GEO, "reference_items": ["0" * 32]}, item=item)
    record = services.create_record(case, user, "source",
                                    {"uploader": "@someone", "reasoning": "first post",
                                     "earliest_known_copy": str(item.pk)}, item=item)
    assert record.status == RecordStatus.DRAFT
    assert record.fields["earliest_known_copy_is_item"] is True
    with pytest.raises(UserError, match="only a submitted record"):
        services.approve(record, people["rita"])
    with pytest.raises(PermissionDenied, match="only the author"):
        services.submit(record, people["ana"])
    services.submit(record, user)
    with pytest.raises(UserError, match="note is required"):
        services.reject(record, people["rita"], "  ")
    services.reject(record, people["rita"], "the account was created later")
    services.submit(record, user)  # resubmitted after rejection
    services.withdraw(record, user, "superseded")
    record.refresh_from_db()
    assert record.status == RecordStatus.WITHDRAWN
    assert [e.action for e in record.events.all()] == [
        "created", "submitted", "rejected", "submitted", "withdrawn"]
    with pytest.raises(Exception, match="cannot be changed"):
        event = record.events.first()
        assert event is not None
        event.note = "rewritten"
        event.save()
    assert VerificationEvent.objects.filter(note="rewritten").count() == 0


def test_claim_records_count_only_when_approved(case: Any, user: Any, people: dict[str, Any],
                                                item: Item) -> None:
    claim = Claim.objects.create(case=case, item=item, text="shelling at 10")
    record = services.create_record(case, people["rita"], "authenticity",
                                    {"check": "error level analysis", "result": "authentic",
                                     "reasoning": "uniform"}, claim=claim, submit=True)
    assert not services.approved_records(claim=claim).exists()
    services.approve(record, user)
    assert list(services.approved_records(claim=claim)) == [record]
    assert not services.approved_records(item=item).exists()


def test_web_workflow(case: Any, user: Any, people: dict[str, Any], item: Item,
                      outsider: Any) -> None:
    page = f"/cases/{case.slug}/items/{item.pk}/"
    ana = _client(people["ana"])
    response = ana.post(f"{page}verification/new", {"kind": "geolocation", **GEO}, follow=True)
    assert response.status_code == 200
    record = VerificationRecord.objects.get(case=case)
    assert record.author == people["ana"] and record.status == RecordStatus.SUBMITTED
    assert f'data-record="{record.pk}" data-status="submitted"' in response.content.decode()
    action = f"/cases/{case.slug}/verification/{record.pk}/"
    # The viewer sees the record but may neither write nor approve.
    viewer = _client(people["vic"])
    shown = viewer.get(page).content.decode()
    assert "skyline match" in shown and "Approve</button>" not in shown
    assert viewer.post(f"{action}approve").status_code == 403
    assert viewer.post(f"{page}verification/new", {"kind": "geolocation", **GEO}).status_code \
        == 403
    # An outsider learns nothing.
    assert _client(outsider).post(f"{action}approve").status_code == 404
    assert _client(outsider).get(page).status_code == 404
    # The author is told why they cannot approve their own record.
    owner = _client(user)
    own = owner.post(f"{page}verification/new",
                     {"kind": "chronolocation", "date": "2023-09", "reasoning": "foliage"},
                     follow=True)
    mine = VerificationRecord.objects.get(case=case, author=user)
    refused = owner.post(f"/cases/{case.slug}/verification/{mine.pk}/approve", follow=True)
    assert "not its author" in refused.content.decode()
    mine.refresh_from_db()
    assert mine.status == RecordStatus.SUBMITTED
    assert own.status_code == 200
    # The reviewer sees the buttons and approves.
    reviewer = _client(people["rita"])
    assert "Approve</button>" in reviewer.get(page).content.decode()
    done = reviewer.post(f"{action}approve", {"note": "ok"}, follow=True).content.decode()
    assert f'data-record="{record.pk}" data-status="approved"' in done
    assert "approved" in done and "History (3)" in done
    # Rejecting needs a note.
    refused = reviewer.post(f"/cases/{case.slug}/verification/{mine.pk}/reject",
                            {"note": ""}, follow=True)
    assert "note is required" in refused.content.decode()


def test_claim_page(case: Any, user: Any, people: dict[str, Any], item: Item,
                    outsider: Any) -> None:
    claim = Claim.objects.create(case=case, item=item, text="shelling at 10")
    url = f"/cases/{case.slug}/claims/{claim.pk}/verification/"
    assert _client(outsider).get(url).status_code == 404
    assert _client(people["vic"]).get(url).status_code == 200
    reviewer = _client(people["rita"])
    reviewer.post(f"{url}new", {"kind": "source", "uploader": "@x", "platform": "Telegram",
                                "reasoning": "channel history"})
    record = VerificationRecord.objects.get(claim=claim)
    assert record.author == people["rita"]
    body = _client(user).get(url).content.decode()
    assert "Telegram" in body and "Approve</button>" in body
    assert "Approve</button>" not in reviewer.get(url).content.decode()  # the author's own
