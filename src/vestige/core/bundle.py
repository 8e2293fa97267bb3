"""Checking an export bundle without Vestige's database: only the zip and standard crypto.

A bundle holds ``originals/…``, ``custody.jsonl``, ``manifest.json``, ``SHA256SUMS``,
``public-key.pem`` and ``manifest.json.sig`` (a raw Ed25519 signature over the manifest's bytes).
The same checks can be made by hand with ``sha256sum -c`` and ``openssl pkeyutl -verify``.

A bundle made for a recipient may withhold items (a protected person did not consent to that
recipient). Their custody events are then exported as *withheld* records: the sequence number,
the hashes that link the chain and the signature, but not the contents (which name files and
people). The chain still checks — each withheld record's signature covers its hash, and the
next event links to it — only its contents cannot be recomputed, since they are not there.
"""

from __future__ import annotations

import base64
import hashlib
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from .custody import EventRecord, check_chain
from .signing import load_public_key_pem, public_key_fingerprint, verify_signature

MANIFEST = "manifest.json"
SIGNATURE = "manifest.json.sig"
SUMS = "SHA256SUMS"
PUBLIC_KEY = "public-key.pem"
CUSTODY = "custody.jsonl"
REQUIRED = (MANIFEST, SIGNATURE, SUMS, PUBLIC_KEY, CUSTODY)


WITHHELD_FIELDS = ("case", "seq", "item_id", "prev_hash", "event_hash", "signature", "key_id")


def withheld_event(record: EventRecord, reason: str) -> dict[str, Any]:
    """The line exported for an event whose contents are withheld: links and signature only."""
    fields = record.as_dict()
    return {**{name: fields[name] for name in WITHHELD_FIELDS}, "withheld": reason}


@dataclass(frozen=True)
class WithheldEventRecord(EventRecord):
    """A withheld event read back from a bundle: its hash is taken as exported, not recomputed.

    Its signature and its place in the chain are still checked, so it cannot be inserted,
    removed, reordered or have its hash changed, and it cannot be "filled in" with contents that
    do not hash to the signed value. Which events are withheld is listed in the signed manifest,
    so stripping the contents of another event after export is found too.
    """

    def compute_hash(self) -> str:
        return self.event_hash


def read_event(data: dict[str, Any]) -> EventRecord:
    """One line of a bundle's custody log: a full event or a withheld one."""
    if data.get("withheld"):
        return WithheldEventRecord(
            case=str(data["case"]),
            seq=int(data["seq"]),
            action="withheld",
            timestamp="",
            actor="",
            item_id=data.get("item_id"),
            item_sha256=None,
            details={"withheld": data["withheld"]},
            prev_hash=str(data["prev_hash"]),
            event_hash=str(data["event_hash"]),
            signature=str(data["signature"]),
            key_id=str(data.get("key_id", "")),
        )
    return EventRecord(**data)


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


class FolderBundle:
    """A bundle unpacked in a folder (a dossier's output), read like the zip it could be.

    Symbolic links are refused: a link could make a listed name point outside the bundle.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.links: list[str] = []
        self._names: list[str] = []
        for path in sorted(root.rglob("*")):
            name = path.relative_to(root).as_posix()
            if path.is_symlink():
                self.links.append(name)
            elif path.is_file():
                self._names.append(name)

    def namelist(self) -> list[str]:
        return list(self._names)

    def read(self, name: str) -> bytes:
        return (self.root / name).read_bytes()

    def open(self, name: str) -> IO[bytes]:
        return (self.root / name).open("rb")

    def __enter__(self) -> FolderBundle:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def _sha256_member(archive: zipfile.ZipFile | FolderBundle, name: str) -> str:
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
    """Check every hash, the manifest's signature and the custody chain of a bundle.

    ``path`` is a bundle zip, or a folder holding the same files (a dossier's output).
    """
    report = BundleReport(str(path))
    archive: zipfile.ZipFile | FolderBundle
    if Path(path).is_dir():
        archive = FolderBundle(Path(path))
        if archive.links:
            report.problems.append(
                f"symbolic links in the bundle folder: {', '.join(archive.links[:5])}"
            )
            return report
    else:
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
                events.append(read_event(data))
            except (json.JSONDecodeError, TypeError, KeyError, ValueError) as exc:
                report.problems.append(f"{CUSTODY} line {number}: unreadable ({exc})")
        report.events = len(events)
        head = manifest.get("custody", {})
        stubbed = sorted(e.seq for e in events if isinstance(e, WithheldEventRecord))
        if stubbed != sorted(head.get("withheld_events", [])):
            report.problems.append(
                f"{CUSTODY}: withheld events {stubbed[:10]} do not match the manifest's list "
                f"{sorted(head.get('withheld_events', []))[:10]}"
            )
        expected = (head.get("head_seq", 0), head.get("head_hash", "0" * 64))
        chain = check_chain(events, public, expected_head=expected)
        report.problems.extend(f"{CUSTODY}: {problem}" for problem in chain.problems)
    return report
