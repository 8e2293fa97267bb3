"""Tampering with evidence or its record is detected by `vestige verify`, which names it.

Each test imports real files through the command line, changes something behind Vestige's back
(a byte of a blob on disk, or a custody row through raw SQL), and runs `vestige verify`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import raw_sql, vestige


@pytest.fixture
def imported(cli_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    source = tmp_path / "source"
    source.mkdir()
    for index in range(3):
        (source / f"report-{index}.txt").write_text(f"Report number {index}\n" * (index + 5))
    vestige(["init"], cli_env, check=True)
    vestige(["case", "create", "tamper", "--title", "Tamper test"], cli_env, check=True)
    vestige(["import", str(source), "--case", "tamper"], cli_env, check=True)
    clean = vestige(["verify", "--case", "tamper"], cli_env)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    # 3 imported + 1 verified event
    assert raw_sql(cli_env, "SELECT COUNT(*) FROM evidence_custodyevent")[0][0] == 4
    return cli_env


def _verify_fails(env: dict[str, str]) -> str:
    result = vestige(["verify", "--case", "tamper"], env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def test_one_changed_byte_in_a_blob(imported: dict[str, str]) -> None:
    item_id, sha256 = raw_sql(
        imported, "SELECT id, sha256 FROM evidence_item ORDER BY source_name LIMIT 1"
    )[0]
    blob = (
        Path(imported["VESTIGE_DATA_DIR"]) / "blobs" / "objects" / sha256[:2] / sha256[2:4] / sha256
    )
    data = bytearray(blob.read_bytes())
    data[3] ^= 0x01
    blob.chmod(0o644)
    blob.write_bytes(bytes(data))
    out = _verify_fails(imported)
    item = str(item_id).replace("-", "")
    assert any(
        "bytes changed" in line and sha256 in line and item in line.replace("-", "")
        for line in out.splitlines()
    ), out


def test_a_missing_blob(imported: dict[str, str]) -> None:
    sha256 = raw_sql(imported, "SELECT sha256 FROM evidence_item LIMIT 1")[0][0]
    blob = (
        Path(imported["VESTIGE_DATA_DIR"]) / "blobs" / "objects" / sha256[:2] / sha256[2:4] / sha256
    )
    blob.unlink()
    assert f"blob {sha256} is missing" in _verify_fails(imported)


def test_an_edited_custody_row(imported: dict[str, str]) -> None:
    raw_sql(imported, "UPDATE evidence_custodyevent SET actor = %s WHERE seq = 2", ("forger",))
    out = _verify_fails(imported)
    assert "custody event #2" in out and "contents changed" in out, out


def test_edited_details_of_a_custody_row(imported: dict[str, str]) -> None:
    raw_sql(
        imported,
        "UPDATE evidence_custodyevent SET details = REPLACE(details, 'report', 'rep0rt') "
        "WHERE seq = 1",
    )
    out = _verify_fails(imported)
    assert "custody event #1" in out and "contents changed" in out, out


def test_a_deleted_custody_row(imported: dict[str, str]) -> None:
    raw_sql(imported, "DELETE FROM evidence_custodyevent WHERE seq = 2")
    out = _verify_fails(imported)
    assert "custody event #3" in out, out
    assert "where 2 was expected" in out and "link broken" in out, out


def test_the_last_custody_row_deleted(imported: dict[str, str]) -> None:
    raw_sql(imported, "DELETE FROM evidence_custodyevent WHERE seq = 4")
    out = _verify_fails(imported)
    assert "events were removed from the end" in out, out


def test_an_inserted_custody_row(imported: dict[str, str]) -> None:
    columns = (
        "case_id, seq, action, timestamp, actor, user_id, item_id, item_sha256, details, "
        "prev_hash, event_hash, signature, key_id"
    )
    raw_sql(
        imported,
        f"INSERT INTO evidence_custodyevent ({columns}) "
        f"SELECT case_id, 5, 'exported', timestamp, 'insider', user_id, item_id, item_sha256, "
        f"details, event_hash, %s, signature, key_id FROM evidence_custodyevent WHERE seq = 4",
        ("f" * 64,),
    )
    out = _verify_fails(imported)
    assert "custody event #5" in out, out
    assert "signature does not verify" in out and "contents changed" in out, out


def test_reordered_custody_rows(imported: dict[str, str]) -> None:
    raw_sql(imported, "UPDATE evidence_custodyevent SET seq = 1000 WHERE seq = 2")
    raw_sql(imported, "UPDATE evidence_custodyevent SET seq = 2 WHERE seq = 3")
    raw_sql(imported, "UPDATE evidence_custodyevent SET seq = 3 WHERE seq = 1000")
    out = _verify_fails(imported)
    assert "custody event #2" in out and "custody event #3" in out, out
    assert "link broken" in out, out


def test_a_replaced_signature(imported: dict[str, str]) -> None:
    other = raw_sql(imported, "SELECT signature FROM evidence_custodyevent WHERE seq = 3")[0][0]
    raw_sql(imported, "UPDATE evidence_custodyevent SET signature = %s WHERE seq = 2", (other,))
    out = _verify_fails(imported)
    assert "custody event #2" in out and "signature does not verify" in out, out
    assert "custody event #3" not in out, out


def test_an_items_recorded_hash_changed(imported: dict[str, str]) -> None:
    victim = raw_sql(imported, "SELECT id FROM evidence_item ORDER BY source_name LIMIT 1")[0][0]
    sha256 = raw_sql(imported, "SELECT sha256 FROM evidence_item ORDER BY source_name DESC LIMIT 1")
    raw_sql(imported, "UPDATE evidence_item SET sha256 = %s WHERE id = %s", (sha256[0][0], victim))
    out = _verify_fails(imported)
    assert "differs from the custody log" in out, out


def test_json_report(imported: dict[str, str]) -> None:
    import json

    raw_sql(imported, "UPDATE evidence_custodyevent SET actor = %s WHERE seq = 3", ("forger",))
    result = vestige(["verify", "--json"], imported)
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False
    problems = report["cases"][0]["problems"]
    assert any(p["subject"].startswith("custody event #3") for p in problems)
