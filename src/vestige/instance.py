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
    "VESTIGE_CAPTURE_TIMEOUT": (
        "90",
        "Seconds one web capture may take for its page (each single request gets at most 30). "
        "A capture that shows no progress for this long plus a minute counts as interrupted "
        "and is requeued when `vestige worker` starts.",
    ),
    "VESTIGE_CAPTURE_MAX_MB": (
        "500",
        "Largest total of responses one web capture may download; beyond it the capture "
        "stops with the outcome too_large.",
    ),
    "VESTIGE_CAPTURE_PARALLEL": (
        "2",
        "Web captures run at once: by one `vestige capture` in the foreground, and by all "
        "`vestige worker` processes together.",
    ),
    "VESTIGE_CAPTURE_RETRIES": (
        "2",
        "Further attempts after a transient failure of a web capture (timeout, connection "
        "reset, 5xx answer); 0 = no retry.",
    ),
    "VESTIGE_CAPTURE_ALLOW_PRIVATE_ADDRESSES": (
        "false",
        "Let web captures reach private, loopback, link-local and reserved addresses. Leave "
        "off on a server: it stops captures from probing the internal network.",
    ),
    "VESTIGE_PROTECTION_KEY": (
        "$VESTIGE_DATA_DIR/keys/protection.key (created on first use, 0600)",
        "Key ring that seals protected identities (victims, witnesses, displaced people), for "
        "servers that keep secrets outside the data dir: the contents of a protection.key file, "
        "or the base64 of one 32-byte key. When set, the key file is not read or written; "
        "`vestige keys rotate` then prints the new key ring for you to install.",
    ),
    "VESTIGE_STATS_MIN_CELL": (
        "5",
        "Smallest count the registry statistics publish: every count from 1 to one below it is "
        "suppressed, with the other cells needed so that totals cannot give it back (pages, CSV "
        "exports and charts alike). A command may raise it for one run, never lower it.",
    ),
    "VESTIGE_GPS_TOLERANCE_KM": (
        "5",
        "Provenance findings: how far (km) the GPS position written in a file may lie from the "
        "place its claims or incidents name, beyond that place's own precision, and still be "
        "called consistent.",
    ),
    "VESTIGE_DOSSIER_SUBMITTER": (
        "",
        "Dossiers: the submitting organisation or person named in every dossier unless "
        "`vestige dossier --submitter` (or the web form) gives another. Empty: a placeholder "
        "the submitter fills in the DOCX.",
    ),
    "VESTIGE_DOSSIER_CONTACT": (
        "",
        "Dossiers: the submitter's contact (e-mail, phone) printed beside the submitter; "
        "`--contact` overrides it.",
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
