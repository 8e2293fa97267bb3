"""The capture engine against a real local web site (tests/capture_site.py).

Every WACZ a test produces is checked with py-wacz's own ``wacz validate``. Refusals are shown
with a second site on 127.0.0.2 (loopback) and the guard on: the assertion is that this site
never received a request — and a control run with that address allowed shows that it would.
"""

from __future__ import annotations

import ipaddress
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.capture_site import (
    CYRILLIC_TEXT,
    CYRILLIC_TITLE,
    JS_TEXT,
    REMOVAL_TEXT,
    CaptureSite,
    running_site,
    wacz_validate,
)
from vestige.core.capture import CaptureOptions, CaptureOutput, capture_url, is_transient
from vestige.core.capture.fetch import normalize_url
from vestige.core.capture.media import platform_extractor, ytdlp_download
from vestige.core.capture.netguard import GuardPolicy, refusal_reason

LOCAL = ("127.0.0.1/32",)
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def site() -> Iterator[CaptureSite]:
    with running_site() as running:
        yield running


@pytest.fixture
def forbidden() -> Iterator[CaptureSite]:
    """A site on another loopback address that the guard must keep captures away from."""
    with running_site("127.0.0.2", with_video=False) as running:
        yield running


def options(**overrides: Any) -> CaptureOptions:
    values: dict[str, Any] = {"mode": "http", "allowed_networks": LOCAL, "timeout": 5.0}
    values.update(overrides)
    return CaptureOptions(**values)


def assert_valid_wacz(output: CaptureOutput) -> Path:
    """The output has exactly one WACZ and py-wacz's validator accepts it."""
    waczs = [f for f in output.files if f.role == "wacz"]
    assert len(waczs) == 1, output.files
    path = waczs[0].path
    done = wacz_validate(path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Validation succeeded" in done.stdout
    return path


def warc_records(wacz: Path) -> list[Any]:
    """(type, url, headers dict, http status) of every record in the WACZ's WARC."""
    rows = []
    with zipfile.ZipFile(wacz) as zf, zf.open("archive/data.warc.gz") as fh:
        for record in ArchiveIterator(fh):
            headers = dict(record.rec_headers.headers)
            status = record.http_headers.get_statuscode() if record.http_headers else None
            rows.append((record.rec_type, headers.get("WARC-Target-URI"), headers, status))
    return rows


# -- the address guard ---------------------------------------------------------------------


@pytest.mark.parametrize("address", [
    "127.0.0.1", "127.0.0.2", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.1.1",
    "100.64.0.1", "100.127.255.254", "0.0.0.0", "224.0.0.1", "240.0.0.1", "255.255.255.255",
    "198.18.0.1", "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1",
    "::ffff:127.0.0.1", "::ffff:10.0.0.1", "64:ff9b::a00:1", "2002:a00:1::1",
])
def test_guard_classifies_non_public_addresses(address: str) -> None:
    assert refusal_reason(ipaddress.ip_address(address)) != ""


@pytest.mark.parametrize("address", ["93.184.215.14", "1.1.1.1", "2606:4700:4700::1111",
                                     "::ffff:93.184.215.14"])
def test_guard_lets_public_addresses_through(address: str) -> None:
    assert refusal_reason(ipaddress.ip_address(address)) == ""


def test_allowed_networks_open_only_what_they_name() -> None:
    from vestige.core.capture.netguard import AddressRefused, check_address

    policy = GuardPolicy(allowed_networks=LOCAL)
    check_address(ipaddress.ip_address("127.0.0.1"), policy)
    with pytest.raises(AddressRefused, match=r"loopback address 127\.0\.0\.2"):
        check_address(ipaddress.ip_address("127.0.0.2"), policy)
    check_address(ipaddress.ip_address("10.0.0.1"), GuardPolicy(allow_private=True))


@pytest.mark.parametrize(("raw", "sent"), [
    ("http://Example.ORG/a b/ü?q=ä b&x=%20#top", "http://example.org/a%20b/%C3%BC?q=%C3%A4%20b&x=%20"),
    ("https://пример.рф/путь", "https://xn--e1afmkfd.xn--p1ai/%D0%BF%D1%83%D1%82%D1%8C"),
    ("http://[2001:db8::1]:8080/x", "http://[2001:db8::1]:8080/x"),
    ("http://h/%D0%BF", "http://h/%D0%BF"),
])
def test_urls_are_sent_as_a_browser_would(raw: str, sent: str) -> None:
    assert normalize_url(raw) == sent


def test_only_http_urls_are_captured(tmp_path: Path) -> None:
    for url in ("file:///etc/passwd", "ftp://example.org/", "javascript:alert(1)", "example.org"):
        with pytest.raises(ValueError, match="not an http"):
            capture_url(url, tmp_path, options())


# -- HTTP-only mode --------------------------------------------------------------------------


def test_http_capture_archives_page_resources_text_and_media(
    site: CaptureSite, tmp_path: Path
) -> None:
    lines: list[str] = []
    out = capture_url(site.url("/"), tmp_path, options(), lines.append)
    assert out.outcome == "ok", out.error
    assert out.http_status == 200 and out.final_url == site.url("/")
    assert out.metadata["title"] == "Shelling near the village school"
    assert out.metadata["author"] == "Ani Petrosyan"
    assert out.metadata["published"].startswith("2023-09-20")
    assert out.metadata["language"] == "en"
    assert "shelling near the school" in out.text
    assert lines and lines[-1] == "finished: ok"

    context = out.context
    assert context["ip"] == "127.0.0.1" and context["tls"] is None
    assert context["started_at"].endswith("Z") and context["finished_at"] >= context["started_at"]
    tools = {t["name"]: t["version"] for t in context["tools"]}
    assert {"vestige", "warcio", "trafilatura", "yt-dlp"} <= set(tools)
    assert context["media_extractor"] is None  # a plain page: yt-dlp is not asked

    media = {Path(f.source_url).name: f for f in out.files if f.role == "media"}
    assert {"photo.png", "photo.jpg"} <= set(media)
    assert media["photo.png"].path.read_bytes() == site.png
    assert media["photo.png"].metadata["width"] == 320
    assert "small.png" not in media  # an icon, not evidence
    if site.video is not None:
        assert media["clip.webm"].path.read_bytes() == site.video
        assert media["clip.webm"].media_type == "video/webm"
    assert site.paths().count("/img/photo.png") >= 1
    text = out.file("text")
    assert text is not None and "shelling" in text.path.read_text()

    wacz = assert_valid_wacz(out)
    assert out.pages == [{"url": site.url("/"), "title": out.metadata["title"],
                          "ts": out.pages[0]["ts"]}]
    records = warc_records(wacz)
    responses = {url: headers for kind, url, headers, _s in records if kind == "response"}
    requests = [url for kind, url, _h, _s in records if kind == "request"]
    for path in ("/", "/static/site.css", "/static/app.js", "/img/photo.png", "/img/texture.png"):
        assert site.url(path) in responses
        assert site.url(path) in requests
        assert responses[site.url(path)]["WARC-IP-Address"] == "127.0.0.1"
        assert responses[site.url(path)]["WARC-Payload-Digest"].startswith("sha1:")
    with zipfile.ZipFile(wacz) as zf:
        names = set(zf.namelist())
        assert zf.getinfo("archive/data.warc.gz").compress_type == zipfile.ZIP_STORED
        assert site.url("/") in zf.read("indexes/index.cdxj").decode()
    assert {"datapackage.json", "datapackage-digest.json", "pages/pages.jsonl"} <= names
    metadata = [h for kind, _u, h, _s in records if kind == "metadata"]
    assert len(metadata) == 1 and metadata[0]["Content-Type"] == "application/json"
    # Only the outputs stay in the work folder; the scratch bodies and loose WARC are gone.
    assert not (tmp_path / "responses").exists() and not (tmp_path / "data.warc.gz").exists()
    for captured in out.files:
        assert captured.path.is_file() and captured.path.is_relative_to(tmp_path)


def _reindexed(wacz: Path) -> list[str]:
    """The CDXJ lines cdxj-indexer itself makes from the WACZ's WARC."""
    import io

    from cdxj_indexer.main import CDXJIndexer

    out = io.StringIO()
    with zipfile.ZipFile(wacz) as zf, zf.open("archive/data.warc.gz") as warc:
        CDXJIndexer(output=out, inputs=[io.BytesIO(warc.read())], sort=True, post_append=True,
                    filename="data.warc.gz").process_all()
    return out.getvalue().splitlines()


@pytest.mark.parametrize("path", ["/", "/redirect/1", "/missing"])
def test_index_written_while_recording_matches_cdxj_indexer(
    site: CaptureSite, tmp_path: Path, path: str
) -> None:
    out = capture_url(site.url(path), tmp_path, options())
    wacz = assert_valid_wacz(out)
    with zipfile.ZipFile(wacz) as zf:
        written = zf.read("indexes/index.cdxj").decode().splitlines()
    assert len(written) >= 2  # the page's response(s) and the capture's metadata record
    assert written == _reindexed(wacz)


def test_post_requests_are_indexed_by_cdxj_indexer(site: CaptureSite, tmp_path: Path) -> None:
    """A POST's index key carries its body (cdxj-indexer's post-append): the WARC is re-read."""
    from vestige.core.capture.fetch import Fetcher, WarcRecorder

    recorder = WarcRecorder(tmp_path / "data.warc.gz", "test")
    fetcher = Fetcher(options(), tmp_path, recorder)
    fetcher.fetch_one(site.url("/form"), "POST", [("Content-Type", "application/x-www-form-"
                                                  "urlencoded")], b"q=shelling")
    fetcher.close()
    recorder.close()
    assert recorder.needs_reindex
    lines = recorder.cdxj()
    assert any("__wb_method=post" in line and "q=shelling" in line for line in lines), lines


def test_large_bodies_and_warc_spill_to_disk_and_are_archived_whole(
    site: CaptureSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vestige.core.capture import fetch

    monkeypatch.setattr(fetch, "SPOOL_BYTES", 4096)
    monkeypatch.setattr(fetch, "WARC_SPOOL_BYTES", 8192)
    out = capture_url(site.url("/"), tmp_path, options())
    assert out.outcome == "ok", out.error
    wacz = assert_valid_wacz(out)
    media = {Path(f.source_url).name: f for f in out.files if f.role == "media"}
    assert media["photo.png"].path.read_bytes() == site.png
    assert media["photo.png"].metadata["size"] == len(site.png)
    with zipfile.ZipFile(wacz) as zf:
        written = zf.read("indexes/index.cdxj").decode().splitlines()
        assert zf.getinfo("archive/data.warc.gz").file_size > 8192
    assert written == _reindexed(wacz)
    assert not (tmp_path / "responses").exists() and not (tmp_path / "data.warc.gz").exists()


def test_legacy_charset_and_raw_non_ascii_links(site: CaptureSite, tmp_path: Path) -> None:
    out = capture_url(site.url("/cp1251"), tmp_path, options())
    assert out.outcome == "ok", out.error
    assert out.metadata["title"] == CYRILLIC_TITLE
    assert CYRILLIC_TEXT in out.text
    media = [f for f in out.files if f.role == "media"]
    assert [f.source_url for f in media] == [site.url("/img/%D1%84%D0%BE%D1%82%D0%BE%201.png")]
    assert media[0].path.read_bytes() == site.png
    assert_valid_wacz(out)


def test_direct_link_to_an_image_is_kept_as_media(site: CaptureSite, tmp_path: Path) -> None:
    out = capture_url(site.url("/img/photo.jpg"), tmp_path, options())
    assert out.outcome == "ok", out.error
    media = [f for f in out.files if f.role == "media"]
    assert len(media) == 1 and media[0].path.read_bytes() == site.jpeg
    assert out.text == "" and out.file("text") is None
    assert_valid_wacz(out)


def test_missing_chromium_is_a_clear_failure(site: CaptureSite, tmp_path: Path) -> None:
    missing = str(tmp_path / "no-such-chromium")
    before = len(site.requests)
    out = capture_url(site.url("/"), tmp_path / "work", options(mode="browser", chromium=missing))
    assert out.outcome == "failed"
    assert "Chromium is not installed" in out.error and "HTTP-only" in out.error
    assert len(site.requests) == before


def test_redirect_chain_is_followed_checked_and_recorded(site: CaptureSite, tmp_path: Path) -> None:
    out = capture_url(site.url("/redirect/1"), tmp_path, options())
    assert out.outcome == "ok", out.error
    assert out.final_url == site.url("/final")
    assert out.context["redirects"] == [
        {"url": site.url("/redirect/1"), "status": 302, "location": site.url("/redirect/2")},
        {"url": site.url("/redirect/2"), "status": 301, "location": site.url("/final")},
    ]
    statuses = {url: status for kind, url, _h, status in warc_records(assert_valid_wacz(out))
                if kind == "response"}
    assert statuses == {site.url("/redirect/1"): "302", site.url("/redirect/2"): "301",
                        site.url("/final"): "200"}
    assert out.pages[0]["url"] == site.url("/final")


@pytest.mark.parametrize(("path", "status"), [("/missing", 404), ("/gone", 410)])
def test_missing_pages_are_archived_as_unavailable(
    site: CaptureSite, tmp_path: Path, path: str, status: int
) -> None:
    out = capture_url(site.url(path), tmp_path, options())
    assert out.outcome == "unavailable"
    assert out.removal == f"http {status}"
    assert out.http_status == status and str(status) in out.error
    assert not is_transient(out)
    assert_valid_wacz(out)


def test_platform_removal_notice_is_detected(site: CaptureSite, tmp_path: Path) -> None:
    out = capture_url(site.url("/removed"), tmp_path, options())
    assert out.http_status == 200
    assert out.outcome == "unavailable"
    assert out.removal.startswith("platform notice: Instagram")
    assert REMOVAL_TEXT.rstrip(".") in out.text
    assert_valid_wacz(out)


def test_slow_response_times_out(site: CaptureSite, tmp_path: Path) -> None:
    site.slow_seconds = 3.0
    out = capture_url(site.url("/slow"), tmp_path, options(timeout=0.5))
    assert out.outcome == "timeout"
    assert "did not answer within 0.5 seconds" in out.error
    assert is_transient(out)
    assert out.file("wacz") is None  # nothing was received, so there is nothing to archive


def test_response_past_the_size_limit_is_cut_and_marked(site: CaptureSite, tmp_path: Path) -> None:
    out = capture_url(site.url("/big"), tmp_path, options(max_bytes=300_000))
    assert out.outcome == "too_large"
    assert "300000 bytes" in out.error
    records = warc_records(assert_valid_wacz(out))
    big = [h for kind, url, h, _s in records if kind == "response" and url == site.url("/big")]
    assert big and big[0]["WARC-Truncated"] == "length"
    assert not any(f.role == "media" for f in out.files)


def test_trickling_headers_cannot_hold_a_capture(site: CaptureSite, tmp_path: Path) -> None:
    """Each read is quicker than the timeout, but the answer as a whole is not."""
    site.slow_seconds = 6.0
    started = time.monotonic()
    out = capture_url(site.url("/trickle"), tmp_path, options(timeout=1.0))
    assert out.outcome == "timeout"
    assert time.monotonic() - started < 5.0  # ends at timeout + grace, not when the server stops


@pytest.mark.parametrize(("path", "outcome", "reason"), [
    ("/stall", "timeout", "time"), ("/hang-up", "failed", "disconnect"),
])
def test_interrupted_bodies_are_archived_as_truncated(
    site: CaptureSite, tmp_path: Path, path: str, outcome: str, reason: str
) -> None:
    site.slow_seconds = 3.0
    out = capture_url(site.url(path), tmp_path, options(timeout=1.0))
    assert out.outcome == outcome
    assert "10000 bytes" in out.error and "archived" in out.error
    assert is_transient(out)
    records = warc_records(assert_valid_wacz(out))
    cut = [h for kind, url, h, _s in records if kind == "response" and url == site.url(path)]
    assert cut and cut[0]["WARC-Truncated"] == reason


# -- refusals --------------------------------------------------------------------------------


def test_loopback_address_is_refused_without_a_request(
    forbidden: CaptureSite, tmp_path: Path
) -> None:
    out = capture_url(forbidden.url("/"), tmp_path, options())
    assert out.outcome == "refused"
    assert "loopback address 127.0.0.2" in out.error
    assert out.files == []
    assert forbidden.requests == []


def test_host_name_resolving_to_loopback_is_refused(site: CaptureSite, tmp_path: Path) -> None:
    out = capture_url(f"http://localhost:{site.port}/", tmp_path, options(allowed_networks=()))
    assert out.outcome == "refused"
    assert "loopback" in out.error
    assert not is_transient(out)


def test_connection_goes_to_the_checked_address_without_a_second_lookup(
    site: CaptureSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rebinding resolver answers an allowed address first and a refused one after (where
    nothing listens on the site's port): the fetcher must connect to the first answer, having
    asked only once."""
    import socket

    from vestige.core.capture import netguard

    answers = iter(["127.0.0.1", "127.0.0.2", "127.0.0.2", "127.0.0.2"])
    asked: list[str] = []
    real = socket.getaddrinfo

    def rebinding(host: str, port: int, *args: Any, **kwargs: Any) -> Any:
        if host != "rebind.test":
            return real(host, port, *args, **kwargs)
        asked.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    monkeypatch.setattr(netguard.socket, "getaddrinfo", rebinding)
    out = capture_url(f"http://rebind.test:{site.port}/final", tmp_path, options())
    assert out.outcome == "ok", out.error
    assert out.context["ip"] == "127.0.0.1"
    assert asked == ["rebind.test"]
    assert site.requests[-1].path == "/final" and site.requests[-1].host.startswith("rebind.test")


def test_redirect_to_a_refused_address_is_stopped(
    site: CaptureSite, forbidden: CaptureSite, tmp_path: Path
) -> None:
    site.refused_target = forbidden.url("/secret")
    out = capture_url(site.url("/to-refused"), tmp_path / "refused", options())
    assert out.outcome == "refused"
    assert "127.0.0.2" in out.error
    assert forbidden.requests == []
    # The redirect itself is evidence and is archived.
    records = warc_records(assert_valid_wacz(out))
    assert [url for kind, url, _h, _s in records if kind == "response"] == [
        site.url("/to-refused")]

    # Control: with that address allowed the same capture does reach it.
    allowed = options(allowed_networks=(*LOCAL, "127.0.0.2/32"))
    control = capture_url(site.url("/to-refused"), tmp_path / "control", allowed)
    assert control.final_url == forbidden.url("/secret")
    assert forbidden.paths() == ["/secret"]


def test_refused_sub_resource_is_skipped_and_reported(
    site: CaptureSite, forbidden: CaptureSite, tmp_path: Path
) -> None:
    site.refused_target = forbidden.url("/tracker.png")
    out = capture_url(site.url("/with-refused-image"), tmp_path, options())
    assert out.outcome == "ok", out.error
    assert any("refused" in w and "/tracker.png" in w for w in out.warnings)
    assert forbidden.requests == []
    assert_valid_wacz(out)


# -- TLS -----------------------------------------------------------------------------------


def test_tls_certificate_is_recorded(tmp_path: Path) -> None:
    with running_site(with_video=False, tls=True) as tls_site:
        out = capture_url(tls_site.url("/final"), tmp_path, options())
    assert out.outcome == "ok", out.error
    tls = out.context["tls"]
    assert "CN=capture-site.test" in tls["subject"] and "CN=Vestige test CA" in tls["issuer"]
    assert len(tls["sha256"]) == 64 and tls["not_before"] < tls["not_after"]
    # The whole chain the server sent, leaf first, then the CA (Python 3.11 included).
    assert len(tls["chain"]) == 2
    assert all(pem.startswith("-----BEGIN CERTIFICATE-----") for pem in tls["chain"])
    from cryptography import x509

    issuer = x509.load_pem_x509_certificate(tls["chain"][1].encode())
    assert "Vestige test CA" in issuer.subject.rfc4514_string()
    assert tls["verified"] is False  # an unknown CA: captured anyway, and said so
    assert any("did not verify" in w for w in out.warnings)
    assert_valid_wacz(out)


# -- media platforms -----------------------------------------------------------------------


@pytest.mark.parametrize("url", [
    "https://www.youtube.com/watch?v=dQw4w9WgXcQ", "https://youtu.be/dQw4w9WgXcQ",
    "https://t.me/durov/123", "https://x.com/user/status/123456",
    "https://www.tiktok.com/@u/video/7000000000000000000", "https://vk.com/video-1_2",
    "https://www.facebook.com/watch/?v=123", "https://www.instagram.com/p/abc/",
    "https://vimeo.com/123456", "https://www.reddit.com/r/a/comments/b/c/",
    "https://example.org/news/2023/09/20/report", "http://127.0.0.1:8000/gen/1",
])
def test_media_platform_urls_are_recognised_as_yt_dlp_would(url: str) -> None:
    """The host pre-filter gives yt-dlp's own answer (its first suitable site extractor)."""
    from yt_dlp.extractor import gen_extractor_classes

    expected = next((ie.ie_key() for ie in gen_extractor_classes()
                     if ie.ie_key() != "Generic" and ie.suitable(url)), "")
    assert platform_extractor(url) == expected
    if "example.org" in url or "127.0.0.1" in url:
        assert expected == ""
    else:
        assert expected != ""


def test_ytdlp_downloads_through_the_guarded_proxy(
    site: CaptureSite, forbidden: CaptureSite, tmp_path: Path
) -> None:
    """yt-dlp's generic extractor on the local page with a <video>, through the guard."""
    if site.video is None:
        pytest.skip("ffmpeg is absent: the site has no video")
    policy = GuardPolicy(allowed_networks=LOCAL)
    files, warnings = ytdlp_download(site.url("/"), tmp_path / "ok", 10**8, 10, "Vestige", policy)
    assert warnings == []
    assert len(files) == 1 and files[0].path.read_bytes() == site.video
    assert files[0].metadata["via"] == "yt-dlp" and files[0].media_type == "video/webm"

    files, warnings = ytdlp_download(forbidden.url("/"), tmp_path / "no", 10**8, 10, "Vestige",
                                     policy)
    assert files == []
    assert any("refused (yt-dlp): 127.0.0.2" in w for w in warnings)
    assert forbidden.requests == []


# -- browser mode --------------------------------------------------------------------------


@pytest.fixture
def chromium() -> Path:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent: install the distribution's chromium package")
    pytest.importorskip("playwright.sync_api")
    return CHROMIUM


@pytest.mark.browser
def test_browser_capture_runs_javascript_and_renders(
    site: CaptureSite, chromium: Path, tmp_path: Path
) -> None:
    before = len(site.requests)
    out = capture_url(site.url("/js"), tmp_path, options(mode="browser", chromium=str(chromium)))
    assert out.outcome == "ok", out.error
    assert JS_TEXT in out.text
    dom = out.file("dom")
    assert dom is not None and JS_TEXT in dom.path.read_text()
    screenshot = out.file("screenshot")
    assert screenshot is not None
    assert screenshot.path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert screenshot.metadata["width"] == 1280
    pdf = out.file("pdf")
    assert pdf is not None and pdf.path.read_bytes()[:5] == b"%PDF-"
    tools = {t["name"]: t["version"] for t in out.context["tools"]}
    assert tools["chromium"] and tools["playwright"]
    # The page was fetched once, and the script by the guarded fetcher, into the WARC.
    received = [r.path for r in site.requests[before:]]
    assert received.count("/js") == 1 and "/static/app.js" in received
    responses = [url for kind, url, _h, _s in warc_records(assert_valid_wacz(out))
                 if kind == "response"]
    assert site.url("/static/app.js") in responses


@pytest.mark.browser
def test_browser_capture_keeps_media_and_follows_redirects(
    site: CaptureSite, chromium: Path, tmp_path: Path
) -> None:
    out = capture_url(site.url("/redirect/1"), tmp_path / "redirect",
                      options(mode="browser", chromium=str(chromium)))
    assert out.outcome == "ok", out.error
    assert out.final_url == site.url("/final") and len(out.context["redirects"]) == 2
    assert_valid_wacz(out)

    out = capture_url(site.url("/"), tmp_path / "page",
                      options(mode="browser", chromium=str(chromium)))
    assert out.outcome == "ok", out.error
    media = {Path(f.source_url).name for f in out.files if f.role == "media"}
    assert "photo.png" in media
    if site.video is not None:
        assert "clip.webm" in media
    assert_valid_wacz(out)


@pytest.mark.browser
def test_browser_requests_to_refused_addresses_never_leave(
    site: CaptureSite, forbidden: CaptureSite, chromium: Path, tmp_path: Path
) -> None:
    site.refused_target = forbidden.url("/tracker.png")
    out = capture_url(site.url("/with-refused-image"), tmp_path / "image",
                      options(mode="browser", chromium=str(chromium)))
    assert out.outcome == "ok", out.error
    assert any("refused" in w and "/tracker.png" in w for w in out.warnings)

    site.refused_target = forbidden.url("/secret")
    out = capture_url(site.url("/to-refused"), tmp_path / "redirect",
                      options(mode="browser", chromium=str(chromium)))
    assert out.outcome == "refused"
    assert forbidden.requests == []
