"""Importing existing WARC and WACZ files: items of kind web_capture, pages, verdicts, item page."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import shared_file, vestige
from vestige.evidence.importing import Importer
from vestige.evidence.models import Item, ItemKind

pytestmark = pytest.mark.django_db

SHARED = [
    "pywacz_valid_example_1.wacz",
    "pywacz_valid_signed_example_1.wacz",
    "pywacz_invalid_example_1.wacz",
    "pywacz_invalid_signed_example_1.wacz",
    "warcio_standard-torture-validate-record.warc",
]


@pytest.fixture
def archives(tmp_path: Path) -> Path:
    folder = tmp_path / "archives"
    folder.mkdir()
    for name in SHARED:
        shutil.copy(shared_file(name), folder / name)
    return folder


def _import(case: Any, folder: Path) -> dict[str, Item]:
    Importer(case, actor="tester", workers=2).run([folder])
    return {item.title: item for item in Item.objects.filter(case=case)}


def test_archives_become_web_captures_with_verdicts_and_pages(case: Any, archives: Path) -> None:
    items = _import(case, archives)
    assert set(items) == set(SHARED)  # invalid archives are imported all the same
    assert {item.kind for item in items.values()} == {ItemKind.WEB_CAPTURE}

    valid = items["pywacz_valid_signed_example_1.wacz"]
    assert valid.media_type == "application/wacz"
    archive = valid.metadata["archive"]
    assert archive["format"] == "wacz" and archive["valid"] is True
    assert archive["signature"]["valid"] is True
    assert archive["signature"]["judged_as_of"] == "2022-01-18T19:00:12+00:00"
    assert archive["pages"][0]["url"] == "https://example.com/"
    assert archive["pages"][0]["title"] == "Example Domain"
    assert valid.content_created_at == "2022-01-18T19:00:12Z"
    assert not any("invalid" in w for w in valid.warnings)

    unsigned = items["pywacz_valid_example_1.wacz"].metadata["archive"]
    assert unsigned["valid"] is True and unsigned["signature"]["present"] is False

    bad_signature = items["pywacz_invalid_signed_example_1.wacz"]
    assert bad_signature.metadata["archive"]["valid"] is False
    assert any(
        w.startswith("WACZ invalid: signature invalid:") and "not a trusted root" in w
        for w in bad_signature.warnings
    )
    broken = items["pywacz_invalid_example_1.wacz"]
    assert any("datapackage.json has no wacz_version" in w for w in broken.warnings)

    warc = items["warcio_standard-torture-validate-record.warc"]
    assert warc.media_type == "application/warc"
    report = warc.metadata["archive"]
    assert report["format"] == "warc" and report["valid"] is False
    assert report["records"] == 17
    assert report["findings"][0] == {
        "severity": "error",
        "message": "uri must be within <>: WARC-Refers-To probhibited",
        "offset": 0,
        "record_id": None,
        "record_type": "warcinfo",
    }
    assert any(w.startswith("WARC does not conform:") for w in warc.warnings)


def test_item_page_lists_pages_and_the_verdict(
    client: Any, user: Any, case: Any, archives: Path
) -> None:
    items = _import(case, archives)
    client.force_login(user)
    good = items["pywacz_valid_signed_example_1.wacz"]
    html = client.get(f"/cases/{case.slug}/items/{good.id}/").content.decode()
    assert "Web archive (WACZ)" in html
    assert "<strong>Valid.</strong>" in html
    assert "<code>https://example.com/</code>" in html
    assert "btrix-sign-test.webrecorder.net" in html
    assert "expired since" in html
    bad = items["pywacz_invalid_signed_example_1.wacz"]
    html = client.get(f"/cases/{case.slug}/items/{bad.id}/").content.decode()
    assert "<strong>Invalid.</strong>" in html
    assert "not a trusted root" in html


def test_import_through_the_cli(cli_env: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(shared_file("pywacz_valid_signed_example_1.wacz"), folder / "signed.wacz")
    shutil.copy(shared_file("warcio_standard-torture-validate-field.warc"), folder / "bad.warc")
    vestige(["case", "create", "c1", "--title", "One"], cli_env, check=True)
    result = vestige(["import", str(folder), "--case", "c1", "--json"], cli_env, check=True)
    outcomes = {Path(o["path"]).name: o for o in json.loads(result.stdout)}
    assert {name: o["status"] for name, o in outcomes.items()} == {
        "signed.wacz": "imported",
        "bad.warc": "imported",
    }
    assert any("WARC does not conform" in w for w in outcomes["bad.warc"]["warnings"])
    assert outcomes["signed.wacz"]["warnings"] == []
