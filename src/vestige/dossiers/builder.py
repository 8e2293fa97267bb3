"""Build a dossier into a folder: PDF, DOCX, numbered exhibits, custody reports, signed manifest.

The folder is a bundle in the same format as ``vestige export`` (see
:mod:`vestige.core.bundle`): ``SHA256SUMS`` (``sha256sum -c``), ``manifest.json`` signed with
the instance key (``manifest.json.sig``, ``public-key.pem``: ``openssl pkeyutl -verify``) and the
case's custody log, with the events of items outside the dossier reduced to their links. It is
written in a hidden sibling folder and renamed into place only when complete; the ``exported``
custody events of its exhibits are recorded in the same transaction, so a failed dossier leaves
neither files nor events.

Protection: an item linked to a protected person goes in only if every such person consents to
the recipient using it as evidence (as for exports); the rest are withheld and listed by id.
A protected person is named only when their consent covers the recipient's use for a dossier
and whoever generates it may reveal identities; everywhere else their pseudonym replaces every
form of their name in the text.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .. import __version__
from ..cases.graph import Actor
from ..cases.models import Case
from ..core.blobstore import LocalBlobStore
from ..core.errors import IntegrityError, UserError
from ..evidence.bundles import consent_screen, safe_file_name, seal_bundle
from ..evidence.custody import record_event, utc_timestamp
from ..evidence.keys import instance_key
from ..evidence.models import CustodyEvent, Item
from .content import Exhibit, Facts, Person, compose, relevant_claims
from .document import Document, write_docx, write_pdf
from .kinds import Kind, kind_named

PDF, DOCX = "dossier.pdf", "dossier.docx"
DOSSIER_USE = "dossier"
CUSTODY_COLUMNS = ["seq", "timestamp", "action", "actor", "item_sha256", "details", "event_hash"]


@dataclass
class DossierResult:
    out: Path
    dossier_id: str
    kind: str
    recipient: str
    exhibits: list[dict[str, str]]
    withheld: list[dict[str, str]]
    outputs: dict[str, str] = field(default_factory=dict)


def build_dossier(
    case: Case,
    actor: Actor,
    kind_name: str,
    out: Path,
    *,
    label: str,
    user: Any = None,
    recipient: str | None = None,
    submitter: str | None = None,
    contact: str | None = None,
    impact: str = "",
    may_name: bool = True,
) -> DossierResult:
    """Write the dossier of ``kind_name`` on ``actor`` into the new folder ``out``.

    ``recipient`` defaults to the kind's (see :mod:`.kinds`); ``may_name`` is False when the
    person generating it may not reveal identities, so nobody is named even with consent.
    """
    kind = kind_named(kind_name)
    recipient = recipient or kind.recipient
    _check_recipient(recipient)
    if actor.case_id != case.pk:
        raise UserError(f"actor {actor.pk} is not in case {case.slug}")
    out = Path(out)
    _check_out(out)
    dossier_id = str(uuid.uuid4())
    facts = _gather(case, actor, kind, recipient, dossier_id, may_name)
    facts.submitter = submitter if submitter is not None else settings.DOSSIER_SUBMITTER
    facts.contact = contact if contact is not None else settings.DOSSIER_CONTACT
    facts.impact = impact
    document = compose(facts)
    _pseudonymise(document, case, recipient, may_name)
    work = Path(tempfile.mkdtemp(prefix=".dossier-", dir=out.parent))
    try:
        result = _write(work, out, case, facts, document, label, user)
        with contextlib.suppress(FileNotFoundError):
            out.rmdir()  # it may exist, empty
        os.replace(work, out)
        result.out = out
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _check_recipient(recipient: str) -> None:
    from ..protection.models import Recipient

    if recipient not in Recipient.values:
        raise UserError(f"unknown recipient {recipient!r}; known: {', '.join(Recipient.values)}")


def _check_out(out: Path) -> None:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UserError(f"{out} already exists and is not an empty folder; give a new folder")
    if not out.parent.is_dir():
        raise UserError(f"folder {out.parent} does not exist")


def _gather(
    case: Case, actor: Actor, kind: Kind, recipient: str, dossier_id: str, may_name: bool
) -> Facts:
    incidents, roles, claims = relevant_claims(case, actor)
    item_ids = {c.item_id for c in claims}
    items = list(Item.objects.filter(case=case, pk__in=item_ids).order_by("captured_at", "id"))
    withheld_ids, _ = consent_screen(case, items, recipient)
    included = [i for i in items if i.pk not in withheld_ids]
    exhibits = [Exhibit(f"E-{n:03d}", item) for n, item in enumerate(included, 1)]
    facts = Facts(
        case=case,
        actor=actor,
        kind=kind,
        recipient=recipient,
        submitter="",
        contact="",
        impact="",
        incidents=incidents,
        roles=roles,
        claims=claims,
        exhibits=exhibits,
        withheld=[i for i in items if i.pk in withheld_ids],
        people=_people(case, items, exhibits, withheld_ids, recipient, may_name),
        generated=timezone.localdate(),
        dossier_id=dossier_id,
    )
    facts.screening = _screening(actor)
    facts.rejected_checks = _rejected_checks(case, items, claims, facts.number_of)
    return facts


def _people(
    case: Case,
    items: list[Item],
    exhibits: list[Exhibit],
    withheld_ids: set[Any],
    recipient: str,
    may_name: bool,
) -> list[Person]:
    from ..protection.models import PersonItem
    from ..protection.services import consent_allows, open_identity

    numbers = {e.item.pk: e.number for e in exhibits}
    found: dict[Any, Person] = {}
    links = PersonItem.objects.filter(
        person__case=case, item_id__in=[i.pk for i in items]
    ).select_related("person")
    for link in links.order_by("person__pseudonym", "item__captured_at"):
        person = link.person
        if person.pk not in found:
            named = ""
            if may_name and consent_allows(person, recipient, DOSSIER_USE):
                named = _full_name(open_identity(person)) or ""
            found[person.pk] = Person(person.pseudonym, list(person.roles), named)
        entry = found[person.pk]
        if link.item_id in withheld_ids:
            entry.withheld += 1
        elif link.item_id in numbers:
            entry.exhibits.append(numbers[link.item_id])
    return list(found.values())


def _full_name(identity: dict[str, Any]) -> str:
    return " ".join(
        str(identity.get(k) or "").strip() for k in ("given_name", "patronymic", "family_name")
    ).strip()


def _name_forms(identity: dict[str, Any]) -> list[str]:
    """Every way the text may write the person's name: longest first, so none is half-replaced."""
    given = str(identity.get("given_name") or "").strip()
    family = str(identity.get("family_name") or "").strip()
    patronymic = str(identity.get("patronymic") or "").strip()
    forms = {
        _full_name(identity),
        f"{given} {family}".strip() if given and family else "",
        f"{family} {given}".strip() if given and family else "",
        f"{family}, {given}" if given and family else "",
        f"{family} {given} {patronymic}".strip() if patronymic and given and family else "",
    }
    for other in identity.get("other_names") or []:
        forms.add(str(other).strip())
    return sorted((f for f in forms if len(f) >= 3), key=len, reverse=True)


def _pseudonymise(document: Document, case: Case, recipient: str, may_name: bool) -> None:
    """Replace the names of protected people who did not consent by their pseudonyms.

    Every protected person of the case is considered, not only those linked to exhibits: a
    claim drawn from an ordinary document can still name a witness.
    """
    from ..protection.models import ProtectedPerson
    from ..protection.services import consent_allows, open_identity

    patterns: list[tuple[re.Pattern[str], str]] = []
    for person in ProtectedPerson.objects.filter(case=case).order_by("pseudonym"):
        if may_name and consent_allows(person, recipient, DOSSIER_USE):
            continue
        forms = _name_forms(open_identity(person))
        if forms:
            alternation = "|".join(re.escape(f) for f in forms)
            patterns.append(
                (re.compile(rf"(?<!\w)(?:{alternation})(?!\w)", re.I), person.pseudonym)
            )
    if not patterns:
        return

    def change(text: str) -> str:
        for pattern, pseudonym in patterns:
            text = pattern.sub(pseudonym, text)
        return text

    document.rewrite(change)


def _screening(actor: Actor) -> list[dict[str, str]]:
    try:
        from ..sanctions.models import ScreeningJudgement
    except ImportError:  # pragma: no cover - sanctions app absent
        return []
    return [
        {
            "source": j.source,
            "entity": j.entity_ref,
            "name": j.entity.primary_name,
            "decision": j.get_decision_display(),
            "by": f"{j.decided_by_label}, {j.decided_at.date().isoformat()}",
            "note": j.note,
        }
        for j in ScreeningJudgement.objects.filter(actor=actor).select_related("entity")
    ]


def _rejected_checks(
    case: Case, items: list[Item], claims: list[Any], numbers: dict[Any, str]
) -> list[dict[str, str]]:
    try:
        from ..verification.models import RecordStatus, VerificationRecord
    except ImportError:  # pragma: no cover - verification app absent
        return []
    records = VerificationRecord.objects.filter(case=case, status=RecordStatus.REJECTED).filter(
        models_q(items, claims)
    )
    found = []
    for record in records.order_by("pk"):
        about = (
            numbers.get(record.item_id, "withheld item")
            if record.item_id
            else f"claim {record.claim_id}"
        )
        found.append(
            {
                "check": f"{record.get_kind_display()} #{record.pk}",
                "about": about,
                "by": record.reviewed_by_label,
                "note": record.review_note,
            }
        )
    return found


def models_q(items: list[Item], claims: list[Any]) -> Any:
    from django.db.models import Q

    return Q(item_id__in=[i.pk for i in items]) | Q(claim_id__in=[c.pk for c in claims])


# --- writing ---------------------------------------------------------------------------------


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _copy_original(store: LocalBlobStore, item: Item, path: Path) -> str:
    """Stream the original from the blob store; refuse it if its bytes no longer match."""
    digest = hashlib.sha256()
    with path.open("wb") as handle:
        for chunk in store.open_verified(item.sha256):
            digest.update(chunk)
            handle.write(chunk)
        handle.flush()
        os.fsync(handle.fileno())
    found = digest.hexdigest()
    if found != item.sha256:
        raise IntegrityError(f"item {item.pk}: stored bytes hash to {found}, not {item.sha256}")
    return found


def _write(
    work: Path,
    out: Path,
    case: Case,
    facts: Facts,
    document: Document,
    label: str,
    user: Any,
) -> DossierResult:
    from .models import Dossier

    store = LocalBlobStore(settings.BLOB_ROOT, fsync=False)
    sums: list[tuple[str, str]] = []
    write_pdf(document, work / PDF)
    write_docx(document, work / DOCX)
    outputs = {name: _hash_file(work / name) for name in (PDF, DOCX)}
    sums += [(digest, name) for name, digest in outputs.items()]
    entries: list[dict[str, Any]] = []
    for exhibit in facts.exhibits:
        item = exhibit.item
        folder = work / "exhibits" / exhibit.number
        folder.mkdir(parents=True)
        name = safe_file_name(item.source_name or item.title, "original")
        member = f"exhibits/{exhibit.number}/{name}"
        digest = _copy_original(store, item, work / member)
        sums.append((digest, member))
        entries.append(
            {
                "number": exhibit.number,
                "id": str(item.pk),
                "title": item.title,
                "path": member,
                "sha256": digest,
                "size": item.size,
                "media_type": item.media_type,
                "kind": item.kind,
                "source_name": item.source_name,
                "source_url": item.source_url,
                "captured_at": item.captured_at.isoformat(),
                "captured_by": item.captured_by_label,
            }
        )
    exhibit_ids = {e.item.pk for e in facts.exhibits}
    withheld = [{"id": str(i.pk), "reason": "consent"} for i in facts.withheld]
    with transaction.atomic():
        for exhibit in facts.exhibits:
            record_event(
                case,
                "exported",
                item=exhibit.item,
                actor=label,
                user=user,
                details={
                    "dossier_id": facts.dossier_id,
                    "dossier_kind": facts.kind.name,
                    "exhibit": exhibit.number,
                    "recipient": facts.recipient,
                    "folder": out.name,
                },
            )
        if not facts.exhibits:
            record_event(
                case,
                "exported",
                actor=label,
                user=user,
                details={
                    "dossier_id": facts.dossier_id,
                    "dossier_kind": facts.kind.name,
                    "items": 0,
                    "recipient": facts.recipient,
                },
            )
        for exhibit in facts.exhibits:
            sums += _custody_reports(work, case, exhibit)
        index = _exhibit_index_csv(entries)
        (work / "exhibits").mkdir(exist_ok=True)
        (work / "exhibits" / "index.csv").write_bytes(index)
        sums.append((hashlib.sha256(index).hexdigest(), "exhibits/index.csv"))
        _audit(case, user, label, facts)
        key = instance_key()
        manifest: dict[str, Any] = {
            "format": "vestige-bundle/1",
            "bundle_id": facts.dossier_id,
            "dossier": {
                "kind": facts.kind.name,
                "title": facts.kind.title,
                "actor": {"id": facts.actor.pk, "name": facts.actor.name},
                "documents": outputs,
            },
            "case": {"slug": case.slug, "title": case.title},
            "exported_at": utc_timestamp(),
            "exported_by": label,
            "tool": f"vestige {__version__}",
            "hash_algorithm": "SHA-256",
            "signature_algorithm": "Ed25519",
            "key_id": key.key_id,
            "recipient": facts.recipient,
            "items": entries,
            "withheld": withheld,
        }

        def write(name: str, data: bytes) -> None:
            (work / name).write_bytes(data)

        def hide(item_id: str) -> str | None:
            try:
                wanted = uuid.UUID(str(item_id))
            except ValueError:
                return "not_in_dossier"
            if wanted in exhibit_ids:
                return None
            return "consent" if any(i.pk == wanted for i in facts.withheld) else "not_in_dossier"

        manifest_bytes = seal_bundle(write, case, manifest, sums, key, hide)
        Dossier.objects.create(
            id=uuid.UUID(facts.dossier_id),
            case=case,
            actor=facts.actor,
            actor_name=facts.actor.name,
            kind=facts.kind.name,
            recipient=facts.recipient,
            created_by=user if getattr(user, "is_authenticated", False) else None,
            created_by_label=label,
            manifest_sha256=hashlib.sha256(manifest_bytes).hexdigest(),
            outputs=outputs,
            exhibits=[
                {"number": e["number"], "item_id": e["id"], "sha256": e["sha256"]} for e in entries
            ],
            withheld=withheld,
        )
    return DossierResult(
        out,
        facts.dossier_id,
        facts.kind.name,
        facts.recipient,
        [{"number": e["number"], "id": e["id"], "sha256": e["sha256"]} for e in entries],
        withheld,
        outputs,
    )


def _custody_reports(work: Path, case: Case, exhibit: Exhibit) -> list[tuple[str, str]]:
    """The exhibit's own custody events (this dossier's included) as JSON and CSV."""
    records = [
        event.record().as_dict()
        for event in CustodyEvent.objects.filter(case=case, item=exhibit.item)
        .select_related("case")
        .order_by("seq")
    ]
    as_json = json.dumps(
        {
            "exhibit": exhibit.number,
            "item_id": str(exhibit.item.pk),
            "sha256": exhibit.item.sha256,
            "events": records,
        },
        indent=2,
        ensure_ascii=False,
    ).encode()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CUSTODY_COLUMNS)
    for record in records:
        writer.writerow(
            [
                record["seq"],
                record["timestamp"],
                record["action"],
                record["actor"],
                record["item_sha256"] or "",
                json.dumps(record["details"], ensure_ascii=False, sort_keys=True),
                record["event_hash"],
            ]
        )
    as_csv = buffer.getvalue().encode("utf-8")
    found = []
    for name, data in (("custody.json", as_json), ("custody.csv", as_csv)):
        member = f"exhibits/{exhibit.number}/{name}"
        (work / member).write_bytes(data)
        found.append((hashlib.sha256(data).hexdigest(), member))
    return found


def _exhibit_index_csv(entries: list[dict[str, Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    columns = [
        "number",
        "id",
        "title",
        "path",
        "sha256",
        "size",
        "media_type",
        "kind",
        "source_name",
        "source_url",
        "captured_at",
        "captured_by",
    ]
    writer.writerow(columns)
    for entry in entries:
        writer.writerow([entry[c] for c in columns])
    return buffer.getvalue().encode("utf-8")


def _audit(case: Case, user: Any, label: str, facts: Facts) -> None:
    """The protection audit's record of a dossier touching protected people: counts only."""
    if not facts.people:
        return
    from ..protection.models import AuditAction
    from ..protection.services import audit

    audit(
        case,
        AuditAction.EXPORT,
        user=user,
        label=label,
        details={
            "dossier_id": facts.dossier_id,
            "recipient": facts.recipient,
            "people": len(facts.people),
            "named": sum(1 for p in facts.people if p.named),
            "protected_items_withheld": len(facts.withheld),
        },
    )
