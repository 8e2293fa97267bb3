"""API endpoints of web capture: request captures of URLs, follow them, list a case's captures.

Same rules as the evidence API (:mod:`vestige.evidence.api`): session or bearer-token
authentication, the case from :func:`vestige.cases.access.case_for` — a non-member gets 404 as
for a case that does not exist, a member whose role does not allow the action gets 403.
Requested captures are queued for ``vestige worker``; poll the capture to see it finish.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.security import django_auth

from ..cases.access import case_for
from ..cases.roles import Permission
from ..core.errors import NotFound
from ..evidence.api import COMMON_ERRORS, ErrorOut, TokenAuth
from ..evidence.custody import actor_label
from . import service
from .models import Capture

router = Router(tags=["capture"], auth=[TokenAuth(), django_auth])

MAX_URLS_PER_REQUEST = 1000


class CaptureRequestIn(Schema):
    """The URLs to capture and how."""

    urls: list[str] = Field(
        ..., min_length=1, max_length=MAX_URLS_PER_REQUEST,
        description="http(s) URLs; a URL given twice is captured once",
    )
    mode: Literal["browser", "http"] = Field(
        "browser", description="browser: Chromium renders the page (screenshot, DOM, PDF); "
        "http: the HTTP exchange only, no JavaScript",
    )


class TextChangesOut(Schema):
    """Lines of main text added and removed against the previous version."""

    added: int
    removed: int


class CaptureOut(Schema):
    """One capture of one URL, from request to outcome."""

    id: uuid.UUID
    batch_id: uuid.UUID | None
    url: str
    mode: str
    status: str = Field(description="queued, running, done, failed or refused")
    outcome: str = Field(description="the engine's outcome: ok, unavailable, refused, timeout, "
                         "too_large or failed (empty until it ran)")
    progress: str = Field(description="the last progress line")
    error: str
    attempts: int
    item_id: uuid.UUID | None = Field(description="the item holding the WACZ, once preserved")
    version: int = Field(description="1 for the first preserved capture of this URL in the case")
    previous_id: uuid.UUID | None = Field(description="the capture of the previous version")
    final_url: str
    http_status: int | None
    unavailable: bool = Field(description="the finding 'unavailable at source' (404, 410 or a "
                              "platform's removal notice)")
    removal: str
    text_changes: TextChangesOut | None
    requested_at: str | None
    started_at: str | None
    finished_at: str | None


class CaptureListQuery(Schema):
    """Paging and filters for a case's captures."""

    status: str | None = Field(None, description="only captures with this status")
    url: str | None = Field(None, description="only captures of exactly this URL")
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0)


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _out(capture: Capture) -> CaptureOut:
    return CaptureOut(**service.status_row(capture))


@router.post(
    "/cases/{slug}/captures",
    response={201: list[CaptureOut], 400: ErrorOut, 403: ErrorOut, **COMMON_ERRORS},
    summary="Capture web pages",
)
def request_captures(
    request: HttpRequest, slug: str, body: CaptureRequestIn
) -> Status[list[CaptureOut]]:
    """Queue captures of ``urls`` for the worker (needs the import permission).

    Every URL is checked first; one that cannot be captured refuses the whole request (400)
    and nothing is queued. Answers 201 with one queued capture per distinct URL.
    """
    user = _user(request)
    case = case_for(user, slug, Permission.IMPORT)
    captures = service.request_captures(
        case, body.urls, user=user, actor=actor_label(user), mode=body.mode, background=True
    )
    return Status(201, [_out(capture) for capture in captures])


@router.get(
    "/cases/{slug}/captures",
    response={200: list[CaptureOut], **COMMON_ERRORS},
    summary="List a case's captures",
)
def list_captures(
    request: HttpRequest, slug: str, filters: Query[CaptureListQuery]
) -> list[CaptureOut]:
    """The case's captures, most recently requested first."""
    case = case_for(_user(request), slug, Permission.VIEW)
    captures = Capture.objects.filter(case=case)
    if filters.status:
        captures = captures.filter(status=filters.status)
    if filters.url:
        captures = captures.filter(url=filters.url)
    page = captures.order_by("-requested_at", "url")[filters.offset: filters.offset + filters.limit]
    return [_out(capture) for capture in page]


@router.get(
    "/cases/{slug}/captures/{capture_id}",
    response={200: CaptureOut, **COMMON_ERRORS},
    summary="Get a capture",
)
def get_capture(request: HttpRequest, slug: str, capture_id: str) -> CaptureOut:
    """One capture: poll it until ``status`` is done, failed or refused."""
    case = case_for(_user(request), slug, Permission.VIEW)
    try:
        key = uuid.UUID(capture_id)
    except ValueError as exc:
        raise NotFound(f"no capture {capture_id!r}") from exc
    capture = Capture.objects.filter(case=case, pk=key).first()
    if capture is None:
        raise NotFound(f"no capture {capture_id!r} in case {case.slug!r}")
    return _out(capture)
