"""Dossiers: every kind writes a PDF, a DOCX and a signed exhibit bundle that standard tools
check; exhibits get custody events; protected people are pseudonymised without consent; the
PDF draws Armenian, Cyrillic and Azerbaijani text with real glyphs; CLI and web form."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import numpy
import pypdf
import pytest
from click.testing import CliRunner
from django.test import Client
from fontTools.ttLib import TTFont

from tests.registry_fixtures import officer
from vestige.cases.graph import Actor, ActorName, Claim, Incident, IncidentActor, Place
from vestige.cases.services import set_member
from vestige.core.bundle import verify_bundle
from vestige.core.errors import UserError
from vestige.dossiers.builder import build_dossier
from vestige.dossiers.document import Document, write_pdf
from vestige.dossiers.kinds import KINDS
from vestige.dossiers.models import Dossier
from vestige.evidence.importing import Importer
from vestige.evidence.models import CustodyEvent, Item
from vestige.protection import services
from vestige.verification.models import VerificationRecord

pytestmark = pytest.mark.django_db

SAMPLES = {
    "Armenian": "Հայաստանի Հանրապետություն Ստեփանակերտ",
    "Cyrillic": "Вооружённые силы Азербайджана Степанакерт",
    "Azerbaijani": "Azərbaycan Silahlı Qüvvələri Xankəndi ğışçöü",
}


@pytest.fixture
def setup(case: Any, user: Any, django_user_model: Any, make_files: Any) -> dict[str, Any]:
    """An actor named in three scripts, one incident, claims from a report, a photo and a
    witness's testimony (the witness is protected and named in a claim's text)."""
    folder = make_files(
        {
            "report.txt": b"A public report: the unit shelled the market on 3 October.\n",
            "photo.txt": b"Photograph description: crater beside the market.\n",
            "testimony-W1.txt": b"Statement of the witness about the shelling.\n",
        }
    )
    Importer(case, actor="amira", user=user, workers=1).run([folder])
    items = {item.source_name: item for item in Item.objects.filter(case=case)}
    actor = Actor.objects.create(
        case=case,
        name="Colonel Test Example",
        kind="person",
        birth_date="1970",
        nationalities=["AZ"],
        identifiers=[{"type": "passport", "value": "P123", "country": "AZ"}],
        exculpatory="He denies being in command on that day.",
    )
    for name, lang in (
        (SAMPLES["Armenian"], "hy"),
        (SAMPLES["Cyrillic"], "ru"),
        (SAMPLES["Azerbaijani"], "az"),
    ):
        ActorName.objects.create(actor=actor, name=name, language=lang)
    place = Place.objects.create(case=case, name="Stepanakert", country_code="AZ")
    incident = Incident.objects.create(case=case, title="Shelling of the market", date="2020-10-03")
    incident.places.add(place)
    IncidentActor.objects.create(incident=incident, actor=actor, role="alleged_perpetrator")

    def claim(item: str, text: str, stance: str = "supports") -> Claim:
        made = Claim.objects.create(
            case=case, item=items[item], text=text, stance=stance, date="2020-10-03"
        )
        made.actors.add(actor)
        made.incidents.add(incident)
        return made

    claim("report.txt", "The unit under Colonel Example shelled the market.")
    claim("photo.txt", "The crater is consistent with artillery; Anahit Sargsyan saw it.")
    claim("testimony-W1.txt", "Anahit Sargsyan: I saw the guns fire from the hill.")
    claim(
        "report.txt",
        "Another source says the market was hit by a stray rocket.",
        stance="contradicts",
    )
    VerificationRecord.objects.create(
        case=case,
        kind="geolocation",
        item=items["photo.txt"],
        author_label="amira",
        status="rejected",
        reviewed_by_label="rev",
        review_note="the skyline does not match",
    )
    olga = officer(case, django_user_model)
    witness = services.create_person(
        case,
        user=olga,
        identity={"given_name": "Anahit", "family_name": "Sargsyan"},
        roles=["witness"],
    )
    services.link_item(witness, items["testimony-W1.txt"], "testimony", olga)
    return {"items": items, "actor": actor, "olga": olga, "witness": witness}


def pdf_text(path: Path) -> str:
    """The PDF's text (pdfium's extraction), whitespace collapsed so wrapped lines still match."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        text = " ".join(pdf[i].get_textpage().get_text_bounded() for i in range(len(pdf)))
    finally:
        pdf.close()
    return " ".join(text.split())


def docx_text(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read("word/document.xml").decode("utf-8")


def all_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_kind_writes_pdf_docx_and_a_bundle_that_checks(
    case: Any, setup: dict[str, Any], tmp_path: Path, kind: str
) -> None:
    out = tmp_path / "dossier"
    result = build_dossier(
        case,
        setup["actor"],
        kind,
        out,
        label="amira",
        submitter="Example Rights Group",
        contact="desk@example.org",
    )
    assert (out / "dossier.pdf").read_bytes().startswith(b"%PDF")
    text = pdf_text(out / "dossier.pdf")
    docx = docx_text(out / "dossier.docx")
    for needle in (
        "Colonel Test Example",
        "Shelling of the market",
        "Example Rights Group",
        "He denies being in command",
        "stray rocket",
        "skyline does not match",
    ):
        assert needle in text
        assert needle in docx
    # Report and photo are exhibits; the testimony is withheld (no consent).
    items = setup["items"]
    numbers = {e["id"]: e["number"] for e in result.exhibits}
    assert set(numbers) == {str(items["report.txt"].pk), str(items["photo.txt"].pk)}
    assert result.withheld == [{"id": str(items["testimony-W1.txt"].pk), "reason": "consent"}]
    for exhibit in result.exhibits:
        folder = out / "exhibits" / exhibit["number"]
        assert (folder / "custody.csv").exists()
        report = json.loads((folder / "custody.json").read_text())
        assert report["sha256"] == exhibit["sha256"]
        assert report["events"][-1]["action"] == "exported"
        assert report["events"][-1]["details"]["dossier_id"] == result.dossier_id
    # The bundle checks with Vestige and with standard tools.
    report = verify_bundle(out)
    assert report.ok, report.problems
    sums = subprocess.run(
        ["sha256sum", "-c", "--quiet", "SHA256SUMS"], cwd=out, capture_output=True, text=True
    )
    assert sums.returncode == 0, sums.stdout + sums.stderr
    if shutil.which("openssl"):
        signed = subprocess.run(
            [
                "openssl",
                "pkeyutl",
                "-verify",
                "-pubin",
                "-inkey",
                "public-key.pem",
                "-rawin",
                "-in",
                "manifest.json",
                "-sigfile",
                "manifest.json.sig",
            ],
            cwd=out,
            capture_output=True,
            text=True,
        )
        assert signed.returncode == 0, signed.stdout + signed.stderr
    if KINDS[kind].criteria:
        assert KINDS[kind].criteria[0] in text
    if KINDS[kind].sanctions:
        assert "TO BE COMPLETED" in docx  # the impact placeholder, editable in Word
    if kind == "icc-art15":
        assert "Proof chart" in text and "No proof chart recorded for this case." in text
    assert Dossier.objects.get(pk=result.dossier_id).kind == kind


def test_tampering_with_a_dossier_is_found(
    case: Any, setup: dict[str, Any], tmp_path: Path
) -> None:
    out = tmp_path / "d"
    result = build_dossier(case, setup["actor"], "war-crimes-unit", out, label="amira")
    original = next((out / "exhibits" / result.exhibits[0]["number"]).glob("*.txt"))
    original.write_bytes(original.read_bytes() + b"x")
    report = verify_bundle(out)
    assert not report.ok
    assert any("expected SHA-256" in p for p in report.problems)


def test_custody_event_per_exhibit_and_nothing_on_failure(
    case: Any, setup: dict[str, Any], tmp_path: Path
) -> None:
    before = CustodyEvent.objects.filter(case=case, action="exported").count()
    result = build_dossier(case, setup["actor"], "us-glomag", tmp_path / "a", label="amira")
    events = CustodyEvent.objects.filter(case=case, action="exported").order_by("seq")
    assert events.count() == before + len(result.exhibits) == before + 2
    assert {str(e.item_id) for e in events} == {e["id"] for e in result.exhibits}
    # A folder that is not empty is refused before anything is written or recorded.
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "x").write_text("keep")
    with pytest.raises(UserError, match="not an empty folder"):
        build_dossier(case, setup["actor"], "us-glomag", busy, label="amira")
    assert CustodyEvent.objects.filter(case=case, action="exported").count() == before + 2
    with pytest.raises(UserError, match="unknown dossier kind"):
        build_dossier(case, setup["actor"], "nope", tmp_path / "n", label="amira")


def test_protected_person_pseudonymised_without_consent(
    case: Any, setup: dict[str, Any], tmp_path: Path
) -> None:
    out = tmp_path / "d"
    build_dossier(case, setup["actor"], "eu-ghr", out, label="amira")
    blob = all_bytes(out)
    text = pdf_text(out / "dossier.pdf")
    pseudonym = setup["witness"].pseudonym
    assert pseudonym in text
    assert "Sargsyan" not in text and "Anahit" not in text
    assert b"Sargsyan" not in blob and b"Anahit" not in blob
    assert b"Statement of the witness" not in blob  # the testimony itself stayed home
    assert b"I saw the guns" not in blob


def test_with_consent_the_person_is_named_and_their_testimony_included(
    case: Any, setup: dict[str, Any], tmp_path: Path
) -> None:
    witness, olga = setup["witness"], setup["olga"]
    for use in ("evidence", "dossier"):
        services.record_consent(
            witness,
            user=olga,
            recipient="national_authority",
            use=use,
            explained="explained in Armenian",
            given_on=date(2024, 1, 5),
        )
    out = tmp_path / "d"
    result = build_dossier(case, setup["actor"], "eu-ghr", out, label="amira")
    assert result.withheld == []
    assert len(result.exhibits) == 3
    text = pdf_text(out / "dossier.pdf")
    assert "Anahit Sargsyan" in text and "I saw the guns fire" in text
    # Consent to the national authority does not cover the ICC.
    icc = tmp_path / "icc"
    result = build_dossier(case, setup["actor"], "icc-art15", icc, label="amira")
    assert len(result.withheld) == 1
    assert b"Sargsyan" not in all_bytes(icc)
    # Whoever may not reveal identities never names anyone, consent or not.
    hidden = tmp_path / "hidden"
    build_dossier(case, setup["actor"], "eu-ghr", hidden, label="amira", may_name=False)
    assert b"Sargsyan" not in all_bytes(hidden)
    assert witness.pseudonym in pdf_text(hidden / "dossier.pdf")


def _embedded_cmaps(path: Path) -> set[int]:
    found: set[int] = set()
    reader = pypdf.PdfReader(path)
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            for descendant in font.get("/DescendantFonts", []):
                descriptor = descendant.get_object()["/FontDescriptor"].get_object()
                data = descriptor["/FontFile2"].get_object().get_data()
                found |= set(TTFont(io.BytesIO(data)).getBestCmap() or {})
    return found


def _ink(path: Path) -> list[int]:
    import pypdfium2 as pdfium

    counts = []
    pdf = pdfium.PdfDocument(str(path))
    for index in range(len(pdf)):
        image = pdf[index].render(scale=1.5).to_pil().convert("L")
        counts.append(int((numpy.asarray(image) < 128).sum()))
    pdf.close()
    return counts


def _tofu(path: Path, sample: str) -> set[str]:
    """Characters of ``sample`` with no glyph in the PDF's fonts, or lost from its text."""
    glyphs = _embedded_cmaps(path)
    text = pdf_text(path)
    return {c for c in sample if not c.isspace() and (ord(c) not in glyphs or c not in text)}


@pytest.mark.parametrize("script", list(SAMPLES))
def test_scripts_render_with_real_glyphs(tmp_path: Path, script: str) -> None:
    sample = SAMPLES[script]
    document = Document(f"Sample: {script}")
    document.para(sample)
    path = tmp_path / f"{script}.pdf"
    write_pdf(document, path)
    assert _tofu(path, sample) == set()
    ink = _ink(path)
    assert ink[0] > 2000  # glyphs were drawn, not a blank page
    # The checks can fail: a character no installed font has is found as tofu.
    missing = "\ue000"
    bad = Document("Sample")
    bad.para(sample + " " + missing)
    write_pdf(bad, tmp_path / "bad.pdf")
    assert _tofu(tmp_path / "bad.pdf", sample + missing) == {missing}


def test_dossier_pdf_with_all_scripts_is_not_tofu(
    case: Any, setup: dict[str, Any], tmp_path: Path
) -> None:
    out = tmp_path / "d"
    build_dossier(case, setup["actor"], "uk-ghr", out, label="amira")
    for sample in SAMPLES.values():
        assert _tofu(out / "dossier.pdf", sample) == set()
    assert all(count > 2000 for count in _ink(out / "dossier.pdf"))


def test_cli_writes_the_dossier(case: Any, setup: dict[str, Any], tmp_path: Path) -> None:
    from vestige.cli import main

    impact = tmp_path / "impact.txt"
    impact.write_text("Designation would bar his travel to the United States.\n", "utf-8")
    out = tmp_path / "cli"
    result = CliRunner().invoke(
        main,
        [
            "dossier",
            "test-case",
            "--actor",
            str(setup["actor"].pk),
            "--kind",
            "us-glomag",
            "--out",
            str(out),
            "--submitter",
            "Rights Desk",
            "--contact",
            "d@example.org",
            "--impact",
            str(impact),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "2 exhibits" in result.output and "withheld 1 items" in result.output
    text = pdf_text(out / "dossier.pdf")
    assert "bar his travel" in text and "Rights Desk" in text
    assert "TO BE COMPLETED" not in docx_text(out / "dossier.docx").split("Impact")[-1][:400]
    missing = CliRunner().invoke(
        main,
        [
            "dossier",
            "test-case",
            "--actor",
            "999999",
            "--kind",
            "us-glomag",
            "--out",
            str(tmp_path / "none"),
        ],
    )
    assert missing.exit_code != 0 and "no actor '999999'" in missing.output
    by_name = CliRunner().invoke(
        main,
        [
            "dossier",
            "test-case",
            "--actor",
            SAMPLES["Cyrillic"],
            "--kind",
            "war-crimes-unit",
            "--out",
            str(tmp_path / "by-name"),
        ],
    )
    assert by_name.exit_code == 0, by_name.output
    assert verify_bundle(tmp_path / "by-name").ok


def test_web_form_permissions_and_zip(
    case: Any, setup: dict[str, Any], user: Any, outsider: Any, django_user_model: Any
) -> None:
    actor = setup["actor"]
    url = f"/cases/{case.slug}/actors/{actor.pk}/dossier"
    page = f"/cases/{case.slug}/actors/{actor.pk}/"
    client = Client()
    client.force_login(outsider)
    assert client.post(url, {"kind": "us-glomag"}).status_code == 404
    viewer = django_user_model.objects.create_user(username="vera", password="x-pass-9")
    set_member(case.slug, "vera", "viewer")
    client.force_login(viewer)
    assert client.post(url, {"kind": "us-glomag"}).status_code == 403
    assert "Generate dossier" not in client.get(page).content.decode()
    client.force_login(user)
    assert "Generate dossier" in client.get(page).content.decode()
    assert client.get(url).status_code == 405
    assert client.post(url, {"kind": "bogus"}).status_code == 403
    response = client.post(url, {"kind": "war-crimes-unit", "recipient": "icc"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    data = b"".join(response.streaming_content)
    zipped = Path(case.slug + ".zip")
    target = Path(pytest.importorskip("tempfile").mkdtemp()) / zipped
    target.write_bytes(data)
    report = verify_bundle(target)
    assert report.ok, report.problems
    with zipfile.ZipFile(target) as archive:
        names = archive.namelist()
        manifest = json.loads(archive.read("manifest.json"))
    assert "dossier.pdf" in names and "dossier.docx" in names
    assert manifest["recipient"] == "icc" and manifest["dossier"]["kind"] == "war-crimes-unit"
    # The owner may not reveal identities: nobody is named, whatever the consent.
    assert b"Sargsyan" not in data


def test_web_form_takes_the_impact_argument(case: Any, setup: dict[str, Any], user: Any) -> None:
    """The impact argument typed on the actor page reaches the sanctions submission."""
    import io

    import docx  # python-docx

    actor = setup["actor"]
    client = Client()
    client.force_login(user)
    page = client.get(f"/cases/{case.slug}/actors/{actor.pk}/").content.decode()
    assert 'name="impact"' in page
    response = client.post(
        f"/cases/{case.slug}/actors/{actor.pk}/dossier",
        {"kind": "us-glomag", "impact": "Designation would end his travel to buy arms abroad."},
    )
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        document = docx.Document(io.BytesIO(archive.read("dossier.docx")))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Designation would end his travel to buy arms abroad." in text
