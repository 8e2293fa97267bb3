"""A small forward proxy on 127.0.0.1 that applies the address guard to tools with their own HTTP.

yt-dlp has its own networking (site APIs, video CDNs), which cannot be routed through the
capture's fetcher. Pointing it at this proxy puts every one of its connections through the same
rule: the proxy resolves the host, checks every address and connects to the checked address
itself. ``CONNECT`` tunnels carry https; plain http requests are forwarded one per connection.
The proxy listens on loopback only, for the duration of one download, and counts the bytes it
relays against the capture's size budget.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import socketserver
import threading
from urllib.parse import urlsplit

from . import netguard

HEAD_LIMIT = 64 * 1024
DROP_HEADERS = {b"proxy-connection", b"proxy-authorization", b"connection", b"keep-alive"}


class GuardedProxy:
    """Run with ``with GuardedProxy(policy, timeout, max_bytes) as proxy: … proxy.url …``."""

    def __init__(self, policy: netguard.GuardPolicy, timeout: float, max_bytes: int) -> None:
        self.policy = policy
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.bytes_relayed = 0
        self.refused: list[tuple[str, str]] = []  # (host, reason)
        self._lock = threading.Lock()
        self._server: socketserver.ThreadingTCPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "the proxy is not running"
        port = int(self._server.server_address[1])
        return f"http://127.0.0.1:{port}"

    def __enter__(self) -> GuardedProxy:
        proxy = self

        class Handler(_ProxyHandler):
            owner = proxy

        server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self._server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def count(self, size: int) -> bool:
        """Add relayed bytes; False once the budget is spent."""
        with self._lock:
            self.bytes_relayed += size
            return self.bytes_relayed <= self.max_bytes


class _ProxyHandler(socketserver.BaseRequestHandler):
    owner: GuardedProxy

    def handle(self) -> None:
        client: socket.socket = self.request
        client.settimeout(self.owner.timeout)
        try:
            head, rest = _read_head(client)
        except (OSError, ValueError):
            return
        lines = head.split(b"\r\n")
        try:
            method, target, _version = lines[0].decode("latin-1").split(" ", 2)
        except ValueError:
            _answer(client, 400, "Bad Request")
            return
        if method.upper() == "CONNECT":
            host, _, port_text = target.rpartition(":")
            self._tunnel(client, host.strip("[]"), int(port_text or 443), rest)
        else:
            self._forward(client, method, target, lines[1:], rest)

    def _open(self, client: socket.socket, host: str, port: int) -> socket.socket | None:
        try:
            addresses = netguard.checked_addresses(host, port, self.owner.policy)
        except netguard.AddressRefused as exc:
            with self.owner._lock:
                self.owner.refused.append((host, str(exc)))
            _answer(client, 403, "Forbidden")
            return None
        except netguard.ResolutionFailed:
            _answer(client, 502, "Bad Gateway")
            return None
        try:
            return netguard.connect(addresses, port, self.owner.timeout)
        except OSError:
            _answer(client, 502, "Bad Gateway")
            return None

    def _tunnel(self, client: socket.socket, host: str, port: int, rest: bytes) -> None:
        upstream = self._open(client, host, port)
        if upstream is None:
            return
        with upstream:
            client.sendall(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            if rest:
                upstream.sendall(rest)
            self._relay(client, upstream)

    def _forward(
        self, client: socket.socket, method: str, target: str, headers: list[bytes], rest: bytes
    ) -> None:
        parts = urlsplit(target)
        if parts.scheme != "http" or not parts.hostname:
            _answer(client, 400, "Bad Request")
            return
        upstream = self._open(client, parts.hostname, parts.port or 80)
        if upstream is None:
            return
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        kept = [h for h in headers if h and h.split(b":", 1)[0].strip().lower() not in DROP_HEADERS]
        request = b"\r\n".join(
            [f"{method} {path} HTTP/1.1".encode("latin-1"), *kept, b"Connection: close", b"", b""]
        )
        with upstream:
            upstream.sendall(request + rest)
            self._relay(client, upstream)

    def _relay(self, client: socket.socket, upstream: socket.socket) -> None:
        """Copy both ways until one side closes, the budget is spent or the line goes quiet."""
        selector = selectors.DefaultSelector()
        selector.register(client, selectors.EVENT_READ, upstream)
        selector.register(upstream, selectors.EVENT_READ, client)
        with selector:
            while True:
                events = selector.select(self.owner.timeout)
                if not events:
                    return
                for key, _mask in events:
                    source: socket.socket = key.fileobj  # type: ignore[assignment]
                    try:
                        data = source.recv(65536)
                    except OSError:
                        return
                    if not data or not self.owner.count(len(data)):
                        return
                    try:
                        key.data.sendall(data)
                    except OSError:
                        return


def _read_head(sock: socket.socket) -> tuple[bytes, bytes]:
    buffer = b""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(4096)
        if not chunk:
            raise ValueError("connection closed before the request head ended")
        buffer += chunk
        if len(buffer) > HEAD_LIMIT:
            raise ValueError("request head too long")
    head, _, rest = buffer.partition(b"\r\n\r\n")
    return head, rest


def _answer(sock: socket.socket, status: int, reason: str) -> None:
    with contextlib.suppress(OSError):
        sock.sendall(f"HTTP/1.1 {status} {reason}\r\nContent-Length: 0\r\n"
                     "Connection: close\r\n\r\n".encode("latin-1"))
