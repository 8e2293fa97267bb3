"""Reading a capture's WACZ back for replay: find a URL's response, rewrite its links.

The archived bytes are hostile. Nothing here runs them: an HTML or CSS response is parsed only
to point its links at the replay path (so that the sandboxed frame never reaches the live web),
and everything is served by :mod:`vestige.web.views.replay` under a Content-Security-Policy that
forbids scripts. This module has no Django imports: it takes a WACZ path and gives back bytes.

A WACZ holds its WARC files under ``archive/`` and an index under ``indexes/`` — CDXJ, plain
(``index.cdxj``) or gzip-compressed in blocks (``index.cdx.gz``, as py-wacz writes it). Each
index line names the WARC file, the offset and the length of the record, so one response is read
by seeking into the (stored, uncompressed) zip member without reading the rest. A WACZ without a
usable index is scanned record by record once.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import threading
import zipfile
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord

# Bodies rewritten in memory (HTML, CSS) are capped; larger ones are served as they are.
MAX_REWRITE_BYTES = 16 * 2**20
# Bytes read per chunk when streaming a response body to the browser.
CHUNK = 256 * 1024
_CACHE_SIZE = 16


@dataclass(frozen=True)
class ArchivedResponse:
    """Where one archived response lives inside the WACZ."""

    url: str
    status: int
    mime: str
    filename: str  # the zip member, e.g. "archive/data.warc.gz"
    offset: int
    length: int  # 0 when unknown: read the record the iterator finds at offset
    timestamp: str = ""


@dataclass
class ArchiveIndex:
    """Every response and resource record of one WACZ, by canonical URL."""

    responses: dict[str, list[ArchivedResponse]] = field(default_factory=dict)
    pages: list[dict[str, Any]] = field(default_factory=list)
    source: str = ""  # "cdxj" or "scan": how the index was built

    def add(self, response: ArchivedResponse) -> None:
        self.responses.setdefault(canonical_url(response.url), []).append(response)

    def lookup(self, url: str) -> ArchivedResponse | None:
        """The response to replay for ``url``: a success first, then a redirect, then any.

        Entries without an HTTP status (``metadata`` and ``resource`` records, such as the
        capture context the engine files under the page's own URL) come last: they describe
        the page, they are not the page.
        """
        found = self.responses.get(canonical_url(url))
        if not found:
            return None

        def rank(entry: ArchivedResponse) -> tuple[int, str]:
            if 200 <= entry.status < 300:
                order = 0
            elif 300 <= entry.status < 400:
                order = 1
            elif entry.status:
                order = 2
            else:
                order = 3
            return order, entry.timestamp

        return sorted(found, key=rank)[0]


def canonical_url(url: str) -> str:
    """``url`` in a form that survives the trips through the replay path.

    The scheme and host are lower-cased, a default port and the fragment are dropped and the
    path and query are percent-decoded: a URL written into a path comes back decoded by the
    web server, so both sides are compared decoded.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return url.strip()
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if port is not None and (scheme, port) not in (("http", 80), ("https", 443)):
        host = f"{host}:{port}"
    path = unquote(parts.path) or "/"
    query = unquote(parts.query)
    return urlunsplit((scheme, host, path, query, ""))


# ------------------------------------------------------------------------------ reading

_cache: OrderedDict[tuple[str, int, int], ArchiveIndex] = OrderedDict()
_cache_lock = threading.Lock()


def archive_index(path: Path) -> ArchiveIndex:
    """The index of the WACZ at ``path``, built once per file version and then kept."""
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    index = build_index(path)
    with _cache_lock:
        _cache[key] = index
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return index


def build_index(path: Path) -> ArchiveIndex:
    """Read the WACZ's CDXJ index, or scan its WARC files when it has none."""
    with zipfile.ZipFile(path) as wacz:
        names = wacz.namelist()
        index = ArchiveIndex(pages=_read_pages(wacz, names))
        for name in names:
            if name.startswith("indexes/") and name.endswith((".cdxj", ".cdx", ".cdx.gz")):
                _read_cdxj(wacz, name, index)
        if index.responses:
            index.source = "cdxj"
            return index
        for name in names:
            if name.startswith("archive/") and name.endswith((".warc", ".warc.gz")):
                _scan_warc(wacz, name, index)
        index.source = "scan"
    return index


def _read_pages(wacz: zipfile.ZipFile, names: list[str]) -> list[dict[str, Any]]:
    if "pages/pages.jsonl" not in names:
        return []
    pages = []
    with wacz.open("pages/pages.jsonl") as handle:
        for line in io.TextIOWrapper(handle, "utf-8", errors="replace"):
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict) and entry.get("url"):
                pages.append(entry)
    return pages


def _read_cdxj(wacz: zipfile.ZipFile, name: str, index: ArchiveIndex) -> None:
    with wacz.open(name) as raw:
        stream: IO[bytes] = raw
        if name.endswith(".gz"):
            # Blocks of gzip members, one after another: GzipFile reads them all.
            stream = gzip.GzipFile(fileobj=raw)  # type: ignore[assignment]
        for line in io.TextIOWrapper(stream, "utf-8", errors="replace"):
            entry = _cdxj_entry(line)
            if entry is not None:
                index.add(entry)


def _cdxj_entry(line: str) -> ArchivedResponse | None:
    parts = line.strip().split(" ", 2)
    if len(parts) != 3 or not parts[2].startswith("{"):
        return None
    try:
        fields = json.loads(parts[2])
        mime = str(fields.get("mime", ""))
        if mime == "warc/revisit" or not fields.get("url") or not fields.get("filename"):
            return None
        filename = str(fields["filename"])
        if not filename.startswith("archive/"):
            filename = f"archive/{filename}"
        return ArchivedResponse(
            url=str(fields["url"]), status=int(fields.get("status") or 0), mime=mime,
            filename=filename, offset=int(fields.get("offset", 0)),
            length=int(fields.get("length", 0)), timestamp=parts[1],
        )
    except (ValueError, TypeError):
        return None


def _scan_warc(wacz: zipfile.ZipFile, name: str, index: ArchiveIndex) -> None:
    with wacz.open(name) as handle:
        records = ArchiveIterator(handle)
        for record in records:
            if record.rec_type not in ("response", "resource"):
                continue
            url = record.rec_headers.get_header("WARC-Target-URI") or ""
            if not url:
                continue
            status, mime = 200, ""
            if record.http_headers is not None and record.rec_type == "response":
                status = int(record.http_headers.get_statuscode() or 0)
                mime = record.http_headers.get_header("Content-Type") or ""
            else:
                mime = record.rec_headers.get_header("Content-Type") or ""
            offset = records.get_record_offset()
            record.content_stream().read()  # let the iterator measure the record
            index.add(ArchivedResponse(
                url=url, status=status, mime=mime.split(";")[0].strip(), filename=name,
                offset=offset, length=0,
                timestamp=record.rec_headers.get_header("WARC-Date") or "",
            ))


@contextmanager
def open_record(path: Path, entry: ArchivedResponse) -> Iterator[ArcWarcRecord]:
    """The WARC record of ``entry``, read from the zip member at its offset.

    A stored (uncompressed) member, as WACZ requires for its WARC files, is read straight from
    the zip file at the right place; a compressed one is read through the zip module.
    """
    with zipfile.ZipFile(path) as wacz:
        info = wacz.getinfo(entry.filename)
        if info.compress_type == zipfile.ZIP_STORED:
            with open(path, "rb") as handle:
                handle.seek(_data_start(handle, info) + entry.offset)
                yield _first_record(handle, entry)
            return
        with wacz.open(info) as member:
            member.seek(entry.offset)
            yield _first_record(member, entry)


def _data_start(handle: IO[bytes], info: zipfile.ZipInfo) -> int:
    """Where a member's bytes begin: after its local header, whose extra field may differ."""
    handle.seek(info.header_offset)
    header = handle.read(30)
    if len(header) != 30 or header[:4] != b"PK\x03\x04":
        raise KeyError(f"bad local header for {info.filename}")
    name_length = int.from_bytes(header[26:28], "little")
    extra_length = int.from_bytes(header[28:30], "little")
    return info.header_offset + 30 + name_length + extra_length


def _first_record(stream: IO[bytes], entry: ArchivedResponse) -> ArcWarcRecord:
    for record in ArchiveIterator(stream):
        return record
    raise KeyError(f"no WARC record at offset {entry.offset} of {entry.filename}")


def http_header(record: ArcWarcRecord, name: str) -> str:
    """A header of the archived HTTP response ("" for a resource record or a missing one)."""
    if record.http_headers is not None:
        return str(record.http_headers.get_header(name) or "")
    if name == "Content-Type":
        return str(record.rec_headers.get_header(name) or "")
    return ""


def iter_body(record: ArcWarcRecord) -> Iterator[bytes]:
    """The response body, de-chunked and decoded as the browser would have received it."""
    stream = record.content_stream()
    while chunk := stream.read(CHUNK):
        yield chunk


def read_body(record: ArcWarcRecord, limit: int = MAX_REWRITE_BYTES) -> bytes | None:
    """The whole body when it is at most ``limit`` bytes, else None."""
    stream = record.content_stream()
    body = stream.read(limit + 1)
    return None if len(body) > limit else body


# ---------------------------------------------------------------------------- rewriting

Rewriter = Callable[[str], str]

_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]*)\1\s*\)""", re.IGNORECASE)
_CSS_IMPORT = re.compile(r"""@import\s+(['"])([^'"]+)\1""", re.IGNORECASE)
_CHARSET = re.compile(r"charset=[\"']?([A-Za-z0-9_.:-]+)", re.IGNORECASE)


def charset_of(content_type: str) -> str | None:
    """The charset named in a Content-Type value, if any."""
    match = _CHARSET.search(content_type or "")
    return match.group(1) if match else None


def replay_link(link: str, base_url: str, to_replay: Rewriter) -> str:
    """Where a link of an archived document points in the replay.

    http(s) links (absolute or relative to ``base_url``) go to the replay path; ``data:`` stays;
    anything else (``javascript:``, ``mailto:``, …) becomes an inert ``#``.
    """
    link = link.strip()
    if not link or link.startswith("#"):
        return link
    if link.lower().startswith("data:"):
        return link
    absolute = urljoin(base_url, link)
    scheme = urlsplit(absolute).scheme.lower()
    if scheme not in ("http", "https"):
        return "#"
    return to_replay(absolute)


def rewrite_css(text: str, base_url: str, to_replay: Rewriter) -> str:
    """A stylesheet with every ``url(…)`` and ``@import`` pointed at the replay path."""

    def url_sub(match: re.Match[str]) -> str:
        return f'url("{replay_link(match.group(2), base_url, to_replay)}")'

    def import_sub(match: re.Match[str]) -> str:
        return f'@import "{replay_link(match.group(2), base_url, to_replay)}"'

    return _CSS_URL.sub(url_sub, _CSS_IMPORT.sub(import_sub, text))


def _rewrite_srcset(value: str, base_url: str, to_replay: Rewriter) -> str:
    candidates = []
    for candidate in value.split(","):
        bits = candidate.strip().split(None, 1)
        if not bits:
            continue
        bits[0] = replay_link(bits[0], base_url, to_replay)
        candidates.append(" ".join(bits))
    return ", ".join(candidates)


def rewrite_html(body: bytes, charset: str | None, base_url: str, to_replay: Rewriter) -> bytes:
    """An archived HTML document with its links pointed at the replay path, as UTF-8.

    ``<base>`` is honoured and then removed; ``srcset`` and ``poster`` are rewritten too, and
    subresource-integrity attributes are dropped (rewritten stylesheets no longer match them).
    Scripts are left in place but never run: the replay's CSP and the frame's sandbox forbid it.
    """
    import lxml.html
    from lxml import etree

    parser = lxml.html.HTMLParser(encoding=charset) if charset else None
    try:
        document = lxml.html.document_fromstring(body, parser=parser)
    except (etree.ParserError, ValueError, LookupError):
        document = lxml.html.document_fromstring(body.decode("utf-8", "replace"))
    for base in document.iter("base"):
        href = base.get("href")
        if href:
            base_url = urljoin(base_url, href.strip())
            break
    for base in list(document.iter("base")):
        base.drop_tree()
    document.rewrite_links(
        lambda link: replay_link(link, base_url, to_replay), resolve_base_href=False
    )
    for element in document.iter(etree.Element):
        for attribute in ("srcset", "imagesrcset"):
            value = element.get(attribute)
            if value:
                element.set(attribute, _rewrite_srcset(value, base_url, to_replay))
        poster = element.get("poster")
        if poster:
            element.set("poster", replay_link(poster, base_url, to_replay))
        for attribute in ("integrity", "crossorigin"):
            if attribute in element.attrib:
                del element.attrib[attribute]
    for meta in list(document.iter("meta")):
        if meta.get("charset") is not None or (
            (meta.get("http-equiv") or "").lower() == "content-type"
        ):
            meta.drop_tree()
    head = document.find("head")
    if head is not None:
        head.insert(0, lxml.html.Element("meta", charset="utf-8"))
    return bytes(lxml.html.tostring(document, encoding="utf-8", doctype="<!DOCTYPE html>"))
