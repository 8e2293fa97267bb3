"""API endpoints for cases, items and import.

Every endpoint takes the case from :func:`vestige.cases.access.case_for` with the permission the
action needs: a non-member gets 404 exactly as for a case that does not exist, a member whose
role does not allow the action gets 403. Callers authenticate with the Django session (unsafe
methods then need the CSRF token) or with ``Authorization: Bearer TOKEN`` (see
``vestige token create``).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Count
from django.http import HttpRequest, StreamingHttpResponse
from django.utils.http import content_disposition_header
from ninja import Field, File, Form, Query, Router, Schema, Status, UploadedFile
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer, django_auth

from ..cases.access import case_for
from ..cases.models import Case, Membership
from ..cases.roles import Permission
from ..core.blobstore import LocalBlobStore
from ..core.errors import NotFound, UserError
from .bundles import safe_file_name
from .custody import actor_label, record_event
from .importing import FileOutcome
from .models import CustodyEvent, Item
from .tokens import user_for_token
from .uploads import import_uploads


class TokenAuth(HttpBearer):
    """``Authorization: Bearer TOKEN``, matched by the token's SHA-256."""

    def __call__(self, request: HttpRequest) -> Any | None:
        """Like ninja's, but never logs the header (ninja does in DEBUG for other schemes)."""
        scheme, _, token = request.headers.get(self.header, "").partition(" ")
        if scheme.lower() != self.openapi_scheme:
            return None
        return self.authenticate(request, token)

    def authenticate(self, request: HttpRequest, token: str) -> Any | None:
        """The token's account; a token that matches nothing is refused outright (401)."""
        account = user_for_token(token.strip())
        if account is None:
            # Refuse here rather than fall through to the session check, so that a wrong token
            # is always a 401 and never masked by a CSRF or session answer.
            raise AuthenticationError()
        return account


# The bearer check comes first: it does nothing without an Authorization header, and token
# callers must not be asked for a CSRF token.
router = Router(tags=["evidence"], auth=[TokenAuth(), django_auth])


# ----------------------------------------------------------------------------------- schemas


class ErrorOut(Schema):
    """Every error: one human-readable sentence."""

    detail: str


class CaseOut(Schema):
    """A case the caller is a member of."""

    slug: str
    title: str
    description: str
    role: str = Field(description="the caller's role in the case")
    items_count: int = Field(description="number of items in the case")
    created_at: datetime


class ItemOut(Schema):
    """An item as listed."""

    id: uuid.UUID
    kind: str
    title: str
    sha256: str
    size: int
    media_type: str
    captured_at: datetime
    claimed_date: str
    content_created_at: str
    graphic: bool
    sensitivity: str


class ItemPage(Schema):
    """One page of a case's items."""

    total: int = Field(description="number of items matching the filters, over all pages")
    limit: int
    offset: int
    items: list[ItemOut]


class DerivativeOut(Schema):
    """A file made from an item, with the tool that made it."""

    kind: str
    sha256: str
    size: int
    media_type: str
    tool: str


class ItemDetailOut(ItemOut):
    """One item in full."""

    case: str = Field(description="slug of the item's case")
    parent_id: uuid.UUID | None
    description: str
    source_name: str
    source_url: str
    source_channel: str
    source_uploader: str
    captured_by: str = Field(description="who collected it")
    capture_tool: str
    capture_tool_version: str
    language: str
    note: str
    metadata: dict[str, Any]
    warnings: list[Any]
    errors: list[Any]
    derivatives: list[DerivativeOut]


class CustodyEventOut(Schema):
    """One entry of the custody log, with what is needed to check its hash and signature."""

    seq: int
    action: str
    timestamp: str
    actor: str
    details: dict[str, Any]
    event_hash: str
    prev_hash: str
    signature: str
    key_id: str


class ItemQuery(Schema):
    """Filters and paging for the item list."""

    kind: str | None = Field(None, description="only items of this kind, e.g. image")
    media_type: str | None = Field(
        None, description="only items whose media type starts with this, e.g. image/ or video/mp4"
    )
    limit: int = Field(50, ge=1, le=200, description="at most this many items (1–200)")
    offset: int = Field(0, ge=0, description="skip this many items")


class OutcomeOut(Schema):
    """What happened to one uploaded file."""

    path: str = Field(description="the uploaded file's name")
    status: str = Field(description="imported, duplicate, skipped, refused or failed")
    item_id: str | None
    message: str
    sha256: str | None
    media_type: str | None
    warnings: list[str]
    errors: list[str]


# ----------------------------------------------------------------------------------- helpers


def _user(request: HttpRequest) -> Any:
    """The authenticated account, whichever way it authenticated."""
    return request.auth  # type: ignore[attr-defined]


def _item(case: Case, item_id: str, user: Any) -> Item:
    """The item ``item_id`` of ``case``; NotFound for a malformed id, an item elsewhere, or
    testimony linked to a protected person that ``user`` may not open (its existence hidden)."""
    from ..protection.access import can_open_item

    try:
        key = uuid.UUID(item_id)
    except ValueError as exc:
        raise NotFound(f"no item {item_id!r}") from exc
    item = Item.objects.filter(case=case, pk=key).first()
    if item is None or not can_open_item(user, item):
        raise NotFound(f"no item {item_id!r} in case {case.slug!r}")
    return item


def _case_out(case: Case, role: str, items_count: int) -> CaseOut:
    return CaseOut(
        slug=case.slug, title=case.title, description=case.description, role=role,
        items_count=items_count, created_at=case.created_at,
    )


def _item_fields(item: Item) -> dict[str, Any]:
    return {
        "id": item.pk, "kind": item.kind, "title": item.title, "sha256": item.sha256,
        "size": item.size, "media_type": item.media_type, "captured_at": item.captured_at,
        "claimed_date": item.claimed_date, "content_created_at": item.content_created_at,
        "graphic": item.graphic, "sensitivity": item.sensitivity,
    }


def _errors_as_text(errors: list[Any]) -> list[str]:
    out = []
    for error in errors:
        if isinstance(error, dict) and "stage" in error:
            out.append(f"{error['stage']}: {error.get('error', '')}")
        else:
            out.append(str(error))
    return out


COMMON_ERRORS: dict[int, type[Schema]] = {401: ErrorOut, 404: ErrorOut}


# --------------------------------------------------------------------------------- endpoints


@router.get("/cases", response=list[CaseOut], summary="List my cases")
def list_cases(request: HttpRequest) -> list[CaseOut]:
    """The cases the caller is a member of, with the caller's role and the number of items."""
    memberships = (
        Membership.objects.filter(user=_user(request))
        .select_related("case")
        .annotate(items_count=Count("case__items"))
        .order_by("case__slug")
    )
    return [_case_out(m.case, m.role, m.items_count) for m in memberships]


@router.get("/cases/{slug}", response={200: CaseOut, **COMMON_ERRORS}, summary="Get a case")
def get_case(request: HttpRequest, slug: str) -> CaseOut:
    """One case. A case the caller is not a member of is answered 404, as if it did not exist."""
    user = _user(request)
    case = case_for(user, slug, Permission.VIEW)
    role = Membership.objects.get(case=case, user=user).role
    return _case_out(case, role, case.items.count())


@router.get(
    "/cases/{slug}/items", response={200: ItemPage, **COMMON_ERRORS}, summary="List a case's items"
)
def list_items(request: HttpRequest, slug: str, filters: Query[ItemQuery]) -> ItemPage:
    """A page of the case's items, newest capture first, with the total matching the filters."""
    from ..protection.access import hide_protected

    user = _user(request)
    case = case_for(user, slug, Permission.VIEW)
    items = hide_protected(Item.objects.filter(case=case), user, case)
    if filters.kind:
        items = items.filter(kind=filters.kind)
    if filters.media_type:
        items = items.filter(media_type__startswith=filters.media_type.lower())
    total = items.count()
    page = items.order_by("-captured_at", "title", "pk")[
        filters.offset : filters.offset + filters.limit
    ]
    return ItemPage(
        total=total, limit=filters.limit, offset=filters.offset,
        items=[ItemOut(**_item_fields(item)) for item in page],
    )


@router.get(
    "/cases/{slug}/items/{item_id}",
    response={200: ItemDetailOut, **COMMON_ERRORS},
    summary="Get an item",
)
def get_item(request: HttpRequest, slug: str, item_id: str) -> ItemDetailOut:
    """One item in full, with its derivatives. The view is recorded in the custody log."""
    user = _user(request)
    case = case_for(user, slug, Permission.VIEW)
    item = _item(case, item_id, user)
    record_event(case, "viewed", item=item, actor=actor_label(user), user=user,
                 details={"via": "api"})
    return ItemDetailOut(
        **_item_fields(item),
        case=case.slug,
        parent_id=item.parent_id,
        description=item.description,
        source_name=item.source_name,
        source_url=item.source_url,
        source_channel=item.source_channel,
        source_uploader=item.source_uploader,
        captured_by=item.captured_by_label,
        capture_tool=item.capture_tool,
        capture_tool_version=item.capture_tool_version,
        language=item.language,
        note=item.note,
        metadata=item.metadata if isinstance(item.metadata, dict) else {},
        warnings=list(item.warnings or []),
        errors=list(item.errors or []),
        derivatives=[
            DerivativeOut(kind=d.kind, sha256=d.sha256, size=d.size, media_type=d.media_type,
                          tool=d.tool)
            for d in item.derivatives.all()
        ],
    )


@router.get(
    "/cases/{slug}/items/{item_id}/custody",
    response={200: list[CustodyEventOut], **COMMON_ERRORS},
    summary="Get an item's custody events",
)
def item_custody(request: HttpRequest, slug: str, item_id: str) -> list[CustodyEventOut]:
    """Every custody event about the item, in log order (``seq``)."""
    user = _user(request)
    case = case_for(user, slug, Permission.VIEW)
    item = _item(case, item_id, user)
    events = CustodyEvent.objects.filter(case=case, item=item).order_by("seq")
    return [
        CustodyEventOut(
            seq=e.seq, action=e.action, timestamp=e.timestamp, actor=e.actor,
            details=e.details_dict, event_hash=e.event_hash, prev_hash=e.prev_hash,
            signature=e.signature, key_id=e.key_id,
        )
        for e in events
    ]


@router.get(
    "/cases/{slug}/items/{item_id}/download",
    response={200: None, 403: ErrorOut, **COMMON_ERRORS},
    summary="Download an item's original bytes",
    openapi_extra={
        "responses": {
            200: {
                "description": "The original bytes, exactly as preserved. The header "
                "X-Content-SHA256 carries their SHA-256; the stream is checked against it as "
                "it is read and is cut short if the stored bytes no longer match.",
                "content": {"application/octet-stream": {"schema": {"type": "string",
                                                                    "format": "binary"}}},
            }
        }
    },
)
def download_item(request: HttpRequest, slug: str, item_id: str) -> StreamingHttpResponse:
    """The original file (needs the download permission). The download is recorded."""
    user = _user(request)
    case = case_for(user, slug, Permission.DOWNLOAD)
    item = _item(case, item_id, user)
    store = LocalBlobStore(settings.BLOB_ROOT, fsync=settings.FSYNC_BLOBS)
    if not store.exists(item.sha256):
        raise NotFound(f"the original of item {item.pk} is missing from the store")
    record_event(case, "downloaded", item=item, actor=actor_label(user), user=user,
                 details={"via": "api"})
    response = StreamingHttpResponse(
        store.open_verified(item.sha256), content_type=item.media_type or "application/octet-stream"
    )
    response["Content-Length"] = str(item.size)
    response["Content-Disposition"] = content_disposition_header(
        True, safe_file_name(item.source_name or item.title, fallback=str(item.pk))
    ) or "attachment"
    response["X-Content-SHA256"] = item.sha256
    # The bytes are evidence, never a page of this site: no scripts, no rendering here.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@router.post(
    "/cases/{slug}/import",
    response={201: list[OutcomeOut], 400: ErrorOut, 403: ErrorOut, 413: ErrorOut,
              **COMMON_ERRORS},
    summary="Import uploaded files",
)
def import_files(
    request: HttpRequest,
    slug: str,
    files: File[list[UploadedFile]],
    note: Form[str] = "",
) -> Status[list[OutcomeOut]] | Status[ErrorOut]:
    """Import one or more uploaded files into the case (needs the import permission).

    Send ``multipart/form-data`` with one ``files`` part per file and an optional ``note``,
    recorded on every item and custody event. Each file gets an outcome: ``imported`` (a new
    item), ``duplicate`` (the case already holds these bytes), ``refused`` (e.g. an empty file)
    or ``failed``.
    """
    user = _user(request)
    case = case_for(user, slug, Permission.IMPORT)
    if not files:
        raise UserError("no files uploaded")
    total = sum(upload.size or 0 for upload in files)
    if total > settings.MAX_UPLOAD_BYTES:
        limit_mb = settings.MAX_UPLOAD_BYTES // (1024 * 1024)
        detail = f"the upload ({total} bytes) is over the limit of {limit_mb} MB"
        return Status(413, ErrorOut(detail=detail))
    results = import_uploads(case, files, user, note=note, channel="api upload")
    return Status(201, [_outcome_out(name, outcome) for name, outcome in results])


def _outcome_out(name: str, outcome: FileOutcome) -> OutcomeOut:
    """The outcome as the caller sees it: named by the uploaded file, not the temporary path."""
    return OutcomeOut(
        path=name, status=outcome.status, item_id=outcome.item_id,
        message=outcome.message,
        sha256=outcome.sha256, media_type=outcome.media_type,
        warnings=[str(w) for w in outcome.warnings], errors=_errors_as_text(outcome.errors),
    )
