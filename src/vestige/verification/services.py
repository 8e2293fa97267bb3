"""The review workflow of verification records: create, edit, submit, approve, reject, withdraw.

Rules (the same for the web, the API and commands):

* Writing a record (creating, editing, submitting) needs EDIT or VERIFY in the case: analysts
  geolocate, reviewers check. Only the author edits, submits or withdraws a record (a member
  with MANAGE may also withdraw one).
* Approving or rejecting needs VERIFY, and the reviewer must not be the author: a record counts
  only once a second person has checked it. Rejecting needs a note saying why.
* Editing an approved record sends it back to ``submitted`` and clears the approval: the
  approval was given to the content before the edit, which the history keeps.
"""

from __future__ import annotations

import math
import uuid
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from ..cases.access import require, role_in
from ..cases.graph import Claim
from ..cases.models import Case
from ..cases.roles import Permission, allows
from ..core.edtf import parse_edtf
from ..core.errors import NotFound, PermissionDenied, UserError
from ..evidence.custody import actor_label
from ..evidence.models import Item
from .models import (
    AUTHENTICITY_RESULTS_CHOICES,
    RecordKind,
    RecordStatus,
    VerificationEvent,
    VerificationRecord,
)

MAX_TEXT = 10_000
AUTHENTICITY_RESULTS = tuple(value for value, _ in AUTHENTICITY_RESULTS_CHOICES)
# Which status each action may start from.
EDITABLE = (RecordStatus.DRAFT, RecordStatus.SUBMITTED, RecordStatus.REJECTED,
            RecordStatus.APPROVED)
SUBMITTABLE = (RecordStatus.DRAFT, RecordStatus.REJECTED)
WITHDRAWABLE = (RecordStatus.DRAFT, RecordStatus.SUBMITTED, RecordStatus.REJECTED,
                RecordStatus.APPROVED)


# --------------------------------------------------------------------------- permissions


def may_author(user: Any, case: Case) -> bool:
    """Whether ``user`` may write verification records in ``case`` (EDIT or VERIFY)."""
    role = role_in(user, case)
    return role is not None and (
        allows(role, Permission.EDIT) or allows(role, Permission.VERIFY)
    )


def may_review(user: Any, record: VerificationRecord) -> bool:
    """Whether ``user`` may approve or reject ``record``: VERIFY, and not its author."""
    role = role_in(user, record.case)
    return (
        role is not None
        and allows(role, Permission.VERIFY)
        and record.author_id != getattr(user, "pk", None)
    )


def _require_author_role(user: Any, case: Case) -> None:
    role = role_in(user, case)
    if role is None:
        raise NotFound(f"no case {case.slug!r}")
    if not may_author(user, case):
        raise PermissionDenied(
            f"your role in {case.slug!r} ({role}) does not allow writing verification records "
            "(edit or verify is needed)"
        )


def _require_is_author(user: Any, record: VerificationRecord, what: str) -> None:
    _require_author_role(user, record.case)
    if record.author_id != getattr(user, "pk", None):
        raise PermissionDenied(f"only the author of record #{record.pk} may {what} it")


# --------------------------------------------------------------------------- fields


def _text(fields: dict[str, Any], key: str, required: bool = False) -> str:
    value = str(fields.get(key) or "").strip()
    if required and not value:
        raise UserError(f"{key.replace('_', ' ')} is required")
    if len(value) > MAX_TEXT:
        raise UserError(f"{key.replace('_', ' ')} is longer than {MAX_TEXT} characters")
    return value


def _number(fields: dict[str, Any], key: str, low: float, high: float) -> float:
    raw = fields.get(key)
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise UserError(f"{key} must be a number, not {raw!r}") from exc
    if not math.isfinite(value) or not low <= value <= high:
        raise UserError(f"{key} must lie between {low:g} and {high:g}, not {raw!r}")
    return value


def _item_ids(case: Case, raw: Any, what: str) -> list[str]:
    """Item ids (of this case) from a list or a comma/space separated text."""
    if raw in (None, "", []):
        return []
    values = raw if isinstance(raw, list) else str(raw).replace(",", " ").split()
    ids: list[str] = []
    for value in values:
        try:
            ids.append(str(uuid.UUID(str(value).strip())))
        except ValueError as exc:
            raise UserError(f"{what}: {value!r} is not an item id") from exc
    found = {str(pk) for pk in Item.objects.filter(case=case, pk__in=ids).values_list("pk",
                                                                                      flat=True)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise UserError(f"{what}: no item {missing[0]} in this case")
    return list(dict.fromkeys(ids))


def clean_fields(case: Case, kind: str, fields: dict[str, Any]) -> dict[str, Any]:
    """The kind's fields, checked and normalised; UserError naming the first problem."""
    if kind == RecordKind.GEOLOCATION:
        precision = fields.get("precision_m")
        cleaned: dict[str, Any] = {
            "lat": _number(fields, "lat", -90, 90),
            "lon": _number(fields, "lon", -180, 180),
            "precision_m": (
                None if precision in (None, "") else int(_number(fields, "precision_m", 0, 1e7))
            ),
            "method": _text(fields, "method"),
            "reasoning": _text(fields, "reasoning", required=True),
            "reference_items": _item_ids(case, fields.get("reference_items"),
                                         "reference imagery"),
        }
    elif kind == RecordKind.CHRONOLOCATION:
        date = _text(fields, "date", required=True)
        parse_edtf(date)  # UserError with examples when it is not EDTF
        cleaned = {"date": date, "method": _text(fields, "method"),
                   "reasoning": _text(fields, "reasoning", required=True)}
    elif kind == RecordKind.SOURCE:
        earliest = _text(fields, "earliest_known_copy")
        earliest_item = _item_ids(case, earliest, "earliest known copy") if earliest and not (
            earliest.startswith(("http://", "https://"))) else []
        cleaned = {
            "uploader": _text(fields, "uploader"),
            "platform": _text(fields, "platform"),
            "earliest_known_copy": earliest_item[0] if earliest_item else earliest,
            "earliest_known_copy_is_item": bool(earliest_item),
            "reasoning": _text(fields, "reasoning", required=True),
        }
    elif kind == RecordKind.AUTHENTICITY:
        result = _text(fields, "result", required=True)
        if result not in AUTHENTICITY_RESULTS:
            raise UserError(f"result must be one of {', '.join(AUTHENTICITY_RESULTS)}")
        cleaned = {"check": _text(fields, "check", required=True), "result": result,
                   "reasoning": _text(fields, "reasoning", required=True)}
    else:
        raise UserError(
            f"unknown kind {kind!r}: one of {', '.join(k.value for k in RecordKind)}"
        )
    return cleaned


# --------------------------------------------------------------------------- workflow


def _event(record: VerificationRecord, user: Any, action: str, before: str, note: str = "",
           details: dict[str, Any] | None = None) -> VerificationEvent:
    return VerificationEvent.objects.create(
        record=record, action=action, from_status=before, to_status=record.status,
        user=user if getattr(user, "pk", None) else None, actor_label=actor_label(user),
        note=note, details=details or {},
    )


def create_record(
    case: Case,
    user: Any,
    kind: str,
    fields: dict[str, Any],
    *,
    item: Item | None = None,
    claim: Claim | None = None,
    submit: bool = False,
) -> VerificationRecord:
    """A new record by ``user`` about an item or a claim of ``case`` (draft, or submitted)."""
    _require_author_role(user, case)
    if item is None and claim is None:
        raise UserError("a verification record is about an item or a claim: name one")
    if item is not None and item.case_id != case.pk:
        raise NotFound("no such item in this case")
    if claim is not None and claim.case_id != case.pk:
        raise NotFound("no such claim in this case")
    cleaned = clean_fields(case, kind, fields)
    with transaction.atomic():
        record = VerificationRecord.objects.create(
            case=case, kind=kind, item=item, claim=claim, author=user,
            author_label=actor_label(user), fields=cleaned, status=RecordStatus.DRAFT,
        )
        _event(record, user, "created", "", details={"fields": cleaned})
        if submit:
            _set_status(record, user, "submitted", RecordStatus.SUBMITTED)
    return record


def _set_status(record: VerificationRecord, user: Any, action: str, status: str,
                note: str = "") -> VerificationRecord:
    before = record.status
    record.status = status
    record.save(update_fields=["status", "updated_at"])
    _event(record, user, action, before, note)
    return record


def _locked(record: VerificationRecord) -> VerificationRecord:
    """The record re-read under a row lock, so two reviewers cannot both act on one state."""
    return VerificationRecord.objects.select_for_update().select_related("case").get(pk=record.pk)


def edit_record(
    record: VerificationRecord, user: Any, fields: dict[str, Any]
) -> VerificationRecord:
    """Change the record's fields (author only). An approved record goes back to review."""
    _require_is_author(user, record, "edit")
    with transaction.atomic():
        record = _locked(record)
        if record.status not in EDITABLE:
            raise UserError(f"a {record.status} record cannot be edited")
        cleaned = clean_fields(record.case, record.kind, fields)
        if cleaned == record.fields:
            return record
        before_status, before_fields = record.status, record.fields
        record.fields = cleaned
        record.version += 1
        note = ""
        if before_status == RecordStatus.APPROVED:
            note = (f"approval by {record.reviewed_by_label} reset: the record changed after it "
                    "was approved")
            record.status = RecordStatus.SUBMITTED
            record.reviewed_by, record.reviewed_by_label = None, ""
            record.reviewed_at, record.review_note = None, ""
        record.save()
        _event(record, user, "edited", before_status, note,
               {"version": record.version, "before": before_fields, "after": cleaned})
    return record


def submit(record: VerificationRecord, user: Any) -> VerificationRecord:
    """Send a draft (or a rejected record, after changes) for review."""
    _require_is_author(user, record, "submit")
    with transaction.atomic():
        record = _locked(record)
        if record.status not in SUBMITTABLE:
            raise UserError(f"only a draft or rejected record can be submitted, not a "
                            f"{record.status} one")
        return _set_status(record, user, "submitted", RecordStatus.SUBMITTED)


def _review(record: VerificationRecord, user: Any, status: str, action: str,
            note: str) -> VerificationRecord:
    require(user, record.case, Permission.VERIFY)
    if record.author_id == getattr(user, "pk", None):
        raise PermissionDenied(
            f"you wrote record #{record.pk}: it counts only once a second reviewer, who is not "
            "its author, checks it"
        )
    with transaction.atomic():
        record = _locked(record)
        if record.status != RecordStatus.SUBMITTED:
            raise UserError(f"only a submitted record can be reviewed; #{record.pk} is "
                            f"{record.status}")
        before = record.status
        record.status = status
        record.reviewed_by, record.reviewed_by_label = user, actor_label(user)
        record.reviewed_at, record.review_note = timezone.now(), note
        record.save()
        _event(record, user, action, before, note, {"version": record.version})
    return record


def approve(record: VerificationRecord, user: Any, note: str = "") -> VerificationRecord:
    """Approve a submitted record: VERIFY, and never by its author."""
    return _review(record, user, RecordStatus.APPROVED, "approved", note.strip()[:MAX_TEXT])


def reject(record: VerificationRecord, user: Any, note: str) -> VerificationRecord:
    """Reject a submitted record, saying why (the author may change it and submit again)."""
    note = (note or "").strip()
    if not note:
        raise UserError("say why the record is rejected: a note is required")
    return _review(record, user, RecordStatus.REJECTED, "rejected", note[:MAX_TEXT])


def withdraw(record: VerificationRecord, user: Any, note: str = "") -> VerificationRecord:
    """Take a record out of consideration for good (its author, or a member with MANAGE)."""
    role = role_in(user, record.case)
    if role is None:
        raise NotFound(f"no case {record.case.slug!r}")
    if record.author_id != getattr(user, "pk", None) and not allows(role, Permission.MANAGE):
        raise PermissionDenied(f"only the author of record #{record.pk} or a case manager may "
                               "withdraw it")
    with transaction.atomic():
        record = _locked(record)
        if record.status not in WITHDRAWABLE:
            raise UserError(f"record #{record.pk} is already {record.status}")
        return _set_status(record, user, "withdrawn", RecordStatus.WITHDRAWN,
                           (note or "").strip()[:MAX_TEXT])


def approved_records(
    *, item: Item | None = None, claim: Claim | None = None
) -> QuerySet[VerificationRecord]:
    """The records that count for an item or a claim: approved ones only."""
    if (item is None) == (claim is None):
        raise ValueError("name exactly one of item= or claim=")
    records = VerificationRecord.objects.filter(status=RecordStatus.APPROVED)
    return records.filter(item=item) if item is not None else records.filter(claim=claim)
