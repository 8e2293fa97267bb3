"""Export bundles obey consent: a protected person's testimony leaves only with their consent
for that recipient, withheld items are named by id only, and the bundle still verifies."""

from __future__ import annotations

import hashlib
import json
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import vestige
from tests.registry_fixtures import officer
from vestige.core.bundle import verify_bundle
from vestige.core.errors import UserError
from vestige.evidence.bundles import export_case
from vestige.evidence.importing import Importer
from vestige.evidence.models import Item
from vestige.protection import services
from vestige.protection.models import ProtectionAudit

pytestmark = pytest.mark.django_db

SECRET_NAMES = ("Yeranuhi", "Vardazaryar", "Hovsep", "Kalantaryar")


@pytest.fixture
def setup(case: Any, user: Any, django_user_model: Any, make_files: Any) -> dict[str, Any]:
    """Three items: a public report, Yeranuhi's testimony, Hovsep's supporting document."""
    folder = make_files({
        "report.txt": b"A public report about shelling.\n",
        "testimony-W1.txt": b"I saw the column of cars on the road.\n",
        "deed-C7.txt": b"Property deed, scanned.\n",
    })
    Importer(case, actor="amira", user=user, workers=1).run([folder])
    items = {item.source_name: item for item in Item.objects.filter(case=case)}
    olga = officer(case, django_user_model)
    yeranuhi = services.create_person(
        case, user=olga, identity={"given_name": "Yeranuhi", "family_name": "Vardazaryar"},
        roles=["witness"],
    )
    hovsep = services.create_person(
        case, user=olga, identity={"given_name": "Hovsep", "family_name": "Kalantaryar"},
        roles=["claimant"],
    )
    services.link_item(yeranuhi, items["testimony-W1.txt"], "testimony", olga)
    services.link_item(hovsep, items["deed-C7.txt"], "supporting_document", olga)
    services.record_consent(yeranuhi, user=olga, recipient="icc", use="evidence",
                            explained="the ICC may use the testimony", given_on=date(2024, 1, 5))
    services.record_consent(hovsep, user=olga, recipient="icc", use="statistics",
                            explained="counted only", given_on=date(2024, 1, 5))
    return {"items": items, "olga": olga, "yeranuhi": yeranuhi, "hovsep": hovsep}


def members(bundle: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(bundle) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def assert_no_identity(bundle: Path, people: list[Any]) -> None:
    blob = b"".join(members(bundle).values())
    for name in SECRET_NAMES:
        assert name.encode() not in blob
    for person in people:
        assert person.pseudonym.encode() not in blob
        assert str(person.pk).encode() not in blob


def test_without_a_recipient_protected_items_are_withheld(
    case: Any, setup: dict[str, Any], tmp_path: Path
) -> None:
    items = setup["items"]
    out = tmp_path / "plain.zip"
    manifest = export_case(case, out, actor="amira")

    assert [e["id"] for e in manifest["items"]] == [str(items["report.txt"].pk)]
    assert sorted(manifest["withheld"], key=lambda w: w["id"]) == sorted(
        [{"id": str(items[n].pk), "reason": "consent"}
         for n in ("testimony-W1.txt", "deed-C7.txt")],
        key=lambda w: w["id"],
    )
    files = members(out)
    assert not [n for n in files if "testimony" in n or "deed" in n]
    assert b"I saw the column" not in b"".join(files.values())
    assert_no_identity(out, [setup["yeranuhi"], setup["hovsep"]])
    # The custody events of withheld items travel without their contents (file names, paths).
    log = [json.loads(line) for line in files["custody.jsonl"].decode().splitlines()]
    withheld = [e for e in log if e.get("withheld")]
    assert withheld and all(set(e) == {"case", "seq", "item_id", "prev_hash", "event_hash",
                                       "signature", "key_id", "withheld"} for e in withheld)
    assert b"testimony-W1" not in files["custody.jsonl"]
    assert sorted(e["seq"] for e in withheld) == manifest["custody"]["withheld_events"]
    report = verify_bundle(out)
    assert report.ok, report.problems
    assert report.events == len(log)


def test_consent_for_the_recipient_lets_an_item_go(
    case: Any, setup: dict[str, Any], tmp_path: Path
) -> None:
    items = setup["items"]
    out = tmp_path / "icc.zip"
    manifest = export_case(case, out, actor="amira", recipient="icc")

    included = {e["id"]: e for e in manifest["items"]}
    testimony = str(items["testimony-W1.txt"].pk)
    assert set(included) == {str(items["report.txt"].pk), testimony}
    assert included[testimony]["consent"] == {"recipient": "icc", "use": "evidence"}
    # Hovsep consented to statistics only, not to evidence: his document stays.
    assert manifest["withheld"] == [{"id": str(items["deed-C7.txt"].pk), "reason": "consent"}]
    assert manifest["recipient"] == "icc"
    assert verify_bundle(out).ok
    assert_no_identity(out, [setup["yeranuhi"], setup["hovsep"]])
    audit = ProtectionAudit.objects.filter(action="export").last()
    assert audit is not None and audit.details["recipient"] == "icc"
    assert audit.details["protected_items_withheld"] == 1
    assert audit.details["protected_items_included"] == 1

    media = export_case(case, tmp_path / "media.zip", actor="amira", recipient="media")
    assert [e["id"] for e in media["items"]] == [str(items["report.txt"].pk)]


def test_withdrawn_consent_withholds_again(
    case: Any, setup: dict[str, Any], tmp_path: Path
) -> None:
    from vestige.protection.models import Consent

    consent = Consent.objects.get(person=setup["yeranuhi"], recipient="icc", use="evidence")
    services.withdraw_consent(consent, user=setup["olga"], note="asked by phone")
    manifest = export_case(case, tmp_path / "after.zip", actor="amira", recipient="icc")
    assert {w["id"] for w in manifest["withheld"]} == {
        str(setup["items"]["testimony-W1.txt"].pk), str(setup["items"]["deed-C7.txt"].pk)}


def test_items_extracted_from_a_protected_item_follow_it(
    case: Any, setup: dict[str, Any], tmp_path: Path
) -> None:
    testimony = setup["items"]["testimony-W1.txt"]
    child = Item.objects.get(pk=setup["items"]["report.txt"].pk)
    child.parent = testimony  # e.g. an attachment extracted from the testimony
    child.save(update_fields=["parent"])
    manifest = export_case(case, tmp_path / "media.zip", actor="amira", recipient="media")
    assert manifest["items"] == []
    assert len(manifest["withheld"]) == 3
    assert verify_bundle(tmp_path / "media.zip").ok


def test_a_changed_withheld_record_is_caught(
    case: Any, setup: dict[str, Any], tmp_path: Path
) -> None:
    out = tmp_path / "plain.zip"
    export_case(case, out, actor="amira")
    files = members(out)
    lines = files["custody.jsonl"].decode().splitlines()
    index = next(i for i, line in enumerate(lines) if '"withheld"' in line)
    record = json.loads(lines[index])
    record["event_hash"] = "f" * 64
    lines[index] = json.dumps(record)
    # A full event turned into a withheld one after export: the manifest's list catches it.
    other = next(i for i, line in enumerate(lines) if '"withheld"' not in line)
    full = json.loads(lines[other])
    lines[other] = json.dumps({**{k: full[k] for k in ("case", "seq", "item_id", "prev_hash",
                                                        "event_hash", "signature", "key_id")},
                               "withheld": "consent"})
    log = ("\n".join(lines) + "\n").encode()
    files["custody.jsonl"] = log
    sums = files["SHA256SUMS"].decode().splitlines()
    files["SHA256SUMS"] = "".join(
        (f"{hashlib.sha256(log).hexdigest()}  custody.jsonl\n" if s.endswith("custody.jsonl")
         else s + "\n") for s in sums
    ).encode()
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(tampered, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    problems = " | ".join(verify_bundle(tampered).problems)
    assert "do not match the manifest's list" in problems
    assert "signature does not verify" in problems or "link broken" in problems


def test_unknown_recipient_is_refused(case: Any, tmp_path: Path) -> None:
    with pytest.raises(UserError, match="unknown recipient 'press'"):
        export_case(case, tmp_path / "x.zip", actor="amira", recipient="press")


def test_cli_export_recipient_and_verify_bundle(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "report.txt").write_text("public\n")
    vestige(["case", "create", "exp", "--title", "Export"], cli_env, check=True)
    vestige(["import", str(source), "--case", "exp"], cli_env, check=True)
    out = tmp_path / "exp.zip"
    result = vestige(["export", "exp", "--out", str(out), "--recipient", "un_mechanism"],
                     cli_env, check=True)
    assert "1 items" in result.stdout
    assert json.loads(members(out)["manifest.json"])["recipient"] == "un_mechanism"
    vestige(["verify-bundle", str(out)], cli_env, check=True)
    wrong = vestige(["export", "exp", "--out", str(out), "--recipient", "press"], cli_env)
    assert wrong.returncode == 2 and "press" in wrong.stderr


def test_interchange_exports_never_name_a_protected_item(
    case: Any, setup: dict[str, Any], tmp_path: Path
) -> None:
    """ACLED's `source` column lists the items behind an incident's claims; a testimony's title
    (which can name its giver) is left out, the public report stays."""
    from vestige.cases.graph import Claim, Incident
    from vestige.cases.interchange import export_acled_csv, export_ftm, export_geojson

    items = setup["items"]
    Item.objects.filter(pk=items["testimony-W1.txt"].pk).update(title="Statement of W1")
    incident = Incident.objects.create(case=case, title="Shelling of the road", date="2023-09-19")
    for name in ("report.txt", "testimony-W1.txt"):
        claim = Claim.objects.create(case=case, item=items[name], text="cars on the road")
        claim.incidents.add(incident)

    acled = tmp_path / "acled.csv"
    export_acled_csv(case, acled)
    text = acled.read_text(encoding="utf-8")
    assert "report.txt" in text or "A public report" in text or items["report.txt"].title in text
    for path in (acled, tmp_path / "incidents.geojson", tmp_path / "ftm.jsonl"):
        if path.suffix == ".geojson":
            export_geojson(case, path)
        elif path.suffix == ".jsonl":
            export_ftm(case, path)
        blob = path.read_text(encoding="utf-8")
        assert "Statement of W1" not in blob and "testimony-W1" not in blob
        for name in SECRET_NAMES:
            assert name not in blob
