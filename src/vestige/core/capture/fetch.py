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
from warcio.warcwriter import WARCWriter

from . import netguard
from .types import CaptureOptions

CHUNK = 64 * 1024
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


@dataclass
class Exchange:
    """One request and its response, as recorded in the WARC."""

    url: str
    method: str
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: Path
    size: int
    ip: str
    tls: dict[str, Any] | None = None
    truncated: str = ""  # "", or why the body is incomplete: "length", "time", "disconnect"
    started: float = 0.0
    record_id: str = ""
    warc_date: str = ""

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

    def decoded_body(self) -> Path:
        """The body with any gzip/deflate content coding removed (the original stays as is)."""
        coding = self.header("content-encoding").strip().lower()
        if coding not in ("gzip", "x-gzip", "deflate"):
            return self.body
        target = self.body.with_suffix(".decoded")
        if target.exists():
            return target
        wbits = 47 if coding != "deflate" else 15
        try:
            _inflate(self.body, target, wbits)
        except zlib.error:
            if coding != "deflate":
                return self.body
            try:
                _inflate(self.body, target, -15)  # raw deflate, as some servers send
            except zlib.error:
                return self.body
        return target

    def read_text(self, limit: int = 20 * 2**20) -> str:
        """The decoded body as text, up to ``limit`` bytes.

        The charset comes from the Content-Type header, else from the page's own ``<meta>``
        declaration, else UTF-8 — many Russian and Armenian sites still serve windows-1251 or
        ARMSCII and say so only in the markup.
        """
        with self.decoded_body().open("rb") as fh:
            raw = fh.read(limit)
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


def _inflate(source: Path, target: Path, wbits: int) -> None:
    decompressor = zlib.decompressobj(wbits)
    with source.open("rb") as src, target.open("wb") as dst:
        while chunk := src.read(CHUNK):
            dst.write(decompressor.decompress(chunk))
        dst.write(decompressor.flush())


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
    """The chain the server sent, where Python can give it (3.13+); else only the leaf."""
    getter = getattr(sock, "get_unverified_chain", None)
    if getter is None:
        return []
    try:
        items = getter() or []
    except (ssl.SSLError, ValueError):
        return []
    return [item for item in items if isinstance(item, bytes)]  # DER, leaf first


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


class WarcRecorder:
    """A gzipped WARC file that several threads append request/response pairs to."""

    def __init__(self, path: Path, software: str) -> None:
        self.path = path
        self._fh: BinaryIO = path.open("wb")
        self._writer = WARCWriter(self._fh, gzip=True)
        self._lock = threading.Lock()
        info = self._writer.create_warcinfo_record(
            path.name, {"software": software, "format": "WARC File Format 1.0"}
        )
        self._writer.write_record(info)

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
        with self._lock, exchange.body.open("rb") as body:
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
            if not self._fh.closed:
                self._fh.flush()
                self._fh.close()


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
        self.bodies = workdir / "responses"
        self.bodies.mkdir(parents=True, exist_ok=True)
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
        target = self.bodies / f"{next(self._counter):06d}.body"
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
                target.unlink(missing_ok=True)
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
        self, response: http.client.HTTPResponse, target: Path, started: float, url: str
    ) -> tuple[int, str]:
        """Copy the body to ``target``; stop at the size budget or the per-request deadline.

        Returns the size and "" for a complete body, else why it stopped ("length", "time",
        "disconnect"): what did arrive is still recorded, marked as truncated.
        """
        size = 0
        deadline = started + self.options.timeout
        with target.open("wb") as out:
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
