"""The capture API: request captures (queued for the worker), follow one, list a case's.

Through Django's test client against the real URL map; captures run for real against the local
test site in HTTP-only mode.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from tests.capture_site import CaptureSite
from vestige.capture.models import Capture, CaptureStatus
from vestige.capture.service import run_capture
from vestige.cases.services import set_member
from vestige.evidence.tokens import create_token

pytestmark = pytest.mark.django_db
CAPTURES = "/api/cases/test-case/captures"


@pytest.fixture(autouse=True)
def _static_root(settings: Any) -> None:
    """WhiteNoise warns (an error in this suite) when the static folder is absent."""
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)


@pytest.fixture
def site() -> Iterator[CaptureSite]:
    with CaptureSite(with_video=False) as running:
        yield running


def bearer(account: Any) -> Client:
    _, token = create_token(account, "tests")
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_post_queues_captures_and_get_follows_them_to_the_end(
    case: Any, user: Any, site: CaptureSite, settings: Any
) -> None:
    from django_tasks_db.models import DBTaskResult

    settings.CAPTURE_ALLOW_PRIVATE_ADDRESSES = True
    api = bearer(user)
    response = post(api, CAPTURES, {"urls": [site.url("/"), site.url("/js"), site.url("/")],
                                    "mode": "http"})
    assert response.status_code == 201, response.content
    rows = response.json()
    assert [r["url"] for r in rows] == [site.url("/"), site.url("/js")]
    assert {r["status"] for r in rows} == {"queued"}
    assert {r["mode"] for r in rows} == {"http"}
    assert rows[0]["batch_id"] == rows[1]["batch_id"] is not None
    assert DBTaskResult.objects.count() == 2
    assert site.paths() == []  # queued, not fetched during the request

    run_capture(rows[0]["id"])  # what `vestige worker` does with the task
    one = api.get(f"{CAPTURES}/{rows[0]['id']}")
    assert one.status_code == 200
    done = one.json()
    assert done["status"] == "done" and done["outcome"] == "ok"
    assert done["item_id"] and done["version"] == 1 and done["http_status"] == 200
    assert done["finished_at"]

    listed = api.get(CAPTURES).json()
    assert {r["id"] for r in listed} == {rows[0]["id"], rows[1]["id"]}
    queued = api.get(CAPTURES, {"status": "queued"}).json()
    assert [r["id"] for r in queued] == [rows[1]["id"]]


def test_bad_requests_are_refused_whole(case: Any, user: Any) -> None:
    api = bearer(user)
    refused = post(api, CAPTURES, {"urls": ["https://example.org/", "file:///etc/passwd"]})
    assert refused.status_code == 400
    assert "only http and https" in refused.json()["detail"]
    assert post(api, CAPTURES, {"urls": []}).status_code == 422
    assert post(api, CAPTURES, {"urls": ["https://example.org/"], "mode": "ftp"}).status_code \
        == 422
    assert Capture.objects.count() == 0


def test_permissions(case: Any, user: Any, outsider: Any, site: CaptureSite) -> None:
    owner = bearer(user)
    [row] = post(owner, CAPTURES, {"urls": [site.url("/")], "mode": "http"}).json()
    mallory = bearer(outsider)
    # Not a member: every endpoint answers 404, as for a case that does not exist.
    assert post(mallory, CAPTURES, {"urls": [site.url("/js")]}).status_code == 404
    assert mallory.get(CAPTURES).status_code == 404
    assert mallory.get(f"{CAPTURES}/{row['id']}").status_code == 404
    # A viewer reads but may not request captures.
    set_member(case.slug, outsider.username, "viewer")
    assert mallory.get(f"{CAPTURES}/{row['id']}").status_code == 200
    assert mallory.get(CAPTURES).status_code == 200
    forbidden = post(mallory, CAPTURES, {"urls": [site.url("/js")]})
    assert forbidden.status_code == 403
    assert Capture.objects.count() == 1
    # Unknown or malformed capture ids, and no credentials at all.
    assert owner.get(f"{CAPTURES}/not-a-uuid").status_code == 404
    assert owner.get(f"{CAPTURES}/00000000-0000-0000-0000-000000000000").status_code == 404
    assert Client().get(CAPTURES).status_code == 401
    assert Capture.objects.get().status == CaptureStatus.QUEUED


def test_session_callers_need_the_csrf_token(case: Any, user: Any) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    response = post(browser, CAPTURES, {"urls": ["https://example.org/"]})
    assert response.status_code == 403
    assert Capture.objects.count() == 0
