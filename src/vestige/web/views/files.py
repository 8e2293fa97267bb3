"""Bytes out of the blob store: previews, originals and derivatives.

Downloads are recorded in the custody log before the first byte leaves, and every read checks
the bytes against their SHA-256 as it streams.
"""

from __future__ import annotations

import mimetypes
import uuid
from collections.abc import Iterator
from urllib.parse import quote

from django.conf import settings
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from ...cases.roles import Permission
from ...core.blobstore import LocalBlobStore
from ...evidence.bundles import safe_file_name
from ...evidence.custody import actor_label, record_event
from ...evidence.models import Derivative, Item
from ...protection.access import is_protected
from ..access import CaseAccess, case_view

# Originals a browser can show as an image without our help (and without running anything).
PREVIEWABLE_ORIGINALS = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})


def store() -> LocalBlobStore:
    """The blob store the evidence is read from."""
    return LocalBlobStore(settings.BLOB_ROOT, fsync=False)


def preview_source(item: Item) -> tuple[str, str] | None:
    """(sha256, media type) of what the preview shows: the thumbnail, or a plain image."""
    thumbnail = item.derivatives.filter(kind="thumbnail").order_by("-created_at").first()
    if thumbnail is not None:
        return thumbnail.sha256, thumbnail.media_type
    if item.media_type in PREVIEWABLE_ORIGINALS:
        return item.sha256, item.media_type
    return None


def visible_item(access: CaseAccess, item_id: uuid.UUID) -> Item:
    """The item ``item_id`` of this case; 404 for an item of another case, and for testimony
    linked to a protected person when the user may not reveal (its existence stays hidden)."""
    item = get_object_or_404(Item, case=access.case, pk=item_id)
    if not access.allows(Permission.REVEAL) and is_protected(item):
        raise Http404("No such item.")
    return item


def content_disposition(kind: str, name: str) -> str:
    """A Content-Disposition value with an ASCII fallback and the exact UTF-8 name (RFC 5987)."""
    fallback = name.encode("ascii", "replace").decode("ascii").replace("?", "_")
    fallback = fallback.replace("\\", "_").replace('"', "_")
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def _missing(request: HttpRequest, what: str) -> HttpResponse:
    return render(
        request, "vestige/missing_blob.html", {"what": what}, status=500
    )


def _stream(sha256: str, media_type: str, size: int, disposition: str) -> StreamingHttpResponse:
    chunks: Iterator[bytes] = store().open_verified(sha256)
    response = StreamingHttpResponse(chunks, content_type=media_type)
    response["Content-Length"] = str(size)
    response["Content-Disposition"] = disposition
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@case_view(Permission.VIEW)
def item_preview(
    request: HttpRequest, access: CaseAccess, item_id: uuid.UUID
) -> HttpResponseBase:
    """The item's thumbnail (or the image itself), inline, never sniffed as anything else."""
    item = visible_item(access, item_id)
    source = preview_source(item)
    if source is None:
        raise Http404("This item has no preview.")
    sha256, media_type = source
    blobs = store()
    if not blobs.exists(sha256):
        raise Http404("The preview's bytes are missing from the store.")
    if sha256 == item.sha256:
        # The original image itself: it may be large, so stream it (still checked as it goes).
        preview = _stream(sha256, media_type, blobs.size(sha256), "inline")
        preview["Cache-Control"] = "private, max-age=300"
        return preview
    # Thumbnails are small: read them whole, so that a changed blob is refused, not half-sent.
    body = b"".join(blobs.open_verified(sha256))
    response = HttpResponse(body, content_type=media_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "private, max-age=300"
    return response


@require_GET
@case_view(Permission.DOWNLOAD)
def item_download(
    request: HttpRequest, access: CaseAccess, item_id: uuid.UUID
) -> HttpResponseBase:
    """The original bytes as an attachment; the download is logged first."""
    item = visible_item(access, item_id)
    blobs = store()
    if not blobs.exists(item.sha256):
        return _missing(request, "the original of this item")
    record_event(
        access.case, "downloaded", item=item, actor=actor_label(request.user), user=request.user
    )
    name = safe_file_name(item.source_name or item.title, fallback=f"item-{item.pk}")
    return _stream(
        item.sha256, "application/octet-stream", blobs.size(item.sha256),
        content_disposition("attachment", name),
    )


def derivative_file_name(item: Item, derivative: Derivative) -> str:
    """A name for a derivative's download: the item's name, the kind and a fitting extension."""
    stem = safe_file_name(item.source_name or item.title, fallback=f"item-{item.pk}")
    extension = mimetypes.guess_extension(derivative.media_type.split(";")[0].strip()) or ".bin"
    return safe_file_name(f"{stem}.{derivative.kind}{extension}")


@require_GET
@case_view(Permission.DOWNLOAD)
def derivative_download(
    request: HttpRequest, access: CaseAccess, item_id: uuid.UUID, pk: int
) -> HttpResponseBase:
    """A derivative (thumbnail, text, …) as an attachment; the download is logged first."""
    item = visible_item(access, item_id)
    derivative = get_object_or_404(Derivative, item=item, pk=pk)
    blobs = store()
    if not blobs.exists(derivative.sha256):
        return _missing(request, f"the {derivative.kind} of this item")
    record_event(
        access.case, "downloaded", item=item, actor=actor_label(request.user), user=request.user,
        details={"derivative": derivative.kind, "sha256": derivative.sha256},
    )
    return _stream(
        derivative.sha256, "application/octet-stream", blobs.size(derivative.sha256),
        content_disposition("attachment", derivative_file_name(item, derivative)),
    )
