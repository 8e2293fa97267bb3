"""The sandboxed replay of an archived page, at ``/replay/<slug>/<capture>/<token>/<url>``.

Every response here carries its own Content-Security-Policy: ``sandbox`` (an opaque origin, so
the page can touch nothing of the app even if something ran), ``script-src 'none'``, and images,
styles, fonts and media only from this capture's own replay path. The capture page shows it only
inside ``<iframe sandbox>``; ``frame-ancestors 'self'`` keeps any other site from framing it.
Links of the archived page are rewritten to the replay path, so the frame never reaches the live
web: a resource the archive lacks is answered 404, never fetched.

A sandboxed document's requests are cross-site to the browser, so they carry no session cookie.
The path therefore holds a signed token naming the member and the capture; each request checks
that this member may still download from the case (and, when a session comes along, that it is
the same member). The token expires after :data:`TOKEN_MAX_AGE` seconds.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core import signing
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    StreamingHttpResponse,
)
from django.urls import reverse
from django.utils.html import escape
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_safe

from ...capture.models import Capture
from ...cases.roles import Permission
from ...core.errors import IntegrityError, NotFound
from ...evidence.custody import actor_label, record_event
from ...evidence.models import Derivative
from .. import replay as archive
from ..access import resolve_case
from .files import store

TOKEN_SALT = "vestige.web.replay"  # noqa: S105 - a namespace for signing, not a secret
TOKEN_MAX_AGE = 6 * 3600
# Archived media types served as they were; anything else becomes an opaque download type.
_SAFE_TYPE = re.compile(r"^[a-z0-9.+-]+/[a-z0-9.+-]+$")

_verified: set[tuple[str, int, int]] = set()


def replay_token(user: Any, capture: Capture) -> str:
    """A signed token letting ``user`` replay ``capture`` (checked again on every request)."""
    return signing.dumps([user.pk, str(capture.pk)], salt=TOKEN_SALT, compress=False)


def replay_root_url(request: HttpRequest, slug: str, capture: Capture) -> str:
    """The replay path of the capture's page, for the current user."""
    return reverse("capture-replay-root", args=[slug, capture.pk, replay_token(request.user,
                                                                              capture)])


def _token_user(token: str, capture_id: uuid.UUID) -> Any | None:
    try:
        user_pk, token_capture = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if token_capture != str(capture_id):
        return None
    return get_user_model().objects.filter(pk=user_pk, is_active=True).first()


def policy(prefix: str) -> str:
    """The replay's CSP: no scripts, nothing from anywhere but this capture's replay path."""
    return (
        f"sandbox; default-src 'none'; img-src {prefix} data:; style-src {prefix} "
        f"'unsafe-inline'; font-src {prefix} data:; media-src {prefix}; frame-src {prefix}; "
        "script-src 'none'; object-src 'none'; connect-src 'none'; worker-src 'none'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
    )


def _harden(response: HttpResponseBase, prefix: str) -> HttpResponseBase:
    response["Content-Security-Policy"] = policy(prefix)
    response["X-Content-Type-Options"] = "nosniff"
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "private, no-store"
    return response


def _notice(status: int, title: str, text: str) -> HttpResponse:
    body = (
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>"
        f"{escape(title)}</title></head><body style=\"font:15px system-ui,sans-serif;"
        f"color:#5d6876;padding:2rem\"><h1 style=\"font-size:1.1rem;color:#1b2530\">"
        f"{escape(title)}</h1><p>{escape(text)}</p></body></html>"
    )
    return HttpResponse(body, status=status, content_type="text/html; charset=utf-8")


def _wacz_path(sha256: str) -> Path:
    """The WACZ in the store, its bytes checked once per version of the file in this process."""
    blobs = store()
    path = blobs.local_path(sha256)
    if path is None or not blobs.exists(sha256):
        raise NotFound("the capture's archive is missing from the store")
    stat = path.stat()
    key = (sha256, stat.st_size, stat.st_mtime_ns)
    if key not in _verified:
        found = blobs.verify(sha256)
        if found != sha256:
            raise IntegrityError(f"the archive's bytes now hash to {found}, not {sha256}")
        _verified.add(key)
    return path


def _target_url(target: str, query: str) -> str:
    """The original URL from the replay path (``https:/host`` when a proxy merged slashes)."""
    match = re.match(r"^(https?):/+(.*)$", target, re.IGNORECASE)
    if not match:
        return ""
    url = f"{match.group(1).lower()}://{match.group(2)}"
    return f"{url}?{query}" if query else url


@require_safe
@xframe_options_sameorigin
def replay(
    request: HttpRequest, slug: str, capture_id: uuid.UUID, token: str, target: str = ""
) -> HttpResponseBase:
    """One archived response of a capture, made safe to show in a sandboxed frame."""
    user = _token_user(token, capture_id)
    if user is None or (request.user.is_authenticated and request.user.pk != user.pk):
        raise Http404("No such replay.")
    access = resolve_case(user, slug, Permission.DOWNLOAD)
    capture = Capture.objects.select_related("item").filter(
        case=access.case, pk=capture_id
    ).first()
    if capture is None or capture.item is None:
        raise Http404("No such capture.")
    root = reverse("capture-replay-root", args=[slug, capture.pk, token])
    # The CSP names this capture's replay path (all tokens): nothing else may be loaded.
    prefix = request.build_absolute_uri(root[: root.rindex("/", 0, -1) + 1])

    def to_replay(url: str) -> str:
        return f"{root}{url}"

    try:
        response = _respond(request, capture, target, to_replay, user)
    except (NotFound, IntegrityError) as exc:
        response = _notice(500, "The archive cannot be read", str(exc))
    return _harden(response, prefix)


def _respond(
    request: HttpRequest, capture: Capture, target: str, to_replay: archive.Rewriter, user: Any
) -> HttpResponseBase:
    item = capture.item
    assert item is not None
    if not target:
        if request.GET.get("view") == "dom":
            dom = item.derivatives.filter(kind="dom").order_by("-created_at").first()
            if dom is not None:
                return _dom_snapshot(capture, dom, to_replay, user)
        url = capture.final_url or capture.url
    else:
        url = _target_url(target, request.META.get("QUERY_STRING", ""))
        if not url:
            return _notice(404, "Not a web address", "The replay only holds http(s) URLs.")
    path = _wacz_path(item.sha256)
    index = archive.archive_index(path)
    entry = index.lookup(url)
    if entry is None and not target:
        entry = index.lookup(capture.url) or next(
            (index.lookup(str(p["url"])) for p in index.pages if index.lookup(str(p["url"]))),
            None,
        )
    if entry is None:
        return _notice(404, "Not in this capture",
                       f"{url} was not archived in this capture, so it is not shown.")
    return _archived(capture, path, entry, to_replay, user)


def _archived(
    capture: Capture, path: Path, entry: archive.ArchivedResponse, to_replay: archive.Rewriter,
    user: Any,
) -> HttpResponseBase:
    with archive.open_record(path, entry) as record:
        status = entry.status if 100 <= entry.status < 600 else 200
        if 300 <= status < 400:
            location = archive.http_header(record, "Location")
            if location:
                response = HttpResponse(status=302)
                response["Location"] = archive.replay_link(location, entry.url, to_replay)
                return response
        content_type = archive.http_header(record, "Content-Type") or entry.mime
        media_type = content_type.split(";")[0].strip().lower()
        if media_type in ("text/html", "application/xhtml+xml", "text/css"):
            body = archive.read_body(record)
            if body is not None:
                _record_view(capture, user, entry.url, media_type)
                if media_type == "text/css":
                    charset = archive.charset_of(content_type) or "utf-8"
                    text = archive.rewrite_css(body.decode(charset, "replace"), entry.url,
                                               to_replay)
                    return HttpResponse(text.encode("utf-8"), status=status,
                                        content_type="text/css; charset=utf-8")
                html = archive.rewrite_html(body, archive.charset_of(content_type), entry.url,
                                            to_replay)
                return HttpResponse(html, status=status, content_type="text/html; charset=utf-8")
    # Everything else streams from the archive as it was recorded.
    return _stream(path, entry, media_type, status)


def _stream(
    path: Path, entry: archive.ArchivedResponse, media_type: str, status: int
) -> StreamingHttpResponse:
    def chunks() -> Iterator[bytes]:
        with archive.open_record(path, entry) as record:
            yield from archive.iter_body(record)

    served = media_type if _SAFE_TYPE.match(media_type) else "application/octet-stream"
    return StreamingHttpResponse(chunks(), status=status, content_type=served)


def _dom_snapshot(
    capture: Capture, dom: Derivative, to_replay: archive.Rewriter, user: Any
) -> HttpResponse:
    """The DOM as Chromium rendered it, links pointed at the archive like any archived page."""
    blobs = store()
    if not blobs.exists(dom.sha256) or dom.size > archive.MAX_REWRITE_BYTES:
        return _notice(404, "No rendered page", "The rendered page of this capture is missing.")
    body = b"".join(blobs.open_verified(dom.sha256))
    base = capture.final_url or capture.url
    _record_view(capture, user, base, "rendered DOM")
    html = archive.rewrite_html(body, "utf-8", base, to_replay)
    return HttpResponse(html, content_type="text/html; charset=utf-8")


def _record_view(capture: Capture, user: Any, url: str, media_type: str) -> None:
    """A replayed document is a view of the evidence: entered in the custody log."""
    if media_type == "text/css":
        return
    record_event(
        capture.case, "viewed", item=capture.item, actor=actor_label(user), user=user,
        details={"via": "replay", "url": url[:2048]},
    )
