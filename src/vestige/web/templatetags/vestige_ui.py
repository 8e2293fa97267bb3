"""Template helpers: metadata as nested definition lists, sortable headers, short hashes.

Everything here builds HTML with ``format_html``, so every value from evidence is escaped.
"""

from __future__ import annotations

import mimetypes
from typing import Any

from django import template
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# Top-level metadata sections, in the order investigators look at them.
SECTION_LABELS = {
    "file": "File as received",
    "image": "Image",
    "gps": "GPS position",
    "exif": "EXIF",
    "pdf": "PDF",
    "av": "Audio and video",
    "text": "Text",
}
MAX_TEXT = 2000
MAX_LIST = 50
# Constant markup, no values in it.
DASH = mark_safe('<span class="muted">—</span>')
EMPTY_OBJECT = mark_safe('<span class="muted">(empty)</span>')
EMPTY_LIST = mark_safe('<span class="muted">(none)</span>')
NO_METADATA = mark_safe('<p class="muted">No metadata was extracted.</p>')


KEY_LABELS = {"sha256": "SHA-256", "bit_rate": "Bit rate (bit/s)", "av": "Audio and video"}


def _label(key: str) -> str:
    # Our own keys are snake_case and get a readable label; EXIF tags keep their spelling.
    if key in KEY_LABELS:
        return KEY_LABELS[key]
    if key.islower() or "_" in key:
        text = key.replace("_", " ").strip()
        return text[:1].upper() + text[1:]
    return key


def _scalar(value: Any) -> SafeString:
    if value is None:
        return DASH
    if isinstance(value, bool):
        return format_html("{}", "yes" if value else "no")
    if isinstance(value, float):
        return format_html("{}", repr(value))  # every digit the file gave
    text = str(value)
    if len(text) > MAX_TEXT:
        return format_html(
            '{}<span class="muted"> … ({} characters in all)</span>', text[:MAX_TEXT], len(text)
        )
    return format_html("{}", text)


def render_value(value: Any) -> SafeString:
    """Any JSON value as HTML: objects as definition lists, lists as lists."""
    if isinstance(value, dict):
        if not value:
            return EMPTY_OBJECT
        rows = format_html_join(
            "", "<dt>{}</dt><dd>{}</dd>",
            ((_label(str(k)), render_value(v)) for k, v in value.items()),
        )
        return format_html('<dl class="meta">{}</dl>', rows)
    if isinstance(value, list):
        if not value:
            return EMPTY_LIST
        shown = value[:MAX_LIST]
        more = (
            format_html('<li class="muted">… {} more</li>', len(value) - MAX_LIST)
            if len(value) > MAX_LIST else ""
        )
        if all(not isinstance(v, dict | list) for v in shown) and not more:
            return format_html_join(", ", "{}", ((_scalar(v),) for v in shown))
        entries = format_html_join("", "<li>{}</li>", ((render_value(v),) for v in shown))
        return format_html('<ol class="meta-list">{}{}</ol>', entries, more)
    return _scalar(value)


def _hemisphere(value: float, positive: str, negative: str) -> str:
    return f"{abs(value):.6f}° {positive if value >= 0 else negative}"


@register.filter
def gps_text(gps: Any) -> str:
    """Decimal degrees with hemispheres, e.g. ``48.858370° N, 2.294481° E`` (no map link)."""
    if not isinstance(gps, dict):
        return ""
    try:
        lat, lon = float(gps["latitude"]), float(gps["longitude"])
    except (KeyError, TypeError, ValueError):
        return ""
    text = f"{_hemisphere(lat, 'N', 'S')}, {_hemisphere(lon, 'E', 'W')}"
    if gps.get("altitude") is not None:
        text += f", altitude {gps['altitude']} m"
    return text


@register.simple_tag
def metadata_sections(metadata: Any) -> SafeString:
    """An item's metadata as titled sections of nested definition lists."""
    if not isinstance(metadata, dict) or not metadata:
        return NO_METADATA
    keys = [k for k in SECTION_LABELS if k in metadata]
    keys += sorted(k for k in metadata if k not in SECTION_LABELS)
    parts = []
    for key in keys:
        value = metadata[key]
        body = render_value(value)
        if key == "gps":
            body = format_html(
                '<p class="coordinates">{}</p>'
                '<p class="hint">Decimal degrees (WGS 84) as the file states them; '
                "not checked against the content.</p>{}",
                gps_text(value) or "unreadable", body,
            )
        parts.append(
            format_html(
                '<section class="meta-section meta-{}"><h3>{}</h3>{}</section>',
                key, SECTION_LABELS.get(key, _label(str(key))), body,
            )
        )
    return mark_safe("".join(parts))  # noqa: S308 -- each part is built by format_html


@register.simple_tag
def details_list(details: Any) -> SafeString:
    """A custody event's details, compact."""
    if not isinstance(details, dict):
        return _scalar(details)
    shown = {k: v for k, v in details.items() if v not in ("", None, [], {})}
    if not shown:
        return DASH
    return render_value(shown)


@register.filter
def short_hash(value: Any, length: int = 12) -> str:
    """The first characters of a hash, enough to tell events apart at a glance."""
    text = str(value or "")
    return f"{text[:length]}…" if len(text) > length else text


@register.simple_tag(takes_context=True)
def sort_header(context: template.Context, field: str, label: str, css: str = "") -> SafeString:
    """A table header that sorts by ``field``; a second click reverses the order."""
    request: HttpRequest = context["request"]
    current = str(context.get("sort") or "")
    query = request.GET.copy()
    query.pop("page", None)
    if current == field:
        query["sort"], state, arrow = f"-{field}", "ascending", "▲"
    elif current == f"-{field}":
        query["sort"], state, arrow = field, "descending", "▼"
    else:
        query["sort"], state, arrow = field, "none", ""
    aria = format_html(' aria-sort="{}"', state) if state != "none" else ""
    return format_html(
        '<th scope="col" class="{}"{}><a class="sort" href="?{}">{}'
        '<span class="sort-arrow" aria-hidden="true">{}</span></a></th>',
        css, aria, query.urlencode(), label, arrow,
    )


@register.filter
def type_abbrev(media_type: Any) -> str:
    """A short label for a file type without a thumbnail: ``PDF``, ``TXT``, ``DOCX``."""
    plain = str(media_type or "").split(";")[0].strip()
    extension = mimetypes.guess_extension(plain) if plain else None
    if extension:
        return extension.lstrip(".").upper()[:4]
    subtype = plain.split("/")[-1].split("+")[0].split(".")[-1].split("-")[-1]
    return (subtype or "FILE").upper()[:4]
