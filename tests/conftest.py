"""Fixtures shared by the whole suite.

In-process tests use pytest-django's test database (SQLite, or PostgreSQL when DATABASE_URL
points at one). Tests that run the ``vestige`` command in a subprocess get a data folder of
their own and, on PostgreSQL, a database of their own (:func:`cli_env`).
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"
SHARED_DATA = SHARED / "data"


def shared_file(name: str) -> Path:
    """A file of ../shared/data; skip the test, naming the folder, when it is absent."""
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"shared data folder {SHARED_DATA} is absent (needs {name})")
    return path


@pytest.fixture(autouse=True)
def _isolated_blobs(settings: Any, tmp_path: Path) -> None:
    """Each test gets a blob store of its own, so tampering in one cannot leak into another."""
    settings.BLOB_ROOT = tmp_path / "blobs"


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Sign-in throttling counts failures in the cache; no test inherits another's."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _no_browser_left_running() -> Iterator[None]:
    """A browser-mode capture keeps Playwright (and its asyncio loop) alive in its thread for
    the next capture. Left in the test thread, that loop makes Django refuse database calls
    there ("cannot call this from an async context"), up to the test database's teardown."""
    yield
    browser = sys.modules.get("vestige.core.capture.browser")
    if browser is not None:
        browser.close_browser()


@pytest.fixture
def user(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user(username="amira", password="correct-horse-9")


@pytest.fixture
def outsider(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user(username="mallory", password="correct-horse-9")


@pytest.fixture
def case(user: Any) -> Any:
    from vestige.cases.services import create_case

    return create_case("test-case", "Test case", owner=user)


@pytest.fixture
def make_files(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Write files from a {relative name: bytes} mapping under a fresh folder; return it."""

    def make(files: dict[str, bytes], folder: str = "incoming") -> Path:
        root = tmp_path / folder
        root.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            target = root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        return root

    return make


def _postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


@pytest.fixture
def cli_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """Environment for running ``vestige`` in a subprocess, against a database of its own."""
    env = dict(os.environ)
    env["VESTIGE_DATA_DIR"] = str(tmp_path / "data")
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env["VESTIGE_IMPORT_WORKERS"] = env.get("VESTIGE_IMPORT_WORKERS", "2")
    pg = _postgres_url()
    name = None
    if pg:
        import psycopg

        name = f"vestige_cli_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(pg, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = pg.rsplit("/", 1)[0] + "/" + name
    else:
        env.pop("DATABASE_URL", None)
    yield env
    if pg and name:
        import psycopg

        with psycopg.connect(pg, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def vestige(
    args: list[str], env: dict[str, str], check: bool = False, **kwargs: Any
) -> subprocess.CompletedProcess[str]:
    """Run the ``vestige`` command as a user would."""
    result = subprocess.run(
        [sys.executable, "-m", "vestige", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        **kwargs,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"vestige {' '.join(args)} exited {result.returncode}\n"
            f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        )
    return result


def raw_sql(env: dict[str, str], sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Run SQL directly against a CLI environment's database, bypassing Vestige entirely.

    Write ``%s`` for parameters; it is translated for SQLite.
    """
    url = env.get("DATABASE_URL")
    if url:
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn, conn.cursor() as cursor:
            cursor.execute(sql, params)
            return list(cursor.fetchall()) if cursor.description else []
    import sqlite3

    path = Path(env["VESTIGE_DATA_DIR"]) / "vestige.sqlite3"
    conn = sqlite3.connect(path, timeout=30)
    try:
        cursor = conn.execute(sql.replace("%s", "?"), params)
        rows = cursor.fetchall()
        conn.commit()
        return rows
    finally:
        conn.close()
