"""The guarded HTTP fetcher: every byte a capture receives comes through here.

Each request resolves and checks its host with :mod:`netguard`, connects to the checked address
itself, streams the body to a file in the work directory, counts it against the capture's size
budget, and records the request and the response as a pair of WARC records (with the address it
connected to and the payload digest). Redirects are followed by hand so every hop is checked and
recorded. Used both for HTTP-only captures and, through Playwright's request routing, for every
request a browser page makes.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import io
import itertools
import json
import re
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import iso_date_to_timestamp
from warcio.warcwriter import WARCWriter

from . import netguard
from .types import CaptureOptions

CHUNK = 64 * 1024
SPOOL_BYTES = 2 * 2**20  # a response body up to this size stays in memory, larger ones on disk
WARC_SPOOL_BYTES = 16 * 2**20  # the same for the capture's WARC before it goes into the WACZ
MAX_REDIRECTS = 10
WATCHDOG_GRACE = 1.0  # seconds past the request timeout before the connection is cut
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
# Headers a fetcher sets itself or that only make sense on one connection.
HOP_BY_HOP = {
    "host", "connection", "keep-alive", "proxy-connection", "proxy-authorization", "te",
    "trailer", "transfer-encoding", "upgrade", "content-length", "accept-encoding",
}


class FetchError(Exception):
    """A request did not give a usable response; ``outcome`` is the capture outcome it means."""

    outcome = "failed"
    transient = False


class Refused(FetchError):
    outcome = "refused"


class TimedOut(FetchError):
    outcome = "timeout"
    transient = True


class TooLarge(FetchError):
    outcome = "too_large"


class ConnectionFailed(FetchError):
    transient = True


class Spool:
    """Bytes written once, kept in memory while small and spilled to a scratch file past
    ``limit``; hashed (sha256) as they are written, so nothing is read back to be hashed.

    Creating, filling and deleting a scratch file per response cost more than the rest of an
    HTTP-only capture on a busy disk; most bodies and most WARCs are small.
    """

    def __init__(self, spill_to: Path, limit: int | None = None) -> None:
        self.spill_to = spill_to
        self.limit = SPOOL_BYTES if limit is None else limit
        self.size = 0
        self._hash = hashlib.sha256()
        self._memory: io.BytesIO | None = io.BytesIO()
        self._file: BinaryIO | None = None
        self._data: bytes | None = None

    def write(self, chunk: bytes) -> int:
        if self._memory is not None and self.size + len(chunk) > self.limit:
            self.spill_to.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.spill_to.open("wb")
            self._file.write(self._memory.getbuffer())
            self._memory = None
        sink: BinaryIO | None = self._memory if self._memory is not None else self._file
        if sink is None:
            raise ValueError("the spool is closed")
        sink.write(chunk)
        self._hash.update(chunk)
        self.size += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self.size

    def flush(self) -> None:
        if self._file is not None:
            self._file.flush()

    def close(self) -> None:
        """No more writes; the bytes stay readable."""
        if self._memory is not None:
            self._data = self._memory.getvalue()
            self._memory = None
        if self._file is not None:
            self._file.close()
            self._file = None

    @property
    def closed(self) -> bool:
        return self._memory is None and self._file is None

    @property
    def on_disk(self) -> bool:
        return self._data is None and self.spill_to.exists()

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    def open(self) -> BinaryIO:
        """A fresh reader over everything written (call after :meth:`close`)."""
        if self._data is not None:
            return io.BytesIO(self._data)
        return self.spill_to.open("rb")

    def read(self, limit: int = -1) -> bytes:
        if self._data is not None:
            return self._data if limit < 0 else self._data[:limit]
        with self.spill_to.open("rb") as fh:
            return fh.read(limit)

    def save_as(self, target: Path) -> None:
        """Put the bytes at ``target``: a spilled file is moved, never copied."""
        if self._data is not None:
            target.write_bytes(self._data)
        else:
            self.spill_to.replace(target)

    def discard(self) -> None:
        self.close()
        self._data = b""
        self.spill_to.unlink(missing_ok=True)


def spool_of(data: bytes, spill_to: Path) -> Spool:
    """A closed spool holding ``data``."""
    spool = Spool(spill_to)
    spool.write(data)
    spool.close()
    return spool


@dataclass
class Exchange:
    """One request and its response, as recorded in the WARC."""

    url: str
    method: str
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: Spool
    size: int
    ip: str
    tls: dict[str, Any] | None = None
    truncated: str = ""  # "", or why the body is incomplete: "length", "time", "disconnect"
    started: float = 0.0
    record_id: str = ""
    warc_date: str = ""
    _decoded: Spool | None = field(default=None, repr=False, compare=False)

    def header(self, name: str) -> str:
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), "")

    @property
    def media_type(self) -> str:
        return self.header("content-type").split(";", 1)[0].strip().lower()

    @property
    def location(self) -> str:
        value = self.header("location")
        return urljoin(self.url, value) if value else ""

    def decoded_body(self) -> Spool:
        """The body with any gzip/deflate content coding removed (the original stays as is)."""
        coding = self.header("content-encoding").strip().lower()
        if coding not in ("gzip", "x-gzip", "deflate"):
            return self.body
        if self._decoded is not None:
            return self._decoded
        wbits = 47 if coding != "deflate" else 15
        target = self.body.spill_to.with_suffix(".decoded")
        try:
            self._decoded = _inflate(self.body, target, wbits)
        except zlib.error:
            if coding != "deflate":
                return self.body
            try:
                self._decoded = _inflate(self.body, target, -15)  # raw deflate, as some send
            except zlib.error:
                return self.body
        return self._decoded

    def read_text(self, limit: int = 20 * 2**20) -> str:
        """The decoded body as text, up to ``limit`` bytes.

        The charset comes from the Content-Type header, else from the page's own ``<meta>``
        declaration, else UTF-8 — many Russian and Armenian sites still serve windows-1251 or
        ARMSCII and say so only in the markup.
        """
        raw = self.decoded_body().read(limit)
        charset = ""
        for part in self.header("content-type").split(";")[1:]:
            key, _, value = part.partition("=")
            if key.strip().lower() == "charset" and value.strip():
                charset = value.strip().strip('"\'')
        if not charset:
            declared = META_CHARSET.search(raw[:4096])
            charset = declared.group(1).decode("ascii") if declared else "utf-8"
        try:
            return raw.decode(charset, errors="replace")
        except LookupError:
            return raw.decode("utf-8", errors="replace")


META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
URL_SAFE_PATH = "/%:@!$&'()*+,;=-._~"
URL_SAFE_QUERY = URL_SAFE_PATH + "?"


def normalize_url(url: str) -> str:
    """The URL as a browser would send it: IDNA host, non-ASCII and spaces percent-encoded.

    Links in pages often hold raw spaces or Cyrillic/Armenian letters; the request line must be
    ASCII. Existing escapes are kept, so a URL is never encoded twice. No fragment.
    """
    parts = urlsplit(url.strip())
    host = parts.hostname or ""
    if host and not host.isascii():
        host = host.encode("idna").decode("ascii")
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{parts.port}" if parts.port else "")
    if parts.username is not None:
        userinfo = parts.username + (f":{parts.password}" if parts.password is not None else "")
        netloc = f"{userinfo}@{netloc}"
    path = quote(parts.path, safe=URL_SAFE_PATH)
    query = quote(parts.query, safe=URL_SAFE_QUERY)
    return urlunsplit((parts.scheme.lower(), netloc, path, query, ""))


def _inflate(source: Spool, target: Path, wbits: int) -> Spool:
    decompressor = zlib.decompressobj(wbits)
    out = Spool(target)
    try:
        with source.open() as src:
            while chunk := src.read(CHUNK):
                out.write(decompressor.decompress(chunk))
            out.write(decompressor.flush())
    except zlib.error:
        out.discard()
        raise
    out.close()
    return out


def certificate_info(der: bytes, chain: list[bytes]) -> dict[str, Any]:
    """What the TLS certificate says: subject, issuer, validity, fingerprint, PEM chain."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    cert = x509.load_der_x509_certificate(der)
    pems = [
        x509.load_der_x509_certificate(item).public_bytes(Encoding.PEM).decode("ascii")
        for item in (chain or [der])
    ]
    return {
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "serial": format(cert.serial_number, "x"),
        "not_before": cert.not_valid_before_utc.isoformat(),
        "not_after": cert.not_valid_after_utc.isoformat(),
        "sha256": hashlib.sha256(der).hexdigest(),
        "chain": pems,
    }


def _peer_chain(sock: ssl.SSLSocket) -> list[bytes]:
    """The chain the server sent, leaf first, as DER.

    Python 3.13 has ``SSLSocket.get_unverified_chain``; 3.10–3.12 have the same method on the
    underlying ``_ssl`` object, returning certificate objects rather than bytes. Where neither
    is there, the caller keeps the leaf alone.
    """
    getter = getattr(sock, "get_unverified_chain", None)
    if getter is None:
        getter = getattr(getattr(sock, "_sslobj", None), "get_unverified_chain", None)
    if getter is None:
        return []
    try:
        items = getter() or []
    except (ssl.SSLError, ValueError):
        return []
    chain: list[bytes] = []
    for item in items:
        if isinstance(item, bytes):
            chain.append(item)
        elif hasattr(item, "public_bytes"):
            chain.append(item.public_bytes(ssl._ssl.ENCODING_DER))  # type: ignore[attr-defined]
    return chain


class _GuardedConnection(http.client.HTTPConnection):
    """An HTTP connection that dials the already-checked addresses, never the host name."""

    def __init__(
        self, host: str, port: int, addresses: list[netguard.IPAddress], timeout: float
    ) -> None:
        super().__init__(host, port, timeout=timeout)
        self._addresses = addresses
        self.peer_ip = ""

    def connect(self) -> None:
        sock = netguard.connect(self._addresses, self.port, float(self.timeout or 30))
        self.peer_ip = str(sock.getpeername()[0])
        self.sock = sock


class _GuardedTLSConnection(_GuardedConnection):
    """HTTPS over a checked address; keeps the peer certificate for the capture context."""

    def __init__(
        self,
        host: str,
        port: int,
        addresses: list[netguard.IPAddress],
        timeout: float,
        verify: bool,
    ) -> None:
        super().__init__(host, port, addresses, timeout)
        self._verify = verify
        self.tls: dict[str, Any] | None = None

    def connect(self) -> None:
        super().connect()
        context = ssl.create_default_context()
        if not self._verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        tls_sock = context.wrap_socket(self.sock, server_hostname=self.host.strip("[]"))
        self.sock = tls_sock
        der = tls_sock.getpeercert(binary_form=True)
        if der:
            info = certificate_info(der, _peer_chain(tls_sock))
            info["verified"] = self._verify
            info["version"] = tls_sock.version()
            self.tls = info


class _Watchdog:
    """One thread for the whole process that cuts connections whose answer takes too long.

    Socket timeouts bound each read, not the whole answer: a server trickling one header byte
    at a time could otherwise hold a capture for hours.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._armed: dict[int, tuple[float, Callable[[], None]]] = {}
        self._tokens = itertools.count(1)
        self._thread: threading.Thread | None = None

    def arm(self, seconds: float, callback: Callable[[], None]) -> int:
        with self._lock:
            token = next(self._tokens)
            self._armed[token] = (time.monotonic() + seconds, callback)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="capture-watchdog",
                                                daemon=True)
                self._thread.start()
            return token

    def disarm(self, token: int) -> None:
        with self._lock:
            self._armed.pop(token, None)

    def _run(self) -> None:
        while True:
            time.sleep(0.2)
            now = time.monotonic()
            with self._lock:
                due = [t for t, (deadline, _cb) in self._armed.items() if deadline <= now]
                callbacks = [self._armed.pop(t)[1] for t in due]
            for callback in callbacks:
                with contextlib.suppress(Exception):
                    callback()


WATCHDOG = _Watchdog()


class _IndexingWriter(WARCWriter):
    """warcio's writer, telling its owner where each record landed (for the CDXJ index)."""

    def __init__(self, out: Spool, on_record: Callable[[Any, int, int], None]) -> None:
        super().__init__(out, gzip=True)
        self._spool = out
        self._on_record = on_record

    def _write_warc_record(self, out: Any, record: Any) -> Any:
        start = self._spool.tell()
        result = super()._write_warc_record(out, record)
        self._on_record(record, start, self._spool.tell() - start)
        return result


CDXJ_RECORDS = ("response", "revisit", "resource", "metadata")
MIME_END = re.compile(r"[;\s]")


class WarcRecorder:
    """A gzipped WARC that several threads append request/response pairs to.

    The WARC stays in memory up to ``WARC_SPOOL_BYTES`` (then goes on in ``path``), its sha256
    is taken as it is written, and its CDXJ index lines are made as each record is written —
    the same lines cdxj-indexer makes by re-reading the file (a test compares the two). Only a
    WARC with POST/PUT requests, whose index keys carry the request body, is re-read by
    cdxj-indexer when the WACZ is packaged.
    """

    def __init__(self, path: Path, software: str) -> None:
        self.path = path
        self.spool = Spool(path, WARC_SPOOL_BYTES)
        self.index_lines: list[str] = []
        self.needs_reindex = False
        self._writer = _IndexingWriter(self.spool, self._indexed)
        self._lock = threading.Lock()
        info = self._writer.create_warcinfo_record(
            path.name, {"software": software, "format": "WARC File Format 1.0"}
        )
        self._writer.write_record(info)

    def _indexed(self, record: Any, offset: int, length: int) -> None:
        """One CDXJ line for ``record``, as cdxj-indexer (with post-append) would write it."""
        if record.rec_type == "request":
            method = record.http_headers.protocol.upper() if record.http_headers else ""
            self.needs_reindex = self.needs_reindex or method in ("POST", "PUT")
            return
        if record.rec_type not in CDXJ_RECORDS:
            return
        headers = record.rec_headers
        if record.rec_type in ("resource", "metadata") and (
            headers.get_header("Content-Type") == "application/warc-fields"
        ):
            return
        url = headers.get_header("WARC-Target-URI")
        fields: dict[str, str] = {"url": url}
        if record.rec_type == "revisit":
            fields["mime"] = "warc/revisit"
        else:
            source = record.http_headers if record.rec_type == "response" else headers
            mime = source.get_header("Content-Type") if source is not None else None
            if mime is not None:
                fields["mime"] = MIME_END.split(mime, 1)[0].strip() if mime else mime
        if record.rec_type in ("response", "revisit") and record.http_headers:
            fields["status"] = record.http_headers.get_statuscode()
        digest = headers.get_header("WARC-Payload-Digest")
        if digest is not None:
            fields["digest"] = digest
        fields.update({"length": str(length), "offset": str(offset), "filename": self.path.name})
        self.index_lines.append(
            f"{_url_key(url)} {iso_date_to_timestamp(headers.get_header('WARC-Date'))} "
            f"{json.dumps(fields)}"
        )

    def write_exchange(
        self,
        exchange: Exchange,
        request_line: str,
        request_headers: list[tuple[str, str]],
        request_body: bytes,
        protocol: str,
    ) -> tuple[str, str]:
        """Append the response and its request; returns the response's record id and date."""
        warc_headers = {"WARC-IP-Address": exchange.ip}
        if exchange.truncated:
            warc_headers["WARC-Truncated"] = exchange.truncated
        kept = [_archived_header(k, v) for k, v in exchange.headers]
        http_headers = StatusAndHeaders(
            f"{exchange.status} {exchange.reason}", kept, protocol=protocol
        )
        with self._lock, exchange.body.open() as body:
            response = self._writer.create_warc_record(
                exchange.url, "response", payload=body, length=exchange.size,
                warc_headers_dict=warc_headers, http_headers=http_headers,
            )
            request = self._writer.create_warc_record(
                exchange.url, "request", payload=io.BytesIO(request_body),
                length=len(request_body), warc_headers_dict={"WARC-IP-Address": exchange.ip},
                http_headers=StatusAndHeaders(
                    request_line, request_headers, protocol="", is_http_request=True
                ),
            )
            self._writer.write_request_response_pair(request, response)
            return (str(response.rec_headers.get_header("WARC-Record-ID")),
                    str(response.rec_headers.get_header("WARC-Date")))

    def write_metadata(self, url: str, fields: dict[str, Any]) -> None:
        """A metadata record about ``url`` (the capture context: address, TLS, redirects)."""
        payload = json.dumps(fields, ensure_ascii=False, sort_keys=True, default=str).encode()
        with self._lock:
            record = self._writer.create_warc_record(
                url, "metadata", payload=io.BytesIO(payload), length=len(payload),
                warc_content_type="application/json",
            )
            self._writer.write_record(record)

    def close(self) -> None:
        with self._lock:
            self.spool.close()

    def discard(self) -> None:
        """Drop the WARC (it is in the WACZ now, or there was nothing to keep)."""
        with self._lock:
            self.spool.discard()

    def cdxj(self) -> list[str]:
        """The sorted CDXJ lines of the closed WARC."""
        if not self.needs_reindex:
            return sorted(self.index_lines)
        from cdxj_indexer.main import CDXJIndexer

        out = io.StringIO()
        with self.spool.open() as warc:
            CDXJIndexer(output=out, inputs=[warc], sort=True, post_append=True,
                        filename=self.path.name).process_all()
        return out.getvalue().splitlines()


def _url_key(url: str) -> str:
    import surt

    try:
        return str(surt.surt(url))
    except Exception:  # cdxj-indexer falls back to the URL itself the same way
        return url


def _archived_header(name: str, value: str) -> tuple[str, str]:
    """The body is stored de-chunked, so a replayer must not try to de-chunk it again."""
    if name.lower() == "transfer-encoding":
        return ("X-Archive-Orig-Transfer-Encoding", value)
    return (name, value)


@dataclass
class FetchResult:
    """The final response of a navigation and the redirects that led to it."""

    exchange: Exchange
    redirects: list[dict[str, Any]] = field(default_factory=list)


class Fetcher:
    """Fetches URLs for one capture: one guard policy, one size budget, one WARC."""

    def __init__(self, options: CaptureOptions, workdir: Path, recorder: WarcRecorder) -> None:
        self.options = options
        self.policy = netguard.GuardPolicy(options.allow_private, tuple(options.allowed_networks))
        self.bodies = workdir / "responses"  # made only if a body is too large for memory
        self.recorder = recorder
        self.exchanges: list[Exchange] = []
        self.refused: list[tuple[str, str]] = []  # (url, reason) of requests the guard stopped
        self.errors: list[tuple[str, str]] = []  # (url, reason) of requests that failed
        self.bytes_used = 0
        self.budget_exceeded = False
        self._lock = threading.Lock()
        self._counter = itertools.count(1)
        # Per capture: one checked answer per host (consistent, and no lookup per resource),
        # and idle keep-alive connections to reuse (a TLS handshake per image is slow).
        self._resolved: dict[tuple[str, int], list[netguard.IPAddress]] = {}
        self._idle: dict[tuple[str, str, int, bool], list[_GuardedConnection]] = {}

    def close(self) -> None:
        """Close the idle connections (the capture is over)."""
        with self._lock:
            idle = [conn for conns in self._idle.values() for conn in conns]
            self._idle.clear()
        for conn in idle:
            conn.close()

    def _addresses(self, host: str, port: int) -> list[netguard.IPAddress]:
        with self._lock:
            known = self._resolved.get((host, port))
        if known is not None:
            return known
        addresses = netguard.checked_addresses(host, port, self.policy)
        with self._lock:
            self._resolved[(host, port)] = addresses
        return addresses

    def _take_idle(
        self, key: tuple[str, str, int, bool], addresses: list[netguard.IPAddress]
    ) -> _GuardedConnection | None:
        allowed = {str(ip) for ip in addresses}
        with self._lock:
            conns = self._idle.get(key, [])
            while conns:
                conn = conns.pop()
                if conn.peer_ip in allowed and conn.sock is not None:
                    return conn
                conn.close()
        return None

    def _give_back(self, key: tuple[str, str, int, bool], conn: _GuardedConnection) -> None:
        with self._lock:
            self._idle.setdefault(key, []).append(conn)

    # -- one request -------------------------------------------------------------------------

    def fetch_one(
        self,
        url: str,
        method: str = "GET",
        headers: list[tuple[str, str]] | None = None,
        body: bytes = b"",
    ) -> Exchange:
        """One request, no redirect following; the exchange is in the WARC when this returns."""
        try:
            return self._fetch_one(url, method, headers, body)
        except Refused as exc:
            with self._lock:
                self.refused.append((url, str(exc)))
            raise
        except FetchError as exc:
            with self._lock:
                self.errors.append((url, str(exc)))
            raise

    def _fetch_one(
        self, url: str, method: str, headers: list[tuple[str, str]] | None, body: bytes
    ) -> Exchange:
        try:
            url = normalize_url(url)
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises ValueError for a port that is not a number
        except ValueError as exc:
            raise FetchError(f"not a valid URL: {url!r} ({exc})") from exc
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchError(f"not an http(s) URL: {url}")
        if self.budget_exceeded:
            raise TooLarge(f"the capture already reached its size limit before {url}")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            addresses = self._addresses(parts.hostname, port)
        except netguard.AddressRefused as exc:
            raise Refused(f"{parts.hostname}: {exc}") from exc
        except netguard.ResolutionFailed as exc:
            raise ConnectionFailed(str(exc)) from exc
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        host_header = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        if parts.port:
            host_header += f":{parts.port}"
        request_headers = self._request_headers(host_header, headers, body)
        try:
            return self._exchange(url, parts.scheme, parts.hostname, port, addresses, method,
                                  path, request_headers, body, verify=True)
        except ssl.SSLCertVerificationError as exc:
            exchange = self._exchange(url, parts.scheme, parts.hostname, port, addresses,
                                      method, path, request_headers, body, verify=False)
            if exchange.tls is not None:
                exchange.tls["verification_error"] = str(exc.verify_message or exc)
            return exchange

    def _request_headers(
        self, netloc: str, given: list[tuple[str, str]] | None, body: bytes
    ) -> list[tuple[str, str]]:
        out = [("Host", netloc)]
        names = set()
        for name, value in given or []:
            if name.lower() in HOP_BY_HOP or name.startswith(":"):
                continue
            out.append((name, value))
            names.add(name.lower())
        defaults = (
            ("User-Agent", self.options.user_agent),
            ("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
        )
        for name, value in defaults:
            if name.lower() not in names:
                out.append((name, value))
        out.append(("Accept-Encoding", "identity"))
        if body:
            out.append(("Content-Length", str(len(body))))
        return out

    def _exchange(
        self,
        url: str,
        scheme: str,
        host: str,
        port: int,
        addresses: list[netguard.IPAddress],
        method: str,
        path: str,
        request_headers: list[tuple[str, str]],
        body: bytes,
        verify: bool,
    ) -> Exchange:
        timeout = self.options.timeout
        key = (scheme, host, port, verify)
        conn = self._take_idle(key, addresses)
        reused = conn is not None
        if conn is None:
            if scheme == "https":
                conn = _GuardedTLSConnection(host, port, addresses, timeout, verify)
            else:
                conn = _GuardedConnection(host, port, addresses, timeout)
        started = time.monotonic()
        target = Spool(self.bodies / f"{next(self._counter):06d}.body")
        expired = threading.Event()

        def expire() -> None:
            expired.set()
            if conn is not None and conn.sock is not None:
                with contextlib.suppress(OSError):
                    conn.sock.shutdown(socket.SHUT_RDWR)

        token = WATCHDOG.arm(timeout + WATCHDOG_GRACE, expire)
        keep = False
        try:
            conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            for name, value in request_headers:
                conn.putheader(name, value)
            conn.endheaders(body or None)
            response = conn.getresponse()
            size, truncated = self._stream_body(response, target, started, url)
            if truncated == "disconnect" and expired.is_set():
                truncated = "time"
            keep = not truncated and not response.will_close
            # Marks the response finished (http.client only does so itself on read()), so the
            # connection can carry the next request; the socket stays open.
            response.close()
        except ssl.SSLCertVerificationError:
            raise
        except (ConnectionError, ssl.SSLError, http.client.HTTPException, OSError,
                ValueError) as exc:
            if reused and not expired.is_set() and isinstance(
                exc, (ConnectionError, http.client.RemoteDisconnected, http.client.BadStatusLine)
            ):
                # The server closed the idle connection meanwhile: once more, on a new one.
                WATCHDOG.disarm(token)
                conn.close()
                target.discard()
                return self._exchange(url, scheme, host, port, addresses, method, path,
                                      request_headers, body, verify)
            if isinstance(exc, TimeoutError) or expired.is_set():
                raise TimedOut(f"{url} did not answer within {timeout:g} seconds") from exc
            raise ConnectionFailed(f"{url}: {exc.__class__.__name__}: {exc}") from exc
        finally:
            WATCHDOG.disarm(token)
            if not keep:
                conn.close()
        if keep:
            self._give_back(key, conn)
        protocol = "HTTP/1.1" if response.version == 11 else "HTTP/1.0"
        exchange = Exchange(
            url=url, method=method, status=response.status, reason=response.reason or "",
            headers=[(k, v) for k, v in response.getheaders()], body=target, size=size,
            ip=conn.peer_ip, tls=getattr(conn, "tls", None), truncated=truncated,
            started=started,
        )
        request_line = f"{method} {path} HTTP/1.1"
        exchange.record_id, exchange.warc_date = self.recorder.write_exchange(
            exchange, request_line, request_headers, body, protocol
        )
        with self._lock:
            self.exchanges.append(exchange)
        if truncated == "length":
            raise TooLarge(
                f"the capture passed its size limit of {self.options.max_bytes} bytes "
                f"while receiving {url}"
            )
        if truncated == "time":
            raise TimedOut(f"{url} did not finish sending within {timeout:g} seconds "
                           f"(the first {size} bytes are archived)")
        if truncated == "disconnect":
            raise ConnectionFailed(f"{url}: the connection broke after {size} bytes "
                                   "(they are archived)")
        return exchange

    def _stream_body(
        self, response: http.client.HTTPResponse, target: Spool, started: float, url: str
    ) -> tuple[int, str]:
        """Copy the body to ``target``; stop at the size budget or the per-request deadline.

        Returns the size and "" for a complete body, else why it stopped ("length", "time",
        "disconnect"): what did arrive is still recorded, marked as truncated.
        """
        size = 0
        deadline = started + self.options.timeout
        with contextlib.closing(target) as out:
            while True:
                if time.monotonic() > deadline:
                    return size, "time"
                try:
                    chunk = response.read1(CHUNK)
                except TimeoutError:
                    return size, "time"
                except (ConnectionError, http.client.IncompleteRead, ssl.SSLError):
                    return size, "disconnect"
                if not chunk:
                    # http.client ends quietly when a server closes before its Content-Length.
                    return size, "disconnect" if response.length else ""
                with self._lock:
                    allowed = self.options.max_bytes - self.bytes_used
                    take = min(len(chunk), max(allowed, 0))
                    self.bytes_used += take
                    if take < len(chunk):
                        self.budget_exceeded = True
                out.write(chunk[:take])
                size += take
                if take < len(chunk):
                    return size, "length"

    # -- navigation --------------------------------------------------------------------------

    def fetch(self, url: str, max_redirects: int = MAX_REDIRECTS) -> FetchResult:
        """GET ``url`` and follow redirects by hand, checking and recording every hop."""
        return self.follow(self.fetch_one(url), max_redirects)

    def follow(self, first: Exchange, max_redirects: int = MAX_REDIRECTS) -> FetchResult:
        """Follow the redirects starting at ``first`` (already fetched) with GETs."""
        redirects: list[dict[str, Any]] = []
        exchange = first
        for _hop in range(max_redirects):
            location = exchange.location
            if exchange.status not in REDIRECT_STATUSES or not location:
                return FetchResult(exchange, redirects)
            redirects.append({"url": exchange.url, "status": exchange.status,
                              "location": location})
            if urlsplit(location).scheme not in ("http", "https"):
                raise FetchError(f"{exchange.url} redirects to a non-web address: {location}")
            exchange = self.fetch_one(location)
        if exchange.status not in REDIRECT_STATUSES or not exchange.location:
            return FetchResult(exchange, redirects)
        raise FetchError(f"{first.url} redirected more than {max_redirects} times")


def utc_now() -> str:
    """Current UTC time in ISO 8601 with a Z."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
