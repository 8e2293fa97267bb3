"""Validation of a WACZ package (WACZ 1.0/1.1), streaming each file out of the zip.

Checked: the zip itself (readable, CRCs, no unsafe names), ``datapackage.json`` (every
resource present with the listed size and hash, no unlisted file), ``datapackage-digest.json``
(the hash of ``datapackage.json``) and its signature, ``pages/pages.jsonl``, the indexes (CDXJ
lines pointing inside the WARCs) and the WARCs themselves (readable to the end, digests). A
WARC record that merely breaks a rule of the WARC standard is a warning here: the package is
still intact, and that is what the WACZ verdict is about.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast

from .signature import SignatureReport, verify_signed_data
from .warc import check_warc

CHUNK = 1024 * 1024
JSON_LIMIT = 64 * 1024 * 1024
MAX_PAGES = 10_000
KNOWN_VERSIONS = ("1.0.0", "1.1.0", "1.1.1")
INDEX_NAMES = (
    "indexes/index.cdx.gz",
    "indexes/index.cdx",
    "indexes/index.cdxj",
    "indexes/index.idx",
)


@dataclass
class WaczReport:
    name: str
    valid: bool = True
    version: str = ""
    created: str = ""
    software: str = ""
    title: str = ""
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)
    pages: list[dict[str, Any]] = field(default_factory=list)
    pages_total: int = 0
    warcs: list[dict[str, Any]] = field(default_factory=list)
    signature: SignatureReport = field(default_factory=SignatureReport)

    def error(self, message: str) -> None:
        self.valid = False
        self.errors.append(message)

    def summary(self) -> str:
        if not self.valid:
            more = f" (and {len(self.errors) - 1} more)" if len(self.errors) > 1 else ""
            return f"invalid: {self.errors[0]}{more}"
        signed = ""
        if self.signature.present:
            signed = f"; signature valid ({self.signature.kind}: {self.signature.identity})"
        return f"valid WACZ {self.version or '(no version)'}, {len(self.files)} file(s){signed}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": "wacz",
            "name": self.name,
            "valid": self.valid,
            "summary": self.summary(),
            "version": self.version,
            "created": self.created,
            "software": self.software,
            "title": self.title,
            "errors": self.errors,
            "warnings": self.warnings,
            "files": self.files,
            "pages": self.pages,
            "pages_total": self.pages_total,
            "warcs": self.warcs,
            "signature": self.signature.to_dict(),
        }


def _hash_member(archive: zipfile.ZipFile, name: str, algorithm: str) -> tuple[int, str]:
    hasher = hashlib.new(algorithm)
    size = 0
    with archive.open(name) as stream:
        while chunk := stream.read(CHUNK):
            hasher.update(chunk)
            size += len(chunk)
    return size, hasher.hexdigest()


def _load_json(archive: zipfile.ZipFile, name: str, report: WaczReport) -> Any:
    info = archive.getinfo(name)
    if info.file_size > JSON_LIMIT:
        report.error(f"{name} is larger than {JSON_LIMIT} bytes")
        return None
    try:
        with archive.open(name) as stream:
            return json.loads(stream.read())
    except (ValueError, UnicodeDecodeError) as exc:
        report.error(f"{name} is not valid JSON: {exc}")
        return None


def _resource_hash(resource: dict[str, Any]) -> tuple[str, str, int | None]:
    """(algorithm, hex digest, size) in either the 1.1 or the 1.0 datapackage layout."""
    if "hash" in resource:
        algorithm, _, digest = str(resource["hash"]).partition(":")
        return algorithm.lower(), digest.lower(), resource.get("bytes")
    stats = resource.get("stats") or {}
    return (
        str(resource.get("hashing", "")).lower(),
        str(stats.get("hash", "")).lower(),
        stats.get("bytes"),
    )


def _check_names(archive: zipfile.ZipFile, report: WaczReport) -> set[str]:
    names: set[str] = set()
    for info in archive.infolist():
        name = info.filename
        if info.is_dir():
            continue
        if name in names:
            report.error(f"the zip holds two files named {name}")
        if name.startswith("/") or ".." in name.split("/") or "\\" in name:
            report.error(f"unsafe file name in the zip: {name!r}")
        if info.flag_bits & 0x1:
            report.error(f"{name} is encrypted")
        names.add(name)
    return names


def _check_resources(
    archive: zipfile.ZipFile, names: set[str], package: dict[str, Any], report: WaczReport
) -> None:
    resources = package.get("resources")
    if not isinstance(resources, list) or not resources:
        report.error("datapackage.json lists no resources")
        return
    listed: set[str] = set()
    for resource in resources:
        if not isinstance(resource, dict) or not resource.get("path"):
            report.error("datapackage.json has a resource without a path")
            continue
        path = str(resource["path"])
        listed.add(path)
        algorithm, expected, size = _resource_hash(resource)
        entry: dict[str, Any] = {"path": path, "hash": f"{algorithm}:{expected}", "bytes": size}
        report.files.append(entry)
        if path not in names:
            report.error(f"{path} is listed in datapackage.json but is not in the archive")
            entry["ok"] = False
            continue
        if algorithm not in hashlib.algorithms_available:
            report.error(f"{path}: unknown hash algorithm {algorithm!r} in datapackage.json")
            entry["ok"] = False
            continue
        actual_size, actual = _hash_member(archive, path, algorithm)
        entry["ok"] = actual == expected and (size is None or actual_size == size)
        if size is not None and actual_size != size:
            report.error(f"{path} is {actual_size} bytes but datapackage.json says {size}")
        if actual != expected:
            report.error(
                f"{path} has {algorithm} {actual} but datapackage.json says {expected or '(none)'}"
            )
    for name in sorted(names - listed - {"datapackage.json", "datapackage-digest.json"}):
        report.error(f"{name} is in the archive but not listed in datapackage.json")


def _check_digest(
    archive: zipfile.ZipFile, names: set[str], package: dict[str, Any], report: WaczReport
) -> None:
    if "datapackage-digest.json" not in names:
        report.warnings.append("no datapackage-digest.json: the package is not signed")
        return
    digest = _load_json(archive, "datapackage-digest.json", report)
    if not isinstance(digest, dict):
        report.error("datapackage-digest.json is not a JSON object")
        return
    declared = str(digest.get("hash", ""))
    algorithm, _, value = declared.partition(":")
    if algorithm.lower() not in hashlib.algorithms_available:
        report.error(f"datapackage-digest.json names an unknown hash: {declared!r}")
        return
    _, actual = _hash_member(archive, "datapackage.json", algorithm.lower())
    if actual != value.lower():
        report.error(
            f"datapackage.json has {algorithm} {actual} but datapackage-digest.json says {value}"
        )
        return
    signed = digest.get("signedData")
    if isinstance(signed, dict):
        report.signature = verify_signed_data(signed, declared, package.get("created"))
        if not report.signature.valid:
            report.error(f"signature invalid: {report.signature.reason}")


def _check_pages(archive: zipfile.ZipFile, names: set[str], report: WaczReport) -> None:
    page_files = [n for n in sorted(names) if n.startswith("pages/") and n.endswith(".jsonl")]
    if "pages/pages.jsonl" not in names:
        report.error("pages/pages.jsonl is missing")
    for name in page_files:
        with archive.open(name) as raw:
            for number, line in enumerate(io.TextIOWrapper(raw, "utf-8", errors="replace"), 1):
                if not line.strip():
                    continue
                try:
                    entry = json.loads(line)
                except ValueError:
                    report.error(f"{name} line {number} is not JSON")
                    continue
                if number == 1 and "format" in entry:
                    if entry.get("format") != "json-pages-1.0":
                        report.warnings.append(f"{name}: unknown format {entry.get('format')!r}")
                    continue
                if not isinstance(entry, dict) or not entry.get("url"):
                    report.error(f"{name} line {number} has no url")
                    continue
                report.pages_total += 1
                if len(report.pages) < MAX_PAGES:
                    report.pages.append(
                        {
                            "url": str(entry.get("url")),
                            "title": str(entry.get("title") or ""),
                            "ts": str(entry.get("ts") or ""),
                            "list": name,
                        }
                    )


def _iter_cdx_lines(stream: IO[bytes], gzipped: bool) -> Any:
    source: IO[bytes] = stream
    if gzipped:
        source = cast(IO[bytes], gzip.GzipFile(fileobj=stream))
    yield from io.TextIOWrapper(source, "utf-8", errors="replace")


def _check_indexes(archive: zipfile.ZipFile, names: set[str], report: WaczReport) -> None:
    present = [name for name in INDEX_NAMES if name in names]
    present += [n for n in sorted(names) if n.startswith("indexes/") and n not in present]
    if not present:
        report.error("no index in indexes/ (index.cdx.gz, index.cdx or index.idx)")
        return
    sizes = {info.filename: info.file_size for info in archive.infolist()}
    for name in present:
        if name.endswith(".idx"):
            continue  # the secondary index of a compressed CDX; its CDX is checked below
        checked = 0
        try:
            with archive.open(name) as stream:
                for number, line in enumerate(_iter_cdx_lines(stream, name.endswith(".gz")), 1):
                    if not line.strip() or line.startswith("!"):
                        continue
                    problem = _cdx_problem(line, sizes)
                    if problem:
                        report.error(f"{name} line {number}: {problem}")
                        break
                    checked += 1
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            report.error(f"{name} cannot be read: {exc}")


def _cdx_problem(line: str, sizes: dict[str, int]) -> str:
    parts = line.split(" ", 2)
    if len(parts) < 3:
        return "not a CDXJ line"
    try:
        entry = json.loads(parts[2])
    except ValueError:
        return "the JSON part cannot be read"
    filename = entry.get("filename")
    if not filename:
        return ""
    path = f"archive/{filename}"
    if path not in sizes:
        return f"points at {path}, which is not in the archive"
    try:
        offset, length = int(entry.get("offset", 0)), int(entry.get("length", 0))
    except (TypeError, ValueError):
        return "offset or length is not a number"
    if offset + length > sizes[path]:
        return f"points past the end of {path}"
    return ""


def _check_warcs(archive: zipfile.ZipFile, names: set[str], report: WaczReport) -> None:
    warcs = [n for n in sorted(names) if n.startswith("archive/")]
    if not any(n.endswith((".warc", ".warc.gz")) for n in warcs):
        report.error("no WARC file in archive/")
    for name in warcs:
        info = archive.getinfo(name)
        if info.compress_type != zipfile.ZIP_STORED:
            report.warnings.append(f"{name} is compressed in the zip; WACZ asks for 'stored'")
        with archive.open(name) as stream:
            warc = check_warc(stream, name=name)
        summary = warc.to_dict(limit=50)
        report.warcs.append(summary)
        if warc.fatal:
            report.error(f"{name} {warc.summary()}")
        elif warc.digests_failed:
            report.error(f"{name}: {warc.digests_failed} record(s) fail their digest")
        elif not warc.valid:
            report.warnings.append(f"{name}: {warc.summary()}")


def check_wacz(path: Path) -> WaczReport:
    """Check a WACZ file; never raises for a bad file's content (the report says what is wrong)."""
    report = WaczReport(name=path.name)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        report.error(f"not a readable zip archive: {exc}")
        return report
    try:
        with archive:
            _check_archive(archive, report)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        report.error(f"the zip archive is damaged: {exc}")
    return report


def _check_archive(archive: zipfile.ZipFile, report: WaczReport) -> None:
    names = _check_names(archive, report)
    if "datapackage.json" not in names:
        report.error("datapackage.json is missing")
        return
    package = _load_json(archive, "datapackage.json", report)
    if not isinstance(package, dict):
        report.error("datapackage.json is not a JSON object")
        return
    report.version = str(package.get("wacz_version", ""))
    report.created = str(package.get("created", ""))
    report.software = str(package.get("software", ""))
    metadata = package.get("metadata") if isinstance(package.get("metadata"), dict) else {}
    report.title = str(package.get("title") or (metadata or {}).get("title") or "")
    if not report.version:
        report.error("datapackage.json has no wacz_version")
    elif report.version not in KNOWN_VERSIONS:
        report.warnings.append(f"WACZ version {report.version} is newer than this checker knows")
    if package.get("profile") != "data-package":
        report.warnings.append(f"datapackage.json profile is {package.get('profile')!r}")
    _check_resources(archive, names, package, report)
    _check_digest(archive, names, package, report)
    _check_pages(archive, names, report)
    _check_indexes(archive, names, report)
    _check_warcs(archive, names, report)
