"""Watched sources against a real feed and site on 127.0.0.1: scheduling with a controllable
clock, captures of new entries (once), page changes and removals, matching to the case graph,
hostile feeds, the CLI and the inbox's permissions."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from vestige.capture.models import Capture
from vestige.watch import service
from vestige.watch.feeds import FeedError, parse_feed
from vestige.watch.models import EntryStatus, SourceKind, WatchedSource, WatchEntry

from .conftest import vestige

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ARTICLE = (
    "<html><head><title>Shelling near Stepanakert</title></head><body><article>"
    "<h1>Shelling near Stepanakert</h1><p>On 19 September 2023 residents of Stepanakert "
    "reported shelling near the school. Witnesses described damage to the water supply and "
    "to the road leading to the district centre, and volunteers photographed the houses.</p>"
    "</article></body></html>"
)
OTHER = (
    "<html><head><title>Market prices</title></head><body><article><p>The weekly market "
    "opened as usual and prices of bread and vegetables stayed the same as last month, the "
    "council said in its regular statement to residents.</p></article></body></html>"
)


def rss(base: str, items: list[tuple[str, str, str]]) -> str:
    body = "".join(
        f"<item><title>{title}</title><link>{base}{path}</link><guid>{guid}</guid>"
        "<pubDate>Tue, 19 Sep 2023 08:00:00 GMT</pubDate><description>News</description></item>"
        for guid, title, path in items
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Local news</title>{body}</channel></rss>"
    )


class Site:
    """A tiny site whose answers a test changes: path -> (status, content type, body)."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, str, str]] = {}
        self.hits: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                return

            def do_GET(self) -> None:
                site.hits.append(self.path)
                status, ctype, body = site.routes.get(
                    self.path, (404, "text/html", "<html><body>Not found</body></html>")
                )
                data = body.encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def site() -> Iterator[Site]:
    running = Site()
    base = running.url("")
    running.routes["/a1"] = (200, "text/html; charset=utf-8", ARTICLE)
    running.routes["/a2"] = (200, "text/html; charset=utf-8", OTHER)
    running.routes["/feed.xml"] = (
        200,
        "application/rss+xml",
        rss(base, [("g1", "Shelling near Stepanakert", "/a1"), ("g2", "Market prices", "/a2")]),
    )
    running.routes["/atom.xml"] = (
        200,
        "application/atom+xml",
        (
            '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>'
            f'<entry><id>urn:x:1</id><title>Shelling</title><link href="{base}/a1"/>'
            "<updated>2023-09-19T08:00:00Z</updated><summary>S</summary></entry></feed>"
        ),
    )
    yield running
    running.close()


@pytest.fixture(autouse=True)
def _settings(settings: Any) -> None:
    settings.CAPTURE_ALLOW_PRIVATE_ADDRESSES = True
    settings.CAPTURE_RETRIES = 0
    settings.CAPTURE_RETRY_DELAY = 0.0
    settings.FSYNC_BLOBS = False


@pytest.fixture
def graph(case: Any) -> dict[str, Any]:
    from vestige.cases.graph import Incident, Place

    place = Place.objects.create(case=case, name="Stepanakert")
    incident = Incident.objects.create(case=case, title="Shelling of the school", date="2023-09-19")
    incident.places.add(place)
    return {"place": place, "incident": incident}


# ----------------------------------------------------------------------------- parsing


def test_every_is_parsed_and_bounded() -> None:
    assert service.parse_every("30m") == 1800
    assert service.parse_every("1h") == 3600
    assert service.parse_every("1d") == 86400
    assert service.format_every(5400) == "90m"
    for bad in ("", "10s", "1y", "soon", "-1h"):
        with pytest.raises(service.UserError):
            service.parse_every(bad)


def test_rss_and_atom_entries() -> None:
    entries = parse_feed(rss("http://x.test", [("g1", "One", "/1")]).encode(), "http://x.test/")
    assert [(e.key, e.url, e.title) for e in entries] == [("g1", "http://x.test/1", "One")]
    assert entries[0].published == datetime(2023, 9, 19, 8, tzinfo=UTC)
    atom = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>T</title>'
        b'<link href="/p"/><updated>2023-09-19T08:00:00Z</updated></entry></feed>'
    )
    (entry,) = parse_feed(atom, "http://y.test/feed")
    assert entry.url == "http://y.test/p" and entry.key.startswith("sha256:")


@pytest.mark.parametrize(
    "document",
    [
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<rss><channel><item><title>&x;</title></item></channel></rss>",
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;'
        b'&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
        b"<rss><channel><item><title>&c;</title></item></channel></rss>",
    ],
)
def test_hostile_feeds_are_refused(document: bytes) -> None:
    with pytest.raises(FeedError, match="entities"):
        parse_feed(document, "http://x.test/")


def test_not_a_feed_and_too_large_are_refused() -> None:
    with pytest.raises(FeedError, match="neither RSS nor Atom"):
        parse_feed(b"<html><body/></html>", "http://x.test/")
    with pytest.raises(FeedError, match="larger than"):
        parse_feed(b" " * (10 * 2**20 + 1), "http://x.test/")


# ----------------------------------------------------------------------------- scheduling


@pytest.mark.django_db(transaction=True)
def test_schedule_captures_new_entries_once_and_matches_them(
    case: Any, user: Any, site: Site, graph: dict[str, Any]
) -> None:
    source = service.add_source(case, site.url("/feed.xml"), every="1h", user=user, now=T0)
    assert service.run_due(T0 - timedelta(seconds=1)).checks == []
    assert site.hits == []

    report = service.run_due(T0)
    (check,) = report.checks
    assert check.error == "" and check.new_entries == 2 and check.captures == 2
    source.refresh_from_db()
    assert source.kind == SourceKind.FEED and source.last_status == 200
    assert source.next_due == T0 + timedelta(hours=1) and source.last_checked == T0
    entries = {e.key: e for e in WatchEntry.objects.filter(source=source)}
    assert set(entries) == {"g1", "g2"}
    for entry in entries.values():
        assert entry.settled and entry.status == EntryStatus.CAPTURED
        assert entry.capture is not None and entry.capture.status == "done"
        assert entry.capture.item is not None and entry.capture.mode == "http"
    shelling = entries["g1"].matches
    assert shelling["incidents"] == [graph["incident"].pk]
    assert shelling["places"] == [graph["place"].pk]
    assert entries["g2"].matches["incidents"] == []

    assert service.run_due(T0 + timedelta(minutes=59)).checks == []
    captures = Capture.objects.filter(case=case).count()
    again = service.run_due(T0 + timedelta(hours=1))
    assert [c.new_entries for c in again.checks] == [0]
    assert Capture.objects.filter(case=case).count() == captures
    assert WatchEntry.objects.filter(source=source).count() == 2

    site.routes["/feed.xml"] = (
        200,
        "application/rss+xml",
        rss(
            site.url(""),
            [
                ("g3", "Stepanakert again", "/a1"),
                ("g1", "Shelling near Stepanakert", "/a1"),
            ],
        ),
    )
    third = service.run_due(T0 + timedelta(hours=2))
    assert [c.new_entries for c in third.checks] == [1]
    newest = WatchEntry.objects.get(source=source, key="g3")
    assert newest.capture is not None and newest.capture.version == 2  # a recapture of /a1
    assert newest.capture.previous_id == entries["g1"].capture_id


@pytest.mark.django_db(transaction=True)
def test_atom_feed_is_detected(case: Any, site: Site) -> None:
    source = service.add_source(case, site.url("/atom.xml"), now=T0)
    service.run_due(T0)
    source.refresh_from_db()
    assert source.kind == SourceKind.FEED and source.last_error == ""
    (entry,) = source.entries.all()
    assert entry.key == "urn:x:1" and entry.status == EntryStatus.CAPTURED


@pytest.mark.django_db(transaction=True)
def test_page_change_makes_a_new_entry_and_removal_is_recorded(case: Any, site: Site) -> None:
    site.routes["/page"] = (200, "text/html; charset=utf-8", ARTICLE)
    source = service.add_source(case, site.url("/page"), every="1d", now=T0)
    service.run_due(T0)
    source.refresh_from_db()
    assert source.kind == SourceKind.PAGE and source.entries.count() == 1

    service.run_due(T0 + timedelta(days=1))  # unchanged: nothing new
    assert source.entries.count() == 1

    site.routes["/page"] = (200, "text/html; charset=utf-8", OTHER)
    service.run_due(T0 + timedelta(days=2))
    assert source.entries.count() == 2
    changed = source.entries.order_by("-seen_at").first()
    assert changed is not None and changed.capture is not None
    assert changed.capture.version == 2 and changed.capture.text_diff["added"] > 0

    del site.routes["/page"]
    report = service.run_due(T0 + timedelta(days=3))
    assert report.checks[0].error == "the source answered HTTP 404"
    source.refresh_from_db()
    assert source.last_status == 404 and source.last_error == "the source answered HTTP 404"
    assert source.next_due == T0 + timedelta(days=4)
    gone = source.entries.order_by("-seen_at").first()
    assert gone is not None and gone.capture is not None
    assert gone.capture.unavailable and gone.capture.removal == "http 404"
    assert gone.capture.version == 3
    assert gone.error == "unavailable at source: http 404"
    service.run_due(T0 + timedelta(days=4))  # still gone: recorded once
    assert source.entries.count() == 3


@pytest.mark.django_db(transaction=True)
def test_recheck_records_removal_of_captured_entries(case: Any, site: Site) -> None:
    service.add_source(case, site.url("/feed.xml"), every="1d", now=T0)
    service.run_due(T0)
    del site.routes["/a2"]
    assert service.recheck_captures(case, datetime.now(UTC) + timedelta(days=1)) == []
    rechecked = service.recheck_captures(case, datetime.now(UTC) + timedelta(days=8))
    by_url = {c.url: c for c in rechecked}
    assert set(by_url) == {site.url("/a1"), site.url("/a2")}
    assert by_url[site.url("/a2")].unavailable
    assert not by_url[site.url("/a1")].unavailable
    assert by_url[site.url("/a2")].item is not None
    assert "unavailable at source" in by_url[site.url("/a2")].item.warnings[0]
    # A URL found gone is not re-checked again.
    again = service.recheck_captures(case, datetime.now(UTC) + timedelta(days=30))
    assert [c.url for c in again] == [site.url("/a1")]


@pytest.mark.django_db(transaction=True)
def test_failures_are_recorded_on_the_source(case: Any, site: Site, settings: Any) -> None:
    site.routes["/xxe.xml"] = (
        200,
        "application/rss+xml",
        (
            '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/hostname">]>'
            "<rss><channel><item><title>&x;</title><link>http://a.test/</link></item>"
            "</channel></rss>"
        ),
    )
    hostile = service.add_source(case, site.url("/xxe.xml"), now=T0)
    down = service.add_source(case, "http://127.0.0.1:9/feed", now=T0)
    report = service.run_due(T0)
    assert len(report.checks) == 2 and all(c.error for c in report.checks)
    hostile.refresh_from_db()
    down.refresh_from_db()
    assert "entities" in hostile.last_error and hostile.entries.count() == 0
    assert down.last_error.startswith("failed:") and down.next_due == T0 + timedelta(hours=1)

    settings.CAPTURE_ALLOW_PRIVATE_ADDRESSES = False
    guarded = service.add_source(case, site.url("/atom.xml"), now=T0)
    hits = len(site.hits)
    service.run_due(T0)
    guarded.refresh_from_db()
    assert guarded.last_error.startswith("refused:") and len(site.hits) == hits


# ----------------------------------------------------------------------------- CLI


def test_cli_add_list_run_due(cli_env: dict[str, str], site: Site) -> None:
    env = {**cli_env, "VESTIGE_CAPTURE_ALLOW_PRIVATE_ADDRESSES": "true", "VESTIGE_FSYNC": "false"}
    vestige(["case", "create", "news", "--title", "News"], env, check=True)
    added = vestige(
        ["watch", "add", site.url("/feed.xml"), "--case", "news", "--every", "2h"], env, check=True
    )
    assert "every 2h" in added.stdout
    bad = vestige(["watch", "add", "ftp://x.test/", "--case", "news"], env)
    assert bad.returncode == 2 and "http" in bad.stderr
    (row,) = [
        json.loads(line)
        for line in vestige(["watch", "list", "--json"], env, check=True).stdout.splitlines()
    ]
    assert row["case"] == "news" and row["every"] == "2h" and row["kind"] is None
    early = vestige(["watch", "run-due", "--now", "2000-01-01T00:00:00Z"], env, check=True)
    assert "0 source(s) checked" in early.stdout
    ran = vestige(["watch", "run-due"], env, check=True)
    assert "2 new entries, 2 capture(s) requested" in ran.stdout
    (row,) = [
        json.loads(line)
        for line in vestige(
            ["watch", "list", "--case", "news", "--json"], env, check=True
        ).stdout.splitlines()
    ]
    assert row["kind"] == "feed" and row["entries"] == 2 and row["last_error"] == ""
    later = vestige(["watch", "run-due", "--now", "2100-01-01T00:00:00Z"], env, check=True)
    assert "0 new entries" in later.stdout


# ----------------------------------------------------------------------------- web


def test_inbox_permissions_and_mark_read(
    client: Any, case: Any, user: Any, outsider: Any, site: Site
) -> None:
    from vestige.cases.services import set_member

    url = f"/cases/{case.slug}/watch/"
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    assert client.post(url, {"url": site.url("/feed.xml"), "every": "1h"}).status_code == 404
    set_member(case.slug, outsider.username, "viewer")
    page = client.get(url)
    assert page.status_code == 200 and b"Watch a feed" not in page.content
    assert client.post(url, {"url": site.url("/feed.xml"), "every": "1h"}).status_code == 403
    assert not WatchedSource.objects.exists()

    client.force_login(user)
    assert client.post(url, {"url": site.url("/feed.xml"), "every": "1m0"}).status_code == 400
    response = client.post(url, {"url": site.url("/feed.xml"), "every": "1h"})
    assert response.status_code == 302
    source = WatchedSource.objects.get()
    assert source.created_by == user and source.every == 3600
    entry = WatchEntry.objects.create(
        source=source, key="k", url=site.url("/a1"), title="<b>Stepanakert</b>", seen_at=T0
    )
    page = client.get(url)
    assert b"&lt;b&gt;Stepanakert&lt;/b&gt;" in page.content and b'aria-current="page">Watch' in (
        page.content
    )

    client.force_login(outsider)
    mark = f"/cases/{case.slug}/watch/entries/{entry.pk}/read"
    assert client.post(mark).status_code == 403
    client.force_login(user)
    assert client.post(mark).status_code == 302
    entry.refresh_from_db()
    assert entry.status == EntryStatus.READ
    assert b"&lt;b&gt;Stepanakert" not in client.get(url).content


# ----------------------------------------------------------------------------- worker


@pytest.mark.django_db(transaction=True)
def test_worker_schedule_is_one_self_renewing_task(case: Any, site: Site) -> None:
    from django_tasks_db.models import DBTaskResult

    from vestige.capture.service import run_capture
    from vestige.watch.tasks import ensure_scheduled, run_due_task

    assert ensure_scheduled() is True
    assert ensure_scheduled() is False  # one chain, however often the worker starts
    ticks = DBTaskResult.objects.filter(task_path=run_due_task.module_path)
    assert ticks.count() == 1

    source = service.add_source(case, site.url("/feed.xml"))
    result = run_due_task.call()
    assert result["checked"] == 1
    assert ticks.filter(status="READY").count() == 2  # the next tick, a minute later
    entries = list(source.entries.all())
    assert len(entries) == 2 and not any(e.settled for e in entries)
    queued = [e.capture for e in entries if e.capture is not None]
    assert len(queued) == 2 and all(c.status == "queued" and c.task_id for c in queued)
    for capture in queued:
        run_capture(capture.pk)
    assert service.run_due().settled == 2  # the next tick settles the finished captures
    assert all(e.status == EntryStatus.CAPTURED for e in source.entries.all())


@pytest.mark.django_db(transaction=True)
def test_two_runners_never_check_the_same_source_twice(case: Any, site: Site) -> None:
    """The worker and `watch run-due` may start together: both read the source as due, only
    the first claim wins, and the second runner skips it."""
    source = service.add_source(case, site.url("/feed.xml"), every="1h", now=T0)
    stale = WatchedSource.objects.get(pk=source.pk)  # what the second runner read
    assert service._claim(source, T0) is True
    assert service._claim(stale, T0) is False
    source.refresh_from_db()
    assert source.next_due == T0 + timedelta(hours=1)
    assert service.run_due(T0).checks == []  # already claimed for this hour
    assert site.hits == []
