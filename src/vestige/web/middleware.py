"""Response headers that keep the app's origin safe."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponse

# The app's own pages load scripts, styles and images only from itself. Previews of evidence are
# served as images or downloads, never as documents in this origin. The only frame is the
# sandboxed replay of a capture (/replay/…), which sends its own, stricter policy.
POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; media-src 'self'; "
    "style-src 'self'; script-src 'self'; object-src 'none'; frame-src 'self'; "
    "frame-ancestors 'none'; "
    "base-uri 'self'; form-action 'self'"
)


# A view may allow images from more origins (the map's tile server) by naming them in this
# attribute of its response; scripts stay 'self' on every page.
EXTRA_IMAGE_SOURCES = "csp_img_src"


def tile_origin(url: str) -> str:
    """The CSP source of a tile URL template: ``https://tile.openstreetmap.org``; a ``{s}``
    subdomain becomes a wildcard (``https://*.tile.example.org``); "" for no usable URL."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ""
    host = parts.netloc.rsplit("@", 1)[-1]
    if "{" in host:
        labels = host.split(".")
        if not labels[0].startswith("{") or any("{" in label for label in labels[1:]):
            return ""
        host = ".".join(["*", *labels[1:]])
    if any(c in host for c in " ;,'\""):
        return ""
    return f"{parts.scheme}://{host}"


def policy(extra_image_sources: Iterable[str] = ()) -> str:
    """The Content-Security-Policy, with more image sources when a page needs them."""
    extra = " ".join(s for s in extra_image_sources if s)
    if not extra:
        return POLICY
    return POLICY.replace("img-src 'self' data: blob:", f"img-src 'self' data: blob: {extra}")


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith("/api/docs"):
            extra = getattr(response, EXTRA_IMAGE_SOURCES, ())
            response.headers.setdefault("Content-Security-Policy", policy(extra))
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        return response
