"""Reading RSS 2.0 and Atom feeds safely (no Django here).

A feed is attacker-controlled XML fetched from the internet, so it is parsed with defusedxml:
any entity declaration (the billion-laughs bomb, external entities reaching local files or the
network — XXE) is refused outright rather than expanded. The bytes are read up to
:data:`MAX_FEED_BYTES` before parsing; a larger answer is refused, which keeps memory bounded
for the feeds news sites and channels publish (a few hundred kilobytes).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

MAX_FEED_BYTES = 10 * 2**20
ATOM = "{http://www.w3.org/2005/Atom}"
FEED_MEDIA_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/xml",
    "text/xml",
    "application/rdf+xml",
    "application/feed+json",
)


class FeedError(Exception):
    """The feed cannot be read; the message says why, for ``last_error``."""


@dataclass
class FeedEntry:
    """One item of a feed."""

    key: str
    url: str
    title: str
    summary: str
    published: datetime | None


def looks_like_feed(media_type: str, head: bytes) -> bool:
    """Whether a response is a feed: by its content type, else by its XML root element."""
    if media_type in FEED_MEDIA_TYPES[:2]:
        return True
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:2048].lower()
    if media_type in FEED_MEDIA_TYPES or start.startswith(b"<?xml"):
        return b"<rss" in start or b"<feed" in start or b"<rdf:rdf" in start
    return False


def _text(element: Any, tag: str) -> str:
    found = element.find(tag)
    return (found.text or "").strip() if found is not None and found.text else ""


def _date(raw: str) -> datetime | None:
    """An RSS (RFC 822) or Atom (RFC 3339) date in UTC; None when it cannot be read."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        moment = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        try:
            moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def entry_key(guid: str, link: str, title: str) -> str:
    """The entry's identity: its guid/id when short enough, else a hash of link and title."""
    if guid and len(guid) <= 120:
        return guid
    basis = guid or link or title
    return "sha256:" + hashlib.sha256(basis.encode("utf-8")).hexdigest()[:64]


def parse_feed(data: bytes, base_url: str) -> list[FeedEntry]:
    """The entries of an RSS 2.0 (or RSS 1.0/RDF) or Atom feed, in the feed's order.

    Raise FeedError for a feed that is too large, not XML, declares entities, or is neither
    RSS nor Atom.
    """
    if len(data) > MAX_FEED_BYTES:
        raise FeedError(f"the feed is larger than {MAX_FEED_BYTES // 2**20} MB")
    try:
        root = fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise FeedError(f"the feed was refused: it declares XML entities ({exc})") from exc
    except ParseError as exc:
        raise FeedError(f"the feed is not well-formed XML ({exc})") from exc
    tag = str(root.tag)
    if tag == f"{ATOM}feed":
        return [_atom_entry(e, base_url) for e in root.findall(f"{ATOM}entry")]
    if tag == "rss" or tag.endswith("}RDF"):
        items = root.findall("./channel/item") or [
            e for e in root.iter() if str(e.tag).rsplit("}", 1)[-1] == "item"
        ]
        return [_rss_entry(e, base_url) for e in items]
    raise FeedError(f"the document is XML but neither RSS nor Atom (root element {tag!r})")


def _rss_entry(item: Any, base_url: str) -> FeedEntry:
    def child(name: str) -> str:
        for element in item:
            if str(element.tag).rsplit("}", 1)[-1] == name and element.text:
                return str(element.text).strip()
        return ""

    link = child("link")
    guid = child("guid")
    if not link and guid.startswith(("http://", "https://")):
        link = guid
    url = urljoin(base_url, link) if link else ""
    title = child("title")
    published = _date(child("pubDate") or child("date"))
    return FeedEntry(
        entry_key(guid, url, title), url, title[:500], child("description")[:20_000], published
    )


def _atom_entry(entry: Any, base_url: str) -> FeedEntry:
    url = ""
    for link in entry.findall(f"{ATOM}link"):
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            url = urljoin(base_url, link.get("href"))
            break
    title = _text(entry, f"{ATOM}title")
    summary = _text(entry, f"{ATOM}summary") or _text(entry, f"{ATOM}content")
    published = _date(_text(entry, f"{ATOM}published") or _text(entry, f"{ATOM}updated"))
    return FeedEntry(
        entry_key(_text(entry, f"{ATOM}id"), url, title),
        url,
        title[:500],
        summary[:20_000],
        published,
    )
