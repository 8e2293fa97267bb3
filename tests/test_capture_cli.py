"""``vestige capture`` as a user runs it: foreground with --json, --from lists and CSV files,
--background for ``vestige worker``, --resume, refusals and permissions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .capture_site import CaptureSite, running_site
from .conftest import raw_sql, vestige
from .test_capture_app import wacz_validate


@pytest.fixture(scope="module")
def site() -> Iterator[CaptureSite]:
    with running_site(with_video=False) as running:
        yield running


@pytest.fixture
def env(cli_env: dict[str, str]) -> Iterator[dict[str, str]]:
    cli_env["VESTIGE_CAPTURE_ALLOW_PRIVATE_ADDRESSES"] = "true"
    cli_env["VESTIGE_FSYNC"] = "false"
    cli_env["VESTIGE_CAPTURE_PARALLEL"] = "2"
    vestige(["case", "create", "web", "--title", "Web"], cli_env, check=True)
    yield cli_env
    # Every WACZ the test stored must pass py-wacz's validator.
    for (sha256,) in raw_sql(
        cli_env, "SELECT sha256 FROM evidence_item WHERE kind = 'web_capture'"
    ):
        wacz_validate(blob(cli_env, sha256))


def json_lines(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def blob(env: dict[str, str], sha256: str) -> Path:
    return Path(env["VESTIGE_DATA_DIR"]) / "blobs" / "objects" / sha256[:2] / sha256[2:4] / sha256


def item_row(env: dict[str, str], item_id: str) -> tuple[Any, ...]:
    (row,) = raw_sql(
        env,
        "SELECT kind, sha256, source_url FROM evidence_item WHERE id = %s",
        (item_id.replace("-", "") if "DATABASE_URL" not in env else item_id,),
    )
    return tuple(row)


def test_foreground_json_prints_one_object_per_url(env: dict[str, str], site: CaptureSite) -> None:
    urls = [site.url("/"), site.url("/redirect/1")]
    result = vestige(["capture", *urls, "--case", "web", "--mode", "http", "--json"], env)
    assert result.returncode == 0, result.stderr
    rows = json_lines(result.stdout)
    assert sorted(r["url"] for r in rows) == sorted(urls)
    for row in rows:
        assert row["status"] == "done" and row["item_id"] and row["capture_id"]
        assert row["outcome"] == "ok" and row["error"] == ""
        kind, sha256, source_url = item_row(env, row["item_id"])
        assert kind == "web_capture" and source_url == row["url"]
        wacz_validate(blob(env, sha256))
    events = raw_sql(env, "SELECT COUNT(*) FROM evidence_custodyevent WHERE action = 'captured'")
    assert events[0][0] >= 2  # the two pages, plus the images of the first
    assert vestige(["verify", "--case", "web"], env).returncode == 0


def test_foreground_prints_item_ids(env: dict[str, str], site: CaptureSite) -> None:
    result = vestige(["capture", site.url("/final"), "--case", "web", "--mode", "http"], env)
    assert result.returncode == 0, result.stderr
    (item_id,) = [r[0] for r in raw_sql(env, "SELECT id FROM evidence_item")]
    shown = str(item_id)
    assert shown.replace("-", "") in result.stdout.replace("-", "")
    assert "done" in result.stdout and site.url("/final") in result.stdout


def test_a_failed_or_refused_capture_makes_the_exit_code_non_zero(
    env: dict[str, str], site: CaptureSite
) -> None:
    env["VESTIGE_CAPTURE_ALLOW_PRIVATE_ADDRESSES"] = "false"
    with running_site(with_video=False) as private:
        result = vestige(
            ["capture", private.url("/"), "--case", "web", "--mode", "http", "--json"], env
        )
        assert private.requests == []
    assert result.returncode == 1
    (row,) = json_lines(result.stdout)
    assert row["status"] == "refused" and row["item_id"] is None and row["error"]
    assert "1 of 1 capture(s) failed or were refused" in result.stderr
    stored = raw_sql(env, "SELECT status, error FROM capture_capture")
    assert stored[0][0] == "refused" and stored[0][1] == row["error"]


def test_from_a_plain_list_with_comments(
    env: dict[str, str], site: CaptureSite, tmp_path: Path
) -> None:
    listing = tmp_path / "urls.txt"
    listing.write_text(
        f"# pages the field team flagged\n{site.url('/final')}\n\n  # another comment\n"
        f"{site.url('/gone')}\n",
        encoding="utf-8",
    )
    result = vestige(
        ["capture", "--from", str(listing), "--case", "web", "--mode", "http", "--json"], env
    )
    assert result.returncode == 0, result.stderr
    rows = {r["url"]: r for r in json_lines(result.stdout)}
    assert set(rows) == {site.url("/final"), site.url("/gone")}
    assert rows[site.url("/gone")]["unavailable"] is True
    assert rows[site.url("/gone")]["removal"] == "http 410"


def test_from_a_csv_with_a_url_column(
    env: dict[str, str], site: CaptureSite, tmp_path: Path
) -> None:
    table = tmp_path / "links.csv"
    table.write_text(
        f'source,URL,note\nchannel A,{site.url("/final")},"first, with a comma"\n'
        f"channel B,{site.url('/redirect/1')},second\n",
        encoding="utf-8",
    )
    result = vestige(
        ["capture", "--from", str(table), "--case", "web", "--mode", "http", "--json"], env
    )
    assert result.returncode == 0, result.stderr
    assert sorted(r["url"] for r in json_lines(result.stdout)) == sorted(
        [site.url("/final"), site.url("/redirect/1")]
    )


def test_from_a_csv_without_a_header_uses_the_first_column(
    env: dict[str, str], site: CaptureSite, tmp_path: Path
) -> None:
    table = tmp_path / "links.csv"
    table.write_text(f"{site.url('/final')},seen on 2023-09-20\n", encoding="utf-8")
    result = vestige(
        ["capture", "--from", str(table), "--case", "web", "--mode", "http", "--json"], env
    )
    assert result.returncode == 0, result.stderr
    assert [r["url"] for r in json_lines(result.stdout)] == [site.url("/final")]


def test_background_then_worker(env: dict[str, str], site: CaptureSite) -> None:
    queued = vestige(
        [
            "capture",
            site.url("/"),
            site.url("/final"),
            "--case",
            "web",
            "--mode",
            "http",
            "--background",
            "--json",
        ],
        env,
        check=True,
    )
    rows = json_lines(queued.stdout)
    assert [r["status"] for r in rows] == ["queued", "queued"]
    assert all(r["item_id"] is None for r in rows)
    assert raw_sql(env, "SELECT COUNT(*) FROM evidence_item")[0][0] == 0
    vestige(["worker", "--batch"], env, check=True)
    statuses = raw_sql(env, "SELECT status, item_id FROM capture_capture")
    assert sorted(s for s, _ in statuses) == ["done", "done"]
    assert all(item for _, item in statuses)


def test_resume_finishes_a_batch(env: dict[str, str], site: CaptureSite) -> None:
    queued = vestige(
        [
            "capture",
            site.url("/final"),
            site.url("/redirect/1"),
            "--case",
            "web",
            "--mode",
            "http",
            "--background",
            "--json",
        ],
        env,
        check=True,
    )
    batch = json_lines(queued.stdout)[0]["batch_id"]
    # The run was cut short: one capture left running an hour ago, nobody runs the batch.
    raw_sql(
        env,
        "UPDATE capture_capture SET status = 'running', updated_at = %s WHERE url = %s",
        ("2020-01-01 00:00:00", site.url("/final")),
    )
    result = vestige(["capture", "--resume", batch, "--json"], env)
    assert result.returncode == 0, result.stderr
    rows = json_lines(result.stdout)
    assert sorted(r["url"] for r in rows) == sorted([site.url("/final"), site.url("/redirect/1")])
    assert all(r["status"] == "done" for r in rows)
    again = vestige(["capture", "--resume", batch, "--json"], env, check=True)
    assert json_lines(again.stdout) == [] and "nothing left" in again.stderr
    # The worker finds the old tasks' captures finished and leaves them alone.
    vestige(["worker", "--batch"], env, check=True)
    assert raw_sql(env, "SELECT COUNT(*) FROM evidence_item WHERE kind = 'web_capture'")[0][0] == 2


def test_worker_start_takes_over_an_interrupted_foreground_batch(
    env: dict[str, str], site: CaptureSite
) -> None:
    queued = vestige(
        [
            "capture",
            site.url("/final"),
            "--case",
            "web",
            "--mode",
            "http",
            "--background",
            "--json",
        ],
        env,
        check=True,
    )
    (row,) = json_lines(queued.stdout)
    # Make it look like a foreground run that was killed mid-capture: no task, stale, running.
    raw_sql(env, "DELETE FROM django_tasks_database_dbtaskresult")
    raw_sql(env, "UPDATE capture_capturebatch SET background = %s", (False,))
    raw_sql(
        env,
        "UPDATE capture_capture SET status = 'running', task_id = '', updated_at = %s",
        ("2020-01-01 00:00:00",),
    )
    worker = vestige(["worker", "--batch"], env, check=True)
    assert "resuming 1 interrupted web capture" in worker.stderr
    assert raw_sql(env, "SELECT status FROM capture_capture")[0][0] == "done"
    assert row["capture_id"]


def test_user_without_import_permission_is_refused(env: dict[str, str], site: CaptureSite) -> None:
    vestige(
        ["user", "create", "viewer1", "--password-stdin"],
        env,
        check=True,
        input="correct-horse-9\n",
    )
    vestige(["case", "add-member", "web", "viewer1", "--role", "viewer"], env, check=True)
    result = vestige(
        ["capture", site.url("/final"), "--case", "web", "--mode", "http", "--user", "viewer1"],
        env,
    )
    assert result.returncode == 2
    assert "does not allow import" in result.stderr
    assert raw_sql(env, "SELECT COUNT(*) FROM capture_capture")[0][0] == 0


def test_bad_input_is_one_clear_line(env: dict[str, str], tmp_path: Path) -> None:
    result = vestige(["capture", "ftp://example.org/x", "--case", "web"], env)
    assert result.returncode == 2 and "only http and https" in result.stderr
    assert "Traceback" not in result.stderr
    result = vestige(["capture", "--case", "web"], env)
    assert result.returncode == 2 and "no URL given" in result.stderr
    result = vestige(["capture", "https://example.org/", "--case", "nope"], env)
    assert result.returncode == 2 and "no case 'nope'" in result.stderr
    result = vestige(["capture", "--from", str(tmp_path / "absent.txt"), "--case", "web"], env)
    assert result.returncode == 2


@pytest.mark.browser
def test_browser_mode_in_the_foreground_two_at_a_time(
    env: dict[str, str], site: CaptureSite
) -> None:
    urls = [site.url("/js"), site.url("/")]
    result = vestige(["capture", *urls, "--case", "web", "--json"], env)
    assert result.returncode == 0, result.stderr
    rows = json_lines(result.stdout)
    assert sorted(r["url"] for r in rows) == sorted(urls)
    assert all(r["status"] == "done" for r in rows)
    kinds = raw_sql(
        env,
        "SELECT DISTINCT d.kind FROM evidence_derivative d JOIN evidence_item i "
        "ON d.item_id = i.id WHERE i.kind = 'web_capture'",
    )
    assert {"screenshot", "thumbnail", "dom", "pdf", "text"} <= {k for (k,) in kinds}


@pytest.mark.browser
def test_browser_mode_through_the_worker(env: dict[str, str], site: CaptureSite) -> None:
    vestige(
        ["capture", site.url("/js"), "--case", "web", "--background", "--json"], env, check=True
    )
    vestige(["worker", "--batch"], env, check=True)
    ((status, error),) = raw_sql(env, "SELECT status, error FROM capture_capture")
    assert status == "done", error
    ((text_sha,),) = raw_sql(
        env,
        "SELECT d.sha256 FROM evidence_derivative d JOIN evidence_item i ON d.item_id = i.id "
        "WHERE i.kind = 'web_capture' AND d.kind = 'text'",
    )
    from .capture_site import JS_TEXT

    assert JS_TEXT in blob(env, text_sha).read_text(encoding="utf-8")
