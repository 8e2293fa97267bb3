"""The web UI, through Django's test client against a real database, blob store and importer."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import ExifTags, Image

from vestige.cases.services import create_case, set_member
from vestige.core.blobstore import LocalBlobStore
from vestige.evidence.importing import Importer
from vestige.evidence.models import CustodyEvent, Derivative, Item

PASSWORD = "correct-horse-9"


def jpeg(color: tuple[int, int, int] = (180, 40, 40), gps: bool = False) -> bytes:
    """A real JPEG made by Pillow, with a camera time and (optionally) a GPS position."""
    image = Image.new("RGB", (96, 64), color)
    exif = Image.Exif()
    exif[0x0132] = "2023:09:14 10:20:30"
    if gps:
        info = exif.get_ifd(ExifTags.IFD.GPSInfo)
        info.update({1: "N", 2: (48.0, 51.0, 29.4), 3: "E", 4: (2.0, 17.0, 40.2)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def import_files(case: Any, make_files: Any, files: dict[str, bytes], folder: str) -> None:
    summary = Importer(case, actor="test", workers=1).run([make_files(files, folder)])
    assert summary.ok, [o.as_dict() for o in summary.outcomes]


@pytest.fixture
def evidence(case: Any, make_files: Any) -> dict[str, Item]:
    """The test case with a photo (with GPS) and two text documents."""
    import_files(
        case, make_files,
        {
            "photo.jpg": jpeg(gps=True),
            "alpha-notes.txt": b"Witness statement, first draft.\n",
            "zulu-log.txt": b"A longer log of events, with more bytes than the other note.\n" * 4,
        },
        "evidence",
    )
    return {item.title: item for item in Item.objects.filter(case=case)}


@pytest.fixture
def signed_in(client: Any, user: Any) -> Any:
    client.force_login(user)
    return client


def titles_in(html: str) -> list[str]:
    """Item titles in the order the case page's table lists them."""
    return re.findall(r'class="strong-link" href="/cases/[^"]+/items/[^"]+/">([^<]+)</a>', html)


# ---------- Signing in ----------


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_the_login_page(client: Any, case: Any) -> None:
    for url in ("/", "/cases/test-case/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_login_with_the_form_then_logout(client: Any, user: Any, case: Any) -> None:
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert 'name="username"' in page.text and 'name="password"' in page.text

    wrong = client.post(reverse("login"), {"username": "amira", "password": "wrong-password"})
    assert wrong.status_code == 200
    assert "notice-error" in wrong.text

    right = client.post(reverse("login"), {"username": "amira", "password": PASSWORD})
    assert right.status_code == 302 and right["Location"] == reverse("case-list")
    home = client.get("/")
    assert home.status_code == 200
    assert "amira" in home.text and "Test case" in home.text

    assert client.get(reverse("logout")).status_code == 405  # signing out takes a POST
    out = client.post(reverse("logout"))
    assert out.status_code == 302
    assert client.get("/").status_code == 302


# ---------- Case list ----------


@pytest.mark.django_db
def test_case_list_shows_only_member_cases(
    signed_in: Any, outsider: Any, evidence: dict[str, Item]
) -> None:
    create_case("secret-case", "Mallory's secret case", owner=outsider)
    html = signed_in.get("/").text
    assert "Test case" in html
    assert "secret-case" not in html and "Mallory" not in html
    row = html[html.index("Test case"):]
    assert "badge-role-owner" in row
    assert re.search(r'<td class="num">\s*3\s*</td>', row)


@pytest.mark.django_db
def test_case_list_empty_state(client: Any, outsider: Any, case: Any) -> None:
    client.force_login(outsider)
    html = client.get("/").text
    assert "No cases yet" in html
    assert "Test case" not in html


# ---------- Case page ----------


@pytest.mark.django_db
def test_case_page_lists_members_and_items(
    signed_in: Any, evidence: dict[str, Item], outsider: Any
) -> None:
    set_member("test-case", "mallory", "analyst")
    html = signed_in.get("/cases/test-case/").text
    assert sorted(titles_in(html)) == ["alpha-notes.txt", "photo.jpg", "zulu-log.txt"]
    assert "mallory" in html and "badge-role-analyst" in html
    assert "Showing 1–3 of 3" in html
    # The photo has a thumbnail derivative; the text files show a type label instead.
    photo = evidence["photo.jpg"]
    assert f'/cases/test-case/items/{photo.pk}/preview' in html
    assert '<span class="thumb thumb-none" aria-hidden="true">TXT</span>' in html


@pytest.mark.django_db
def test_case_page_filters(signed_in: Any, evidence: dict[str, Item]) -> None:
    def titles(**params: str) -> list[str]:
        return sorted(titles_in(signed_in.get("/cases/test-case/", params).text))

    assert titles(kind="image") == ["photo.jpg"]
    assert titles(kind="document") == ["alpha-notes.txt", "zulu-log.txt"]
    assert titles(type="text/") == ["alpha-notes.txt", "zulu-log.txt"]
    assert titles(type="image/jpeg") == ["photo.jpg"]
    assert titles(type="application/pdf") == []
    today = timezone.now().date()
    assert len(titles(captured_from=str(today), captured_to=str(today))) == 3
    assert titles(captured_from=str(today + timedelta(days=1))) == []
    assert titles(captured_to=str(today - timedelta(days=1))) == []
    # A malformed filter is reported and ignored, not a server error.
    response = signed_in.get("/cases/test-case/", {"captured_from": "not-a-date", "kind": "x"})
    assert response.status_code == 200
    assert "filter-errors" in response.text
    assert len(titles_in(response.text)) == 3


@pytest.mark.django_db
def test_case_page_sorts(signed_in: Any, evidence: dict[str, Item]) -> None:
    def titles(sort: str) -> list[str]:
        return titles_in(signed_in.get("/cases/test-case/", {"sort": sort}).text)

    assert titles("title") == ["alpha-notes.txt", "photo.jpg", "zulu-log.txt"]
    assert titles("-title") == ["zulu-log.txt", "photo.jpg", "alpha-notes.txt"]
    by_size = sorted(evidence.values(), key=lambda item: item.size)
    assert titles("size") == [item.title for item in by_size]
    assert titles("-size") == [item.title for item in reversed(by_size)]
    assert titles("media_type")[0] == "photo.jpg"  # image/jpeg before text/plain
    # The header of the active column links to the reverse order.
    html = signed_in.get("/cases/test-case/", {"sort": "title"}).text
    assert 'aria-sort="ascending"' in html and "?sort=-title" in html


@pytest.mark.django_db
def test_case_page_paginates_fifty_per_page(
    signed_in: Any, case: Any, make_files: Any
) -> None:
    import_files(
        case, make_files,
        {f"note-{n:03d}.txt": f"note number {n}\n".encode() for n in range(53)}, "many",
    )
    first = signed_in.get("/cases/test-case/", {"sort": "title"}).text
    assert titles_in(first) == [f"note-{n:03d}.txt" for n in range(50)]
    assert "Page 1 of 2" in first
    assert "?sort=title&amp;page=2" in first  # the next link keeps the sort
    second = signed_in.get("/cases/test-case/", {"sort": "title", "page": "2"}).text
    assert titles_in(second) == ["note-050.txt", "note-051.txt", "note-052.txt"]
    assert "Showing 51–53 of 53" in second


# ---------- Item page ----------


@pytest.mark.django_db
def test_item_page_shows_the_record_and_logs_the_view(
    signed_in: Any, evidence: dict[str, Item], user: Any
) -> None:
    photo = evidence["photo.jpg"]
    before = CustodyEvent.objects.filter(item=photo, action="viewed").count()
    response = signed_in.get(f"/cases/test-case/items/{photo.pk}/")
    assert response.status_code == 200
    html = response.text
    assert "SHA-256" in html and photo.sha256 in html
    assert "image/jpeg" in html
    assert f"{photo.size:,} bytes" in html
    # Metadata as nested definition lists, with the GPS position written out, no map link.
    assert "48.858167° N, 2.294500° E" in html
    assert "<dt>DateTime</dt><dd>2023:09:14 10:20:30</dd>" in html
    assert "openstreetmap" not in html.lower() and "maps.google" not in html.lower()
    # Derivatives, each downloadable.
    thumbnail = Derivative.objects.get(item=photo, kind="thumbnail")
    assert f"/cases/test-case/items/{photo.pk}/derivatives/{thumbnail.pk}" in html
    # The view was logged, by this user, and the timeline on the page already shows it.
    viewed = CustodyEvent.objects.filter(item=photo, action="viewed")
    assert viewed.count() == before + 1
    event = viewed.order_by("-seq").first()
    assert event is not None and event.actor == "amira" and event.user == user
    assert event.event_hash[:12] in html
    assert "badge-action-imported" in html and "badge-action-viewed" in html


@pytest.mark.django_db
def test_item_page_shows_warnings_and_errors(
    signed_in: Any, case: Any, make_files: Any
) -> None:
    # A text file named .jpg: name and content disagree (a warning). A JPEG cut short: its
    # pixels cannot be decoded (an extraction error, recorded on the item).
    import_files(
        case, make_files,
        {"looks-like.jpg": b"plain words, not a picture\n", "broken.jpg": jpeg()[:400]},
        "odd",
    )
    warned = Item.objects.get(case=case, title="looks-like.jpg")
    html = signed_in.get(f"/cases/test-case/items/{warned.pk}/").text
    assert "notice-warning" in html and "but the content is" in html
    broken = Item.objects.get(case=case, title="broken.jpg")
    assert broken.errors, "the cut JPEG should have an extraction error recorded"
    html = signed_in.get(f"/cases/test-case/items/{broken.pk}/").text
    assert "notice-error" in html and "could not be read" in html


@pytest.mark.django_db
def test_item_of_another_case_is_not_found(
    signed_in: Any, user: Any, evidence: dict[str, Item], make_files: Any
) -> None:
    other = create_case("other-case", "Other case", owner=user)
    import_files(other, make_files, {"elsewhere.txt": b"in the other case\n"}, "other")
    foreign = Item.objects.get(case=other)
    for suffix in ("", "preview", "download"):
        assert signed_in.get(f"/cases/test-case/items/{foreign.pk}/{suffix}").status_code == 404
    assert signed_in.get(f"/cases/other-case/items/{foreign.pk}/").status_code == 200


# ---------- Preview and downloads ----------


@pytest.mark.django_db
def test_preview_serves_the_thumbnail_safely(signed_in: Any, evidence: dict[str, Item]) -> None:
    photo = evidence["photo.jpg"]
    response = signed_in.get(f"/cases/test-case/items/{photo.pk}/preview")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == "inline"
    thumbnail = Derivative.objects.get(item=photo, kind="thumbnail")
    assert response.content == LocalBlobStore(settings.BLOB_ROOT).path_for(
        thumbnail.sha256
    ).read_bytes()
    with Image.open(io.BytesIO(response.content)) as image:
        assert image.format == "JPEG"
    notes = evidence["alpha-notes.txt"]
    assert signed_in.get(f"/cases/test-case/items/{notes.pk}/preview").status_code == 404


@pytest.mark.django_db
def test_download_streams_the_exact_bytes_and_logs_first(
    signed_in: Any, evidence: dict[str, Item], user: Any
) -> None:
    photo = evidence["photo.jpg"]
    original = jpeg(gps=True)
    response = signed_in.get(f"/cases/test-case/items/{photo.pk}/download")
    assert response.status_code == 200
    assert response.streaming
    # The event exists before a single byte has been read from the stream.
    event = CustodyEvent.objects.filter(item=photo, action="downloaded").get()
    assert event.actor == "amira" and event.user == user and event.item_sha256 == photo.sha256
    assert b"".join(response.streaming_content) == original
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Length"] == str(len(original))
    assert response["Content-Disposition"] == (
        "attachment; filename=\"photo.jpg\"; filename*=UTF-8''photo.jpg"
    )
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_download_names_are_safe_and_keep_unicode(
    signed_in: Any, case: Any, make_files: Any
) -> None:
    import_files(case, make_files, {"témoignage \"final\".txt": b"words\n"}, "named")
    item = Item.objects.get(case=case)
    disposition = signed_in.get(f"/cases/test-case/items/{item.pk}/download")[
        "Content-Disposition"
    ]
    assert disposition == (
        "attachment; filename=\"t_moignage _final_.txt\"; "
        "filename*=UTF-8''t%C3%A9moignage%20_final_.txt"
    )


@pytest.mark.django_db
def test_derivative_download_logs_which_derivative(
    signed_in: Any, evidence: dict[str, Item]
) -> None:
    photo = evidence["photo.jpg"]
    thumbnail = Derivative.objects.get(item=photo, kind="thumbnail")
    response = signed_in.get(f"/cases/test-case/items/{photo.pk}/derivatives/{thumbnail.pk}")
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body == LocalBlobStore(settings.BLOB_ROOT).path_for(thumbnail.sha256).read_bytes()
    assert 'filename="photo.jpg.thumbnail.jpg"' in response["Content-Disposition"]
    event = CustodyEvent.objects.filter(item=photo, action="downloaded").get()
    assert event.details_dict == {"derivative": "thumbnail", "sha256": thumbnail.sha256}
    # A derivative id of another item is not found under this item.
    notes = evidence["alpha-notes.txt"]
    other = f"/cases/test-case/items/{notes.pk}/derivatives/{thumbnail.pk}"
    assert signed_in.get(other).status_code == 404


@pytest.mark.django_db
def test_missing_original_is_reported_and_not_logged(
    signed_in: Any, evidence: dict[str, Item]
) -> None:
    notes = evidence["alpha-notes.txt"]
    path = LocalBlobStore(settings.BLOB_ROOT).path_for(notes.sha256)
    path.unlink()
    response = signed_in.get(f"/cases/test-case/items/{notes.pk}/download")
    assert response.status_code == 500
    assert "Stored file missing" in response.text
    assert not CustodyEvent.objects.filter(item=notes, action="downloaded").exists()


# ---------- Access ----------


@pytest.mark.django_db
def test_outsider_sees_nothing_of_the_case(
    client: Any, outsider: Any, evidence: dict[str, Item]
) -> None:
    client.force_login(outsider)
    photo = evidence["photo.jpg"]
    thumbnail = Derivative.objects.get(item=photo, kind="thumbnail")
    events_before = CustodyEvent.objects.count()
    gets = [
        "/cases/test-case/",
        f"/cases/test-case/items/{photo.pk}/",
        f"/cases/test-case/items/{photo.pk}/preview",
        f"/cases/test-case/items/{photo.pk}/download",
        f"/cases/test-case/items/{photo.pk}/derivatives/{thumbnail.pk}",
    ]
    for url in gets:
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Test case" not in response.text
    posts = ["/cases/test-case/upload", "/cases/test-case/verify",
             f"/cases/test-case/items/{photo.pk}/graphic"]
    for url in posts:
        assert client.post(url, {"graphic": "1"}).status_code == 404, url
    # A case that does not exist looks exactly the same.
    assert client.get("/cases/no-such-case/").status_code == 404
    assert "Test case" not in client.get("/").text
    assert CustodyEvent.objects.count() == events_before
    photo.refresh_from_db()
    assert not photo.graphic


@pytest.mark.django_db
def test_viewer_can_look_but_not_download_upload_or_verify(
    client: Any, outsider: Any, evidence: dict[str, Item]
) -> None:
    set_member("test-case", "mallory", "viewer")
    client.force_login(outsider)
    photo = evidence["photo.jpg"]
    thumbnail = Derivative.objects.get(item=photo, kind="thumbnail")

    case_page = client.get("/cases/test-case/").text
    assert "Test case" in case_page
    assert "upload-form" not in case_page and "Verify case" not in case_page
    item_page = client.get(f"/cases/test-case/items/{photo.pk}/").text
    assert "Download original" not in item_page and "Mark as graphic" not in item_page
    assert client.get(f"/cases/test-case/items/{photo.pk}/preview").status_code == 200

    assert client.get(f"/cases/test-case/items/{photo.pk}/download").status_code == 403
    derivative = f"/cases/test-case/items/{photo.pk}/derivatives/{thumbnail.pk}"
    assert client.get(derivative).status_code == 403
    upload = SimpleUploadedFile("sneaky.txt", b"should not arrive\n")
    assert client.post("/cases/test-case/upload", {"files": [upload]}).status_code == 403
    assert client.post("/cases/test-case/verify").status_code == 403
    assert client.post(f"/cases/test-case/items/{photo.pk}/graphic",
                       {"graphic": "1"}).status_code == 403
    assert not Item.objects.filter(title="sneaky.txt").exists()
    assert not CustodyEvent.objects.filter(action__in=["downloaded", "verified"]).exists()


# ---------- Upload ----------


def leftover_upload_folders() -> list[Path]:
    return list((Path(settings.DATA_DIR) / "uploads").glob("web-*"))


@pytest.mark.django_db
def test_upload_through_the_form_imports_each_file(signed_in: Any, case: Any, user: Any) -> None:
    files = [
        SimpleUploadedFile("scene.jpg", jpeg((20, 90, 160)), content_type="image/jpeg"),
        SimpleUploadedFile("../../statement.txt", b"I saw it happen.\n"),
        SimpleUploadedFile("empty.txt", b""),
    ]
    response = signed_in.post(
        "/cases/test-case/upload", {"files": files, "note": "from the field team"}, follow=True
    )
    assert response.status_code == 200
    items = {item.title: item for item in Item.objects.filter(case=case)}
    assert set(items) == {"scene.jpg", "statement.txt"}
    scene = items["scene.jpg"]
    assert scene.media_type == "image/jpeg" and scene.captured_by == user
    assert scene.captured_by_label == "amira" and scene.note == "from the field team"
    assert scene.source_name == "scene.jpg" and scene.source_path == "web upload/scene.jpg"
    assert Derivative.objects.filter(item=scene, kind="thumbnail").exists()
    stored = LocalBlobStore(settings.BLOB_ROOT).path_for(items["statement.txt"].sha256)
    assert stored.read_bytes() == b"I saw it happen.\n"
    imported = CustodyEvent.objects.filter(case=case, action="imported")
    assert imported.count() == 2 and {e.actor for e in imported} == {"amira"}
    # The server's temporary folder appears nowhere in the record.
    assert all(e.details_dict["path"].startswith("web upload/") for e in imported)
    html = response.text
    assert "scene.jpg: imported" in html and "statement.txt: imported" in html
    assert "empty.txt: refused" in html and "empty file" in html
    assert leftover_upload_folders() == []

    again = signed_in.post(
        "/cases/test-case/upload",
        {"files": [SimpleUploadedFile("copy.txt", b"I saw it happen.\n")]}, follow=True,
    )
    assert "copy.txt: duplicate" in again.text
    assert Item.objects.filter(case=case).count() == 2


@pytest.mark.django_db
def test_upload_without_files_asks_for_some(signed_in: Any, case: Any) -> None:
    response = signed_in.post("/cases/test-case/upload", {}, follow=True)
    assert "Choose at least one file" in response.text
    assert signed_in.get("/cases/test-case/upload").status_code == 405


# ---------- Graphic content ----------


@pytest.mark.django_db
def test_graphic_items_are_blurred_until_revealed(
    signed_in: Any, evidence: dict[str, Item]
) -> None:
    photo = evidence["photo.jpg"]
    item_url = f"/cases/test-case/items/{photo.pk}/"
    html = signed_in.get(item_url).text
    assert "is-graphic" not in html and "Mark as graphic" in html

    response = signed_in.post(f"{item_url}graphic", {"graphic": "1"})
    assert response.status_code == 302
    photo.refresh_from_db()
    assert photo.graphic

    html = signed_in.get(item_url).text
    assert 'class="preview is-graphic"' in html
    assert "Show graphic content" in html and 'href="?reveal=1" data-reveal' in html
    revealed = signed_in.get(item_url, {"reveal": "1"}).text
    assert 'class="preview"' in revealed and "is-graphic" not in revealed
    listing = signed_in.get("/cases/test-case/").text
    assert "thumb thumb-graphic" in listing and "badge-graphic" in listing

    signed_in.post(f"{item_url}graphic", {"graphic": "0"})
    photo.refresh_from_db()
    assert not photo.graphic


# ---------- Verification ----------


@pytest.mark.django_db
def test_verify_button_reports_intact_then_each_problem(
    signed_in: Any, case: Any, evidence: dict[str, Item]
) -> None:
    response = signed_in.post("/cases/test-case/verify", follow=True)
    assert "Everything is intact" in response.text
    assert CustodyEvent.objects.filter(case=case, action="verified").count() == 1

    photo = evidence["photo.jpg"]
    path = LocalBlobStore(settings.BLOB_ROOT).path_for(photo.sha256)
    path.chmod(0o640)
    path.write_bytes(jpeg((0, 0, 0)))
    response = signed_in.post("/cases/test-case/verify", follow=True)
    assert "found 1 problem in this case" in response.text
    assert f"item {photo.pk} (photo.jpg): bytes changed" in response.text
    assert CustodyEvent.objects.filter(case=case, action="verified").count() == 1


# ---------- Content security ----------


@pytest.mark.django_db
def test_pages_need_no_inline_script_or_style(
    client: Any, signed_in: Any, evidence: dict[str, Item]
) -> None:
    photo = evidence["photo.jpg"]
    pages = ["/", "/cases/test-case/", f"/cases/test-case/items/{photo.pk}/"]
    for url in pages:
        response = signed_in.get(url)
        assert "script-src 'self'" in response["Content-Security-Policy"]
        html = response.text
        assert " style=" not in html and "<style" not in html, url
        assert re.search(r"<script(?![^>]*\bsrc=)", html) is None, url
        assert re.search(r"\son[a-z]+=", html) is None, url  # no inline event handlers
    signed_in.logout()
    login = client.get(reverse("login")).text
    assert " style=" not in login and re.search(r"<script(?![^>]*\bsrc=)", login) is None
