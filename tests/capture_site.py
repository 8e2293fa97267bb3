"""A real web site on a loopback address for capture tests and the capture benchmark.

``CaptureSite`` runs a ThreadingHTTPServer on a free port and records every request it
receives, so a test can assert that a refused address was never contacted. Pages:

- ``/`` an article with metadata, images (PNG, JPEG, srcset), a stylesheet, a script and a video
- ``/js`` a page whose text only appears after its script runs
- ``/img/photo.png``, ``/img/photo.jpg``, ``/img/small.png``, ``/static/site.css``,
  ``/static/app.js``, ``/img/texture.png`` (named by the stylesheet), ``/media/clip.webm``
  (a real one-second video made with ffmpeg)
- ``/redirect/1`` → 302 ``/redirect/2`` → 301 ``/final``
- ``/missing`` 404, ``/gone`` 410, ``/removed`` a 200 page showing a platform removal notice
- ``/cp1251`` a windows-1251 page declaring its charset only in ``<meta>``, linking an image
  by a raw Cyrillic file name with a space
- ``/slow`` answers after ``slow_seconds``; ``/big`` sends ``big_bytes`` bytes; ``/stall`` and
  ``/hang-up`` promise 100,000 bytes, send 10,000, then stall for ``slow_seconds`` or close;
  ``/trickle`` sends its headers one byte every 0.3 s for ``slow_seconds``
- ``/to-refused`` redirects to ``refused_target`` (set by the test, e.g. another CaptureSite on
  127.0.0.2 run with the guard on); ``/with-refused-image`` embeds an image from there
- ``/gen/<n>`` generated pages (title, text, two images, a stylesheet) for the benchmark

Import it from tests or benchmarks: ``from tests.capture_site import CaptureSite``.
``wacz_validate(path)`` runs py-wacz's validator on a WACZ file.
"""

from __future__ import annotations

import contextlib
import html
import io
import shutil
import ssl
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from PIL import Image, ImageDraw

ARTICLE_TEXT = (
    "On 19 September the residents of the village reported shelling near the school. "
    "Witnesses described the damage to the water supply and the road to the district centre. "
    "The local council published a list of damaged houses the following morning, and "
    "volunteers photographed the roofs and walls before repairs began."
)
JS_TEXT = "This sentence was written into the page by JavaScript after it loaded."
REMOVAL_TEXT = "Sorry, this page isn't available."
CYRILLIC_TITLE = "Обстрел у сельской школы"
CYRILLIC_TEXT = "Жители сообщили о повреждении водопровода и дороги к районному центру."


def wacz_validate(path: Path) -> subprocess.CompletedProcess[str]:
    """Run py-wacz's own ``wacz validate -f PATH`` (the dev extra installs it)."""
    import sys

    return subprocess.run([sys.executable, "-m", "wacz", "validate", "-f", str(path)],
                          capture_output=True, text=True, timeout=180, check=False)


@dataclass
class Received:
    """One request the site received."""

    method: str
    path: str
    host: str
    user_agent: str
    at: float


def _image(fmt: str, size: tuple[int, int], colour: tuple[int, int, int], label: str) -> bytes:
    image = Image.new("RGB", size, colour)
    draw = ImageDraw.Draw(image)
    for step in range(0, size[0], 16):
        draw.line([(step, 0), (size[0] - step, size[1])], fill=(255, 255, 255), width=1)
    draw.text((8, 8), label, fill=(0, 0, 0))
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def make_certificate(folder: Path, host: str) -> tuple[Path, Path]:
    """A certificate for ``host`` (an IP address), valid for a day, issued by a throwaway test
    CA; the certificate file holds the leaf then the CA, so the server sends a chain of two."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Vestige test CA"),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Vestige tests")])
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "capture-site.test"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Vestige tests")])
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(ca_name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    cert_path, key_path = folder / "site.crt", folder / "site.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM)
                          + ca.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def make_video(folder: Path) -> bytes | None:
    """A real one-second WebM (VP8) from ffmpeg's test source, or None without ffmpeg."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        return None
    target = folder / "clip.webm"
    result = subprocess.run(
        [ffmpeg, "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=d=1:s=160x120:r=10",
         "-c:v", "libvpx", "-b:v", "200k", "-an", str(target)],
        capture_output=True, timeout=60, check=False,
    )
    if result.returncode != 0 or not target.exists():
        return None
    return target.read_bytes()


class CaptureSite:
    """The site; use ``with CaptureSite() as site:`` or :func:`running_site`."""

    def __init__(self, host: str = "127.0.0.1", with_video: bool = True,
                 tls: bool = False) -> None:
        self.host = host
        self.tls = tls
        self.requests: list[Received] = []
        self.slow_seconds = 3.0
        self.big_bytes = 2 * 2**20
        self.refused_target = ""
        self._lock = threading.Lock()
        self._folder = Path(tempfile.mkdtemp(prefix="capture-site-"))
        self.png = _image("PNG", (320, 200), (40, 90, 160), "png photo")
        self.jpeg = _image("JPEG", (320, 200), (160, 90, 40), "jpeg photo")
        self.small_png = _image("PNG", (8, 8), (0, 0, 0), "")
        self.video = make_video(self._folder) if with_video else None
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> CaptureSite:
        site = self

        class Handler(_Handler):
            pass

        Handler.site = site
        server = ThreadingHTTPServer((self.host, 0), Handler)
        server.daemon_threads = True
        if self.tls:
            cert, key = make_certificate(self._folder, self.host)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert, key)
            server.socket = context.wrap_socket(server.socket, server_side=True)
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        shutil.rmtree(self._folder, ignore_errors=True)

    def __enter__(self) -> CaptureSite:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "the site is not running"
        return int(self._server.server_address[1])

    def url(self, path: str = "/") -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{self.host}:{self.port}{path}"

    def record(self, entry: Received) -> None:
        with self._lock:
            self.requests.append(entry)

    def paths(self) -> list[str]:
        with self._lock:
            return [r.path for r in self.requests]


@contextmanager
def running_site(
    host: str = "127.0.0.1", with_video: bool = True, tls: bool = False
) -> Iterator[CaptureSite]:
    site = CaptureSite(host, with_video, tls).start()
    try:
        yield site
    finally:
        site.stop()


class _Handler(BaseHTTPRequestHandler):
    site: CaptureSite
    protocol_version = "HTTP/1.1"
    server_version = "CaptureSite/1.0"
    # Headers and body go out in separate writes; with Nagle's algorithm a keep-alive client
    # (wget) would wait for a delayed ACK (~40 ms) on every response.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: object) -> None:
        return

    def do_GET(self) -> None:
        self.site.record(Received("GET", self.path, self.headers.get("Host", ""),
                                  self.headers.get("User-Agent", ""), time.monotonic()))
        path = self.path.split("?", 1)[0]
        route = ROUTES.get(path)
        if route is not None:
            route(self)
        elif path.startswith("/gen/"):
            self._generated(path.rsplit("/", 1)[-1])
        else:
            self._send(404, "text/html; charset=utf-8", b"<html><title>Not found</title>"
                       b"<body><p>Nothing here.</p></body></html>")

    def do_HEAD(self) -> None:
        self.do_GET()

    # -- helpers -----------------------------------------------------------------------------

    def _send(self, status: int, content_type: str, body: bytes,
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _html(self, body: str, status: int = 200) -> None:
        self._send(status, "text/html; charset=utf-8", body.encode("utf-8"))

    def _redirect(self, status: int, location: str) -> None:
        self._send(status, "text/html; charset=utf-8", b"moved", {"Location": location})

    # -- pages -------------------------------------------------------------------------------

    def index(self) -> None:
        video = ('<video controls poster="/img/photo.jpg"><source src="/media/clip.webm" '
                 'type="video/webm"></video>') if self.site.video else ""
        self._html(f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Shelling near the village school</title>
<meta name="author" content="Ani Petrosyan">
<meta property="article:published_time" content="2023-09-20T08:30:00Z">
<meta name="description" content="Residents report damage after shelling.">
<link rel="stylesheet" href="/static/site.css">
<link rel="icon" href="/img/small.png">
<script src="/static/app.js" defer></script>
</head><body><article><h1>Shelling near the village school</h1>
<p>{ARTICLE_TEXT}</p>
<img src="/img/photo.png" alt="damaged roof" srcset="/img/photo.png 1x, /img/photo.jpg 2x">
{video}
<p id="js-target"></p>
</article></body></html>""")

    def js_page(self) -> None:
        self._html("""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Rendered later</title>
<script src="/static/app.js" defer></script></head>
<body><main><p id="js-target">Loading…</p></main></body></html>""")

    def app_js(self) -> None:
        script = ("document.addEventListener('DOMContentLoaded', function () {"
                  " var p = document.getElementById('js-target');"
                  f" if (p) {{ p.textContent = {JS_TEXT!r}; }} }});")
        self._send(200, "application/javascript", script.encode("utf-8"))

    def css(self) -> None:
        self._send(200, "text/css", b"body { font-family: sans-serif; margin: 2em; }\n"
                   b"img { max-width: 100%; }\n"
                   b'header { background: url("/img/texture.png") repeat-x; }\n')

    def png(self) -> None:
        self._send(200, "image/png", self.site.png)

    def jpeg(self) -> None:
        self._send(200, "image/jpeg", self.site.jpeg)

    def small_png(self) -> None:
        self._send(200, "image/png", self.site.small_png)

    def video(self) -> None:
        if self.site.video is None:
            self._send(404, "text/plain", b"no video: ffmpeg is absent")
        else:
            self._send(200, "video/webm", self.site.video)

    def redirect_1(self) -> None:
        self._redirect(302, "/redirect/2")

    def redirect_2(self) -> None:
        self._redirect(301, self.site.url("/final"))

    def final(self) -> None:
        self._html("<html><head><title>Final page</title></head><body>"
                   "<p>You followed the redirects to the end.</p></body></html>")

    def missing(self) -> None:
        self._html("<html><head><title>Page not found</title></head><body>"
                   "<p>The page you asked for was deleted.</p></body></html>", status=404)

    def gone(self) -> None:
        self._html("<html><head><title>Gone</title></head><body>"
                   "<p>This page was removed.</p></body></html>", status=410)

    def removed(self) -> None:
        self._html(f"<html><head><title>Instagram</title></head><body><main><p>{REMOVAL_TEXT}"
                   "</p><p>The link you followed may be broken, or the page may have been "
                   "removed.</p></main></body></html>")

    def slow(self) -> None:
        time.sleep(self.site.slow_seconds)
        with contextlib.suppress(OSError):  # the client gave up, as the test expects
            self._html("<html><title>Slow</title><body><p>Finally.</p></body></html>")

    def big(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(self.site.big_bytes))
        self.end_headers()
        block = b"x" * 65536
        sent = 0
        try:
            while sent < self.site.big_bytes:
                part = block[: self.site.big_bytes - sent]
                self.wfile.write(part)
                sent += len(part)
        except OSError:
            pass  # the client stopped at its size limit

    def _partial(self, then_wait: float) -> None:
        """Promise 100,000 bytes, send 10,000, then stall or hang up."""
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", "100000")
        self.end_headers()
        with contextlib.suppress(OSError):
            self.wfile.write(b"y" * 10_000)
            self.wfile.flush()
            time.sleep(then_wait)
        self.close_connection = True

    def trickle(self) -> None:
        """Send the status line and then one header byte every 0.3 s, for ``slow_seconds``."""
        with contextlib.suppress(OSError):
            self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
            self.wfile.flush()
            until = time.monotonic() + self.site.slow_seconds
            while time.monotonic() < until:
                self.wfile.write(b"a")
                self.wfile.flush()
                time.sleep(0.3)
        self.close_connection = True

    def stall(self) -> None:
        self._partial(self.site.slow_seconds)

    def hang_up(self) -> None:
        self._partial(0)

    def to_refused(self) -> None:
        self._redirect(302, self.site.refused_target or "http://127.0.0.2:9/")

    def with_refused_image(self) -> None:
        target = html.escape(self.site.refused_target or "http://127.0.0.2:9/", quote=True)
        self._html(f"<html><head><title>Mixed</title></head><body><p>{ARTICLE_TEXT}</p>"
                   f'<img src="/img/photo.png"><img src="{target}"></body></html>')

    def cp1251(self) -> None:
        """A Russian page in windows-1251 that names its charset only in the markup, with a
        link to an image whose file name is Cyrillic with a space (sent raw, as many CMSs do)."""
        page = (f"<html><head><meta charset=\"windows-1251\"><title>{CYRILLIC_TITLE}</title>"
                f"</head><body><p>{CYRILLIC_TEXT}</p><img src=\"/img/фото 1.png\"></body></html>")
        self._send(200, "text/html", page.encode("cp1251"))

    def _generated(self, number: str) -> None:
        if not number.isdigit():
            self._send(404, "text/plain", b"no such page")
            return
        n = int(number)
        paragraphs = "".join(
            f"<p>Report {n}, paragraph {k}: {ARTICLE_TEXT}</p>" for k in range(1, 6)
        )
        self._html(f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Generated report {n}</title><link rel="stylesheet" href="/static/site.css"></head>
<body><article><h1>Generated report {n}</h1>{paragraphs}
<img src="/img/photo.png" alt="photo"><img src="/img/photo.jpg" alt="photo">
<a href="/gen/{n + 1}">next</a></article></body></html>""")


ROUTES = {
    "/": _Handler.index,
    "/js": _Handler.js_page,
    "/static/app.js": _Handler.app_js,
    "/static/site.css": _Handler.css,
    "/img/photo.png": _Handler.png,
    "/img/photo.jpg": _Handler.jpeg,
    "/img/small.png": _Handler.small_png,
    "/img/texture.png": _Handler.small_png,
    "/cp1251": _Handler.cp1251,
    "/img/%D1%84%D0%BE%D1%82%D0%BE%201.png": _Handler.png,
    "/media/clip.webm": _Handler.video,
    "/redirect/1": _Handler.redirect_1,
    "/redirect/2": _Handler.redirect_2,
    "/final": _Handler.final,
    "/missing": _Handler.missing,
    "/gone": _Handler.gone,
    "/removed": _Handler.removed,
    "/slow": _Handler.slow,
    "/big": _Handler.big,
    "/stall": _Handler.stall,
    "/trickle": _Handler.trickle,
    "/hang-up": _Handler.hang_up,
    "/to-refused": _Handler.to_refused,
    "/with-refused-image": _Handler.with_refused_image,
}
