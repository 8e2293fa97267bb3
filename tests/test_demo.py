"""The demonstration case: `vestige demo` and the files it writes."""

from __future__ import annotations

import io
import json
import re
import shutil
import struct
import subprocess
from pathlib import Path
from typing import Any

import pypdf
import pytest
from PIL import Image

from tests.conftest import vestige
from vestige.cases.models import Case, Membership
from vestige.core.blobstore import LocalBlobStore
from vestige.demo import files as demo_files
from vestige.demo.loader import DEMO_SLUG, DEMO_TITLE, load_demo
from vestige.evidence.models import CustodyEvent, Item
from vestige.evidence.verification import verify_cases

pytestmark = pytest.mark.django_db

PHOTOS = {
    "demo-photo-lachin-checkpoint.jpg": (39.6383, 46.5461, "2023-06-15T09:30:00+04:00", False),
    "demo-photo-stepanakert-damaged-building.jpg": (
        39.8153, 46.7519, "2023-09-21T10:42:00+04:00", True,
    ),
    "demo-photo-shushi-church.jpg": (39.7586, 46.7492, "2023-05-10T18:05:00+04:00", False),
}


@pytest.fixture
def data_dir(settings: Any, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path / "data"
    return settings.DATA_DIR


@pytest.fixture
def admin(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user(username="admin", password="correct-horse-9")


def _blob(sha256: str) -> bytes:
    from django.conf import settings

    return LocalBlobStore(settings.BLOB_ROOT).path_for(sha256).read_bytes()


def _item(case: Case, name: str) -> Item:
    return Item.objects.get(case=case, source_name=name)


def _text_of(item: Item) -> str:
    derivative = item.derivatives.get(kind="text")
    return _blob(derivative.sha256).decode("utf-8")


def test_load_demo_creates_the_case_with_every_kind(data_dir: Path, admin: Any) -> None:
    summary = load_demo(owner="admin", actor="t")

    case = Case.objects.get(slug=DEMO_SLUG)
    assert case.title == DEMO_TITLE
    assert "DEMONSTRATION MATERIAL" in case.description
    assert Membership.objects.get(case=case, user=admin).role == "owner"
    items = list(Item.objects.filter(case=case))
    assert len(items) >= 6
    assert {"image", "document", "video"} <= {i.kind for i in items}
    probed = [i for i in items if i.kind != "video" or shutil.which("ffprobe")]
    assert all(not i.errors for i in probed), [(i.title, i.errors) for i in probed]
    assert all(i.title.startswith("DEMONSTRATION MATERIAL") for i in items)
    assert all("DEMONSTRATION MATERIAL" in i.description for i in items)
    assert all(i.claimed_date for i in items)
    assert all(i.note == "demonstration material" for i in items)
    assert DEMO_SLUG in summary
    assert f"{len(items)} items" in summary
    assert "DEMONSTRATION MATERIAL" in summary
    assert "owned by 'admin'" in summary


def test_photographs_carry_gps_and_capture_time_from_exif(data_dir: Path, admin: Any) -> None:
    load_demo(owner="admin", actor="t")
    case = Case.objects.get(slug=DEMO_SLUG)

    for name, (lat, lon, taken, graphic) in PHOTOS.items():
        item = _item(case, name)
        assert item.kind == "image"
        assert item.media_type == "image/jpeg"
        gps = item.gps
        assert gps is not None, name
        assert gps["latitude"] == pytest.approx(lat, abs=1e-4)
        assert gps["longitude"] == pytest.approx(lon, abs=1e-4)
        assert item.content_created_at == taken
        assert item.metadata["exif"]["Make"] == "Vestige Demo Camera"
        assert item.metadata["exif"]["Model"] == "Vestige Demo Camera"
        assert "DEMONSTRATION MATERIAL" in item.metadata["exif"]["ImageDescription"]
        assert item.graphic is graphic
        assert item.derivatives.filter(kind="thumbnail").exists()
        # The picture itself is a drawing that says what it is.
        with Image.open(io.BytesIO(_blob(item.sha256))) as image:
            assert image.size == (800, 533)
            assert image.getexif()[0x010F] == "Vestige Demo Camera"


def test_the_report_pdf_is_real_text(data_dir: Path, admin: Any) -> None:
    load_demo(owner="admin", actor="t")
    item = _item(Case.objects.get(slug=DEMO_SLUG), "demo-situation-report.pdf")

    assert item.kind == "document"
    assert item.media_type == "application/pdf"
    text = _text_of(item)
    for phrase in ("Lachin", "DEMONSTRATION MATERIAL — written for the Vestige demo", "Ganja",
                   "Armenia v. Azerbaijan", "Azerbaijan v. Armenia", "100,000",
                   "19–20 September 2023", "Human Rights Watch", "Amnesty International"):
        assert phrase in text, phrase
    assert item.metadata["pdf"]["pages"] in (1, 2)
    assert "DEMONSTRATION MATERIAL" in item.metadata["pdf"]["info"]["Title"]
    assert item.content_created_at.startswith("2023-10-01T12:00:00")


def test_the_pdf_is_well_formed() -> None:
    data = demo_files.pdf_bytes()
    # Every xref entry points at the object it names.
    start = int(re.search(rb"startxref\n(\d+)\n%%EOF\n$", data).group(1))  # type: ignore[union-attr]
    assert data[start:].startswith(b"xref\n0 ")
    count = int(data[start:].split(b"\n")[1].split()[1])
    entries = data[start:].split(b"\n")[3 : 3 + count - 1]
    for number, entry in enumerate(entries, start=1):
        offset = int(entry[:10])
        assert data[offset:].startswith(b"%d 0 obj\n" % number), number
    reader = pypdf.PdfReader(io.BytesIO(data), strict=True)
    assert reader.metadata is not None
    assert reader.metadata.author and "demonstration" in reader.metadata.author
    assert reader.metadata.creation_date is not None
    assert "Lachin" in "".join(page.extract_text() for page in reader.pages)


def test_the_witness_statement_is_labelled_as_invented(data_dir: Path, admin: Any) -> None:
    load_demo(owner="admin", actor="t")
    item = _item(Case.objects.get(slug=DEMO_SLUG), "demo-witness-statement-invented.txt")

    original = _blob(item.sha256).decode("utf-8")
    label = "DEMONSTRATION MATERIAL — an invented statement; the person does not exist"
    assert original.startswith(label)
    assert original.rstrip().endswith(label)
    assert "DEMONSTRATION MATERIAL" in _text_of(item)
    assert item.title.startswith("DEMONSTRATION MATERIAL") and "invented" in item.title
    assert re.search("[\u0531-\u058f]", original), "some Armenian"
    assert re.search("[\u0400-\u04ff]", original), "some Russian"
    assert item.metadata["text"]["encoding"] == "utf-8"


def test_running_twice_changes_nothing(data_dir: Path, admin: Any) -> None:
    load_demo(owner="admin", actor="t")
    case = Case.objects.get(slug=DEMO_SLUG)
    folder = data_dir / "demo-source"
    before_files = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir()}
    before_items = {
        str(i.pk): (i.sha256, i.title, i.description, i.claimed_date, i.graphic)
        for i in Item.objects.filter(case=case)
    }
    before_events = CustodyEvent.objects.filter(case=case).count()

    summary = load_demo(owner="admin", actor="t")

    after_files = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir()}
    after_items = {
        str(i.pk): (i.sha256, i.title, i.description, i.claimed_date, i.graphic)
        for i in Item.objects.filter(case=case)
    }
    assert after_files == before_files
    assert after_items == before_items
    assert CustodyEvent.objects.filter(case=case).count() == before_events
    assert Case.objects.filter(slug=DEMO_SLUG).count() == 1
    assert "imported 0 new files" in summary
    assert "reused" in summary

    report = verify_cases([case], actor="t")
    assert report.ok, [str(p) for p in report.problems]
    assert report.cases[0].items == len(before_items)


def test_edited_description_is_restored_and_nothing_else(data_dir: Path, admin: Any) -> None:
    load_demo(owner="admin", actor="t")
    case = Case.objects.get(slug=DEMO_SLUG)
    item = _item(case, "demo-photo-stepanakert-damaged-building.jpg")
    item.graphic = False
    item.save()

    summary = load_demo(owner="admin", actor="t")

    item.refresh_from_db()
    assert item.graphic is True
    assert "updated 1 description" in summary
    assert Item.objects.filter(case=case).count() == 9  # 6 files + 3 heritage drawings


def test_without_the_owner_account_the_summary_says_so(data_dir: Path) -> None:
    summary = load_demo(owner="nobody-here", actor="t")

    case = Case.objects.get(slug=DEMO_SLUG)
    # Only the demo registry's own protection officer: no owner.
    members = Membership.objects.filter(case=case)
    assert list(members.values_list("user__username", "role")) == [
        ("demo-officer", "protection_officer")]
    assert "no account 'nobody-here'" in summary
    assert Item.objects.filter(case=case).count() == 9  # 6 files + 3 heritage drawings


def _riff_chunks(data: bytes, start: int, end: int) -> list[tuple[bytes, int, int]]:
    """(fourcc or list type, offset of data, size) of the chunks in data[start:end]."""
    chunks = []
    at = start
    while at < end:
        fourcc, size = struct.unpack_from("<4sI", data, at)
        assert at + 8 + size <= end, f"chunk {fourcc!r} runs past its parent"
        chunks.append((fourcc, at + 8, size))
        at += 8 + size + (size % 2)
    assert at == end
    return chunks


def test_pure_python_avi_is_valid_riff() -> None:
    data, suffix = demo_files.video_bytes(use_ffmpeg=False)
    assert suffix == ".avi"
    assert data == demo_files.video_bytes(use_ffmpeg=False)[0], "deterministic"
    assert data[:4] == b"RIFF" and data[8:12] == b"AVI "
    assert struct.unpack_from("<I", data, 4)[0] == len(data) - 8
    top = _riff_chunks(data, 12, len(data))
    names = [data[o : o + 4] if f == b"LIST" else f for f, o, _ in top]
    assert names == [b"hdrl", b"INFO", b"movi", b"idx1"]
    hdrl = next((o, s) for f, o, s in top if data[o : o + 4] == b"hdrl")
    inner = _riff_chunks(data, hdrl[0] + 4, hdrl[0] + hdrl[1])
    avih = next(o for f, o, _ in inner if f == b"avih")
    frames_declared, width, height = (
        struct.unpack_from("<I", data, avih + 16)[0],
        *struct.unpack_from("<II", data, avih + 32),
    )
    assert (width, height) == demo_files.VIDEO_SIZE
    movi_offset, movi_size = next((o, s) for f, o, s in top if data[o : o + 4] == b"movi")
    frames = _riff_chunks(data, movi_offset + 4, movi_offset + movi_size)
    assert len(frames) == frames_declared == demo_files.VIDEO_FPS * demo_files.VIDEO_SECONDS
    idx_offset, idx_size = next((o, s) for f, o, s in top if f == b"idx1")
    assert idx_size == 16 * len(frames)
    for number, (fourcc, offset, size) in enumerate(frames):
        assert fourcc == b"00dc"
        assert data[offset : offset + 2] == b"\xff\xd8"  # a JPEG
        entry = struct.unpack_from("<4sIII", data, idx_offset + 16 * number)
        assert entry == (b"00dc", 0x10, offset - 8 - movi_offset, size)
    with Image.open(io.BytesIO(data[frames[0][1] : frames[0][1] + frames[0][2]])) as frame:
        assert frame.size == demo_files.VIDEO_SIZE


@pytest.mark.skipif(not shutil.which("ffprobe"), reason="ffprobe is not installed")
def test_pure_python_avi_reads_in_ffprobe(tmp_path: Path) -> None:
    path = tmp_path / "demo.avi"
    path.write_bytes(demo_files.video_bytes(use_ffmpeg=False)[0])
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-count_frames", "-print_format", "json", "-show_format",
         "-show_streams", str(path)],
        capture_output=True, text=True, check=True,
    )
    assert probe.stderr == ""
    info = json.loads(probe.stdout)
    stream = info["streams"][0]
    assert stream["codec_name"] == "mjpeg"
    assert int(stream["nb_read_frames"]) == demo_files.VIDEO_FPS * demo_files.VIDEO_SECONDS
    assert float(info["format"]["duration"]) == pytest.approx(demo_files.VIDEO_SECONDS)
    assert info["format"]["tags"]["creation_time"].startswith("2023-09-25")


def test_demo_loads_with_the_avi_video(data_dir: Path, admin: Any) -> None:
    load_demo(owner="admin", actor="t", use_ffmpeg=False)
    case = Case.objects.get(slug=DEMO_SLUG)
    video = Item.objects.get(case=case, kind="video")

    assert video.source_name == "demo-video-lachin-road.avi"
    assert video.media_type == "video/x-msvideo"
    if shutil.which("ffprobe"):
        assert not video.errors
        assert video.metadata["av"]["duration_seconds"] == pytest.approx(3.0)
        assert video.content_created_at.startswith("2023-09-25")
    report = verify_cases([case], actor="t")
    assert report.ok, [str(p) for p in report.problems]


@pytest.mark.skipif(not shutil.which("ffmpeg"), reason="ffmpeg is not installed")
def test_ffmpeg_video_is_deterministic_and_dated(data_dir: Path, admin: Any) -> None:
    first, suffix = demo_files.video_bytes(use_ffmpeg=True)
    second, _ = demo_files.video_bytes(use_ffmpeg=True)
    assert first == second
    assert suffix in (".webm", ".mp4")

    load_demo(owner="admin", actor="t")
    video = Item.objects.get(case__slug=DEMO_SLUG, kind="video")
    assert video.source_name == f"demo-video-lachin-road{suffix}"
    assert not video.errors
    assert 3.0 <= video.metadata["av"]["duration_seconds"] <= 4.0
    assert video.metadata["av"]["streams"][0]["width"] == 320
    assert video.content_created_at.startswith("2023-09-25T08:00:00")


def test_switching_video_writer_leaves_one_video_file(data_dir: Path, admin: Any) -> None:
    load_demo(owner="admin", actor="t", use_ffmpeg=False)
    folder = data_dir / "demo-source"
    assert (folder / "demo-video-lachin-road.avi").exists()
    if shutil.which("ffmpeg"):
        load_demo(owner="admin", actor="t", use_ffmpeg=True)
        videos = [p for p in folder.iterdir() if p.name.startswith("demo-video")]
        assert len(videos) == 1 and videos[0].suffix != ".avi"


def test_vestige_demo_command_twice(cli_env: dict[str, str]) -> None:
    first = vestige(["demo", "--owner", "nobody"], cli_env, check=True)
    assert DEMO_SLUG in first.stdout
    assert "imported 6 new files" in first.stdout
    second = vestige(["demo", "--owner", "nobody"], cli_env, check=True)
    assert "imported 0 new files" in second.stdout
    assert "9 items" in second.stdout  # 6 files + 3 heritage drawings
    verified = vestige(["verify", "--case", DEMO_SLUG], cli_env)
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_demo_registry_has_invented_people_consents_claims_and_statistics(
    data_dir: Path, admin: Any
) -> None:
    from vestige.protection import services
    from vestige.protection.models import (
        ClaimCategory,
        Consent,
        DamageClaim,
        DuplicateSuspicion,
        ProtectedPerson,
    )
    from vestige.protection.statistics import registry_statistics

    summary = load_demo(owner="admin", actor="t")
    case = Case.objects.get(slug=DEMO_SLUG)
    people = list(ProtectedPerson.objects.filter(case=case))
    assert 28 <= len(people) <= 35
    assert f"The protection registry holds {len(people)} INVENTED people" in summary
    officer = Membership.objects.get(case=case, user__username="demo-officer")
    assert officer.role == "protection_officer" and not officer.user.has_usable_password()
    assert Membership.objects.get(case=case, user=admin).role == "owner"
    identities = [services.open_identity(p) for p in people]
    assert all("INVENTED" in i["notes"] for i in identities)
    assert all(i["contacts"][0].endswith("@example.invalid") for i in identities
               if i.get("contacts"))
    assert len({p.place_of_origin_id for p in people}) >= 5
    assert {c for c, _ in ClaimCategory.choices} == set(
        DamageClaim.objects.filter(person__case=case).values_list("category", flat=True))
    consents = Consent.objects.filter(person__case=case)
    assert consents.filter(withdrawn_at__isnull=False).count() == 3
    assert consents.filter(withdrawn_at__isnull=True).count() > 30
    assert DuplicateSuspicion.objects.filter(case=case, status="open").count() == 1

    stats = registry_statistics(case, admin)
    cells = [v for t in stats.tables() for row in t.cells for v in row]
    assert any(v is None for v in cells), "some cells are suppressed"
    assert any(v is not None and v >= stats.threshold for v in cells), "some are published"

    again = load_demo(owner="admin", actor="t")
    assert ProtectedPerson.objects.filter(case=case).count() == len(people)
    assert f"holds {len(people)} INVENTED people" in again
