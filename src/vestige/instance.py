"""Where this instance keeps its data, and its secrets: created on first use, 0600.

Every setting Vestige reads from the environment is listed in :data:`ENVIRONMENT`, with its
default and meaning; ``docs/configuration.md`` is generated from it and a test checks they agree.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from .core.signing import write_secret_file

ENVIRONMENT: dict[str, tuple[str, str]] = {
    "VESTIGE_DATA_DIR": (
        "./vestige-data",
        "Folder for the database (SQLite), the blob store, keys and logs.",
    ),
    "DATABASE_URL": (
        "sqlite:///$VESTIGE_DATA_DIR/vestige.sqlite3",
        "Database to use; SQLite runs in WAL mode. Example: postgres://user:pw@127.0.0.1/vestige",
    ),
    "VESTIGE_DEBUG": ("false", "Django debug pages. Never on a server that others can reach."),
    "VESTIGE_ALLOWED_HOSTS": ("127.0.0.1,localhost", "Host names the web app answers to."),
    "VESTIGE_SECURE": (
        "false",
        "Server mode behind HTTPS: secure cookies, HSTS, SSL redirect.",
    ),
    "VESTIGE_IMPORT_WORKERS": ("number of CPU cores", "Processes used by `vestige import`."),
    "VESTIGE_FSYNC": (
        "true",
        "fsync every blob before it is renamed into place. Only tests may turn it off.",
    ),
    "VESTIGE_MAX_UPLOAD_MB": ("2048", "Largest file accepted by the web and API upload."),
    "VESTIGE_MAP_TILES": (
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        "Tile URL of the incident map (Leaflet's {z}/{x}/{y}, optionally {s}). The map page "
        "allows images from this host only; points still show when tiles cannot load. "
        "Empty: no tiles, points on a plain background.",
    ),
}


def env(name: str, default: str | None = None) -> str | None:
    """Read one of the documented environment settings."""
    if name not in ENVIRONMENT:
        raise KeyError(f"{name} is not a documented setting; add it to ENVIRONMENT")
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def data_dir() -> Path:
    """The data folder, absolute, created if missing (0700)."""
    path = Path(env("VESTIGE_DATA_DIR") or "./vestige-data").expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def secret_key(directory: Path) -> str:
    """Django's secret key, generated once and kept in ``secret_key`` (0600)."""
    path = directory / "keys" / "django-secret-key"
    if not path.exists():
        write_secret_file(path, secrets.token_urlsafe(64).encode("ascii"))
    return path.read_text(encoding="ascii").strip()


def signing_key_path(directory: Path) -> Path:
    """Where the instance's Ed25519 key lives."""
    return directory / "keys" / "instance-ed25519.pem"
