"""Main text, metadata and removal notices of a captured page.

Trafilatura does the main-text extraction; when it finds nothing (very short pages, odd markup)
the plain text of the page's visible blocks from :mod:`htmlscan` stands in, so a capture always
has some text to search and to compare between versions.
"""

from __future__ import annotations

import json
import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

from .htmlscan import PageScan, scan_html

NOTICES_FILE = Path(__file__).with_name("data") / "removal_notices.json"
SHORT_PAGE_CHARS = 2000  # a removal notice only counts in the body text of a short page
FAST_PATH_MIN_CHARS = 500  # less text than this from the fast path: run the full cascade


def extract(
    html: str, url: str, scan: PageScan | None = None
) -> tuple[dict[str, Any], str, list[str]]:
    """(metadata, main text, warnings) of one HTML page (``scan``: its scan, if made already)."""
    scan = scan if scan is not None else scan_html(html, url)
    warnings: list[str] = []
    found: dict[str, Any] = {}
    text = ""
    try:
        found, text = _trafilatura(html, url)
    except Exception as exc:  # a third-party parser: any failure falls back, and is recorded
        warnings.append(f"trafilatura failed on the page ({exc.__class__.__name__}: {exc}); "
                        "the page's visible text is used instead")
    if not text.strip():
        text = scan.text
    return _metadata(scan, found), text.strip(), warnings


def _trafilatura(html: str, url: str) -> tuple[dict[str, Any], str]:
    """Trafilatura's own extractor first; its slower comparison with readability and jusText
    only when that finds little text (it changes nothing on a page whose article is clear,
    and took a quarter of an HTTP-only capture's time)."""
    data = _bare_extraction(html, url, fast=True)
    text = str(data.get("text") or "")
    if len(text.strip()) < FAST_PATH_MIN_CHARS:
        full = _bare_extraction(html, url, fast=False)
        if len(str(full.get("text") or "").strip()) > len(text.strip()) or not data:
            data, text = full, str(full.get("text") or "")
    return data, text


def _bare_extraction(html: str, url: str, fast: bool) -> dict[str, Any]:
    import trafilatura

    logging.getLogger("trafilatura").setLevel(logging.ERROR)
    document = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, include_comments=False, favor_recall=True, fast=fast
    )
    if document is None:
        return {}
    return document.as_dict() if hasattr(document, "as_dict") else dict(document)


def _metadata(scan: PageScan, found: dict[str, Any]) -> dict[str, Any]:
    meta = scan.meta

    def first(*values: Any) -> str:
        return next((str(v).strip() for v in values if v and str(v).strip()), "")

    return {
        "title": first(meta.get("og:title"), scan.title, found.get("title")),
        "author": first(meta.get("author"), meta.get("article:author"), found.get("author")),
        "published": first(
            meta.get("article:published_time"), meta.get("datepublished"),
            meta.get("date"), found.get("date"),
        ),
        "language": first(scan.lang, meta.get("content-language"), meta.get("og:locale"),
                          found.get("language")),
        "description": first(meta.get("og:description"), meta.get("description"),
                             found.get("description")),
        "site_name": first(meta.get("og:site_name"), found.get("sitename")),
    }


@lru_cache(maxsize=1)
def removal_notices() -> list[dict[str, str]]:
    """The table of platform removal notices shipped with Vestige."""
    data = json.loads(NOTICES_FILE.read_text(encoding="utf-8"))
    return list(data["notices"])


def removal_notice(title: str, text: str) -> str:
    """"platform notice: <platform>: <phrase>" when the page shows a known notice, else ""."""
    title_folded = title.casefold()
    text_folded = text.casefold() if len(text) <= SHORT_PAGE_CHARS else ""
    for notice in removal_notices():
        phrase = notice["phrase"].casefold()
        if phrase in title_folded or phrase in text_folded:
            return f"platform notice: {notice['platform']}: {notice['phrase']}"
    return ""
