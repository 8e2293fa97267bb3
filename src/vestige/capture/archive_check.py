"""Checking the WACZ a capture wrote, with the archive checker of :mod:`vestige.core.archives`.

The outcome is kept in the item's metadata (``wacz_validation``) so that anyone can see whether
the package was whole when it entered the locker. A checker that breaks on a file is recorded
as such, never taken as a pass.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any


def check_wacz(path: Path) -> dict[str, Any]:
    """``{"checked": bool, "valid": bool, "reason": str, "tool": str, "report": {...}}``."""
    from ..core.archives import validate_wacz

    try:
        report = validate_wacz(path)
    except Exception as exc:  # the checker's failure is recorded, not raised into the capture
        return {
            "checked": False,
            "valid": False,
            "reason": f"the WACZ checker failed: {type(exc).__name__}: {exc}",
            "tool": "vestige.core.archives",
        }
    return summarise(report)


def summarise(report: Any) -> dict[str, Any]:
    """A JSON-able summary of a checker report (``to_dict()`` and ``valid``, as
    :class:`vestige.core.archives.WaczReport` has). The page list is left out: the item's
    metadata has it already (``pages``)."""
    if hasattr(report, "to_dict"):
        details = dict(report.to_dict())
    elif dataclasses.is_dataclass(report) and not isinstance(report, type):
        details = dataclasses.asdict(report)
    else:
        details = {"report": str(report)}
    details.pop("pages", None)
    valid = bool(getattr(report, "valid", getattr(report, "ok", False)))
    problems = details.get("errors") or details.get("problems") or []
    reason = "" if valid else "; ".join(str(p) for p in problems)[:1000]
    return {
        "checked": True,
        "valid": valid,
        "summary": str(details.get("summary", "")),
        "reason": reason,
        "tool": "vestige.core.archives",
        "report": details,
    }
