"""Checking an export bundle without Vestige's database: only the zip and standard crypto.

A bundle holds ``originals/…``, ``custody.jsonl``, ``manifest.json``, ``SHA256SUMS``,
``public-key.pem`` and ``manifest.json.sig`` (a raw Ed25519 signature over the manifest's bytes).
The same checks can be made by hand with ``sha256sum -c`` and ``openssl pkeyutl -verify``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .custody import EventRecord, check_chain
from .signing import load_public_key_pem, public_key_fingerprint, verify_signature

MANIFEST = "manifest.json"
SIGNATURE = "manifest.json.sig"
SUMS = "SHA256SUMS"
PUBLIC_KEY = "public-key.pem"
CUSTODY = "custody.jsonl"
REQUIRED = (MANIFEST, SIGNATURE, SUMS, PUBLIC_KEY, CUSTODY)


@dataclass
class BundleReport:
    path: str
    key_id: str = ""
    files: int = 0
    events: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def safe_member(name: str) -> bool:
    """Whether a zip member name stays inside the bundle (no absolute paths, no ``..``)."""
    path = PurePosixPath(name)
    return not (path.is_absolute() or ".." in path.parts or "\\" in name or name.startswith("/"))


def _sha256_member(archive: zipfile.ZipFile, name: str) -> str:
    digest = hashlib.sha256()
    with archive.open(name) as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def parse_sums(text: str) -> list[tuple[str, str]]:
    """Lines of ``sha256sum`` output as (hash, path)."""
    entries = []
    for line in text.splitlines():
        if not line.strip():
            continue
        digest, _, name = line.partition("  ")
        entries.append((digest.strip(), name))
    return entries


def verify_bundle(path: Path, trusted_key_pem: bytes | None = None) -> BundleReport:
    """Check every hash, the manifest's signature and the custody chain of a bundle."""
    report = BundleReport(str(path))
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        report.problems.append(f"not a readable zip file: {exc}")
        return report
    with archive:
        names = archive.namelist()
        unsafe = [n for n in names if not safe_member(n)]
        if unsafe:
            report.problems.append(f"unsafe paths in the bundle: {', '.join(unsafe[:5])}")
            return report
        missing = [n for n in REQUIRED if n not in names]
        if missing:
            report.problems.append(f"missing from the bundle: {', '.join(missing)}")
            return report
        key_pem = archive.read(PUBLIC_KEY)
        try:
            public = load_public_key_pem(key_pem)
        except ValueError as exc:
            report.problems.append(f"{PUBLIC_KEY}: {exc}")
            return report
        report.key_id = public_key_fingerprint(public)
        if trusted_key_pem is not None:
            trusted = load_public_key_pem(trusted_key_pem)
            if public_key_fingerprint(trusted) != report.key_id:
                report.problems.append(
                    f"the bundle was signed by key {report.key_id}, not by the trusted key "
                    f"{public_key_fingerprint(trusted)}"
                )
        manifest_bytes = archive.read(MANIFEST)
        signature = base64.b64encode(archive.read(SIGNATURE)).decode("ascii")
        if not verify_signature(public, manifest_bytes, signature):
            report.problems.append(f"{SIGNATURE}: the signature does not match {MANIFEST}")
        sums = parse_sums(archive.read(SUMS).decode("utf-8"))
        listed = {name for _, name in sums}
        for digest, name in sums:
            if name not in names:
                report.problems.append(f"{name}: listed in {SUMS} but not in the bundle")
                continue
            found = _sha256_member(archive, name)
            report.files += 1
            if found != digest:
                report.problems.append(f"{name}: expected SHA-256 {digest}, found {found}")
        for name in names:
            if name.endswith("/") or name in (SUMS, SIGNATURE):
                continue
            if name not in listed:
                report.problems.append(f"{name}: in the bundle but not listed in {SUMS}")
        try:
            manifest = json.loads(manifest_bytes)
        except json.JSONDecodeError as exc:
            report.problems.append(f"{MANIFEST}: not valid JSON ({exc})")
            return report
        sums_by_name = {name: digest for digest, name in sums}
        for entry in manifest.get("items", []):
            name = entry.get("path")
            if sums_by_name.get(name) != entry.get("sha256"):
                report.problems.append(
                    f"item {entry.get('id')}: manifest says {entry.get('sha256')} for {name}, "
                    f"{SUMS} says {sums_by_name.get(name)}"
                )
        files = manifest.get("files", {})
        for name, digest in files.items():
            if sums_by_name.get(name) != digest:
                report.problems.append(f"{name}: manifest and {SUMS} disagree")
        events = []
        for number, line in enumerate(archive.read(CUSTODY).decode("utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                events.append(EventRecord(**data))
            except (json.JSONDecodeError, TypeError) as exc:
                report.problems.append(f"{CUSTODY} line {number}: unreadable ({exc})")
        report.events = len(events)
        head = manifest.get("custody", {})
        expected = (head.get("head_seq", 0), head.get("head_hash", "0" * 64))
        chain = check_chain(events, public, expected_head=expected)
        report.problems.extend(f"{CUSTODY}: {problem}" for problem in chain.problems)
    return report
