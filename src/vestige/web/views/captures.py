"""Web capture in the UI: the form and list, the live status, a capture's page, its screenshot.

Nothing captured is ever put into these pages as markup: the screenshot is an image, the text is
escaped text, and the archived page itself is only reachable through the sandboxed replay
(:mod:`vestige.web.views.replay`), which needs the download permission.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from ...capture import service
from ...capture.models import Capture, CaptureMode
from ...cases.roles import Permission
from ...core.errors import UserError
from ...evidence.custody import actor_label, record_event
from ...evidence.models import Derivative, Item
from ..access import CaseAccess, case_view
from .files import store
from .replay import replay_root_url

CAPTURES_PER_PAGE = 50
MAX_URLS_PER_SUBMISSION = 200
MAX_STATUS_IDS = 200
# The extracted text is shown up to this many characters; the whole text is a derivative.
MAX_TEXT_SHOWN = 200_000
MAX_SCREENSHOT_BYTES = 64 * 2**20


class CaptureForm(forms.Form):
    """One URL per line and the capture mode."""

    urls = forms.CharField(
        label="URLs",
        widget=forms.Textarea(attrs={
            "rows": 5, "placeholder": "https://example.org/post/123\nhttps://…",
            "spellcheck": "false", "autocomplete": "off",
        }),
        help_text="One URL per line (http or https).",
        max_length=MAX_URLS_PER_SUBMISSION * 2100,
        error_messages={"required": "Enter at least one URL."},
    )
    mode = forms.ChoiceField(
        choices=CaptureMode.choices, initial=CaptureMode.BROWSER, widget=forms.RadioSelect
    )

    def clean_urls(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data["urls"].splitlines()]
        urls = list(dict.fromkeys(line for line in lines if line and not line.startswith("#")))
        if not urls:
            raise forms.ValidationError("Enter at least one URL.")
        if len(urls) > MAX_URLS_PER_SUBMISSION:
            raise forms.ValidationError(
                f"At most {MAX_URLS_PER_SUBMISSION} URLs at once; this list has {len(urls)}."
            )
        return urls


def case_capture(access: CaseAccess, capture_id: uuid.UUID) -> Capture:
    """The capture ``capture_id`` of this case; 404 for one of any other case."""
    return get_object_or_404(
        Capture.objects.select_related("item", "batch"), case=access.case, pk=capture_id
    )


# --------------------------------------------------------------------------- list and form


@require_http_methods(["GET", "HEAD", "POST"])
@case_view(Permission.VIEW)
def capture_list(request: HttpRequest, access: CaseAccess) -> HttpResponse:
    """The case's captures, newest first, and (for importers) the form to request more."""
    if request.method == "POST":
        return _submit(request, access)
    return _list_page(request, access, CaptureForm())


def _submit(request: HttpRequest, access: CaseAccess) -> HttpResponse:
    if not access.allows(Permission.IMPORT):
        return _list_page(request, access, None, status=403,
                          refused="Your role in this case does not allow requesting captures.")
    form = CaptureForm(request.POST)
    if not form.is_valid():
        return _list_page(request, access, form, status=400)
    try:
        captures = service.request_captures(
            access.case, form.cleaned_data["urls"], user=request.user,
            actor=actor_label(request.user), mode=form.cleaned_data["mode"], background=True,
        )
    except UserError as exc:
        form.add_error("urls", str(exc))
        return _list_page(request, access, form, status=400)
    count = len(captures)
    messages.success(
        request,
        f"{count} URL{'' if count == 1 else 's'} queued for capture. This page follows their "
        "progress; each finished capture becomes an item of the case.",
    )
    batch = captures[0].batch_id if captures else None
    target = reverse("capture-list", args=[access.case.slug])
    return redirect(f"{target}?batch={batch}" if batch else target)


def _list_page(
    request: HttpRequest, access: CaseAccess, form: CaptureForm | None, status: int = 200,
    refused: str = "",
) -> HttpResponse:
    captures = Capture.objects.filter(case=access.case).select_related("item")
    batch_id = _uuid_or_none(request.GET.get("batch", ""))
    page = Paginator(captures, CAPTURES_PER_PAGE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    pending = [str(c.pk) for c in rows if not c.finished]
    context = {
        "access": access,
        "case": access.case,
        "can": access.can,
        "form": form if access.allows(Permission.IMPORT) else None,
        "refused": refused,
        "page": page,
        "captures": rows,
        "batch_id": batch_id,
        "batch_count": sum(1 for c in rows if c.batch_id == batch_id) if batch_id else 0,
        "pending_ids": ",".join(pending),
        "status_url": reverse("capture-status", args=[access.case.slug]),
        "nav": "cases",
    }
    return render(request, "vestige/capture/capture_list.html", context, status=status)


def _uuid_or_none(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


# ------------------------------------------------------------------------------ live status


@require_GET
@case_view(Permission.VIEW)
def capture_status(request: HttpRequest, access: CaseAccess) -> JsonResponse:
    """``{"captures": [...], "finished": bool}`` for the ids asked for (of this case only)."""
    raw = [part.strip() for part in request.GET.get("ids", "").split(",") if part.strip()]
    if len(raw) > MAX_STATUS_IDS:
        return JsonResponse(
            {"detail": f"at most {MAX_STATUS_IDS} ids per request"}, status=400
        )
    ids = [key for key in (_uuid_or_none(part) for part in raw) if key is not None]
    if len(ids) != len(raw):
        return JsonResponse({"detail": "ids must be capture ids (UUIDs), comma-separated"},
                            status=400)
    captures = list(
        Capture.objects.filter(case=access.case, pk__in=ids).select_related("item")
    )
    rows = service.capture_status(captures)
    for row, capture in zip(rows, captures, strict=True):
        row["page_url"] = reverse("capture-detail", args=[access.case.slug, capture.pk])
        row["finished"] = capture.finished
        row["title"] = capture.item.title if capture.item is not None else ""
    response = JsonResponse(
        {"captures": rows, "finished": all(c.finished for c in captures)}
    )
    response["Cache-Control"] = "no-store"
    return response


# ----------------------------------------------------------------------------- capture page


@dataclass(frozen=True)
class DiffLine:
    """One line of the unified text diff, with its kind for colouring."""

    kind: str  # "add", "remove", "hunk", "context"
    text: str


def diff_lines(unified: str) -> list[DiffLine]:
    """The unified diff as lines to show, file headers dropped."""
    lines = []
    for line in unified.splitlines():
        if line.startswith(("+++", "---")):
            continue
        if line.startswith("@@"):
            kind = "hunk"
        elif line.startswith("+"):
            kind = "add"
        elif line.startswith("-"):
            kind = "remove"
        else:
            kind = "context"
        lines.append(DiffLine(kind, line))
    return lines


def _derivative(item: Item | None, kind: str) -> Derivative | None:
    if item is None:
        return None
    return item.derivatives.filter(kind=kind).order_by("-created_at").first()


def _text_of(derivative: Derivative | None) -> tuple[str, bool]:
    """The extracted text (checked against its hash) and whether it was cut for display."""
    if derivative is None:
        return "", False
    blobs = store()
    if not blobs.exists(derivative.sha256):
        return "", False
    data = b"".join(blobs.open_verified(derivative.sha256))
    text = data.decode("utf-8", "replace")
    return text[:MAX_TEXT_SHOWN], len(text) > MAX_TEXT_SHOWN


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


@require_GET
@case_view(Permission.VIEW)
def capture_detail(
    request: HttpRequest, access: CaseAccess, capture_id: uuid.UUID
) -> HttpResponse:
    """Everything about one capture: screenshot, text, context, versions, replay."""
    capture = case_capture(access, capture_id)
    item = capture.item
    if item is not None:
        record_event(access.case, "viewed", item=item, actor=actor_label(request.user),
                     user=request.user, details={"via": "capture page"})
    metadata = _dict(item.metadata) if item is not None else {}
    # The engine's capture context and page metadata ("context"/"metadata" in older rows).
    context_info = _dict(metadata.get("capture") or metadata.get("context"))
    text, text_cut = _text_of(_derivative(item, "text"))
    versions = list(
        Capture.objects.filter(case=access.case, url=capture.url)
        .select_related("item").order_by("version", "requested_at")
    )
    replay = None
    if item is not None and access.allows(Permission.DOWNLOAD):
        replay = replay_root_url(request, access.case.slug, capture)
    dom = _derivative(item, "dom")
    view = request.GET.get("view", "")
    replay_view = "archive" if view == "archive" or dom is None else "dom"
    context = {
        "access": access,
        "case": access.case,
        "can": access.can,
        "capture": capture,
        "item": item,
        "page_meta": _dict(metadata.get("page") or metadata.get("metadata")),
        "finding": _dict(metadata.get("finding")),
        "ctx": context_info,
        "tls": _dict(context_info.get("tls")),
        "redirects": [r for r in context_info.get("redirects") or [] if isinstance(r, dict)],
        "tools": [t for t in context_info.get("tools") or [] if isinstance(t, dict)],
        "pages": [p for p in metadata.get("pages") or [] if isinstance(p, dict)],
        "validation": metadata.get("wacz_validation"),
        "text": text,
        "text_cut": text_cut,
        "screenshot": _derivative(item, "screenshot"),
        "pdf": _derivative(item, "pdf"),
        "dom": dom,
        "derivatives": list(item.derivatives.all()) if item is not None else [],
        "children": list(Item.objects.filter(parent=item).order_by("title")) if item else [],
        "versions": versions,
        "diff": diff_lines(str(_dict(capture.text_diff).get("unified", ""))),
        "diff_stats": _dict(capture.text_diff),
        "replay_url": (f"{replay}?view=dom" if replay_view == "dom" else replay)
        if replay else None,
        "replay_view": replay_view,
        "reveal": request.GET.get("reveal") == "1",
        "item_errors": [str(e.get("error", e)) if isinstance(e, dict) else str(e)
                        for e in (item.errors or [])] if item else [],
        "item_warnings": [str(w) for w in (item.warnings or [])] if item else [],
        "nav": "cases",
    }
    return render(request, "vestige/capture/capture_detail.html", context)


@require_GET
@case_view(Permission.VIEW)
def capture_screenshot(
    request: HttpRequest, access: CaseAccess, capture_id: uuid.UUID
) -> HttpResponseBase:
    """The capture's screenshot as an image, checked against its SHA-256 before it is sent."""
    capture = case_capture(access, capture_id)
    shot = _derivative(capture.item, "screenshot")
    if shot is None or not shot.media_type.startswith("image/"):
        raise Http404("This capture has no screenshot.")
    blobs = store()
    if not blobs.exists(shot.sha256) or shot.size > MAX_SCREENSHOT_BYTES:
        raise Http404("The screenshot's bytes are not available.")
    body = b"".join(blobs.open_verified(shot.sha256))
    response = HttpResponse(body, content_type=shot.media_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "private, max-age=300"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
