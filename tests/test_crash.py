"""An import killed with SIGKILL halfway, then run again, ends exactly as if it had not crashed."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import raw_sql, vestige

pytestmark = pytest.mark.slow

FILES = 240


def _make_source(root: Path) -> None:
    rng = random.Random(20231919)
    for index in range(FILES):
        folder = root / f"batch-{index % 6}"
        folder.mkdir(parents=True, exist_ok=True)
        size = rng.randint(64 * 1024, 512 * 1024)
        (folder / f"file-{index:04d}.bin").write_bytes(rng.randbytes(size))


def _count(env: dict[str, str], table: str) -> int:
    try:
        return int(raw_sql(env, f"SELECT COUNT(*) FROM {table}")[0][0])
    except Exception:  # the table may not exist yet while the import starts
        return 0


def test_sigkill_halfway_then_resume(cli_env: dict[str, str], tmp_path: Path) -> None:
    source = tmp_path / "source"
    _make_source(source)
    vestige(["init"], cli_env, check=True)
    vestige(["case", "create", "crash", "--title", "Crash test"], cli_env, check=True)
    process = subprocess.Popen(
        [sys.executable, "-m", "vestige", "import", str(source), "--case", "crash", "--json"],
        env=cli_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            if _count(cli_env, "evidence_sourcefile") >= FILES // 4:
                break
            assert process.poll() is None, "the import finished before it could be killed"
            time.sleep(0.02)
        else:
            pytest.fail("the import made no progress")
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    halfway = _count(cli_env, "evidence_item")
    assert 0 < halfway < FILES, f"killed at {halfway} of {FILES}: not halfway"

    again = vestige(["import", str(source), "--case", "crash", "--json"], cli_env)
    assert again.returncode == 0, again.stderr
    import json

    outcomes = json.loads(again.stdout)
    statuses = {o["status"] for o in outcomes}
    assert statuses <= {"imported", "skipped"}, statuses
    assert sum(o["status"] == "skipped" for o in outcomes) == halfway

    # Every file imported exactly once.
    assert _count(cli_env, "evidence_item") == FILES
    assert _count(cli_env, "evidence_sourcefile") == FILES
    events = raw_sql(
        cli_env, "SELECT COUNT(*) FROM evidence_custodyevent WHERE action = 'imported'"
    )[0][0]
    assert events == FILES
    # No orphaned or half-written blob.
    blobs = Path(cli_env["VESTIGE_DATA_DIR"]) / "blobs"
    on_disk = {p.name for p in (blobs / "objects").glob("??/??/*")}
    recorded = {row[0] for row in raw_sql(cli_env, "SELECT sha256 FROM evidence_item")}
    assert on_disk == recorded
    assert [p.name for p in (blobs / "tmp").iterdir() if p.name != ".import.lock"] == []
    verify = vestige(["verify"], cli_env)
    assert verify.returncode == 0, verify.stdout + verify.stderr
