"""Reading and validating WARC and WACZ files (core, no database).

The WARC checks are compared line by line with the expected outputs of warcio's draft
validator (the ``.warc.test`` files); the WACZ checks with py-wacz's ``wacz validate`` verdicts.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tests.conftest import shared_file
from vestige.core.archives import check_wacz, check_warc, render_warcio_style, validate_wacz
from vestige.core.mediatype import detect_media_type

# warcio's draft names its own untested code in one comment; ours says what we do instead.
OUR_CONTINUATION_NOTE = (
    "comment: continuation records are checked field by field only; segments are not reassembled"
)
WARCIO_CONTINUATION_NOTE = "comment: warcio test continuation code has not been tested, expect bugs"


@pytest.mark.parametrize("which", ["field", "record"])
def test_torture_warcs_give_exactly_the_expected_findings(which: str) -> None:
    path = shared_file(f"warcio_standard-torture-validate-{which}.warc")
    expected = path.with_name(path.name + ".test").read_text()
    report = check_warc(path)
    ours = render_warcio_style(report, name=expected.splitlines()[0])
    assert ours.replace(OUR_CONTINUATION_NOTE, WARCIO_CONTINUATION_NOTE) == expected
    assert not report.valid


def test_torture_field_file_stops_at_the_bad_record_with_its_offset() -> None:
    path = shared_file("warcio_standard-torture-validate-field.warc")
    report = check_warc(path)
    assert report.records == 3
    assert report.fatal is not None
    assert report.fatal.offset == path.read_bytes().index(b"WARC/invalid")
    assert "first line: WARC/invalid" in report.summary()
    first = report.checks[0].findings[0]
    assert (first.offset, first.record_id, first.record_type) == (
        0,
        "<urn:uuid:torture-validate-field>",
        "does-not-exist",
    )


def _write_warc(path: Path, gzip: bool, pages: int = 3) -> None:
    """A WARC written by warcio (a real third-party writer): warcinfo, request/response pairs."""
    with open(path, "wb") as out:
        writer = WARCWriter(out, gzip=gzip, warc_version="1.1")
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "test"}))
        for number in range(pages):
            url = f"http://127.0.0.1:8000/page-{number}"
            body = f"<html><head><title>Page {number}</title></head><body>x</body></html>".encode()
            headers = StatusAndHeaders(
                "200 OK",
                [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))],
                protocol="HTTP/1.1",
            )
            response = writer.create_warc_record(
                url,
                "response",
                payload=io.BytesIO(body),
                http_headers=headers,
                warc_headers_dict={"WARC-IP-Address": "127.0.0.1"},
            )
            request = writer.create_warc_record(
                url,
                "request",
                payload=io.BytesIO(b""),
                http_headers=StatusAndHeaders(
                    f"GET /page-{number} HTTP/1.1", [("Host", "127.0.0.1")], is_http_request=True
                ),
                warc_headers_dict={"WARC-IP-Address": "127.0.0.1"},
            )
            writer.write_request_response_pair(request, response)


@pytest.mark.parametrize("gzip", [False, True], ids=["plain", "gzip"])
def test_a_good_warc_is_valid_with_warcio_offsets_and_pages(tmp_path: Path, gzip: bool) -> None:
    path = tmp_path / ("good.warc.gz" if gzip else "good.warc")
    _write_warc(path, gzip)
    report = check_warc(path)
    assert report.valid, report.to_dict()
    assert report.compression == ("gzip" if gzip else "none")
    assert report.records == 7
    assert report.digests_checked == 7 and report.digests_failed == 0
    assert [p["title"] for p in report.pages] == ["Page 0", "Page 1", "Page 2"]
    assert detect_media_type(path) == "application/warc"
    # Offsets agree with warcio's own reader.
    with open(path, "rb") as stream:
        theirs = []
        iterator = ArchiveIterator(stream)
        for _record in iterator:
            theirs.append(iterator.get_record_offset())
    ours: list[int] = []
    from vestige.core.archives.reader import WarcReader

    with open(path, "rb") as stream:
        reader = WarcReader(stream)
        for raw in reader.records():
            ours.append(raw.offset)
            for _ in reader.read_block(raw.content_length):
                pass
    assert ours == theirs


def test_a_changed_byte_fails_the_digest_of_its_record(tmp_path: Path) -> None:
    path = tmp_path / "changed.warc"
    _write_warc(path, gzip=False)
    data = path.read_bytes()
    spot = data.index(b"<title>Page 1")
    path.write_bytes(data[:spot] + b"<title>Page 7" + data[spot + 13 :])
    report = check_warc(path)
    assert not report.valid
    assert report.digests_failed == 1
    failed = [f for f in report.findings() if "digest failed" in f.message]
    assert {f.message.split(":")[0] for f in failed} == {
        "block digest failed",
        "payload digest failed",
    }
    assert all(f.offset == failed[0].offset and f.record_type == "response" for f in failed)
    assert failed[0].offset < spot


@pytest.mark.parametrize("gzip", [False, True], ids=["plain", "gzip"])
def test_a_truncated_warc_is_a_clear_finding_not_a_crash(tmp_path: Path, gzip: bool) -> None:
    path = tmp_path / ("cut.warc.gz" if gzip else "cut.warc")
    _write_warc(path, gzip)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])
    report = check_warc(path)
    assert not report.valid
    assert report.fatal is not None
    assert "truncated" in report.fatal.message
    assert 0 < report.records < 7
    assert report.summary().startswith("unreadable from offset")


def test_a_file_that_is_no_warc_at_all(tmp_path: Path) -> None:
    path = tmp_path / "notes.warc"
    path.write_text("just some notes\n")
    report = check_warc(path)
    assert report.records == 0 and not report.valid
    assert report.fatal is not None and report.fatal.offset == 0


# ---------- WACZ ----------


def test_valid_examples_pass_with_their_pages() -> None:
    report = check_wacz(shared_file("pywacz_valid_example_1.wacz"))
    assert report.valid, report.errors
    assert report.version == "1.0.0"
    assert report.pages == [
        {
            "url": "http://www.example.com/",
            "title": "Example Domain",
            "ts": "2020-10-07T21:22:36Z",
            "list": "pages/pages.jsonl",
        }
    ]
    assert not report.signature.present
    assert all(f["ok"] for f in report.files) and len(report.files) == 4


def test_valid_signed_example_is_judged_as_of_its_creation_time() -> None:
    report = validate_wacz(shared_file("pywacz_valid_signed_example_1.wacz"))
    assert report.valid, report.errors
    signature = report.signature
    assert signature.present and signature.valid
    assert signature.kind == "domain"
    assert signature.identity == "btrix-sign-test.webrecorder.net"
    assert signature.judged_as_of == "2022-01-18T19:00:12+00:00"
    assert signature.timestamp.startswith("2022-01-18T19:00:1")
    assert "expired since" in " ".join(signature.notes)
    assert signature.certificate["not_after"].startswith("2022-04-18")
    assert "freetsa" in signature.timestamp_authority["subject"].lower()
    assert all(step["ok"] for step in signature.steps)
    assert [p["url"] for p in report.pages] == ["https://example.com/"]


def test_invalid_example_names_its_reasons() -> None:
    report = check_wacz(shared_file("pywacz_invalid_example_1.wacz"))
    assert not report.valid
    assert "datapackage.json has no wacz_version" in report.errors
    assert (
        "data/indexes/index.cdx.gz is listed in datapackage.json but is not in the archive"
        in report.errors
    )
    assert "data/archive/test.txt is in the archive but not listed in datapackage.json" in (
        report.errors
    )
    assert "no WARC file in archive/" in report.errors


def test_invalid_signed_example_fails_on_its_untrusted_staging_root() -> None:
    report = check_wacz(shared_file("pywacz_invalid_signed_example_1.wacz"))
    assert not report.valid
    assert report.signature.present and report.signature.valid is False
    reason = report.signature.reason
    assert "(STAGING) Bogus Broccoli X2" in reason
    assert "32d21af6fc87417a55d7e23c6992b8ce0cb9b5fcd85da30d194156d53758e4c5" in reason
    assert "not a trusted root" in reason
    assert report.errors == [f"signature invalid: {reason}"]


def _rewrite(source: Path, target: Path, name: str, content: bytes) -> None:
    """Copy a zip, replacing one member's bytes (the rest byte for byte)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            data = content if info.filename == name else old.read(info.filename)
            new.writestr(info, data)


def test_a_rewritten_page_list_breaks_its_hash(tmp_path: Path) -> None:
    source = shared_file("pywacz_valid_signed_example_1.wacz")
    target = tmp_path / "tampered.wacz"
    with zipfile.ZipFile(source) as archive:
        pages = archive.read("pages/pages.jsonl")
    _rewrite(
        source, target, "pages/pages.jsonl", pages.replace(b"Example Domain", b"Forged Domain!")
    )
    report = check_wacz(target)
    assert not report.valid
    assert report.errors[0].startswith("pages/pages.jsonl has sha256 ")
    assert "but datapackage.json says 31778c1142b6d950" in report.errors[0]
    assert report.signature.valid  # the signature covers datapackage.json, which is intact


def test_a_rewritten_datapackage_breaks_the_signed_digest(tmp_path: Path) -> None:
    source = shared_file("pywacz_valid_signed_example_1.wacz")
    target = tmp_path / "tampered.wacz"
    with zipfile.ZipFile(source) as archive:
        package = archive.read("datapackage.json")
    _rewrite(
        source, target, "datapackage.json", package.replace(b"py-wacz 0.4.0", b"py-wacz 9.9.9")
    )
    report = check_wacz(target)
    assert not report.valid
    assert any(
        e.startswith("datapackage.json has sha256") and "datapackage-digest.json says" in e
        for e in report.errors
    )


def test_a_changed_signature_is_invalid(tmp_path: Path) -> None:
    source = shared_file("pywacz_valid_signed_example_1.wacz")
    target = tmp_path / "tampered.wacz"
    with zipfile.ZipFile(source) as archive:
        digest = json.loads(archive.read("datapackage-digest.json"))
    digest["signedData"]["domain"] = "example.org"
    _rewrite(source, target, "datapackage-digest.json", json.dumps(digest).encode())
    report = check_wacz(target)
    assert not report.valid
    assert "certificate names the signing domain" in report.signature.reason


def test_not_a_zip_and_a_damaged_zip(tmp_path: Path) -> None:
    junk = tmp_path / "junk.wacz"
    junk.write_bytes(b"not a zip")
    assert check_wacz(junk).errors[0].startswith("not a readable zip archive")
    source = shared_file("pywacz_valid_example_1.wacz")
    cut = tmp_path / "cut.wacz"
    cut.write_bytes(source.read_bytes()[:-300])
    report = check_wacz(cut)
    assert not report.valid and report.errors


def test_an_observer_key_signature(tmp_path: Path) -> None:
    """ArchiveWeb.page-style signing: a bare ECDSA P-384 key, raw r||s signature (WebCrypto)."""
    source = shared_file("pywacz_valid_example_1.wacz")
    key = ec.generate_private_key(ec.SECP384R1())
    with zipfile.ZipFile(source) as archive:
        package = archive.read("datapackage.json")
    digest = "sha256:" + hashlib.sha256(package).hexdigest()
    der = key.sign(digest.encode(), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    raw = r.to_bytes(48, "big") + s.to_bytes(48, "big")
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signed = {
        "hash": digest,
        "created": "2020-10-07T22:29:00Z",
        "software": "test",
        "signature": base64.b64encode(raw).decode(),
        "publicKey": base64.b64encode(public).decode(),
    }
    target = tmp_path / "observer.wacz"
    shutil.copy(source, target)
    with zipfile.ZipFile(target, "a") as archive:
        archive.writestr(
            "datapackage-digest.json",
            json.dumps({"path": "datapackage.json", "hash": digest, "signedData": signed}),
        )
    report = check_wacz(target)
    assert report.valid, report.errors
    assert report.signature.kind == "observer" and report.signature.valid
    assert report.signature.identity == "sha256:" + hashlib.sha256(public).hexdigest()
    # Another key's signature over the same hash does not verify.
    other = (
        ec.generate_private_key(ec.SECP384R1())
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    signed["publicKey"] = base64.b64encode(other).decode()
    forged = tmp_path / "forged.wacz"
    shutil.copy(source, forged)
    with zipfile.ZipFile(forged, "a") as archive:
        archive.writestr(
            "datapackage-digest.json",
            json.dumps({"path": "datapackage.json", "hash": digest, "signedData": signed}),
        )
    report = check_wacz(forged)
    assert not report.valid and "observer key" in report.signature.reason


# ---------- cross-check with the reference implementation ----------


def _pywacz_verdict(path: Path) -> bool | None:
    """py-wacz's verdict, or None when it does not judge this file (a WACZ version it skips)."""
    result = subprocess.run(
        [str(Path(sys.executable).with_name("wacz")), "validate", "--verify-auth", "-f", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = result.stdout + result.stderr
    if "authsign package not found" in output:
        pytest.skip("authsign is not installed: py-wacz cannot check signatures")
    if "Version detected as 1.1.1" not in output:
        return None  # py-wacz 0.5+ validates only the current WACZ version
    return result.returncode == 0 and "Validation succeeded" in output


@pytest.mark.parametrize(
    "name",
    [
        "pywacz_valid_example_1.wacz",
        "pywacz_valid_signed_example_1.wacz",
        "pywacz_invalid_example_1.wacz",
        "pywacz_invalid_signed_example_1.wacz",
        "tampered-pages",
    ],
)
def test_our_verdict_agrees_with_pywacz(name: str, tmp_path: Path) -> None:
    if shutil.which("wacz", path=str(Path(sys.executable).parent)) is None:
        pytest.skip("py-wacz is not installed (pip install -e '.[dev]')")
    if name == "tampered-pages":
        source = shared_file("pywacz_valid_signed_example_1.wacz")
        path = tmp_path / "tampered.wacz"
        with zipfile.ZipFile(source) as archive:
            pages = archive.read("pages/pages.jsonl")
        _rewrite(source, path, "pages/pages.jsonl", pages + b"\n")
    else:
        path = shared_file(name)
    theirs = _pywacz_verdict(path)
    ours = check_wacz(path).valid
    if theirs is not None:
        assert ours == theirs
    else:
        assert ours == ("invalid" not in name)
