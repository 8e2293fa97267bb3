"""Background work: a queued verification is run by `vestige worker`."""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import raw_sql, vestige


def test_worker_runs_a_queued_verification(cli_env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("statement\n")
    vestige(["case", "create", "w", "--title", "Worker"], cli_env, check=True)
    vestige(["import", str(tmp_path / "in"), "--case", "w"], cli_env, check=True)
    queued = json.loads(
        vestige(["verify", "--case", "w", "--background", "--json"], cli_env, check=True).stdout
    )
    assert queued[0]["case"] == "w"
    count = "SELECT COUNT(*) FROM evidence_custodyevent WHERE action = 'verified'"
    assert raw_sql(cli_env, count)[0][0] == 0
    vestige(["worker", "--batch"], cli_env, check=True)
    assert raw_sql(cli_env, count)[0][0] == 1
