"""Importing files: metadata, derivatives, duplicates, resume, and a clear outcome for bad input."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from vestige.evidence.importing import Importer
from vestige.evidence.models import CustodyEvent, Derivative, Item

pytestmark = pytest.mark.django_db


def jpeg_with_gps(lat: float = 39.8153, lon: float = 46.7519) -> bytes:
    """A real JPEG with EXIF capture time and GPS position."""
    from fractions import Fraction

    from PIL import ExifTags

    def dms(value: float) -> tuple[Fraction, Fraction, Fraction]:
        degrees = int(value)
        minutes = int((value - degrees) * 60)
        seconds = Fraction(round(((value - degrees) * 60 - minutes) * 60 * 1000), 1000)
        return Fraction(degrees), Fraction(minutes), seconds

    image = Image.new("RGB", (64, 48), (120, 130, 140))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Test Camera"
    exif[ExifTags.Base.DateTime] = "2023:09:21 10:42:00"
    details = exif.get_ifd(ExifTags.IFD.Exif)
    details[ExifTags.Base.DateTimeOriginal] = "2023:09:21 10:42:00"
    details[ExifTags.Base.OffsetTimeOriginal] = "+04:00"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = dms(lat)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = dms(lon)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def tiny_pdf(text: str) -> bytes:
    """A minimal, valid one-page PDF showing ``text`` (ASCII) in Helvetica."""
    stream = f"BT /F1 12 Tf 40 750 Td ({text}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Title (Situation report) /CreationDate (D:20230925080000Z) >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def run_import(case: Any, *paths: Path, **kwargs: Any) -> dict[str, Any]:
    summary = Importer(case, actor="tester", workers=kwargs.pop("workers", 1), **kwargs).run(
        list(paths)
    )
    return {Path(o.path).name: o for o in summary.outcomes}


def test_photo_metadata_thumbnail_and_custody(case: Any, make_files: Any) -> None:
    root = make_files({"street.jpg": jpeg_with_gps()})
    outcome = run_import(case, root)["street.jpg"]
    assert outcome.status == "imported", outcome
    item = Item.objects.get(pk=outcome.item_id)
    assert item.media_type == "image/jpeg"
    assert item.kind == "image"
    assert item.gps is not None
    assert item.gps["latitude"] == pytest.approx(39.8153, abs=1e-4)
    assert item.gps["longitude"] == pytest.approx(46.7519, abs=1e-4)
    assert item.content_created_at == "2023-09-21T10:42:00+04:00"
    assert item.metadata["exif"]["Make"] == "Test Camera"
    thumbnail = Derivative.objects.get(item=item, kind="thumbnail")
    assert thumbnail.media_type == "image/jpeg"
    assert thumbnail.tool.startswith("Pillow ")
    event = CustodyEvent.objects.get(item=item)
    assert event.action == "imported"
    assert event.item_sha256 == item.sha256
    assert event.details_dict["derivatives"][0]["sha256"] == thumbnail.sha256


def test_pdf_info_and_text(case: Any, make_files: Any) -> None:
    root = make_files({"report.pdf": tiny_pdf("Lachin corridor closed since December 2022")})
    item = Item.objects.get(pk=run_import(case, root)["report.pdf"].item_id)
    assert item.media_type == "application/pdf"
    assert item.metadata["pdf"]["pages"] == 1
    assert item.metadata["pdf"]["info"]["Title"] == "Situation report"
    text = Derivative.objects.get(item=item, kind="text")
    from django.conf import settings

    from vestige.core.blobstore import LocalBlobStore

    body = b"".join(LocalBlobStore(settings.BLOB_ROOT).open_verified(text.sha256)).decode()
    assert "Lachin corridor" in body
    assert text.tool.startswith("pypdf ")


@pytest.mark.skipif(
    not shutil.which("ffmpeg"), reason="ffmpeg is not installed (make test installs it)"
)
def test_video_duration_codecs_and_creation_time(case: Any, tmp_path: Path) -> None:
    root = tmp_path / "video"
    root.mkdir()
    subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc=duration=2:size=160x120:rate=10",
            "-pix_fmt",
            "yuv420p",
            "-metadata",
            "creation_time=2023-09-25T08:00:00Z",
            str(root / "clip.mp4"),
        ],
        check=True,
    )
    item = Item.objects.get(pk=run_import(case, root)["clip.mp4"].item_id)
    assert item.kind == "video"
    av = item.metadata["av"]
    assert av["duration_seconds"] == pytest.approx(2.0, abs=0.2)
    assert any(s["type"] == "video" and s["codec"] == "h264" for s in av["streams"])
    assert item.content_created_at.startswith("2023-09-25T08:00:00")
    assert Derivative.objects.filter(item=item, kind="thumbnail").exists()


def test_duplicates_and_resume(case: Any, make_files: Any) -> None:
    photo = jpeg_with_gps()
    root = make_files({"a.jpg": photo, "copy-of-a.jpg": photo, "notes.txt": b"field notes\n"})
    first = run_import(case, root)
    assert first["a.jpg"].status == "imported"
    assert first["copy-of-a.jpg"].status == "duplicate"
    assert first["copy-of-a.jpg"].item_id == first["a.jpg"].item_id
    assert Item.objects.filter(case=case).count() == 2
    assert CustodyEvent.objects.filter(action="duplicate_imported").count() == 1
    second = run_import(case, root)
    assert {o.status for o in second.values()} == {"skipped"}
    assert Item.objects.filter(case=case).count() == 2


def test_parallel_import_matches_serial(case: Any, make_files: Any) -> None:
    files = {f"doc-{i}.txt": f"statement {i}\n".encode() * (i + 1) for i in range(12)}
    root = make_files(files)
    outcomes = run_import(case, root, workers=2)
    assert {o.status for o in outcomes.values()} == {"imported"}
    assert Item.objects.filter(case=case).count() == 12
    seqs = list(CustodyEvent.objects.filter(case=case).values_list("seq", flat=True))
    assert sorted(seqs) == list(range(1, 13))


def test_bad_input_gets_a_clear_outcome_each(case: Any, tmp_path: Path) -> None:
    root = tmp_path / "mixed"
    root.mkdir()
    (root / "empty.txt").write_bytes(b"")
    (root / "empty-folder").mkdir()
    (root / "holiday.jpg").write_text("this is not a picture at all\n")
    photo = jpeg_with_gps()
    (root / "truncated.jpg").write_bytes(photo[: len(photo) // 2])
    os.symlink("loop-b", root / "loop-a")
    os.symlink("loop-a", root / "loop-b")
    os.symlink("/etc/hostname", root / "escape")
    outcomes = run_import(case, root)
    assert outcomes["empty.txt"].status == "refused"
    assert "empty file" in outcomes["empty.txt"].message
    assert outcomes["empty-folder"].status == "refused"
    assert "empty folder" in outcomes["empty-folder"].message
    mismatch = outcomes["holiday.jpg"]
    assert mismatch.status == "imported"
    assert mismatch.media_type == "text/plain"
    assert "content is text/plain" in mismatch.warnings[0]
    truncated = outcomes["truncated.jpg"]
    assert truncated.status == "imported"  # the bytes are evidence even when damaged
    assert truncated.errors and "image" in truncated.errors[0]
    stored = Item.objects.get(pk=truncated.item_id)
    assert stored.errors and stored.errors[0]["stage"].startswith("vestige.image")
    for loop in ("loop-a", "loop-b"):
        assert outcomes[loop].status == "refused"
        assert "loop" in outcomes[loop].message
    assert outcomes["escape"].status == "refused"
    assert "outside" in outcomes["escape"].message


def test_an_empty_folder_given_directly(case: Any, tmp_path: Path) -> None:
    (tmp_path / "nothing").mkdir()
    outcomes = run_import(case, tmp_path / "nothing")
    assert outcomes["nothing"].status == "refused"


def test_unusual_unicode_names(case: Any, tmp_path: Path) -> None:
    root = tmp_path / "names"
    root.mkdir()
    names = [
        unicodedata.normalize("NFD", "Ստեփանակերտ-Xankəndi.txt"),
        "Степанакерт 2023-09-20.txt",
        "right-to-left \u202egnp.exe.txt",
        "emoji 📷 photo.txt",
        "tab\tand newline\nin name.txt",
    ]
    for index, name in enumerate(names):
        (root / name).write_text(f"statement {index}\n")
    raw_name = b"latin1-\xe9t\xe9.txt"
    with open(os.path.join(os.fsencode(root), raw_name), "wb") as handle:
        handle.write(b"undecodable file name\n")
    summary = Importer(case, actor="tester", workers=1).run([root])
    assert [o.status for o in summary.outcomes] == ["imported"] * 6, summary.outcomes
    titles = set(Item.objects.filter(case=case).values_list("title", flat=True))
    assert names[0] in titles  # kept exactly, not normalised
    assert "latin1-\ufffdt\ufffd.txt" in titles
