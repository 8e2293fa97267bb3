"""Template context shared by every page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .. import __version__


def instance(request: HttpRequest) -> dict[str, Any]:
    return {"vestige_version": __version__}
