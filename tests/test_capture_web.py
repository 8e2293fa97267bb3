"""Web capture in the UI: who may see and request captures, the live status, a capture's page,
and the sandboxed replay (its own CSP, never for non-members, never the live web).

Captures run for real: the engine fetches pages of a local site (``tests/capture_site.py``) in
HTTP-only mode, with private addresses allowed for the loopback site.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from tests import capture_site
from tests.capture_site import CaptureSite
from vestige.capture.models import Capture, CaptureStatus
from vestige.capture.service import request_captures, run_capture
from vestige.cases.models import Membership
from vestige.cases.services import create_case, set_member
from vestige.evidence.models import CustodyEvent, Item
from vestige.web.views.replay import replay_token

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-9"


@pytest.fixture
def site() -> Iterator[CaptureSite]:
    with CaptureSite(with_video=False) as running:
        yield running


@pytest.fixture
def capture_settings(settings: Any) -> Any:
    settings.CAPTURE_ALLOW_PRIVATE_ADDRESSES = True
    settings.CAPTURE_RETRIES = 0
    settings.CAPTURE_TIMEOUT = 30
    return settings


def client_for(account: Any) -> Client:
    client = Client()
    client.force_login(account)
    return client


def capture_now(case: Any, url: str, user: Any) -> Capture:
    """Request and run one HTTP-only capture, as the worker would."""
    [capture] = request_captures(case, [url], user=user, actor=user.username, mode="http")
    return run_capture(capture.pk)


def replay_root(capture: Capture, account: Any) -> str:
    return reverse("capture-replay-root",
                   args=[capture.case.slug, capture.pk, replay_token(account, capture)])


# ------------------------------------------------------------------------- access and form


def test_non_members_get_404_everywhere(
    case: Any, user: Any, outsider: Any, site: CaptureSite, capture_settings: Any
) -> None:
    capture = capture_now(case, site.url("/"), user)
    assert capture.status == CaptureStatus.DONE, capture.error
    mallory = client_for(outsider)
    slug = case.slug
    for url in (
        reverse("capture-list", args=[slug]),
        reverse("capture-status", args=[slug]) + f"?ids={capture.pk}",
        reverse("capture-detail", args=[slug, capture.pk]),
        reverse("capture-screenshot", args=[slug, capture.pk]),
        replay_root(capture, outsider),  # a token of his own does not make him a member
        replay_root(capture, user),  # nor does a member's token under his own session
    ):
        assert mallory.get(url).status_code == 404, url
    assert mallory.post(reverse("capture-list", args=[slug]),
                        {"urls": site.url("/x"), "mode": "http"}).status_code == 404
    assert Capture.objects.count() == 1
    # Signed out: the pages ask for a login, and a bad token replays nothing.
    anonymous = Client()
    response = anonymous.get(reverse("capture-list", args=[slug]))
    assert response.status_code == 302 and "/login/" in response["Location"]
    bad = reverse("capture-replay-root", args=[slug, capture.pk, "forged:token"])
    assert anonymous.get(bad).status_code == 404


def test_viewer_sees_captures_but_cannot_request_or_replay(
    case: Any, user: Any, outsider: Any, site: CaptureSite, capture_settings: Any
) -> None:
    capture = capture_now(case, site.url("/"), user)
    set_member(case.slug, outsider.username, "viewer")
    viewer = client_for(outsider)
    page = viewer.get(reverse("capture-list", args=[case.slug]))
    assert page.status_code == 200
    assert b"Shelling near the village school" in page.content
    assert b'name="urls"' not in page.content  # no form for a role that cannot import
    refused = viewer.post(reverse("capture-list", args=[case.slug]),
                          {"urls": site.url("/js"), "mode": "http"})
    assert refused.status_code == 403
    assert Capture.objects.filter(case=case).count() == 1
    detail = viewer.get(reverse("capture-detail", args=[case.slug, capture.pk]))
    assert detail.status_code == 200
    assert b"Replaying the archived page needs the download permission" in detail.content
    assert b"<iframe" not in detail.content
    assert b"Download WACZ" not in detail.content
    assert viewer.get(replay_root(capture, outsider)).status_code == 403


def test_form_queues_captures_for_the_worker_and_lists_the_batch(
    case: Any, user: Any, site: CaptureSite
) -> None:
    from django_tasks_db.models import DBTaskResult

    amira = client_for(user)
    urls = f"{site.url('/')}\n\n{site.url('/js')}\n{site.url('/')}\n"
    response = amira.post(reverse("capture-list", args=[case.slug]),
                          {"urls": urls, "mode": "http"})
    assert response.status_code == 302
    captures = list(Capture.objects.filter(case=case).order_by("url"))
    assert [c.url for c in captures] == [site.url("/"), site.url("/js")]
    assert {c.status for c in captures} == {CaptureStatus.QUEUED}
    assert {c.mode for c in captures} == {"http"}
    batch = captures[0].batch_id
    assert batch is not None and captures[1].batch_id == batch
    assert response["Location"].endswith(f"?batch={batch}")
    assert DBTaskResult.objects.count() == 2  # one task each, for `vestige worker`
    assert site.paths() == []  # nothing was fetched by the web request itself

    page = amira.get(response["Location"])
    html = page.content.decode()
    assert "2 URLs queued for capture" in html
    assert html.count('class="is-highlighted"') == 2
    pending = re.search(r'data-pending="([^"]*)"', html)
    assert pending is not None
    assert set(pending.group(1).split(",")) == {str(c.pk) for c in captures}
    assert 'src="/static/vestige/captures.js"' in html
    assert "Refresh to see progress" in html  # without JavaScript: a link, nothing inline
    assert "<script>" not in html


def test_form_refuses_bad_urls_and_queues_nothing(case: Any, user: Any) -> None:
    amira = client_for(user)
    for urls, message in (
        ("ftp://example.org/file", "only http and https"),
        ("   \n\n", "Enter at least one URL"),
        ("https://user:secret@example.org/", "user name or password"),
    ):
        response = amira.post(reverse("capture-list", args=[case.slug]),
                              {"urls": urls, "mode": "http"})
        assert response.status_code == 400
        assert message in response.content.decode()
    bad_mode = amira.post(reverse("capture-list", args=[case.slug]),
                          {"urls": "https://example.org/", "mode": "telnet"})
    assert bad_mode.status_code == 400
    assert Capture.objects.count() == 0


def test_case_page_links_to_captures(case: Any, user: Any) -> None:
    page = client_for(user).get(reverse("case-detail", args=[case.slug]))
    assert f'href="{reverse("capture-list", args=[case.slug])}"' in page.content.decode()


# ------------------------------------------------------------------------------ live status


def test_status_json_follows_a_capture_to_its_end(
    case: Any, user: Any, outsider: Any, site: CaptureSite, capture_settings: Any
) -> None:
    amira = client_for(user)
    [queued] = request_captures(case, [site.url("/")], user=user, actor="amira", mode="http")
    other_case = create_case("other-case", "Other", owner=outsider)
    [foreign] = request_captures(other_case, [site.url("/js")], user=outsider, actor="mallory",
                                 mode="http")
    url = reverse("capture-status", args=[case.slug])

    first = amira.get(url, {"ids": f"{queued.pk},{foreign.pk}"})
    assert first.status_code == 200
    data = first.json()
    assert [row["id"] for row in data["captures"]] == [str(queued.pk)]  # never another case's
    assert data["captures"][0]["status"] == "queued"
    assert data["finished"] is False

    run_capture(queued.pk)
    done = amira.get(url, {"ids": str(queued.pk)}).json()
    row = done["captures"][0]
    assert done["finished"] is True
    assert row["status"] == "done" and row["finished"] is True
    assert row["item_id"] and row["version"] == 1
    assert row["page_url"] == reverse("capture-detail", args=[case.slug, queued.pk])

    assert amira.get(url, {"ids": "not-a-uuid"}).status_code == 400


# ----------------------------------------------------------------------------- capture page


def test_capture_page_shows_the_capture_without_its_html(
    case: Any, user: Any, site: CaptureSite, capture_settings: Any
) -> None:
    capture = capture_now(case, site.url("/"), user)
    assert capture.status == CaptureStatus.DONE, capture.error
    page = client_for(user).get(reverse("capture-detail", args=[case.slug, capture.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "<h1 class=\"item-title\">Shelling near the village school</h1>" in html
    assert "Ani Petrosyan" in html  # author
    assert "2023-09-20" in html  # published
    assert capture_site.ARTICLE_TEXT[:60] in html  # the extracted text, escaped
    assert "127.0.0.1" in html  # the IP address the host resolved to
    assert "none (plain HTTP)" in html  # no TLS on the local site
    assert "Download WACZ" in html
    assert reverse("item-detail", args=[case.slug, capture.item_id]) in html
    # The archived page is never part of the app's page: only a sandboxed frame points at it.
    assert "/static/app.js" not in html
    assert 'id="js-target"' not in html
    frames = re.findall(r"<iframe[^>]*>", html)
    assert len(frames) == 1
    assert re.search(r"\ssandbox[\s>]", frames[0]) and "allow-" not in frames[0]
    assert 'src="/replay/test-case/' in frames[0]
    viewed = CustodyEvent.objects.filter(case=case, item=capture.item, action="viewed")
    assert viewed.count() == 1


def test_recapture_shows_versions_diff_and_unavailable_finding(
    case: Any, user: Any, site: CaptureSite, capture_settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = capture_now(case, site.url("/"), user)
    monkeypatch.setattr(capture_site, "ARTICLE_TEXT",
                        "The school reopened in October after the roof was repaired.")
    second = capture_now(case, site.url("/"), user)
    assert second.version == 2 and second.previous_id == first.pk
    monkeypatch.setitem(capture_site.ROUTES, "/", capture_site._Handler.gone)
    third = capture_now(case, site.url("/"), user)
    assert third.unavailable and third.version == 3

    amira = client_for(user)
    html = amira.get(reverse("capture-detail", args=[case.slug, second.pk])).content.decode()
    assert "What changed since version 1" in html
    assert re.search(r'diff-add">\+The school reopened in October', html)
    assert re.search(r'diff-remove">-On 19 September', html)
    for other in (first, third):
        assert reverse("capture-detail", args=[case.slug, other.pk]) in html

    gone = amira.get(reverse("capture-detail", args=[case.slug, third.pk])).content.decode()
    assert "Finding: unavailable at source." in gone
    assert "version 2 remains preserved" in gone
    assert Item.objects.filter(pk=second.item_id).exists()  # never overwritten


# ---------------------------------------------------------------------------------- replay


def csp_of(response: Any) -> dict[str, str]:
    policy = response["Content-Security-Policy"]
    return {part.strip().split(" ", 1)[0]: part.strip() for part in policy.split(";")}


def test_replay_is_sandboxed_and_never_reaches_the_live_site(
    case: Any, user: Any, site: CaptureSite, capture_settings: Any
) -> None:
    capture = capture_now(case, site.url("/"), user)
    amira = client_for(user)
    root = replay_root(capture, user)
    response = amira.get(root)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    policy = csp_of(response)
    assert policy["sandbox"] == "sandbox"
    assert policy["script-src"] == "script-src 'none'"
    assert policy["default-src"] == "default-src 'none'"
    assert policy["frame-ancestors"] == "frame-ancestors 'self'"
    prefix = f"http://testserver/replay/{case.slug}/{capture.pk}/"
    assert policy["img-src"] == f"img-src {prefix} data:"
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "no-referrer"

    html = response.content.decode()
    origin = site.url("")
    token_root = root  # "/replay/<slug>/<id>/<token>/"
    assert f'src="{token_root}{origin}/img/photo.png"' in html
    assert f'href="{token_root}{origin}/static/site.css"' in html
    assert f"{token_root}{origin}/img/photo.jpg 2x" in html  # srcset
    assert f'src="{origin}/' not in html and f'href="{origin}/' not in html

    requests_before = len(site.paths())
    image = amira.get(f"{token_root}{origin}/img/photo.png")
    assert image.status_code == 200
    assert image["Content-Type"] == "image/png"
    assert b"".join(image.streaming_content) == site.png
    assert "sandbox" in image["Content-Security-Policy"]
    css = amira.get(f"{token_root}{origin}/static/site.css")
    assert css.status_code == 200 and b"font-family" in css.content
    missing = amira.get(f"{token_root}{origin}/never-archived.png")
    assert missing.status_code == 404
    assert "script-src 'none'" in missing["Content-Security-Policy"]
    assert len(site.paths()) == requests_before  # the replay never asked the live site

    # A proxy that merges slashes ("http:/host") still finds the resource.
    merged = amira.get(f"{token_root}{origin.replace('://', ':/')}/img/photo.png")
    assert merged.status_code == 200


def test_replay_follows_archived_redirects_inside_the_replay(
    case: Any, user: Any, site: CaptureSite, capture_settings: Any
) -> None:
    capture = capture_now(case, site.url("/redirect/1"), user)
    assert capture.status == CaptureStatus.DONE, capture.error
    amira = client_for(user)
    root = replay_root(capture, user)
    hop = amira.get(f"{root}{site.url('/redirect/1')}")
    assert hop.status_code == 302
    assert hop["Location"] == f"{root}{site.url('/redirect/2')}"
    page = amira.get(root)  # the capture's page is its final URL
    assert page.status_code == 200 and b"You followed the redirects" in page.content
    detail = amira.get(reverse("capture-detail", args=[case.slug, capture.pk])).content.decode()
    assert site.url("/redirect/2") in detail and site.url("/final") in detail


def test_replay_token_is_bound_to_member_capture_and_membership(
    case: Any, user: Any, outsider: Any, site: CaptureSite, capture_settings: Any
) -> None:
    capture = capture_now(case, site.url("/"), user)
    other = capture_now(case, site.url("/js"), user)
    root = replay_root(capture, user)
    # Requests from the sandboxed frame carry no session cookie: the token alone suffices.
    assert Client().get(root).status_code == 200
    # A token for one capture does not open another.
    token = replay_token(user, capture)
    swapped = reverse("capture-replay-root", args=[case.slug, other.pk, token])
    assert Client().get(swapped).status_code == 404
    # Nor under another case's slug.
    create_case("second-case", "Second", owner=user)
    moved = reverse("capture-replay-root", args=["second-case", capture.pk, token])
    assert Client().get(moved).status_code == 404
    # A member who leaves the case loses the replay at once, token or not.
    set_member(case.slug, outsider.username, "reviewer")
    reviewer_root = replay_root(capture, outsider)
    assert Client().get(reviewer_root).status_code == 200
    Membership.objects.filter(case=case, user=outsider).delete()
    assert Client().get(reviewer_root).status_code == 404


def test_app_pages_allow_only_same_origin_frames(case: Any, user: Any) -> None:
    response = client_for(user).get(reverse("capture-list", args=[case.slug]))
    policy = csp_of(response)
    assert policy["frame-src"] == "frame-src 'self'"
    assert policy["frame-ancestors"] == "frame-ancestors 'none'"
    assert policy["script-src"] == "script-src 'self'"
    assert response["X-Frame-Options"] == "DENY"


def test_replay_of_the_js_page_keeps_its_script_inert(
    case: Any, user: Any, site: CaptureSite, capture_settings: Any
) -> None:
    capture = capture_now(case, site.url("/js"), user)
    response = client_for(user).get(replay_root(capture, user))
    html = response.content.decode()
    # The archived HTML is served as recorded (its script only rewritten to the replay path),
    # and the response forbids running it; the JavaScript-made text is not in the archive.
    assert capture_site.JS_TEXT not in html
    assert re.search(r'<script src="/replay/[^"]+/static/app\.js"', html)
    assert "script-src 'none'" in response["Content-Security-Policy"]
    assert urlsplit(site.url("/")).hostname == "127.0.0.1"
