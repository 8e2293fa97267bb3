"""The capture app: requests, runs, what a capture leaves in the locker, recapture, failures.

Every capture runs the real engine against the local site of :mod:`tests.capture_site` on
127.0.0.1 (so the address guard's private-address setting is on, except in the test that shows
the refusal). Every WACZ produced is checked with py-wacz's ``wacz validate``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from vestige.capture import service
from vestige.capture.models import Capture, CaptureStatus
from vestige.core.errors import PermissionDenied, UserError

from .capture_site import ARTICLE_TEXT, JS_TEXT, ROUTES, CaptureSite, _Handler, running_site

pytestmark = pytest.mark.django_db


# -- two extra pages for these tests: one whose content the test changes, one that fails first --


def _mutable(handler: _Handler) -> None:
    site: Any = handler.site
    state = getattr(site, "mutable", {"status": 200, "text": "First version of the statement."})
    handler._html(
        f"<html><head><title>Statement</title></head><body><article><p>{state['text']}</p>"
        "<p>Published by the local council.</p></article></body></html>",
        status=state["status"],
    )


def _flaky(handler: _Handler) -> None:
    site: Any = handler.site
    remaining = getattr(site, "flaky_failures", 0)
    if remaining > 0:
        site.flaky_failures = remaining - 1
        handler._html("<html><body>overloaded, try later</body></html>", status=503)
        return
    handler._html(
        f"<html><head><title>Steady</title></head><body><p>{ARTICLE_TEXT}</p></body></html>"
    )


ROUTES.setdefault("/mutable", _mutable)
ROUTES.setdefault("/flaky", _flaky)


@pytest.fixture(scope="module")
def site() -> Iterator[CaptureSite]:
    with running_site() as running:
        yield running


@pytest.fixture(autouse=True)
def _capture_settings(settings: Any) -> None:
    settings.CAPTURE_ALLOW_PRIVATE_ADDRESSES = True
    settings.CAPTURE_RETRY_DELAY = 0.0
    settings.CAPTURE_RETRIES = 2
    settings.CAPTURE_TIMEOUT = 30.0
    settings.FSYNC_BLOBS = False


@pytest.fixture(autouse=True)
def _every_wacz_validates(db: Any) -> Iterator[None]:
    """After each test (before its database is rolled back), every WACZ it stored must pass
    py-wacz's validator."""
    yield
    from vestige.evidence.models import Item

    for sha256 in set(Item.objects.filter(kind="web_capture").values_list("sha256", flat=True)):
        wacz_validate(blob_path(sha256))


def wacz_validate(path: Path) -> None:
    """py-wacz's own validator must accept the package."""
    tool = Path(sys.executable).with_name("wacz")
    result = subprocess.run(
        [str(tool), "validate", "-f", str(path)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, f"wacz validate failed:\n{result.stdout}\n{result.stderr}"


def blob_path(sha256: str) -> Path:
    return service._store().path_for(sha256)


def capture_one(case: Any, user: Any, url: str, mode: str = "http") -> Capture:
    (queued,) = service.request_captures(case, [url], user=user, actor="amira", mode=mode)
    return service.run_capture(queued.pk)


def captured_events(item: Any) -> list[dict[str, Any]]:
    return [e.details_dict for e in item.custody_events.filter(action="captured")]


# -- a capture and what it leaves ------------------------------------------------------------


def test_http_capture_stores_the_archive_derivatives_media_and_custody(
    case: Any, user: Any, site: CaptureSite
) -> None:
    capture = capture_one(case, user, site.url("/"))

    assert capture.status == CaptureStatus.DONE, capture.error
    assert capture.outcome == "ok" and capture.attempts == 1 and capture.version == 1
    assert capture.http_status == 200 and capture.final_url == site.url("/")
    item = capture.item
    assert item is not None and item.kind == "web_capture"
    assert item.source_url == site.url("/") and item.captured_by == user
    assert item.capture_tool == "vestige-capture" and item.capture_tool_version
    assert item.title == "Shelling near the village school"
    # The WACZ is stored untouched under its hash, and py-wacz accepts it.
    path = blob_path(item.sha256)
    assert service._store().verify(item.sha256) == item.sha256
    assert path.stat().st_size == item.size
    wacz_validate(path)
    context = item.metadata["capture"]
    assert context["ip"] == "127.0.0.1" and context["http_status"] == 200
    assert context["started_at"].endswith("Z") or "+00:00" in context["started_at"]
    assert item.metadata["page"]["author"] == "Ani Petrosyan"
    validation = item.metadata["wacz_validation"]
    assert validation["valid"] is True and validation["checked"] is True
    assert validation["summary"].startswith("valid WACZ") and validation["report"]["errors"] == []
    assert any(page["url"] == site.url("/") for page in item.metadata["pages"])
    # Derivatives: the DOM and the text, whose bytes hold the article.
    kinds = {d.kind: d for d in item.derivatives.all()}
    assert "text" in kinds  # the DOM, screenshot and PDF come from browser mode
    assert ARTICLE_TEXT[:60] in blob_path(kinds["text"].sha256).read_text(encoding="utf-8")
    # Embedded media as child items with their own bytes.
    children = list(item.children.all())
    child_types = {c.media_type for c in children}
    assert {"image/png", "image/jpeg"} <= child_types
    png = next(c for c in children if c.media_type == "image/png")
    assert png.kind == "image" and png.source_url.startswith(site.url("/img/"))
    assert blob_path(png.sha256).read_bytes() in (site.png, site.small_png)
    if site.video is not None:
        assert any(c.kind == "video" for c in children)
    # A signed custody event for the page and for each child, naming the URL and address.
    (page_event,) = captured_events(item)
    assert page_event["url"] == site.url("/") and page_event["ip"] == "127.0.0.1"
    assert page_event["outcome"] == "ok" and page_event["capture_id"] == str(capture.pk)
    for child in children:
        (event,) = captured_events(child)
        assert event["page_item"] == str(item.pk)
    from vestige.evidence.verification import verify_cases

    assert verify_cases([case], actor="test").ok


def test_status_rows_for_the_live_view(case: Any, user: Any, site: CaptureSite) -> None:
    capture = capture_one(case, user, site.url("/final"))
    (row,) = service.capture_status([capture])
    assert row["status"] == "done" and row["item_id"] == str(capture.item_id)
    assert row["url"] == site.url("/final") and row["version"] == 1
    assert row["unavailable"] is False and row["error"] == ""
    json.dumps(row)  # JSON-able as it is


def test_redirects_are_followed_and_recorded(case: Any, user: Any, site: CaptureSite) -> None:
    capture = capture_one(case, user, site.url("/redirect/1"))
    assert capture.status == "done", capture.error
    assert capture.final_url == site.url("/final")
    redirects = capture.item.metadata["capture"]["redirects"]
    assert [r["status"] for r in redirects] == [302, 301]


# -- recapture ---------------------------------------------------------------------------------


def test_recapture_makes_a_new_version_with_the_text_diff(case: Any, user: Any, site: Any) -> None:
    site.mutable = {"status": 200, "text": "First version of the statement."}
    first = capture_one(case, user, site.url("/mutable"))
    first_item = first.item
    before = (first_item.sha256, first_item.metadata, list(first_item.derivatives.values()))

    site.mutable = {"status": 200, "text": "Second version: the statement was rewritten."}
    second = capture_one(case, user, site.url("/mutable"))

    assert second.status == "done" and second.previous == first and second.version == 2
    assert second.item_id != first.item_id
    first_item.refresh_from_db()
    assert (first_item.sha256, first_item.metadata, list(first_item.derivatives.values())) == before
    diff = second.text_diff
    assert diff["added"] == 1 and diff["removed"] == 1 and diff["from_version"] == 1
    assert "-First version of the statement." in diff["unified"]
    assert "+Second version: the statement was rewritten." in diff["unified"]
    assert second.item.metadata["previous_item"] == str(first.item_id)
    assert captured_events(second.item)[0]["previous_item"] == str(first.item_id)
    # Same text again: a third version, with an empty diff.
    third = capture_one(case, user, site.url("/mutable"))
    assert third.version == 3 and third.previous == second
    assert third.text_diff["identical"] is True and third.text_diff["added"] == 0


@pytest.mark.parametrize(("status", "reason"), [(404, "http 404"), (410, "http 410")])
def test_recapture_of_a_removed_page_records_unavailable_at_source(
    case: Any, user: Any, site: Any, status: int, reason: str
) -> None:
    site.mutable = {"status": 200, "text": "The original post."}
    first = capture_one(case, user, site.url("/mutable"))
    site.mutable = {"status": status, "text": "This page was deleted."}
    second = capture_one(case, user, site.url("/mutable"))

    assert second.status == "done" and second.outcome == "unavailable"
    assert second.unavailable is True and second.removal == reason
    assert second.previous == first and second.version == 2
    item = second.item
    assert any(w.startswith("unavailable at source: http") for w in item.warnings)
    assert item.metadata["finding"]["finding"] == "unavailable at source"
    assert item.metadata["finding"]["previous_item"] == str(first.item_id)
    # The finding is in the signed custody log, so others can verify it.
    (event,) = captured_events(item)
    assert event["finding"]["reason"] == reason and event["http_status"] == status
    wacz_validate(blob_path(item.sha256))  # the 404 answer itself is archived
    first.refresh_from_db()
    assert first.unavailable is False


def test_platform_removal_notice_is_unavailable_at_source(
    case: Any, user: Any, site: CaptureSite
) -> None:
    capture = capture_one(case, user, site.url("/removed"))
    assert capture.status == "done" and capture.unavailable is True
    assert capture.removal.startswith("platform notice")
    assert capture.http_status == 200


# -- failures are recorded ---------------------------------------------------------------------


def test_private_address_is_refused_without_contacting_it(
    case: Any, user: Any, settings: Any
) -> None:
    settings.CAPTURE_ALLOW_PRIVATE_ADDRESSES = False
    with running_site(with_video=False) as local:
        capture = capture_one(case, user, local.url("/"))
        assert local.requests == []
    assert capture.status == CaptureStatus.REFUSED and capture.outcome == "refused"
    assert "127.0.0.1" in capture.error or "private" in capture.error or "loopback" in capture.error
    assert capture.item is None and capture.finished_at is not None
    assert case.items.count() == 0
    assert capture.attempts == 1  # a refusal is not retried


def test_redirect_to_a_refused_address_is_refused(
    case: Any, user: Any, site: CaptureSite, settings: Any
) -> None:
    settings.CAPTURE_ALLOW_PRIVATE_ADDRESSES = False
    capture = capture_one(case, user, site.url("/to-refused"))
    assert capture.status == "refused" and capture.error
    assert site.paths().count("/to-refused") == 0  # refused before the first request


def test_transient_errors_are_retried_then_succeed(
    case: Any, user: Any, site: Any, settings: Any
) -> None:
    settings.CAPTURE_RETRIES = 2
    site.flaky_failures = 2
    capture = capture_one(case, user, site.url("/flaky"))
    assert capture.status == "done", capture.error
    assert capture.attempts == 3
    outcomes = [a["outcome"] for a in capture.item.metadata["attempts"]]
    assert outcomes[-1] == "ok" and len(outcomes) == 3


def test_retries_are_bounded_and_the_last_failure_recorded(
    case: Any, user: Any, site: Any, settings: Any
) -> None:
    settings.CAPTURE_RETRIES = 1
    site.flaky_failures = 5
    capture = capture_one(case, user, site.url("/flaky"))
    assert capture.status == "failed" and capture.attempts == 2
    assert capture.error
    site.flaky_failures = 0


def test_timeout_is_a_failure_on_the_capture(
    case: Any, user: Any, site: CaptureSite, settings: Any
) -> None:
    settings.CAPTURE_TIMEOUT = 1.0
    settings.CAPTURE_RETRIES = 0
    capture = capture_one(case, user, site.url("/slow"))
    assert capture.status == "failed" and capture.outcome == "timeout"
    assert capture.error and capture.attempts == 1


def test_size_limit_is_a_failure_on_the_capture(
    case: Any, user: Any, site: CaptureSite, settings: Any
) -> None:
    settings.CAPTURE_MAX_BYTES = 256 * 1024
    capture = capture_one(case, user, site.url("/big"))
    assert capture.status == "failed" and capture.outcome == "too_large"
    assert capture.error


def test_an_invalid_wacz_is_recorded_as_invalid_with_the_reason() -> None:
    from vestige.capture.archive_check import check_wacz

    from .conftest import shared_file

    good = check_wacz(shared_file("pywacz_valid_example_1.wacz"))
    assert good["checked"] and good["valid"] and good["reason"] == ""
    bad = check_wacz(shared_file("pywacz_invalid_example_1.wacz"))
    assert bad["checked"] and not bad["valid"] and bad["reason"]
    broken = check_wacz(Path(__file__))  # not a zip at all: recorded, never a pass
    assert broken["valid"] is False and broken["reason"]


def test_bad_urls_are_refused_before_anything_is_queued(case: Any, user: Any) -> None:
    for bad in ("ftp://example.org/file", "not a url", "https://user:secret@example.org/", ""):
        with pytest.raises(UserError):
            service.request_captures(case, ["https://example.org/", bad], user=user, actor="a")
    assert Capture.objects.count() == 0


def test_urls_are_normalised_and_deduplicated(case: Any, user: Any) -> None:
    captures = service.request_captures(
        case,
        ["HTTPS://Example.ORG", "https://example.org/", " https://example.org/a?b=1#c "],
        user=user,
        actor="amira",
        mode="http",
    )
    assert [c.url for c in captures] == ["https://example.org/", "https://example.org/a?b=1#c"]
    assert all(c.status == "queued" and c.batch_id == captures[0].batch_id for c in captures)


def test_requesting_needs_the_import_permission(case: Any, outsider: Any) -> None:
    from vestige.cases.services import set_member

    set_member(case.slug, outsider.username, "viewer")
    with pytest.raises(PermissionDenied):
        service.request_captures(case, ["https://example.org/"], user=outsider, actor="mallory")


# -- background work: parallelism and resuming -------------------------------------------------


def test_capture_task_runs_a_queued_capture(case: Any, user: Any, site: CaptureSite) -> None:
    from django_tasks_db.models import DBTaskResult

    from vestige.capture.tasks import capture_task

    (capture,) = service.request_captures(
        case, [site.url("/final")], user=user, actor="amira", mode="http", background=True
    )
    assert DBTaskResult.objects.filter(pk=capture.task_id, status="READY").exists()
    row = capture_task.call(str(capture.pk))
    assert row["status"] == "done" and row["item_id"]


def test_the_parallel_limit_defers_a_capture(
    case: Any, user: Any, site: CaptureSite, settings: Any
) -> None:
    from vestige.capture.tasks import capture_task

    settings.CAPTURE_PARALLEL = 1
    busy, waiting = service.request_captures(
        case, [site.url("/final"), site.url("/")], user=user, actor="amira", mode="http"
    )
    Capture.objects.filter(pk=busy.pk).update(status="running", updated_at=timezone.now())
    row = capture_task.call(str(waiting.pk))
    assert row["status"] == "queued" and row["deferred"] is True
    waiting.refresh_from_db()
    from django_tasks_db.models import DBTaskResult

    deferred = DBTaskResult.objects.get(pk=waiting.task_id)
    assert deferred.status == "READY" and deferred.run_after > timezone.now()


def test_an_interrupted_batch_is_resumed(case: Any, user: Any, site: CaptureSite) -> None:
    from django_tasks_db.models import DBTaskResult

    from vestige.capture.tasks import capture_task, resume_interrupted

    killed, never_started = service.request_captures(
        case, [site.url("/final"), site.url("/redirect/1")], user=user, actor="amira", mode="http"
    )
    long_ago = timezone.now() - timedelta(hours=1)
    # The foreground run died: one capture mid-way, the other never started.
    Capture.objects.filter(pk=killed.pk).update(status="running", started_at=long_ago)
    Capture.objects.filter(pk__in=[killed.pk, never_started.pk]).update(updated_at=long_ago)
    leftover = service._store().tmp / f"capture-{killed.pk}-dead"
    leftover.mkdir(parents=True)

    assert resume_interrupted() == 2
    assert not leftover.exists()
    for capture in (killed, never_started):
        capture.refresh_from_db()
        assert capture.status == "queued" and capture.task_id
        assert DBTaskResult.objects.filter(pk=capture.task_id, status="READY").exists()
        assert capture_task.call(str(capture.pk))["status"] == "done"
    assert resume_interrupted() == 0  # nothing left


def test_a_live_run_is_not_taken_over(case: Any, user: Any, site: CaptureSite) -> None:
    from vestige.capture.tasks import resume_interrupted

    running, queued = service.request_captures(
        case, [site.url("/final"), site.url("/")], user=user, actor="amira", mode="http"
    )
    Capture.objects.filter(pk=running.pk).update(status="running", updated_at=timezone.now())
    assert resume_interrupted() == 0
    queued.refresh_from_db()
    assert queued.status == "queued" and queued.task_id == ""


# -- browser mode ------------------------------------------------------------------------------


@pytest.mark.browser
def test_browser_capture_runs_javascript_and_renders(
    case: Any, user: Any, site: CaptureSite
) -> None:
    capture = capture_one(case, user, site.url("/js"), mode="browser")
    assert capture.status == "done", capture.error
    item = capture.item
    kinds = {d.kind: d for d in item.derivatives.all()}
    assert {"screenshot", "dom", "pdf", "text", "thumbnail"} <= set(kinds)
    assert kinds["screenshot"].media_type == "image/png"
    assert blob_path(kinds["pdf"].sha256).read_bytes().startswith(b"%PDF")
    assert JS_TEXT in blob_path(kinds["dom"].sha256).read_text(encoding="utf-8")
    assert JS_TEXT in blob_path(kinds["text"].sha256).read_text(encoding="utf-8")
    wacz_validate(blob_path(item.sha256))
    tools = {t["name"] for t in item.metadata["capture"]["tools"]}
    assert any("hromium" in name for name in tools)
