"""Rendering a page in the system's headless Chromium, with every request going through the guard.

Chromium never touches the network itself: ``context.route("**/*")`` hands each request (the
page, its redirects, scripts, images, XHR, requests from frames and pop-ups) to the guarded
:class:`~.fetch.Fetcher`, which checks the address, records the exchange in the WARC, and the
handler answers the browser with ``route.fulfill``. As a second wall Chromium starts with a host
resolver that resolves nothing, and WebSockets are answered by a closed mock.
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .fetch import Exchange, Fetcher, FetchError, TooLarge

LAUNCH_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--disable-features=Translate,OptimizationHints,MediaRouter",
    "--host-resolver-rules=MAP * ~NOTFOUND",  # the guard answers; Chromium resolves nothing
]
VIEWPORT = {"width": 1280, "height": 900}
FULFIL_MAX_BYTES = 64 * 2**20  # bigger bodies are archived but not handed to the browser
NETWORK_IDLE_MAX = 10.0  # seconds to wait for quiet after "load"
# Response headers the fetcher already dealt with (de-chunked, decoded) or Playwright sets.
DROP_ON_FULFIL = {"content-encoding", "content-length", "transfer-encoding", "connection",
                  "keep-alive"}
ABORT_CODES = {"refused": "blockedbyclient", "timeout": "timedout", "too_large": "aborted"}


@dataclass
class Rendering:
    """What the browser produced for one page."""

    dom: str = ""
    page_url: str = ""  # where the page ended up (scripts may navigate on their own)
    title: str = ""
    screenshot: Path | None = None
    pdf: Path | None = None
    browser_version: str = ""
    warnings: list[str] = field(default_factory=list)


def _fulfil_headers(exchange: Exchange) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in exchange.headers:
        key = name.lower()
        if key in DROP_ON_FULFIL:
            continue
        if key in headers:
            headers[key] += ("\n" if key == "set-cookie" else ", ") + value
        else:
            headers[key] = value
    return headers


def render(main: Exchange, fetcher: Fetcher, workdir: Path, deadline: float) -> Rendering:
    """Render the already-fetched HTML page ``main`` (the end of its redirect chain)."""
    from playwright.sync_api import Error as PlaywrightError

    options = fetcher.options
    result = Rendering()
    served = {"main": False}
    browser = _browser_for_thread(options.chromium, deadline)
    result.browser_version = browser.version
    context = browser.new_context(
        user_agent=options.user_agent, viewport=VIEWPORT,
        service_workers="block", accept_downloads=False, java_script_enabled=True,
    )
    try:
        page = context.new_page()

        def handle(route: Any, request: Any) -> None:
            if (not served["main"] and request.url == main.url
                    and request.is_navigation_request()):
                served["main"] = True  # fetched once already: never ask the server twice
                _fulfil(route, main)
                return
            _route(route, request, fetcher, deadline)

        context.route("**/*", handle)
        if hasattr(context, "route_web_socket"):
            context.route_web_socket("**/*", lambda ws: ws.close())
        _navigate(page, main.url, deadline, result, PlaywrightError)
        _outputs(page, workdir, deadline, result, PlaywrightError)
        result.page_url = page.url
    finally:
        try:
            context.close()
        except PlaywrightError:
            close_browser()  # the browser is in a bad state: the next capture starts afresh
    return result


_local = threading.local()


def _browser_for_thread(executable: str, deadline: float) -> Any:
    """This thread's Chromium, launched on first use and kept for the next captures.

    Starting Playwright's driver and Chromium costs more than rendering a simple page, so a
    worker thread keeps one browser; each capture still gets a fresh, isolated browser context
    (its own cookies, storage and cache). Playwright objects belong to the thread that made them,
    hence one per thread.
    """
    from playwright.sync_api import sync_playwright

    current = getattr(_local, "browser", None)
    if current is not None and _local.executable == executable and current.is_connected():
        return current
    close_browser()
    manager = sync_playwright()
    playwright = manager.start()
    try:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=LAUNCH_ARGS,
            timeout=max(10_000.0, _remaining_ms(deadline)),
        )
    except Exception:
        playwright.stop()
        raise
    _local.playwright, _local.browser, _local.executable = playwright, browser, executable
    return browser


def close_browser() -> None:
    """Close this thread's browser and Playwright driver, if any (tests, worker shutdown)."""
    browser = getattr(_local, "browser", None)
    playwright = getattr(_local, "playwright", None)
    _local.browser = _local.playwright = None
    _local.executable = ""
    for closer in (getattr(browser, "close", None), getattr(playwright, "stop", None)):
        if closer is not None:
            with contextlib.suppress(Exception):  # already gone: nothing left to close
                closer()


def _remaining_ms(deadline: float) -> float:
    return max(0.0, (deadline - time.monotonic()) * 1000)


def _route(route: Any, request: Any, fetcher: Fetcher, deadline: float) -> None:
    """Answer one browser request through the guarded fetcher, following redirects there.

    Chromium does not send a redirect answered by ``route.fulfill`` back through the route,
    so the fetcher follows it (checking every hop) and the browser gets the final response.
    """
    if time.monotonic() > deadline:
        route.abort("timedout")
        return
    headers = [(k, v) for k, v in request.headers_array() if k.lower() != "range"]
    try:
        first = fetcher.fetch_one(request.url, request.method, headers,
                                  request.post_data_buffer or b"")
        exchange = fetcher.follow(first, max_redirects=5).exchange
    except FetchError as exc:
        route.abort(ABORT_CODES.get(exc.outcome, "failed"))
        return
    _fulfil(route, exchange)


def _fulfil(route: Any, exchange: Exchange) -> None:
    body = exchange.decoded_body()
    if body.size > FULFIL_MAX_BYTES:
        # Archived in full already; the browser does not need it to render the page.
        route.abort("aborted")
        return
    route.fulfill(status=exchange.status, headers=_fulfil_headers(exchange), body=body.read())


def _navigate(page: Any, url: str, deadline: float, result: Rendering, error: Any) -> None:
    try:
        page.goto(url, wait_until="load", timeout=max(1.0, _remaining_ms(deadline)))
    except error as exc:
        result.warnings.append(f"the page did not finish loading in the browser: "
                               f"{str(exc).splitlines()[0]}")
        return
    try:
        page.wait_for_load_state(
            "networkidle", timeout=max(1.0, min(NETWORK_IDLE_MAX * 1000, _remaining_ms(deadline)))
        )
    except error:
        result.warnings.append("the page kept loading resources; captured it before the "
                               "network went quiet")


def _outputs(page: Any, workdir: Path, deadline: float, result: Rendering, error: Any) -> None:
    """Screenshot, DOM and PDF; each failure is a warning, the others still run."""
    result.title = page.title()
    result.dom = page.content()
    screenshot = workdir / "screenshot.png"
    try:
        page.screenshot(path=str(screenshot), full_page=True, type="png",
                        timeout=max(1000.0, _remaining_ms(deadline)))
        result.screenshot = screenshot
    except error as exc:
        result.warnings.append(f"no screenshot: {str(exc).splitlines()[0]}")
    pdf = workdir / "page.pdf"
    try:
        page.emulate_media(media="screen")
        page.pdf(path=str(pdf), print_background=True, format="A4")
        result.pdf = pdf
    except error as exc:
        result.warnings.append(f"no PDF print: {str(exc).splitlines()[0]}")


__all__ = ["LAUNCH_ARGS", "Rendering", "TooLarge", "close_browser", "render"]
