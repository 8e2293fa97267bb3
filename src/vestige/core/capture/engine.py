"""One capture of one URL, start to finish: guard, fetch, render, extract, package.

:func:`capture_url` never raises for what the network does (refusal, timeout, a page too large,
DNS failure, 404): it returns a :class:`CaptureOutput` whose ``outcome`` and ``error`` say what
happened, with whatever was archived up to that point. It raises ``ValueError`` only for a URL
that is not http(s) or an unknown mode.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import shutil
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from vestige import __version__

from . import media, textmeta
from .fetch import Exchange, Fetcher, FetchError, WarcRecorder, utc_now
from .htmlscan import PageScan, css_urls, scan_html
from .types import MODES, CapturedFile, CaptureOptions, CaptureOutput

SOFTWARE = f"Vestige {__version__}"
SUBRESOURCE_WORKERS = 4
UNAVAILABLE_STATUSES = (404, 410)

Progress = Callable[[str], None]
_pool_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None


def _resource_pool() -> ThreadPoolExecutor:
    """Threads that fetch a page's resources, shared by the captures of this process.

    Its tasks never wait on the pool themselves, so captures sharing it cannot deadlock; it
    saves starting threads for every capture.
    """
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(SUBRESOURCE_WORKERS * 2, thread_name_prefix="capture-fetch")
        return _pool


@cache
def _package_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def validate_url(url: str) -> str:
    """The URL stripped, or ValueError when it is not an absolute http(s) URL."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url!r}")
    return url


def capture_url(
    url: str,
    workdir: Path,
    options: CaptureOptions,
    progress: Progress | None = None,
) -> CaptureOutput:
    """Capture one URL into files under ``workdir``; never raises for network outcomes."""
    url = validate_url(url)
    if options.mode not in MODES:
        raise ValueError(f"unknown capture mode {options.mode!r}: use one of {', '.join(MODES)}")
    workdir.mkdir(parents=True, exist_ok=True)
    return _Capture(url, workdir, options, progress or (lambda _line: None)).run()


class _Capture:
    def __init__(self, url: str, workdir: Path, options: CaptureOptions, progress: Progress):
        self.url = url
        self.workdir = workdir
        self.options = options
        self.progress = progress
        self.out = CaptureOutput(url=url, outcome="ok")
        self.out.context = {
            "started_at": utc_now(), "finished_at": "", "mode": options.mode,
            "user_agent": options.user_agent, "tools": [], "ip": "", "tls": None,
            "redirects": [], "http_status": None, "final_url": "",
        }
        self.warc = workdir / "data.warc.gz"
        self.recorder = WarcRecorder(self.warc, SOFTWARE)
        self.fetcher = Fetcher(options, workdir, self.recorder)
        self.deadline = time.monotonic() + options.page_timeout
        self.html = ""
        self.scan: PageScan | None = None  # of ``html`` as fetched (HTTP-only mode)
        self.main: Exchange | None = None
        self.browser_version = ""

    # -- flow --------------------------------------------------------------------------------

    def run(self) -> CaptureOutput:
        self.progress(f"fetching {self.url}")
        try:
            if self.options.mode == "browser":
                self._browser()
            else:
                self._http()
        except FetchError as exc:
            self._fail(exc.outcome, str(exc), exc.transient)
        except Exception as exc:  # a bug or a browser crash: recorded, and the WARC still kept
            self._fail("failed", f"the capture stopped unexpectedly: "
                       f"{exc.__class__.__name__}: {exc}", False)
        finally:
            self.fetcher.close()
            self._record_context()
            self.recorder.close()
        self._after_fetch()
        self._clean_up()
        self.out.context["finished_at"] = utc_now()
        self.out.context["tools"] = self._tools()
        self.progress(f"finished: {self.out.outcome}")
        return self.out

    def _record_context(self) -> None:
        """Put the capture context into the WARC too, so the archive speaks for itself."""
        if not self.fetcher.exchanges:
            return
        context = {k: v for k, v in self.out.context.items() if k != "finished_at"}
        context["outcome_so_far"] = self.out.outcome
        with contextlib.suppress(OSError, ValueError):
            self.recorder.write_metadata(self.out.final_url or self.url, context)

    def _clean_up(self) -> None:
        """Drop scratch files: the WACZ holds the WARC, the media files have been copied out."""
        shutil.rmtree(self.fetcher.bodies, ignore_errors=True)
        if self.out.file("wacz") is not None:
            self.recorder.discard()

    def _fail(self, outcome: str, error: str, transient: bool) -> None:
        if self.out.outcome in ("ok", "unavailable"):
            self.out.outcome = outcome
            self.out.error = error
            self.out.transient = transient

    def _http(self) -> None:
        result = self.fetcher.fetch(self.url)
        self.out.context["redirects"] = result.redirects
        self._set_main(result.exchange)
        if "html" not in result.exchange.media_type:
            return
        self.html = result.exchange.read_text()
        scan = self.scan = scan_html(self.html, result.exchange.url)
        if scan.resources:
            self.progress(f"fetching {len(scan.resources)} resources of the page")
        pool = _resource_pool()
        list(pool.map(self._subresource, [u for u, _kind in scan.resources]))
        # One level of what the stylesheets load (background images, fonts, @imports).
        fetched = {exchange.url for exchange in self.fetcher.exchanges}
        from_css: list[str] = []
        for exchange in list(self.fetcher.exchanges):
            if exchange.media_type == "text/css" and exchange.status == 200:
                from_css += [u for u in css_urls(exchange.read_text(), exchange.url)
                             if u not in fetched and u not in from_css]
        list(pool.map(self._subresource, from_css))

    def _subresource(self, url: str) -> None:
        if time.monotonic() > self.deadline:
            self.out.warnings.append(f"not fetched (page time limit reached): {url}")
            return
        # A failure is listed from the fetcher's refused/errors lists afterwards.
        with contextlib.suppress(FetchError):
            self.fetcher.fetch(url, max_redirects=5)

    def _browser(self) -> None:
        from .browser import render

        if not Path(self.options.chromium).exists():
            raise FetchError(
                f"Chromium is not installed at {self.options.chromium}: install the "
                "distribution's chromium package, or capture in HTTP-only mode"
            )
        result = self.fetcher.fetch(self.url)
        self.out.context["redirects"] = result.redirects
        self._set_main(result.exchange)
        if "html" not in result.exchange.media_type:
            self.out.warnings.append(
                f"the page is {result.exchange.media_type or 'of unknown type'}, not HTML: "
                "it is archived but was not rendered"
            )
            return
        self.progress("rendering in Chromium")
        rendering = render(result.exchange, self.fetcher, self.workdir, self.deadline)
        self.browser_version = rendering.browser_version
        self.out.warnings.extend(rendering.warnings)
        if rendering.page_url and rendering.page_url != result.exchange.url:
            self.out.context["browser_final_url"] = rendering.page_url
            self.out.warnings.append(f"the page sent the browser on to {rendering.page_url}")
        self.html = rendering.dom or result.exchange.read_text()
        for role, path, media_type in (
            ("screenshot", rendering.screenshot, "image/png"),
            ("pdf", rendering.pdf, "application/pdf"),
        ):
            if path is not None and path.exists():
                metadata = media._image_size(path) if role == "screenshot" else {}
                self.out.files.append(
                    CapturedFile(role, path, media_type, self.out.final_url, metadata)
                )
        if rendering.dom:
            dom = self.workdir / "dom.html"
            dom.write_text(rendering.dom, encoding="utf-8")
            self.out.files.append(CapturedFile("dom", dom, "text/html", self.out.final_url))
        if self.options.media:
            self._unloaded_media(rendering.dom, result.exchange.url)

    def _unloaded_media(self, dom: str, base: str) -> None:
        """Fetch images and videos the rendered page names but the browser did not load.

        Videos are often not preloaded and images are lazy-loaded below the fold; the page
        still embeds them, so they belong in the archive.
        """
        fetched = {exchange.url for exchange in self.fetcher.exchanges}
        wanted = [url for url, kind in scan_html(dom, base).resources
                  if kind in ("image", "media") and url not in fetched]
        if wanted:
            self.progress(f"fetching {len(wanted)} media files the page did not load")
        list(_resource_pool().map(self._subresource, wanted))

    def _set_main(self, exchange: Exchange) -> None:
        self.main = exchange
        self.out.final_url = exchange.url
        self.out.http_status = exchange.status
        self.out.context.update({
            "final_url": exchange.url, "http_status": exchange.status, "ip": exchange.ip,
            "tls": exchange.tls,
        })
        if exchange.tls and not exchange.tls.get("verified", True):
            self.out.warnings.append(
                "the site's TLS certificate did not verify "
                f"({exchange.tls.get('verification_error', 'unknown reason')}); "
                "the page was captured anyway and the certificate recorded"
            )

    # -- after the network -------------------------------------------------------------------

    def _after_fetch(self) -> None:
        for url, reason in self.fetcher.refused:
            if url != self.url:
                self.out.warnings.append(f"refused: {url}: {reason}")
        for url, reason in self.fetcher.errors:
            if url != self.url and self.main is not None:
                self.out.warnings.append(f"not archived: {reason}")
        if self.fetcher.budget_exceeded and self.out.outcome == "ok":
            self._fail("too_large", f"the capture passed its size limit of "
                       f"{self.options.max_bytes} bytes; what fitted is archived", False)
        if self.main is not None:
            self._judge_status(self.main)
            self._extract()
            if self.options.media:
                self._media()
        if self.fetcher.exchanges:
            self._package()

    def _judge_status(self, main: Exchange) -> None:
        if main.status in UNAVAILABLE_STATUSES:
            self.out.removal = f"http {main.status}"
            if self.out.outcome == "ok":
                self.out.outcome = "unavailable"
                self.out.error = f"the page answered HTTP {main.status}: it is not available"
        elif main.status >= 500:
            self._fail("failed", f"the server answered HTTP {main.status}", True)
        elif main.status >= 400:
            self._fail("failed", f"the server answered HTTP {main.status}", False)

    def _extract(self) -> None:
        if not self.html:
            return
        assert self.main is not None
        self.progress("extracting text and metadata")
        metadata, text, warnings = textmeta.extract(self.html, self.main.url, self.scan)
        self.out.metadata = metadata
        self.out.text = text
        self.out.warnings.extend(warnings)
        if text:
            path = self.workdir / "text.txt"
            path.write_text(text + "\n", encoding="utf-8")
            self.out.files.append(CapturedFile("text", path, "text/plain", self.main.url))
        notice = textmeta.removal_notice(metadata.get("title", ""), text)
        if notice and not self.out.removal:
            self.out.removal = notice
            if self.out.outcome == "ok":
                self.out.outcome = "unavailable"
                self.out.error = f"the page shows a removal notice ({notice})"

    def _media(self) -> None:
        saved = media.embedded_media(self.fetcher.exchanges, self.workdir / "media")
        self.out.files.extend(saved)
        extractor = media.platform_extractor(self.out.final_url or self.url)
        self.out.context["media_extractor"] = extractor or None
        if not extractor or self.out.outcome not in ("ok",):
            return
        self.progress(f"downloading the platform's media with yt-dlp ({extractor})")
        remaining = max(0, self.options.max_bytes - self.fetcher.bytes_used)
        files, warnings = media.ytdlp_download(
            self.out.final_url or self.url, self.workdir / "media", remaining,
            self.options.timeout, self.options.user_agent, self.fetcher.policy,
        )
        self.out.files.extend(files)
        self.out.warnings.extend(warnings)

    def _package(self) -> None:
        from .wacz import package

        self.progress("packaging the WACZ")
        main = self.main or self.fetcher.exchanges[0]
        ts = main.warc_date
        title = self.out.metadata.get("title", "") or ""
        self.out.pages = [{"url": main.url, "title": title, "ts": ts}]
        target = self.workdir / "capture.wacz"
        package(self.recorder, self.out.pages, target, software=SOFTWARE, title=title,
                main_url=main.url, main_ts=ts)
        self.out.files.insert(0, CapturedFile("wacz", target, "application/wacz",
                                              self.out.final_url or self.url,
                                              {"pages": len(self.out.pages)}))

    def _tools(self) -> list[dict[str, Any]]:
        tools = [
            {"name": "vestige", "version": __version__},
            {"name": "warcio", "version": _package_version("warcio")},
            {"name": "cdxj-indexer", "version": _package_version("cdxj-indexer")},
            {"name": "trafilatura", "version": _package_version("trafilatura")},
            {"name": "yt-dlp", "version": _package_version("yt-dlp")},
        ]
        if self.options.mode == "browser":
            tools.append({"name": "chromium", "version": self.browser_version
                          or chromium_version(self.options.chromium)})
            tools.append({"name": "playwright", "version": _package_version("playwright")})
        return tools


@lru_cache(maxsize=8)
def chromium_version(executable: str) -> str:
    """``chromium --version``'s answer, or "unknown"."""
    import subprocess

    try:
        done = subprocess.run([executable, "--version"], capture_output=True, text=True,
                              timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return done.stdout.strip() or "unknown"
