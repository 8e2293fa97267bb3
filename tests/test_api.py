"""The JSON API under /api/: authentication, membership checks, items, custody, download, import.

Everything goes through Django's test client against the real URL map, a real SQLite database
and a real blob store; evidence is put in by the real importer.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from vestige.cases.services import create_case, set_member
from vestige.core.custody import EventRecord
from vestige.core.errors import IntegrityError
from vestige.evidence.importing import Importer
from vestige.evidence.models import ApiToken, CustodyEvent, Item
from vestige.evidence.tokens import create_token, hash_token

from .conftest import vestige

pytestmark = pytest.mark.django_db

SLUG = "test-case"
ITEMS = f"/api/cases/{SLUG}/items"


@pytest.fixture(autouse=True)
def _static_root(settings: Any) -> None:
    """WhiteNoise warns (an error in this suite) when the static folder is absent."""
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)


def jpeg_bytes(color: tuple[int, int, int] = (200, 30, 30), size: int = 48) -> bytes:
    """A real JPEG, made with Pillow."""
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), color).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


@pytest.fixture
def stocked(case: Any, user: Any, make_files: Any) -> dict[str, Item]:
    """The test case with three items imported by the real importer: two texts and a JPEG."""
    folder = make_files(
        {
            "report.txt": b"Shelling reported at 06:10 near the school.\n",
            "witness.txt": b"Witness statement, second page.\n" * 20,
            "photo.jpg": jpeg_bytes(),
        }
    )
    summary = Importer(case, actor="amira", user=user, workers=1).run([folder])
    assert [o.status for o in summary.outcomes] == ["imported"] * 3, summary.outcomes
    return {item.source_name: item for item in Item.objects.filter(case=case)}


@pytest.fixture
def session(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def bearer(user: Any) -> Client:
    _, token = create_token(user, "tests")
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.fixture(params=["session", "bearer"])
def member(request: Any, session: Client, bearer: Client) -> Client:
    """The case owner, logged in one way or the other."""
    return session if request.param == "session" else bearer


@pytest.fixture
def viewer(case: Any, django_user_model: Any) -> Client:
    account = django_user_model.objects.create_user(username="vera", password="correct-horse-9")
    set_member(case.slug, "vera", "viewer")
    client = Client()
    client.force_login(account)
    return client


@pytest.fixture
def stranger(outsider: Any) -> Client:
    client = Client()
    client.force_login(outsider)
    return client


def upload(client: Client, files: dict[str, bytes], note: str = "", slug: str = SLUG) -> Any:
    data: dict[str, Any] = {
        "files": [SimpleUploadedFile(name, content) for name, content in files.items()]
    }
    if note:
        data["note"] = note
    return client.post(f"/api/cases/{slug}/import", data=data)


def streamed(response: Any) -> bytes:
    return b"".join(response.streaming_content)


# ------------------------------------------------------------------------------ reading


def test_case_list_and_detail(member: Client, stocked: dict[str, Item], user: Any) -> None:
    response = member.get("/api/cases")
    assert response.status_code == 200
    assert response.json() == [
        {
            "slug": SLUG, "title": "Test case", "description": "", "role": "owner",
            "items_count": 3, "created_at": response.json()[0]["created_at"],
        }
    ]
    detail = member.get(f"/api/cases/{SLUG}")
    assert detail.status_code == 200
    assert detail.json()["role"] == "owner"
    assert detail.json()["items_count"] == 3
    missing = member.get("/api/cases/no-such-case")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "no case 'no-such-case'"}


def test_case_list_shows_only_my_cases(member: Client, case: Any, outsider: Any) -> None:
    create_case("their-case", "Not mine", owner=outsider)
    slugs = [c["slug"] for c in member.get("/api/cases").json()]
    assert slugs == [SLUG]


def test_items_are_paginated_and_filtered(member: Client, stocked: dict[str, Item]) -> None:
    everything = member.get(ITEMS).json()
    assert everything["total"] == 3
    assert {i["title"] for i in everything["items"]} == {"report.txt", "witness.txt", "photo.jpg"}
    by_title = {i["title"]: i for i in everything["items"]}
    photo = stocked["photo.jpg"]
    assert by_title["photo.jpg"]["sha256"] == photo.sha256
    assert by_title["photo.jpg"]["media_type"] == "image/jpeg"
    assert by_title["photo.jpg"]["kind"] == "image"

    first = member.get(ITEMS, {"limit": 2, "offset": 0}).json()
    rest = member.get(ITEMS, {"limit": 2, "offset": 2}).json()
    assert first["total"] == rest["total"] == 3
    assert len(first["items"]) == 2 and len(rest["items"]) == 1
    paged = [i["id"] for i in first["items"] + rest["items"]]
    assert sorted(paged) == sorted(i["id"] for i in everything["items"])

    images = member.get(ITEMS, {"kind": "image"}).json()
    assert images["total"] == 1 and images["items"][0]["id"] == str(photo.pk)
    texts = member.get(ITEMS, {"media_type": "text/"}).json()
    assert texts["total"] == 2
    assert {i["title"] for i in texts["items"]} == {"report.txt", "witness.txt"}
    assert member.get(ITEMS, {"kind": "video"}).json() == {
        "total": 0, "limit": 50, "offset": 0, "items": []
    }


@pytest.mark.parametrize("query", [{"limit": 201}, {"limit": 0}, {"offset": -1}])
def test_item_paging_limits_are_enforced(session: Client, case: Any, query: dict[str, int]) -> None:
    assert session.get(ITEMS, query).status_code == 422


def test_item_detail_records_a_view(
    member: Client, stocked: dict[str, Item], user: Any
) -> None:
    photo = stocked["photo.jpg"]
    before = CustodyEvent.objects.filter(item=photo, action="viewed").count()
    response = member.get(f"{ITEMS}/{photo.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(photo.pk)
    assert body["case"] == SLUG
    assert body["sha256"] == photo.sha256
    assert body["size"] == photo.size
    assert body["media_type"] == "image/jpeg"
    assert body["metadata"]["file"]["name"] == "photo.jpg"
    assert body["warnings"] == photo.warnings
    assert body["errors"] == photo.errors
    kinds = {d["kind"]: d for d in body["derivatives"]}
    assert set(kinds) == {d.kind for d in photo.derivatives.all()}
    for derivative in photo.derivatives.all():
        shown = kinds[derivative.kind]
        assert shown["sha256"] == derivative.sha256
        assert shown["size"] == derivative.size
        assert shown["tool"] == derivative.tool
    views = CustodyEvent.objects.filter(item=photo, action="viewed")
    assert views.count() == before + 1
    assert views.last().actor == "amira"  # type: ignore[union-attr]
    assert views.last().user_id == user.pk  # type: ignore[union-attr]


def test_item_ids_are_checked_against_the_case(
    session: Client, stocked: dict[str, Item], user: Any
) -> None:
    create_case("second-case", "Second", owner=user)
    photo = stocked["photo.jpg"]
    # An item of one case is not reachable through another case the user is also in.
    assert session.get(f"/api/cases/second-case/items/{photo.pk}").status_code == 404
    assert session.get(f"{ITEMS}/not-a-uuid").json() == {"detail": "no item 'not-a-uuid'"}
    assert session.get(f"{ITEMS}/00000000-0000-0000-0000-000000000000").status_code == 404


def test_custody_events_can_be_checked_by_the_caller(
    member: Client, stocked: dict[str, Item]
) -> None:
    photo = stocked["photo.jpg"]
    member.get(f"{ITEMS}/{photo.pk}")  # adds a "viewed" event
    response = member.get(f"{ITEMS}/{photo.pk}/custody")
    assert response.status_code == 200
    events = response.json()
    assert [e["action"] for e in events] == ["imported", "viewed"]
    assert events[0]["seq"] < events[1]["seq"]
    assert events[0]["details"]["media_type"] == "image/jpeg"
    # The fields returned are enough to recompute each event's hash.
    for event in events:
        record = EventRecord(
            case=SLUG, seq=event["seq"], action=event["action"], timestamp=event["timestamp"],
            actor=event["actor"], item_id=str(photo.pk), item_sha256=photo.sha256,
            details=event["details"], prev_hash=event["prev_hash"],
        )
        assert record.compute_hash() == event["event_hash"]
        assert event["signature"] and event["key_id"]


def test_download_streams_the_original_and_records_it(
    member: Client, stocked: dict[str, Item], make_files: Any
) -> None:
    photo = stocked["photo.jpg"]
    response = member.get(f"{ITEMS}/{photo.pk}/download")
    assert response.status_code == 200
    body = streamed(response)
    assert body == jpeg_bytes()
    assert hashlib.sha256(body).hexdigest() == photo.sha256
    assert response["X-Content-SHA256"] == photo.sha256
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Length"] == str(len(body))
    assert response["Content-Disposition"] == 'attachment; filename="photo.jpg"'
    assert "sandbox" in response["Content-Security-Policy"]
    downloads = CustodyEvent.objects.filter(item=photo, action="downloaded")
    assert downloads.count() == 1
    assert downloads.get().details_dict == {"via": "api"}


def test_download_of_changed_bytes_does_not_complete(
    session: Client, stocked: dict[str, Item], settings: Any
) -> None:
    report = stocked["report.txt"]
    blob = next(p for p in Path(settings.BLOB_ROOT).rglob(report.sha256) if p.is_file())
    blob.chmod(0o644)
    blob.write_bytes(b"Nothing happened near the school.\n")
    response = session.get(f"{ITEMS}/{report.pk}/download")
    assert response.status_code == 200  # headers go out before the bytes are read
    with pytest.raises(IntegrityError):
        streamed(response)


# ------------------------------------------------------------------------------ import


def test_import_of_a_jpeg_then_the_same_bytes_again(member: Client, case: Any) -> None:
    photo = jpeg_bytes((10, 120, 40))
    first = upload(member, {"shelling.jpg": photo}, note="sent by a witness")
    assert first.status_code == 201, first.content
    [outcome] = first.json()
    assert outcome["path"] == "shelling.jpg"
    assert outcome["status"] == "imported"
    assert outcome["sha256"] == hashlib.sha256(photo).hexdigest()
    assert outcome["media_type"] == "image/jpeg"
    item = Item.objects.get(pk=outcome["item_id"], case=case)
    assert item.title == "shelling.jpg"
    assert item.note == "sent by a witness"
    assert item.captured_by_label == "amira"

    second = upload(member, {"copy-of-shelling.jpg": photo})
    assert second.status_code == 201
    [again] = second.json()
    assert again["path"] == "copy-of-shelling.jpg"
    assert again["status"] == "duplicate"
    assert again["item_id"] == outcome["item_id"]
    assert Item.objects.filter(case=case).count() == 1
    assert CustodyEvent.objects.filter(item=item, action="duplicate_imported").count() == 1


def test_import_of_several_files_reports_each_and_leaves_nothing_behind(
    session: Client, case: Any, settings: Any, tmp_path: Path
) -> None:
    settings.DATA_DIR = tmp_path / "data"
    response = upload(
        session,
        {"note.txt": b"first file\n", "empty.txt": b"", "../../etc/evil.txt": b"second file\n"},
    )
    assert response.status_code == 201, response.content
    outcomes = {o["path"]: o for o in response.json()}
    assert outcomes["note.txt"]["status"] == "imported"
    assert outcomes["empty.txt"]["status"] == "refused"
    assert "empty" in outcomes["empty.txt"]["message"]
    # A name with folders in it is reduced to its last part before anything is written.
    evil = next(o for path, o in outcomes.items() if path.endswith("evil.txt"))
    assert evil["status"] == "imported"
    assert Item.objects.get(pk=evil["item_id"]).title == "evil.txt"
    # The temporary folder is gone, and no server path leaks into the answer.
    assert list((tmp_path / "data" / "uploads").iterdir()) == []
    assert str(tmp_path) not in response.content.decode()


def test_two_uploads_with_the_same_name_are_both_imported(session: Client, case: Any) -> None:
    response = session.post(
        f"/api/cases/{SLUG}/import",
        data={"files": [SimpleUploadedFile("scan.txt", b"page one\n"),
                        SimpleUploadedFile("3", b"a file named like a number\n"),
                        SimpleUploadedFile("scan.txt", b"page two\n"),
                        SimpleUploadedFile("scan.txt", b"page three\n")]},
    )
    assert response.status_code == 201
    outcomes = response.json()
    assert sorted(o["path"] for o in outcomes) == ["3", "scan.txt", "scan.txt", "scan.txt"]
    assert [o["status"] for o in outcomes] == ["imported"] * 4
    assert Item.objects.filter(case=case, title="scan.txt").count() == 3


def test_an_upload_over_the_limit_is_refused(
    session: Client, case: Any, settings: Any
) -> None:
    settings.MAX_UPLOAD_BYTES = 1024 * 1024
    response = upload(session, {"big.bin": b"x" * (1024 * 1024 + 1)})
    assert response.status_code == 413
    assert "over the limit of 1 MB" in response.json()["detail"]
    assert Item.objects.count() == 0


def test_import_without_files_is_refused(session: Client, case: Any) -> None:
    response = session.post(f"/api/cases/{SLUG}/import", data={"note": "nothing"})
    assert response.status_code == 422
    assert Item.objects.count() == 0


# ------------------------------------------------------------------------------ who may do what


def item_urls(item: Item) -> list[str]:
    return [
        f"{ITEMS}/{item.pk}",
        f"{ITEMS}/{item.pk}/custody",
        f"{ITEMS}/{item.pk}/download",
    ]


def test_a_non_member_sees_nothing(stranger: Client, stocked: dict[str, Item]) -> None:
    assert stranger.get("/api/cases").json() == []
    missing = stranger.get("/api/cases/no-such-case")
    hidden = stranger.get(f"/api/cases/{SLUG}")
    # Exactly as if the case did not exist, apart from the slug named in the message.
    assert (hidden.status_code, missing.status_code) == (404, 404)
    assert hidden.json()["detail"] == f"no case {SLUG!r}"
    assert stranger.get(ITEMS).status_code == 404
    for url in item_urls(stocked["photo.jpg"]):
        response = stranger.get(url)
        assert response.status_code == 404, url
        assert response.json() == {"detail": f"no case {SLUG!r}"}
    imported = upload(stranger, {"planted.jpg": jpeg_bytes((1, 2, 3))})
    assert imported.status_code == 404
    assert Item.objects.count() == 3
    # Nothing the stranger did reached the custody log.
    assert not CustodyEvent.objects.filter(actor="mallory").exists()


def test_a_non_member_with_a_token_sees_nothing(
    outsider: Any, stocked: dict[str, Item]
) -> None:
    _, token = create_token(outsider)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get("/api/cases").json() == []
    assert client.get(f"/api/cases/{SLUG}").status_code == 404
    assert client.get(ITEMS).status_code == 404
    for url in item_urls(stocked["photo.jpg"]):
        assert client.get(url).status_code == 404, url
    assert upload(client, {"planted.txt": b"planted\n"}).status_code == 404


def test_a_viewer_may_read_but_not_download_or_import(
    viewer: Client, stocked: dict[str, Item]
) -> None:
    photo = stocked["photo.jpg"]
    assert viewer.get("/api/cases").json()[0]["role"] == "viewer"
    assert viewer.get(f"{ITEMS}/{photo.pk}").status_code == 200
    assert viewer.get(f"{ITEMS}/{photo.pk}/custody").status_code == 200
    denied = viewer.get(f"{ITEMS}/{photo.pk}/download")
    assert denied.status_code == 403
    assert "does not allow download" in denied.json()["detail"]
    refused = upload(viewer, {"new.txt": b"new evidence\n"})
    assert refused.status_code == 403
    assert "does not allow import" in refused.json()["detail"]
    assert Item.objects.count() == 3
    assert not CustodyEvent.objects.filter(action="downloaded").exists()


@pytest.mark.parametrize(
    "header",
    ["Bearer not-a-real-token", "Bearer ", "Bearer " + "x" * 500, "Token abc", "Basic YTpi"],
)
def test_bad_credentials_get_401(case: Any, user: Any, header: str) -> None:
    create_token(user)
    client = Client(HTTP_AUTHORIZATION=header)
    for url in ("/api/cases", f"/api/cases/{SLUG}", ITEMS):
        response = client.get(url)
        assert response.status_code == 401, (header, url)
        assert response.json() == {"detail": "Unauthorized"}
    assert upload(client, {"a.txt": b"a\n"}).status_code == 401


def test_a_bad_token_is_refused_even_with_a_valid_session(session: Client, case: Any) -> None:
    response = session.get("/api/cases", HTTP_AUTHORIZATION="Bearer wrong")
    assert response.status_code == 401


def test_no_credentials_get_401(case: Any) -> None:
    response = Client().get("/api/cases")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_token_of_an_inactive_account_stops_working(user: Any, case: Any) -> None:
    _, token = create_token(user)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get("/api/cases").status_code == 200
    user.is_active = False
    user.save()
    assert client.get("/api/cases").status_code == 401


def test_tokens_are_stored_only_as_their_hash(user: Any, case: Any) -> None:
    record, token = create_token(user, "sync script")
    assert len(token) >= 43
    assert record.token_hash == hashlib.sha256(token.encode()).hexdigest() == hash_token(token)
    stored = ApiToken.objects.filter(pk=record.pk).values().get()
    assert token not in json.dumps(stored, default=str)
    assert stored["last_used_at"] is None
    Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/cases")
    assert ApiToken.objects.get(pk=record.pk).last_used_at is not None
    record.delete()
    assert Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/cases").status_code == 401


def test_session_posts_need_the_csrf_token_but_bearer_posts_do_not(
    user: Any, case: Any
) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    refused = upload(browser, {"a.txt": b"from a forged form\n"})
    assert refused.status_code == 403
    assert Item.objects.count() == 0

    _, token = create_token(user)
    script = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {token}")
    accepted = upload(script, {"a.txt": b"from a script\n"})
    assert accepted.status_code == 201
    assert accepted.json()[0]["status"] == "imported"


# ------------------------------------------------------------------------------ schema


def test_openapi_schema_and_docs(client: Client) -> None:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "Vestige API"
    paths = schema["paths"]
    for path in (
        "/api/cases",
        "/api/cases/{slug}",
        "/api/cases/{slug}/items",
        "/api/cases/{slug}/items/{item_id}",
        "/api/cases/{slug}/items/{item_id}/custody",
        "/api/cases/{slug}/items/{item_id}/download",
        "/api/cases/{slug}/import",
    ):
        assert path in paths, path
    assert "201" in paths["/api/cases/{slug}/import"]["post"]["responses"]
    assert "multipart/form-data" in paths["/api/cases/{slug}/import"]["post"]["requestBody"][
        "content"
    ]
    schemes = schema["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} == {"http", "apiKey"}
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    assert b"openapi.json" in docs.content


# ------------------------------------------------------------------------------ command line


def test_token_command(cli_env: dict[str, str]) -> None:
    vestige(["user", "create", "amira"], cli_env, check=True)
    made = vestige(["token", "create", "amira", "--name", "nightly sync"], cli_env, check=True)
    match = re.search(r"^token: (\S+)", made.stdout, re.MULTILINE)
    assert match, made.stdout
    token = match.group(1)
    assert len(token) >= 43
    listed = vestige(["token", "list", "amira"], cli_env, check=True)
    assert "nightly sync" in listed.stdout
    assert token not in listed.stdout
    missing = vestige(["token", "create", "nobody"], cli_env)
    assert missing.returncode == 2
    assert "no user 'nobody'" in missing.stderr
    assert "Traceback" not in missing.stderr
    token_id = listed.stdout.split("\t", 1)[0]
    revoked = vestige(["token", "revoke", token_id], cli_env, check=True)
    assert "revoked" in revoked.stdout
    assert "has no API tokens" in vestige(["token", "list", "amira"], cli_env, check=True).stdout
    helped = vestige(["token", "create", "--help"], cli_env, check=True)
    assert "Example:" in helped.stdout and "vestige token create" in helped.stdout
