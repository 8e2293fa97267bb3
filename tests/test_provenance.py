"""Provenance findings from real files: C2PA manifests signed here with a generated test
certificate (and tampered with), a signed WACZ from the shared examples, EXIF time against the
claimed date, EXIF GPS against the claimed place, and the earliest copy of the same bytes."""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import shared_file, vestige
from vestige.cases.graph import Claim, Incident, Place
from vestige.core.blobstore import LocalBlobStore
from vestige.evidence.importing import Importer
from vestige.evidence.models import Item
from vestige.verification.models import ProvenanceFinding
from vestige.verification.provenance import compute_findings, distance_km

pytestmark = pytest.mark.django_db

SHUSHI = (39.7583, 46.7486)
STEPANAKERT = (39.8153, 46.7519)  # about 6 km north of Shushi
YEREVAN = (40.1811, 44.5136)


def _dms(value: float) -> tuple[Any, Any, Any]:
    from PIL.TiffImagePlugin import IFDRational

    hundredths = round(abs(value) * 3600 * 100)
    degrees, rest = divmod(hundredths, 3600 * 100)
    minutes, seconds = divmod(rest, 60 * 100)
    return IFDRational(degrees, 1), IFDRational(minutes, 1), IFDRational(seconds, 100)


def photo(taken: str | None, where: tuple[float, float] | None, colour: int = 90) -> bytes:
    """A real JPEG with EXIF DateTimeOriginal (+04:00) and GPS, as a camera writes them."""
    from PIL import ExifTags, Image

    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Test camera"
    if taken:
        exif[ExifTags.Base.DateTime] = taken
        details = exif.get_ifd(ExifTags.IFD.Exif)
        details[ExifTags.Base.DateTimeOriginal] = taken
        details[ExifTags.Base.OffsetTimeOriginal] = "+04:00"
    if where:
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
        gps[ExifTags.GPS.GPSVersionID] = b"\x02\x03\x00\x00"
        gps[ExifTags.GPS.GPSLatitudeRef] = "N"
        gps[ExifTags.GPS.GPSLatitude] = _dms(where[0])
        gps[ExifTags.GPS.GPSLongitudeRef] = "E"
        gps[ExifTags.GPS.GPSLongitude] = _dms(where[1])
    out = io.BytesIO()
    Image.new("RGB", (96, 64), (colour, 120, 60)).save(out, "JPEG", quality=85,
                                                     exif=exif.tobytes())
    return out.getvalue()


def _import(case: Any, make_files: Any, files: dict[str, bytes], folder: str = "in") -> dict[
        str, Item]:
    Importer(case, actor="tester", workers=1).run([make_files(files, folder)])
    return {i.title: i for i in Item.objects.filter(case=case)}


def _finding(item: Item, kind: str) -> ProvenanceFinding:
    return ProvenanceFinding.objects.get(item=item, kind=kind)


def test_exif_time_against_claimed_date(case: Any, make_files: Any) -> None:
    items = _import(case, make_files, {"photo.jpg": photo("2023:09:19 10:30:00", None)})
    item = items["photo.jpg"]
    assert item.content_created_at == "2023-09-19T10:30:00+04:00"
    # Computed at import: nothing claimed yet.
    assert _finding(item, "exif_time_vs_claimed").outcome == "info"
    for claimed, outcome, gap in [
        ("2023-09-19", "consistent", None),
        ("2023-09-19/2023-09-20", "consistent", None),
        ("2023-09", "consistent", None),
        ("2023-09-25", "inconsistent", 6),
        ("2023-08", "inconsistent", 19),
        ("2020-11~", "inconsistent", 1023),
    ]:
        item.claimed_date = claimed
        item.save()
        compute_findings(item)
        finding = _finding(item, "exif_time_vs_claimed")
        assert (finding.outcome, finding.details.get("gap_days")) == (outcome, gap), claimed
    assert "1023 days after the claimed date 2020-11~" in finding.summary


def test_gps_against_claimed_place(case: Any, make_files: Any, settings: Any) -> None:
    settings.GPS_TOLERANCE_KM = 2
    item = _import(case, make_files, {"p.jpg": photo(None, SHUSHI)})["p.jpg"]
    assert item.gps is not None and abs(item.gps["latitude"] - SHUSHI[0]) < 1e-4
    assert _finding(item, "gps_vs_claimed_place").outcome == "info"  # no claim yet
    shushi = Place.objects.create(case=case, name="Shushi", latitude=SHUSHI[0] + 0.005,
                                  longitude=SHUSHI[1])
    far = Place.objects.create(case=case, name="Yerevan", latitude=YEREVAN[0],
                               longitude=YEREVAN[1])
    claim = Claim.objects.create(case=case, item=item, text="the church in Yerevan")
    claim.places.add(far)
    compute_findings(item)
    finding = _finding(item, "gps_vs_claimed_place")
    assert finding.outcome == "inconsistent"
    expected = distance_km(*SHUSHI, *YEREVAN)
    assert 190 < expected < 200  # Shushi to Yerevan, straight line
    assert finding.details["places"][0]["distance_km"] == pytest.approx(expected, abs=0.05)
    # The claim's incident names Shushi: the nearest claimed place is now within tolerance.
    incident = Incident.objects.create(case=case, title="Shelling of the cathedral",
                                       date="2020-10-08")
    incident.places.add(shushi)
    claim.incidents.add(incident)
    compute_findings(item)
    finding = _finding(item, "gps_vs_claimed_place")
    assert finding.outcome == "consistent"
    assert finding.details["places"][0]["name"] == "Shushi"
    assert finding.details["places"][0]["distance_km"] == pytest.approx(0.556, abs=0.01)
    # A place 6 km off is outside 2 km, unless the place itself is imprecise.
    claim.incidents.clear()
    claim.places.set([Place.objects.create(case=case, name="Stepanakert",
                                           latitude=STEPANAKERT[0], longitude=STEPANAKERT[1])])
    compute_findings(item)
    assert _finding(item, "gps_vs_claimed_place").outcome == "inconsistent"
    Place.objects.filter(name="Stepanakert").update(precision_m=5000)
    compute_findings(item)
    assert _finding(item, "gps_vs_claimed_place").outcome == "consistent"


def test_earliest_copy_among_exact_duplicates(case: Any, make_files: Any) -> None:
    data = photo("2023:09:19 10:30:00", None, colour=10)
    first = _import(case, make_files, {"a.jpg": data})["a.jpg"]
    assert not ProvenanceFinding.objects.filter(item=first, kind="earliest_copy").exists()
    _import(case, make_files, {"again.jpg": data}, folder="second")  # the same bytes again
    compute_findings(first)
    finding = _finding(first, "earliest_copy")
    assert finding.details["received_again"] == 1 and finding.details["earliest"] == str(first.pk)
    # A later copy held as its own item (as a capture's media is): it names the first.
    later = Item.objects.create(
        case=case, title="copy from a channel", captured_at=first.captured_at
        + dt.timedelta(days=3), captured_by_label="tester", capture_tool="test",
        capture_tool_version="1", sha256=first.sha256, size=first.size,
        media_type=first.media_type)
    compute_findings(later)
    assert _finding(later, "earliest_copy").details["earliest"] == str(first.pk)
    assert "An earlier copy of the same bytes exists: a.jpg" in _finding(
        later, "earliest_copy").summary
    refreshed = _finding(first, "earliest_copy")  # the earlier copy's finding was refreshed
    assert len(refreshed.details["copies"]) == 2
    assert refreshed.summary.startswith("Earliest known copy")


def test_wacz_signature_from_the_import_verdict(case: Any, tmp_path: Path) -> None:
    folder = tmp_path / "archives"
    folder.mkdir()
    for name in ("pywacz_valid_signed_example_1.wacz", "pywacz_invalid_signed_example_1.wacz",
                 "pywacz_valid_example_1.wacz"):
        shutil.copy(shared_file(name), folder / name)
    Importer(case, actor="tester", workers=1).run([folder])
    items = {i.title: i for i in Item.objects.filter(case=case)}
    valid = _finding(items["pywacz_valid_signed_example_1.wacz"], "wacz_signature")
    assert valid.outcome == "valid" and valid.details["present"] is True
    assert valid.details["judged_as_of"] == "2022-01-18T19:00:12+00:00"
    bad = _finding(items["pywacz_invalid_signed_example_1.wacz"], "wacz_signature")
    assert bad.outcome == "invalid" and bad.summary.startswith("WACZ signature invalid")
    assert _finding(items["pywacz_valid_example_1.wacz"], "wacz_signature").outcome == "absent"


def _test_signer() -> Any:
    """A C2PA signer with a certificate chain made here (test CA → signer), never trusted."""
    import c2pa
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    def name(common: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common),
                          x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Vestige tests")])

    now = dt.datetime.now(dt.UTC)
    usage = dict(content_commitment=False, key_encipherment=False, data_encipherment=False,
                 key_agreement=False, encipher_only=False, decipher_only=False)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(name("Vestige test CA"))
          .issuer_name(name("Vestige test CA")).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=9))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=False, key_cert_sign=True, crl_sign=True,
                                       **usage), critical=True)
          .sign(ca_key, hashes.SHA256()))
    cert = (x509.CertificateBuilder().subject_name(name("Vestige test signer"))
            .issuer_name(ca.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=9))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=False,
                                         crl_sign=False, **usage), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    chain = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (cert, ca))
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    return c2pa.Signer.from_info(c2pa.C2paSignerInfo(c2pa.C2paSigningAlg.ES256, chain, pem, None))


def signed_photo() -> bytes:
    import c2pa

    manifest = {
        "claim_generator_info": [{"name": "vestige-tests", "version": "1"}],
        "title": "signed.jpg", "format": "image/jpeg",
        "assertions": [{"label": "c2pa.actions", "data": {"actions": [{
            "action": "c2pa.created",
            "digitalSourceType": "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture",
        }]}}],
    }
    source, out = io.BytesIO(photo("2023:09:19 10:30:00", None, colour=200)), io.BytesIO()
    with c2pa.Builder(manifest) as builder:
        builder.sign(_test_signer(), "image/jpeg", source, out)
    return out.getvalue()


def test_c2pa_absent_valid_and_tampered(case: Any, make_files: Any) -> None:
    signed = signed_photo()
    tampered = bytearray(signed)
    tampered[-200] ^= 0xFF  # a byte of the image data, after signing
    items = _import(case, make_files, {"plain.jpg": photo(None, None), "signed.jpg": signed,
                                       "tampered.jpg": bytes(tampered)})
    absent = _finding(items["plain.jpg"], "c2pa")
    assert absent.outcome == "absent" and absent.tool == "c2pa-python"
    valid = _finding(items["signed.jpg"], "c2pa")
    assert valid.outcome == "valid", valid.summary
    assert valid.details["signer"]["common_name"] == "Vestige test signer"
    assert valid.details["trusted"] is False and "c2pa.created" in valid.details["actions"]
    invalid = _finding(items["tampered.jpg"], "c2pa")
    assert invalid.outcome == "invalid"
    assert "assertion.dataHash.mismatch" in invalid.summary


def test_a_failing_check_is_an_error_finding(case: Any, make_files: Any, settings: Any) -> None:
    item = _import(case, make_files, {"p.jpg": photo(None, None)})["p.jpg"]
    LocalBlobStore(settings.BLOB_ROOT).path_for(item.sha256).unlink()
    compute_findings(item)
    finding = _finding(item, "c2pa")
    assert finding.outcome == "error"
    assert "missing from the blob store" in finding.summary


def test_item_page_shows_findings(case: Any, user: Any, make_files: Any, client: Any) -> None:
    item = _import(case, make_files, {"p.jpg": photo("2023:09:19 10:30:00", SHUSHI)})["p.jpg"]
    client.force_login(user)
    body = client.get(f"/cases/{case.slug}/items/{item.pk}/").content.decode()
    assert 'data-finding="c2pa" data-outcome="absent"' in body
    assert 'data-finding="exif_time_vs_claimed" data-outcome="info"' in body
    item.claimed_date = "2023-10"
    item.save()
    response = client.post(f"/cases/{case.slug}/items/{item.pk}/provenance", follow=True)
    assert 'data-finding="exif_time_vs_claimed" data-outcome="inconsistent"' in (
        response.content.decode())


def test_cli(cli_env: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "p.jpg").write_bytes(photo("2023:09:19 10:30:00", SHUSHI))
    vestige(["case", "create", "c1", "--title", "One"], cli_env, check=True)
    vestige(["import", str(folder), "--case", "c1"], cli_env, check=True)
    result = vestige(["provenance", "c1", "--json"], cli_env, check=True)
    findings = {f["kind"]: f for f in json.loads(result.stdout)["findings"]}
    assert findings["c2pa"]["outcome"] == "absent"
    assert findings["gps_vs_claimed_place"]["outcome"] == "info"
    assert vestige(["provenance", "c1", "--item", "nope"], cli_env).returncode == 2
    text = vestige(["provenance", "c1"], cli_env, check=True).stdout
    assert "exif_time_vs_claimed" in text
