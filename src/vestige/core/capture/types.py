"""The capture engine's public data types, shared with the Django app and the web UI.

Kept in their own module so the app can import them without pulling in Playwright or warcio.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vestige import __version__

DEFAULT_USER_AGENT = f"Vestige/{__version__} (+evidence preservation)"

MODES = ("browser", "http")
OUTCOMES = ("ok", "refused", "timeout", "too_large", "failed", "unavailable")
FILE_ROLES = ("wacz", "screenshot", "dom", "pdf", "text", "media")


@dataclass
class CaptureOptions:
    """How one capture runs; the app fills it from VESTIGE_CAPTURE_* settings."""

    mode: str = "browser"  # "browser" (Playwright + system Chromium) or "http" (no JavaScript)
    timeout: float = 30.0  # seconds per HTTP request
    page_timeout: float = 90.0  # seconds for the whole page
    max_bytes: int = 500 * 2**20  # total bytes of responses in one capture
    allow_private: bool = False  # VESTIGE_CAPTURE_ALLOW_PRIVATE_ADDRESSES
    user_agent: str = DEFAULT_USER_AGENT
    media: bool = True  # save embedded images/videos, yt-dlp where it applies
    chromium: str = "/usr/bin/chromium"
    # Networks reachable even though they are not public (an organisation's own intranet, or a
    # test server on 127.0.0.1). Everything else non-public stays refused.
    allowed_networks: tuple[str, ...] = ()


@dataclass
class CapturedFile:
    """One file the capture produced inside the work directory."""

    role: str  # "wacz" | "screenshot" | "dom" | "pdf" | "text" | "media"
    path: Path
    media_type: str
    source_url: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class CaptureOutput:
    """Everything one capture of one URL produced, including how it ended."""

    url: str
    outcome: str  # "ok" | "refused" | "timeout" | "too_large" | "failed" | "unavailable"
    final_url: str = ""
    http_status: int | None = None
    context: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    text: str = ""
    files: list[CapturedFile] = field(default_factory=list)
    pages: list[dict[str, Any]] = field(default_factory=list)
    removal: str = ""
    warnings: list[str] = field(default_factory=list)
    error: str = ""
    transient: bool = False  # True when trying again later may help (timeouts, resets, 5xx)

    def file(self, role: str) -> CapturedFile | None:
        """The first file with this role, or None."""
        return next((f for f in self.files if f.role == role), None)


def is_transient(output: CaptureOutput) -> bool:
    """Whether a retry of this capture makes sense."""
    return output.transient
