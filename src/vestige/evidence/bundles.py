"""Export bundles: a zip that anyone can check with ``sha256sum -c`` and ``openssl``.

The originals are streamed into a temporary zip first. Then, in one transaction, an
``exported`` custody event is recorded for every item, and the custody log, manifest, checksums,
public key and signature are appended; only then is the zip renamed into place. A failed export
leaves no bundle and no export events behind.

Consent: an item linked to a protected person (testimony, supporting document, or anything
extracted from one) goes into a bundle only when it is made for a named recipient and every
person linked to it consented to that recipient using it as evidence, consent not withdrawn. Any
other such item is withheld: not in the zip, listed in the manifest by id only with the reason
"consent", and its custody events exported without their contents (see :mod:`vestige.core.bundle`).
Nothing from the protection registry itself (identities, pseudonyms) is ever exported.
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
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from .. import __version__
from ..cases.models import Case
from ..core.blobstore import LocalBlobStore
from ..core.bundle import CUSTODY, MANIFEST, PUBLIC_KEY, SIGNATURE, SUMS, withheld_event
from ..core.custody import canonical_json
from ..core.errors import UserError
from ..core.signing import SigningKey
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


CONSENT_USE = "evidence"


def consent_screen(
    case: Case, items: list[Item], recipient: str | None
) -> tuple[set[Any], set[Any]]:
    """(ids withheld for lack of consent, ids of protected items included with consent).

    An item is protected when it or an item it was extracted from is linked to a protected
    person; it is included only if every such person consents to ``recipient`` using it as
    evidence today. With no recipient, every protected item is withheld.
    """
    from ..protection.models import PersonItem, ProtectedPerson
    from ..protection.services import consent_allows

    linked: dict[Any, set[Any]] = {}
    for item_id, person_id in PersonItem.objects.filter(person__case=case).values_list(
        "item_id", "person_id"
    ):
        linked.setdefault(item_id, set()).add(person_id)
    if not linked:
        return set(), set()
    parents = {item.pk: item.parent_id for item in items}
    allowed: dict[Any, bool] = {}

    def people_of(item_id: Any) -> set[Any]:
        found: set[Any] = set()
        seen: set[Any] = set()
        current = item_id
        while current is not None and current not in seen:
            seen.add(current)
            found |= linked.get(current, set())
            current = parents.get(current)
        return found

    def consents(person_id: Any) -> bool:
        if person_id not in allowed:
            person = ProtectedPerson.objects.get(pk=person_id)
            allowed[person_id] = recipient is not None and consent_allows(
                person, recipient, CONSENT_USE
            )
        return allowed[person_id]

    withheld: set[Any] = set()
    included: set[Any] = set()
    for item in items:
        people = people_of(item.pk)
        if not people:
            continue
        if all(consents(person_id) for person_id in sorted(people, key=str)):
            included.add(item.pk)
        else:
            withheld.add(item.pk)
    return withheld, included


def _check_recipient(recipient: str | None) -> None:
    from ..protection.models import Recipient

    if recipient is not None and recipient not in Recipient.values:
        raise UserError(
            f"unknown recipient {recipient!r}; known: {', '.join(Recipient.values)}"
        )


def export_case(
    case: Case, out: Path, actor: str, user: Any = None, recipient: str | None = None
) -> dict[str, Any]:
    """Write the bundle for ``case`` to ``out`` and return its manifest.

    ``recipient`` (``icc``, ``un_mechanism``, …) is who the bundle is for; items linked to
    protected people go in only with their consent for that recipient (none without one).
    """
    out = Path(out)
    if out.exists() and out.is_dir():
        raise UserError(f"{out} is a folder; give a file name ending in .zip")
    if not out.parent.exists():
        raise UserError(f"folder {out.parent} does not exist")
    _check_recipient(recipient)
    store = LocalBlobStore(settings.BLOB_ROOT, fsync=False)
    every_item = list(Item.objects.filter(case=case).order_by("captured_at", "id"))
    withheld_ids, consented_ids = consent_screen(case, every_item, recipient)
    items = [item for item in every_item if item.pk not in withheld_ids]
    withheld_items = [
        {"id": str(item.pk), "reason": "consent"}
        for item in every_item
        if item.pk in withheld_ids
    ]
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
                        **(
                            {"consent": {"recipient": recipient, "use": CONSENT_USE}}
                            if item.pk in consented_ids
                            else {}
                        ),
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
                    details=_event_details(bundle_id, out, recipient),
                )
            if not items:
                record_event(
                    case,
                    "exported",
                    actor=actor,
                    user=user,
                    details={**_event_details(bundle_id, out, recipient), "items": 0},
                )
            if withheld_ids or consented_ids:
                _audit_export(case, user, actor, bundle_id, recipient, len(consented_ids),
                              len(withheld_ids))
            key = instance_key()
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
                "recipient": recipient,
                "items": entries,
                "withheld": withheld_items,
            }
            with zipfile.ZipFile(tmp, "a", compression=zipfile.ZIP_DEFLATED) as zf:
                seal_bundle(
                    zf.writestr,
                    case,
                    manifest,
                    sums,
                    key,
                    lambda item_id: "consent" if _item_key(item_id, withheld_ids) else None,
                )
            with open(tmp, "rb+") as handle:
                os.fsync(handle.fileno())
            os.replace(tmp, out)
        return manifest
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def custody_log(
    case: Case, hide: Callable[[str], str | None]
) -> tuple[bytes, list[int], CustodyEvent | None, int]:
    """The case's whole custody log as JSON lines, and (withheld seqs, last event, count).

    ``hide(item_id)`` gives a reason to withhold an item's events (contents left out, links and
    signature kept, see :func:`vestige.core.bundle.withheld_event`) or None to export them whole.
    """
    events = CustodyEvent.objects.filter(case=case).select_related("case").order_by("seq")
    withheld_seqs: list[int] = []
    lines = []
    last: CustodyEvent | None = None
    count = 0
    for event in events.iterator():
        record = event.record()
        reason = hide(record.item_id) if record.item_id is not None else None
        if reason:
            withheld_seqs.append(record.seq)
            lines.append(canonical_json(withheld_event(record, reason)))
        else:
            lines.append(canonical_json(record.as_dict()))
        last, count = event, count + 1
    return b"".join(line + b"\n" for line in lines), withheld_seqs, last, count


def seal_bundle(
    write: Callable[[str, bytes], Any],
    case: Case,
    manifest: dict[str, Any],
    sums: list[tuple[str, str]],
    key: SigningKey,
    hide: Callable[[str], str | None],
) -> bytes:
    """Write the custody log, public key, manifest, signature and SHA256SUMS of a bundle.

    Shared by case exports (a zip) and dossiers (a folder): ``write(name, data)`` stores one
    file, ``sums`` lists (sha256, name) of everything already written. The manifest gains its
    ``custody`` and ``files`` entries here; the signature covers the manifest's exact bytes.
    Returns those bytes.
    """
    log, withheld_seqs, last, count = custody_log(case, hide)
    write(CUSTODY, log)
    log_hash = hashlib.sha256(log).hexdigest()
    public_pem = key.public_pem().encode("ascii")
    write(PUBLIC_KEY, public_pem)
    manifest["custody"] = {
        "events": count,
        "head_seq": last.seq if last else 0,
        "head_hash": last.event_hash if last else "0" * 64,
        "withheld_events": withheld_seqs,
    }
    manifest["files"] = {
        CUSTODY: log_hash,
        PUBLIC_KEY: hashlib.sha256(public_pem).hexdigest(),
    }
    manifest_bytes = json.dumps(manifest, indent=2, ensure_ascii=False).encode()
    write(MANIFEST, manifest_bytes)
    write(SIGNATURE, base64.b64decode(key.sign(manifest_bytes)))
    sums += [
        (log_hash, CUSTODY),
        (hashlib.sha256(public_pem).hexdigest(), PUBLIC_KEY),
        (hashlib.sha256(manifest_bytes).hexdigest(), MANIFEST),
    ]
    write(SUMS, "".join(f"{d}  {n}\n" for d, n in sums).encode("utf-8"))
    return manifest_bytes


def _item_key(item_id: str, ids: set[Any]) -> bool:
    """Whether a custody record's item id (text) names one of ``ids`` (UUIDs)."""
    try:
        return uuid.UUID(str(item_id)) in ids
    except ValueError:
        return False


def _event_details(bundle_id: str, out: Path, recipient: str | None) -> dict[str, Any]:
    details: dict[str, Any] = {"bundle_id": bundle_id, "file": out.name}
    if recipient is not None:
        details["recipient"] = recipient
    return details


def _audit_export(
    case: Case,
    user: Any,
    actor: str,
    bundle_id: str,
    recipient: str | None,
    included: int,
    withheld: int,
) -> None:
    """The protection audit's record of an export that touched protected items: counts only."""
    from ..protection.models import AuditAction
    from ..protection.services import audit

    audit(
        case,
        AuditAction.EXPORT,
        user=user,
        label=actor,
        details={
            "bundle_id": bundle_id,
            "recipient": recipient,
            "protected_items_included": included,
            "protected_items_withheld": withheld,
        },
    )
