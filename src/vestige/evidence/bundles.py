"""Export bundles: a zip that anyone can check with ``sha256sum -c`` and ``openssl``.

The originals are streamed into a temporary zip first. Then, in one transaction, an
``exported`` custody event is recorded for every item, and the custody log, manifest, checksums,
public key and signature are appended; only then is the zip renamed into place. A failed export
leaves no bundle and no export events behind.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import re
import tempfile
import unicodedata
import uuid
import zipfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from .. import __version__
from ..cases.models import Case
from ..core.blobstore import LocalBlobStore
from ..core.bundle import CUSTODY, MANIFEST, PUBLIC_KEY, SIGNATURE, SUMS
from ..core.custody import canonical_json
from ..core.errors import UserError
from .custody import record_event, utc_timestamp
from .keys import instance_key
from .models import CustodyEvent, Item

_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


def safe_file_name(name: str, fallback: str = "file") -> str:
    """A file name that is safe inside a zip and in a shell: no separators or control chars."""
    cleaned = _UNSAFE.sub("_", unicodedata.normalize("NFC", name)).strip(" .")
    cleaned = cleaned.replace("\n", "_")
    return (cleaned or fallback)[:150]


def _write_member(archive: zipfile.ZipFile, name: str, chunks: Any) -> str:
    digest = hashlib.sha256()
    with archive.open(name, "w", force_zip64=True) as out:
        for chunk in chunks:
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


def export_case(case: Case, out: Path, actor: str, user: Any = None) -> dict[str, Any]:
    """Write the bundle for ``case`` to ``out`` and return its manifest."""
    out = Path(out)
    if out.exists() and out.is_dir():
        raise UserError(f"{out} is a folder; give a file name ending in .zip")
    if not out.parent.exists():
        raise UserError(f"folder {out.parent} does not exist")
    store = LocalBlobStore(settings.BLOB_ROOT, fsync=False)
    items = list(Item.objects.filter(case=case).order_by("captured_at", "id"))
    bundle_id = str(uuid.uuid4())
    fd, tmp_name = tempfile.mkstemp(prefix=".export-", suffix=".zip", dir=out.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        sums: list[tuple[str, str]] = []
        entries = []
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
            for item in items:
                member = f"originals/{item.pk}/{safe_file_name(item.source_name or item.title)}"
                digest = _write_member(zf, member, store.open_verified(item.sha256))
                sums.append((digest, member))
                entries.append(
                    {
                        "id": str(item.pk),
                        "title": item.title,
                        "path": member,
                        "sha256": digest,
                        "size": item.size,
                        "media_type": item.media_type,
                        "kind": item.kind,
                        "source_name": item.source_name,
                        "source_url": item.source_url,
                        "claimed_date": item.claimed_date,
                        "captured_at": item.captured_at.isoformat(),
                        "captured_by": item.captured_by_label,
                        "capture_tool": f"{item.capture_tool} {item.capture_tool_version}",
                        "content_created_at": item.content_created_at,
                        "metadata": item.metadata,
                    }
                )
        with transaction.atomic():
            for item in items:
                record_event(
                    case,
                    "exported",
                    item=item,
                    actor=actor,
                    user=user,
                    details={"bundle_id": bundle_id, "file": out.name},
                )
            if not items:
                record_event(
                    case,
                    "exported",
                    actor=actor,
                    user=user,
                    details={"bundle_id": bundle_id, "file": out.name, "items": 0},
                )
            events = CustodyEvent.objects.filter(case=case).select_related("case").order_by("seq")
            key = instance_key()
            with zipfile.ZipFile(tmp, "a", compression=zipfile.ZIP_DEFLATED) as zf:
                log = "".join(
                    canonical_json(e.record().as_dict()).decode("utf-8") + "\n"
                    for e in events.iterator()
                ).encode("utf-8")
                zf.writestr(CUSTODY, log)
                log_hash = hashlib.sha256(log).hexdigest()
                public_pem = key.public_pem().encode("ascii")
                zf.writestr(PUBLIC_KEY, public_pem)
                last = events.last()
                manifest = {
                    "format": "vestige-bundle/1",
                    "bundle_id": bundle_id,
                    "case": {"slug": case.slug, "title": case.title},
                    "exported_at": utc_timestamp(),
                    "exported_by": actor,
                    "tool": f"vestige {__version__}",
                    "hash_algorithm": "SHA-256",
                    "signature_algorithm": "Ed25519",
                    "key_id": key.key_id,
                    "items": entries,
                    "custody": {
                        "events": events.count(),
                        "head_seq": last.seq if last else 0,
                        "head_hash": last.event_hash if last else "0" * 64,
                    },
                    "files": {
                        CUSTODY: log_hash,
                        PUBLIC_KEY: hashlib.sha256(public_pem).hexdigest(),
                    },
                }
                manifest_bytes = json.dumps(manifest, indent=2, ensure_ascii=False).encode()
                zf.writestr(MANIFEST, manifest_bytes)
                zf.writestr(SIGNATURE, base64.b64decode(key.sign(manifest_bytes)))
                sums += [
                    (log_hash, CUSTODY),
                    (hashlib.sha256(public_pem).hexdigest(), PUBLIC_KEY),
                    (hashlib.sha256(manifest_bytes).hexdigest(), MANIFEST),
                ]
                zf.writestr(SUMS, "".join(f"{d}  {n}\n" for d, n in sums))
            with open(tmp, "rb+") as handle:
                os.fsync(handle.fileno())
            os.replace(tmp, out)
        return manifest
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
