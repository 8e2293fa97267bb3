"""Web capture engine: fetch a URL safely, record the exchange as WARC/WACZ, render, extract.

No Django here. The app calls :func:`capture_url` and stores the files it returns.
"""

from __future__ import annotations

from .browser import close_browser
from .engine import capture_url
from .types import (
    DEFAULT_USER_AGENT,
    CapturedFile,
    CaptureOptions,
    CaptureOutput,
    is_transient,
)

__all__ = [
    "DEFAULT_USER_AGENT",
    "CaptureOptions",
    "CaptureOutput",
    "CapturedFile",
    "capture_url",
    "close_browser",
    "is_transient",
]
