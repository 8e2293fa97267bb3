"""Automatic provenance findings: what the file itself, and the case around it, say about an
item's origin. Each check compares something the file states (a C2PA manifest, a WACZ
signature, an EXIF time, GPS) with what is claimed about it (the claimed date, the places of
the claims it supports), or finds the earliest copy of the same bytes in the case.

A check that fails becomes a finding with outcome ``error`` naming the failure: it is never
taken for a pass and never hidden. Findings describe the item as it stands now, so recomputing
replaces an item's earlier findings (``vestige provenance`` and the item page's button do it).
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction

from .. import __version__
from ..cases.graph import Claim, Place
from ..core.blobstore import LocalBlobStore
from ..core.edtf import parse_edtf
from ..core.errors import UserError
from ..evidence.models import CustodyEvent, Item
from .models import FindingKind, Outcome, ProvenanceFinding

log = logging.getLogger(__name__)
TOOL = "vestige.verification"
EARTH_RADIUS_KM = 6371.0088
WACZ_MEDIA_TYPE = "application/wacz"


@dataclass
class Draft:
    """A finding before it is stored."""

    kind: str
    outcome: str
    summary: str
    details: dict[str, Any] = field(default_factory=dict)
    tool: str = TOOL
    tool_version: str = __version__


Check = Callable[[Item], list[Draft]]


# --------------------------------------------------------------------------- C2PA


def _c2pa_types() -> set[str]:
    import c2pa

    return {t.lower() for t in c2pa.Reader.get_supported_mime_types() if "/" in t}


def _c2pa_version() -> str:
    import c2pa

    return str(getattr(c2pa, "__version__", "") or c2pa.sdk_version())


def _blob_path(item: Item) -> Any:
    path = LocalBlobStore(settings.BLOB_ROOT, fsync=False).path_for(item.sha256)
    if not path.exists():
        raise FileNotFoundError(f"the original of item {item.pk} is missing from the blob store")
    return path


def _codes(results: dict[str, Any] | None, key: str) -> list[dict[str, str]]:
    active = (results or {}).get("activeManifest") or {}
    return [
        {"code": str(e.get("code", "")), "explanation": str(e.get("explanation", ""))}
        for e in active.get(key) or []
    ]


def check_c2pa(item: Item) -> list[Draft]:
    """Read and validate the C2PA manifest embedded in the file (c2pa-python)."""
    import c2pa

    if item.media_type.lower() not in _c2pa_types():
        return []
    tool = "c2pa-python"
    version = _c2pa_version()
    with open(_blob_path(item), "rb") as stream:  # read-only: the original is never changed
        try:
            reader = c2pa.Reader.try_create(item.media_type, stream)
        except c2pa.C2paError as exc:
            name = type(exc).__name__.lstrip("_").removeprefix("C2pa") or "Error"
            if name in ("Io", "NotSupported", "Other"):
                raise
            return [Draft(FindingKind.C2PA, Outcome.INVALID,
                          f"C2PA manifest present but unreadable ({name}): {exc}",
                          {"error": str(exc), "error_kind": name}, tool, version)]
        if reader is None:
            return [Draft(FindingKind.C2PA, Outcome.ABSENT,
                          "No C2PA manifest: the file carries no content credentials.",
                          {}, tool, version)]
        with reader:
            state = reader.get_validation_state() or ""
            results = reader.get_validation_results()
            manifest = reader.get_active_manifest() or {}
    failures = _codes(results, "failure")
    signature = manifest.get("signature_info") or {}
    signer = ", ".join(str(signature[k]) for k in ("common_name", "issuer") if signature.get(k))
    generators = [str(g.get("name", "")) for g in manifest.get("claim_generator_info") or []]
    actions = [
        str(a.get("action", ""))
        for assertion in manifest.get("assertions") or []
        if str(assertion.get("label", "")).startswith("c2pa.actions")
        for a in (assertion.get("data") or {}).get("actions") or []
    ]
    details = {
        "validation_state": state,
        "trusted": state == "Trusted",
        "signer": signature,
        "claim_generator": generators,
        "title": manifest.get("title"),
        "actions": actions,
        "failures": failures,
        "successes": len(_codes(results, "success")),
        "manifest_label": manifest.get("label"),
    }
    if state in ("Valid", "Trusted"):
        trust = ("signer on a trusted list" if state == "Trusted"
                 else "the signer is not on any trust list Vestige knows")
        summary = f"C2PA manifest valid (signed by {signer or 'an unnamed signer'}; {trust})."
        return [Draft(FindingKind.C2PA, Outcome.VALID, summary, details, tool, version)]
    problems = [f["code"] for f in failures if f["code"] != "signingCredential.untrusted"]
    summary = (f"C2PA manifest does not validate ({state or 'no state'}): "
               f"{', '.join(problems) or 'see details'}.")
    return [Draft(FindingKind.C2PA, Outcome.INVALID, summary, details, tool, version)]


# --------------------------------------------------------------------------- WACZ signature


def _wacz_signature(item: Item) -> tuple[dict[str, Any] | None, str]:
    """The signature verdict stored at import (``archive``) or capture (``wacz_validation``)."""
    metadata = item.metadata if isinstance(item.metadata, dict) else {}
    archive = metadata.get("archive")
    if isinstance(archive, dict) and archive.get("format") == "wacz":
        return archive.get("signature") or {"present": False}, "import (archive stage)"
    validation = metadata.get("wacz_validation")
    if isinstance(validation, dict):
        if not validation.get("checked", True):
            raise RuntimeError(validation.get("reason") or "the WACZ checker did not run")
        report = validation.get("report") or {}
        return report.get("signature") or {"present": False}, "capture (archive check)"
    return None, ""


def check_wacz_signature(item: Item) -> list[Draft]:
    """Report the WACZ signature verdict that core.archives reached when the file came in."""
    signature, origin = _wacz_signature(item)
    if signature is None:
        if item.media_type == WACZ_MEDIA_TYPE:
            return [Draft(FindingKind.WACZ_SIGNATURE, Outcome.ERROR,
                          "This WACZ was never checked: no archive verdict on the item.")]
        return []
    tool = "vestige.core.archives"
    details = {**signature, "checked_at": origin}
    if not signature.get("present"):
        return [Draft(FindingKind.WACZ_SIGNATURE, Outcome.ABSENT,
                      "The WACZ is not signed.", details, tool)]
    who = signature.get("identity") or "unknown signer"
    if signature.get("valid"):
        stamp = f", timestamped {signature['timestamp']}" if signature.get("timestamp") else ""
        return [Draft(FindingKind.WACZ_SIGNATURE, Outcome.VALID,
                      f"WACZ signature valid ({signature.get('kind', '')}: {who}{stamp}).",
                      details, tool)]
    return [Draft(FindingKind.WACZ_SIGNATURE, Outcome.INVALID,
                  f"WACZ signature invalid: {signature.get('reason') or 'no reason given'}.",
                  details, tool)]


# --------------------------------------------------------------------------- EXIF time


def file_date(value: str) -> tuple[date, bool]:
    """The calendar day a file's own time names (in the file's own zone), and whether that
    zone is known. Raises ValueError for a time that is not ISO 8601."""
    text = value.strip().replace("Z", "+00:00")
    moment = datetime.fromisoformat(text)
    return moment.date(), moment.tzinfo is not None


def check_exif_time(item: Item) -> list[Draft]:
    """The creation time the file states against the item's claimed date (EDTF interval)."""
    stated, claimed = item.content_created_at.strip(), item.claimed_date.strip()
    kind = FindingKind.EXIF_TIME
    if not stated and not claimed:
        return []
    if not claimed:
        return [Draft(kind, Outcome.INFO,
                      f"The file says it was made {stated}; no claimed date to compare with.",
                      {"file_time": stated})]
    if not stated:
        return [Draft(kind, Outcome.INFO,
                      f"Claimed date {claimed}; the file states no creation time to compare.",
                      {"claimed_date": claimed})]
    try:
        day, zoned = file_date(stated)
    except ValueError:
        return [Draft(kind, Outcome.INFO,
                      f"The file's time {stated!r} is not a date Vestige can compare.",
                      {"file_time": stated, "claimed_date": claimed})]
    try:
        bounds = parse_edtf(claimed)
    except UserError as exc:
        return [Draft(kind, Outcome.INFO, f"The claimed date is not EDTF: {exc}",
                      {"file_time": stated, "claimed_date": claimed})]
    details: dict[str, Any] = {
        "file_time": stated, "file_date": day.isoformat(), "zone_known": zoned,
        "claimed_date": claimed,
        "claimed_from": bounds.lower.isoformat() if bounds.lower else None,
        "claimed_to": bounds.upper.isoformat() if bounds.upper else None,
    }
    if bounds.lower is not None and day < bounds.lower:
        gap = (bounds.lower - day).days
    elif bounds.upper is not None and day > bounds.upper:
        gap = (day - bounds.upper).days
    else:
        return [Draft(kind, Outcome.CONSISTENT,
                      f"The file's time ({day}) lies within the claimed date {claimed}.",
                      details)]
    details["gap_days"] = gap
    side = "before" if bounds.lower is not None and day < bounds.lower else "after"
    hedge = "" if zoned else " (the file names no time zone, so ±1 day is possible)"
    return [Draft(kind, Outcome.INCONSISTENT,
                  f"The file's time ({day}) is {gap} day{'s' if gap != 1 else ''} {side} the "
                  f"claimed date {claimed}{hedge}.", details)]


# --------------------------------------------------------------------------- GPS vs place


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine) in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def claimed_places(item: Item) -> list[tuple[Place, str]]:
    """Places named by the claims drawn from this item and by the incidents those claims
    support, each with where it came from."""
    found: dict[int, tuple[Place, str]] = {}
    for claim in Claim.objects.filter(item=item).prefetch_related("places", "incidents__places"):
        for place in claim.places.all():
            found.setdefault(place.pk, (place, f"claim #{claim.pk}"))
        for incident in claim.incidents.all():
            for place in incident.places.all():
                found.setdefault(place.pk, (place, f"incident #{incident.pk}"))
    return [(p, why) for p, why in found.values()
            if p.latitude is not None and p.longitude is not None]


def check_gps(item: Item) -> list[Draft]:
    """The GPS position written in the file against the places it is claimed to show."""
    gps = item.gps
    if not gps or "latitude" not in gps or "longitude" not in gps:
        return []
    lat, lon = float(gps["latitude"]), float(gps["longitude"])
    kind = FindingKind.GPS_PLACE
    places = claimed_places(item)
    tolerance = float(getattr(settings, "GPS_TOLERANCE_KM", 5.0))
    if not places:
        return [Draft(kind, Outcome.INFO,
                      f"The file's GPS says {lat:.5f}, {lon:.5f}; no claimed place with "
                      "coordinates to compare with.", {"gps": gps, "tolerance_km": tolerance})]
    rows: list[dict[str, Any]] = []
    for place, why in places:
        km = distance_km(lat, lon, float(place.latitude or 0), float(place.longitude or 0))
        allowed = tolerance + (place.precision_m or 0) / 1000
        rows.append({"place": place.pk, "name": place.display_name, "via": why,
                     "distance_km": round(km, 3), "allowed_km": round(allowed, 3),
                     "within": km <= allowed})
    rows.sort(key=lambda r: float(r["distance_km"]))
    nearest = rows[0]
    details = {"gps": gps, "tolerance_km": tolerance, "places": rows}
    if nearest["within"]:
        return [Draft(kind, Outcome.CONSISTENT,
                      f"The file's GPS lies {nearest['distance_km']:.1f} km from "
                      f"{nearest['name']} (allowed {nearest['allowed_km']:.1f} km).", details)]
    return [Draft(kind, Outcome.INCONSISTENT,
                  f"The file's GPS lies {nearest['distance_km']:.1f} km from the nearest claimed "
                  f"place, {nearest['name']} (allowed {nearest['allowed_km']:.1f} km).", details)]


# --------------------------------------------------------------------------- earliest copy


def _copy_row(copy: Item) -> dict[str, Any]:
    return {"item": str(copy.pk), "title": copy.title, "captured_at": copy.captured_at.isoformat(),
            "content_created_at": copy.content_created_at, "source": copy.source_url
            or copy.source_path or copy.source_name}


def earliest_copy_drafts(item: Item, copies: list[Item]) -> list[Draft]:
    """Which of the exact copies (same SHA-256) Vestige collected first, and how often the
    same bytes were received again (duplicate imports are recorded in the custody log)."""
    again = CustodyEvent.objects.filter(
        case_id=item.case_id, item__in=copies, action="duplicate_imported"
    ).count()
    if len(copies) < 2 and not again:
        return []
    ordered = sorted(copies, key=lambda c: (c.captured_at, str(c.pk)))
    first = ordered[0]
    details = {"earliest": str(first.pk), "copies": [_copy_row(c) for c in ordered],
               "received_again": again}
    if first.pk == item.pk:
        summary = (f"Earliest known copy of these bytes in the case (collected "
                   f"{first.captured_at:%Y-%m-%d %H:%M} UTC); {len(copies) - 1} later "
                   f"cop{'y' if len(copies) == 2 else 'ies'}, received again {again} time"
                   f"{'' if again == 1 else 's'}.")
    else:
        summary = (f"An earlier copy of the same bytes exists: {first.title} (collected "
                   f"{first.captured_at:%Y-%m-%d %H:%M} UTC).")
    return [Draft(FindingKind.EARLIEST_COPY, Outcome.INFO, summary, details)]


def check_earliest_copy(item: Item) -> list[Draft]:
    """Exact copies, plus the items a reviewer judged the same (or linked as copies) with their
    own exact copies: a re-encoded copy collected earlier is an earlier copy too."""
    from ..corroboration.independence import copies_judged_same

    copies = list(Item.objects.filter(case_id=item.case_id, sha256=item.sha256))
    judged = [c for c in copies_judged_same(item) if c.sha256 != item.sha256]
    drafts = earliest_copy_drafts(item, copies + judged)
    for draft in drafts:
        draft.details["judged_same"] = [str(c.pk) for c in judged]
        if judged:
            draft.summary = draft.summary.replace("these bytes", "this content").replace(
                "the same bytes", "this content (exact or judged-same copies)")
    return drafts


# --------------------------------------------------------------------------- running

CHECKS: tuple[tuple[str, Check], ...] = (
    (FindingKind.C2PA, check_c2pa),
    (FindingKind.WACZ_SIGNATURE, check_wacz_signature),
    (FindingKind.EXIF_TIME, check_exif_time),
    (FindingKind.GPS_PLACE, check_gps),
    (FindingKind.EARLIEST_COPY, check_earliest_copy),
)


def run_checks(item: Item, kinds: Iterable[str] | None = None) -> list[Draft]:
    """Every check's drafts; a check that raises gives an ``error`` finding naming why."""
    wanted = set(kinds) if kinds is not None else None
    drafts: list[Draft] = []
    for kind, check in CHECKS:
        if wanted is not None and kind not in wanted:
            continue
        try:
            drafts.extend(check(item))
        except Exception as exc:  # recorded as a finding: a failed check is never a pass
            drafts.append(Draft(kind, Outcome.ERROR,
                                f"The {kind.replace('_', ' ')} check failed: "
                                f"{type(exc).__name__}: {exc}",
                                {"error": str(exc), "error_type": type(exc).__name__}))
    return drafts


def _store(item: Item, drafts: list[Draft], kinds: Iterable[str]) -> list[ProvenanceFinding]:
    with transaction.atomic():
        ProvenanceFinding.objects.filter(item=item, kind__in=list(kinds)).delete()
        return ProvenanceFinding.objects.bulk_create(
            ProvenanceFinding(
                case_id=item.case_id, item=item, kind=d.kind, outcome=d.outcome,
                summary=d.summary, details=json.loads(json.dumps(d.details, default=str)),
                tool=d.tool[:100], tool_version=d.tool_version[:50],
            )
            for d in drafts
        )


def compute_findings(item: Item) -> list[ProvenanceFinding]:
    """(Re)compute every finding of ``item`` and store them in place of the earlier ones.

    Copies of the same bytes have their earliest-copy finding refreshed too, since a new copy
    changes what each of them can say.
    """
    findings = _store(item, run_checks(item), [k for k, _ in CHECKS])
    copies = list(Item.objects.filter(case_id=item.case_id, sha256=item.sha256)
                  .exclude(pk=item.pk))
    if copies:
        everyone = [item, *copies]
        for copy in copies:
            try:
                drafts = earliest_copy_drafts(copy, everyone)
            except Exception as exc:
                drafts = [Draft(FindingKind.EARLIEST_COPY, Outcome.ERROR,
                                f"The earliest copy check failed: {type(exc).__name__}: {exc}")]
            _store(copy, drafts, [FindingKind.EARLIEST_COPY])
    return findings


def compute_for_items(items: Iterable[Item]) -> int:
    """Findings for a batch of new items (import and capture). A database failure for one
    item is rolled back to its savepoint and logged, so the import itself still completes;
    the item is left without findings, which the item page shows, and `vestige provenance`
    computes them again."""
    done = 0
    for item in items:
        try:
            with transaction.atomic():
                compute_findings(item)
            done += 1
        except DatabaseError as exc:
            log.error("provenance findings for item %s could not be stored: %s",
                      item.pk, type(exc).__name__)
    return done
