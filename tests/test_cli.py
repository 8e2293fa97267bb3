"""The command line as a user meets it: help with examples, clear errors, JSON, the data dir."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import click
import pytest

from vestige import docsgen
from vestige.cli import main

from .conftest import vestige

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_every_command_has_help_with_an_example() -> None:
    for path, command in docsgen._commands(main, "vestige"):
        with click.Context(command, info_name=path) as ctx:
            text = command.get_help(ctx)
        assert "Example:" in text, f"{path} --help has no example"


@pytest.mark.parametrize("page", sorted(docsgen.PAGES))
def test_generated_reference_pages_are_current(page: str) -> None:
    committed = (DOCS / page).read_text(encoding="utf-8")
    assert committed == docsgen.PAGES[page](), (
        f"docs/{page} is out of date: run `python -m vestige.docsgen`"
    )


def test_settings_read_from_the_environment_are_documented() -> None:
    import re

    source = Path(__file__).resolve().parents[1] / "src" / "vestige"
    used = set()
    for path in source.rglob("*.py"):
        used |= set(re.findall(r"env(?:_bool)?\(\s*\"([A-Z_]+)\"", path.read_text()))
        used |= set(re.findall(r"environ(?:\.get)?\(\s*\"(VESTIGE_[A-Z_]+)\"", path.read_text()))
    from vestige.instance import ENVIRONMENT

    assert used - set(ENVIRONMENT) == set()


def test_init_honours_the_data_dir_and_keeps_keys_private(cli_env: dict[str, str]) -> None:
    result = vestige(["init"], cli_env, check=True)
    data = Path(cli_env["VESTIGE_DATA_DIR"])
    assert str(data) in result.stdout
    for key in ("keys/instance-ed25519.pem", "keys/django-secret-key"):
        mode = stat.S_IMODE((data / key).stat().st_mode)
        assert mode == 0o600, f"{key} has mode {oct(mode)}"
    if "DATABASE_URL" not in cli_env:
        assert (data / "vestige.sqlite3").exists()
        import sqlite3

        with sqlite3.connect(data / "vestige.sqlite3") as conn:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    again = vestige(["init"], cli_env, check=True)
    assert again.stdout.splitlines()[-1] == result.stdout.splitlines()[-1]  # same key


def test_keys_show_prints_a_pem_public_key(cli_env: dict[str, str]) -> None:
    pem = vestige(["keys", "show"], cli_env, check=True).stdout
    assert pem.startswith("-----BEGIN PUBLIC KEY-----")
    document = json.loads(vestige(["keys", "show", "--json"], cli_env, check=True).stdout)
    assert document["algorithm"] == "Ed25519"
    assert document["public_key_pem"] == pem


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["import", "/no/such/folder", "--case", "x"], "no case 'x'"),
        (["case", "create", "Bad Slug!", "--title", "t"], "bad slug"),
        (["export", "missing-case", "--out", "/tmp/x.zip"], "no case 'missing-case'"),
        (["case", "add-member", "nope", "nobody", "--role", "viewer"], "no case 'nope'"),
    ],
)
def test_user_errors_are_one_line_and_exit_2(
    cli_env: dict[str, str], args: list[str], message: str
) -> None:
    result = vestige(args, cli_env)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_missing_path_is_a_user_error(cli_env: dict[str, str]) -> None:
    vestige(["case", "create", "c1", "--title", "One"], cli_env, check=True)
    result = vestige(["import", "/no/such/folder", "--case", "c1"], cli_env)
    assert result.returncode == 2
    assert result.stderr.strip() == "error: no such file or folder: /no/such/folder"


def test_json_outputs_are_json_and_nothing_else(cli_env: dict[str, str], tmp_path: Path) -> None:
    vestige(["case", "create", "c1", "--title", "One"], cli_env, check=True)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("a statement\n")
    (tmp_path / "in" / "empty.txt").write_text("")
    result = vestige(["import", str(tmp_path / "in"), "--case", "c1", "--json"], cli_env)
    assert result.returncode == 1  # one file was refused
    outcomes = json.loads(result.stdout)
    assert {(Path(o["path"]).name, o["status"]) for o in outcomes} == {
        ("a.txt", "imported"),
        ("empty.txt", "refused"),
    }
    assert all({"path", "status", "item_id"} <= set(o) for o in outcomes)
    cases = json.loads(vestige(["case", "list", "--json"], cli_env, check=True).stdout)
    assert cases[0]["slug"] == "c1" and cases[0]["items"] == 1
    report = json.loads(vestige(["verify", "--json"], cli_env, check=True).stdout)
    assert report["ok"] is True
