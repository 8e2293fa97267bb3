"""Reading and validating existing web archives (WARC and WACZ), streaming, without Django.

:func:`check_warc` checks a WARC file record by record against the WARC standard;
:func:`check_wacz` checks a WACZ package (zip layout, datapackage hashes, page list, indexes,
the WARCs inside and the signature, judged as of the archive's creation time).
:func:`validate_wacz` is the entry point the capture service uses on the WACZs it writes.
"""

from __future__ import annotations

from pathlib import Path

from .signature import SignatureReport
from .wacz import WaczReport, check_wacz
from .warc import Finding, RecordCheck, WarcReport, check_warc, render_warcio_style

__all__ = [
    "Finding",
    "RecordCheck",
    "SignatureReport",
    "WaczReport",
    "WarcReport",
    "check_wacz",
    "check_warc",
    "render_warcio_style",
    "validate_wacz",
]


def validate_wacz(path: Path | str) -> WaczReport:
    """Check a WACZ (ours or anyone's); the same checks as :func:`check_wacz`."""
    return check_wacz(Path(path))
