"""Import stages for web archives: a WARC or WACZ given to ``vestige import`` is validated and
its pages listed on the item. An invalid archive is still imported — it is evidence — and the
reason it fails is recorded as a warning on the item."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..stages import Stage, StageResult
from .wacz import check_wacz
from .warc import check_warc

WARC_MEDIA_TYPE = "application/warc"
WACZ_MEDIA_TYPE = "application/wacz"
PAGES_ON_ITEM = 1000  # pages listed in the item metadata; the count is always whole


def _earliest(pages: list[dict[str, Any]]) -> str | None:
    stamps = sorted(str(p["ts"]) for p in pages if p.get("ts"))
    return stamps[0] if stamps else None


class WarcStage(Stage):
    """Record-by-record validation of a WARC and the HTML pages it holds."""

    name = "warc"
    version = "1"

    def applies_to(self, media_type: str) -> bool:
        return media_type == WARC_MEDIA_TYPE

    def run(self, original: Path, media_type: str, workdir: Path) -> StageResult:
        report = check_warc(original)
        summary = report.to_dict()
        archive = {
            "format": "warc",
            "valid": report.valid,
            "summary": report.summary(),
            "compression": report.compression,
            "records": report.records,
            "record_types": report.record_types,
            "counts": summary["counts"],
            "findings": summary["findings"],
            "findings_omitted": summary["findings_omitted"],
            "pages": report.pages[:PAGES_ON_ITEM],
            "pages_total": report.pages_total,
            "signature": {"present": False},
        }
        result = StageResult(metadata={"archive": archive})
        result.captured_at = _earliest(report.pages)
        if not report.valid:
            result.warnings.append(f"WARC does not conform: {report.summary()}")
        return result


class WaczStage(Stage):
    """WACZ package validation: hashes, signature (as of creation time), pages, indexes."""

    name = "wacz"
    version = "1"

    def applies_to(self, media_type: str) -> bool:
        return media_type == WACZ_MEDIA_TYPE

    def run(self, original: Path, media_type: str, workdir: Path) -> StageResult:
        report = check_wacz(original)
        data = report.to_dict()
        archive = {
            "format": "wacz",
            "valid": report.valid,
            "summary": report.summary(),
            "version": report.version,
            "created": report.created,
            "software": report.software,
            "title": report.title,
            "errors": report.errors,
            "warnings": report.warnings,
            "files": report.files,
            "warcs": data["warcs"],
            "pages": report.pages[:PAGES_ON_ITEM],
            "pages_total": report.pages_total,
            "signature": data["signature"],
        }
        result = StageResult(metadata={"archive": archive})
        result.captured_at = report.created or _earliest(report.pages)
        if not report.valid:
            result.warnings.append(f"WACZ invalid: {'; '.join(report.errors[:5])}")
        return result
