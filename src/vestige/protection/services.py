"""What can be done with protected records, with the role checks and the audit built in.

Every function checks the user's role in the case (deny unless allowed) and writes a
:class:`~vestige.protection.models.ProtectionAudit` row. Identity fields go in and out only through
:func:`create_person`, :func:`reveal_identity` and :func:`update_identity`; everything else sees
the pseudonym. Nothing here logs or puts an identity field into an exception message.
"""

from __future__ import annotations

import json
import secrets
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from ..cases.access import require
from ..cases.graph import Place
from ..cases.history import save_with_history
from ..cases.models import Case
from ..cases.roles import Permission
from ..core.edtf import parse_edtf
from ..core.errors import PermissionDenied, UserError
from ..core.sealing import KeyRing, SealingError, record_aad
from ..evidence.custody import actor_label, record_event
from ..evidence.models import Item, Sensitivity
from . import keys
from .matching import variants
from .models import (
    AuditAction,
    ClaimCategory,
    Consent,
    ConsentUse,
    DamageClaim,
    DuplicateSuspicion,
    ItemRelation,
    PersonItem,
    PersonMatchKey,
    PersonRole,
    ProtectedPerson,
    ProtectionAudit,
    Recipient,
    SuspicionStatus,
)

IDENTITY_FIELDS = (
    "given_name",
    "family_name",
    "patronymic",
    "other_names",
    "date_of_birth",
    "gender",
    "nationality",
    "contacts",
    "identity_documents",
    "address_before",
    "address_after",
    "notes",
)
LIST_FIELDS = frozenset({"other_names", "contacts", "identity_documents"})
HOUSEHOLD_FIELDS = ("given_name", "family_name", "patronymic", "date_of_birth", "relation", "notes")
# Letters that cannot be mistaken for one another (no 0/O, 1/I/L, 5/S, 2/Z, 8/B).
PSEUDONYM_ALPHABET = "34679ACDEFGHJKMNPQRTUVWXY"
PSEUDONYM_LENGTH = 5
PERSON_TABLE = "protection_protectedperson"
CLAIM_TABLE = "protection_damageclaim"


# --- audit -------------------------------------------------------------------------------------


def audit(
    case: Case,
    action: str,
    *,
    user: Any = None,
    person: ProtectedPerson | None = None,
    reason: str = "",
    details: dict[str, Any] | None = None,
    label: str | None = None,
) -> ProtectionAudit:
    """Append one audit row (never an identity field in ``reason`` or ``details``)."""
    return ProtectionAudit.objects.create(
        case=case,
        person=person,
        user=user if getattr(user, "is_authenticated", False) else None,
        user_label=label or actor_label(user),
        action=action,
        reason=reason,
        details=details or {},
    )


# --- sealing helpers -----------------------------------------------------------------------------


def _identity_aad(person_id: object) -> bytes:
    return record_aad(PERSON_TABLE, person_id, "identity")


def _household_aad(claim_id: object) -> bytes:
    return record_aad(CLAIM_TABLE, claim_id, "household")


def _seal_json(ring: KeyRing, value: Any, aad: bytes, key_id: str | None = None) -> bytes:
    plain = json.dumps(value, ensure_ascii=False, sort_keys=True).encode("utf-8")
    return ring.seal(plain, aad, key_id=key_id)


def _open_json(ring: KeyRing, token: bytes | memoryview, aad: bytes, what: str) -> Any:
    try:
        return json.loads(ring.open(bytes(token), aad).decode("utf-8"))
    except SealingError as exc:
        raise SealingError(f"{what}: {exc}") from None


def clean_identity(identity: dict[str, Any]) -> dict[str, Any]:
    """The identity with known fields only, lists as lists of strings, and no empty values."""
    unknown = sorted(set(identity) - set(IDENTITY_FIELDS))
    if unknown:
        raise UserError(
            f"unknown identity field(s): {', '.join(unknown)}; known: {', '.join(IDENTITY_FIELDS)}"
        )
    cleaned: dict[str, Any] = {}
    for name in IDENTITY_FIELDS:
        value = identity.get(name)
        if value is None or value == "" or value == []:
            continue
        if name in LIST_FIELDS:
            items = [value] if isinstance(value, str) else list(value)
            items = [str(v).strip() for v in items if str(v).strip()]
            if items:
                cleaned[name] = items
        elif isinstance(value, date):
            cleaned[name] = value.isoformat()
        else:
            text = str(value).strip()
            if text:
                cleaned[name] = text
    if not any(cleaned.get(f) for f in ("given_name", "family_name", "other_names")):
        raise UserError("a protected person needs a given name, a family name or another name")
    return cleaned


def _clean_household(members: Iterable[dict[str, Any]] | None) -> list[dict[str, str]]:
    cleaned: list[dict[str, str]] = []
    for number, member in enumerate(members or [], start=1):
        unknown = sorted(set(member) - set(HOUSEHOLD_FIELDS))
        if unknown:
            raise UserError(
                f"household member {number}: unknown field(s) {', '.join(unknown)}; "
                f"known: {', '.join(HOUSEHOLD_FIELDS)}"
            )
        cleaned.append({k: str(v).strip() for k, v in member.items() if str(v or "").strip()})
    return cleaned


def _edtf_bounds(value: str, what: str) -> tuple[str, date | None, date | None]:
    value = (value or "").strip()
    if not value:
        return "", None, None
    try:
        bounds = parse_edtf(value)
    except UserError as exc:
        raise UserError(f"{what}: {exc}") from None
    return value, bounds.lower, bounds.upper


def _check_roles(roles: Sequence[str]) -> list[str]:
    known = {r.value for r in PersonRole}
    bad = [r for r in roles if r not in known]
    if bad:
        raise UserError(f"unknown role(s) {', '.join(bad)}; known: {', '.join(sorted(known))}")
    if not roles:
        raise UserError(f"a protected person needs a role: {', '.join(sorted(known))}")
    return list(dict.fromkeys(roles))


def _check_place(case: Case, place: Place | None) -> Place | None:
    if place is not None and place.case_id not in (None, case.pk):
        raise UserError("the place belongs to another case")
    return place


def new_pseudonym(case: Case, roles: Sequence[str]) -> str:
    """A random pseudonym, unique in the case: the first role's letter and five characters."""
    prefix = (roles[0][:1] if roles else "P").upper()
    for _ in range(100):
        body = "".join(secrets.choice(PSEUDONYM_ALPHABET) for _ in range(PSEUDONYM_LENGTH))
        pseudonym = f"{prefix}-{body}"
        if not ProtectedPerson.objects.filter(case=case, pseudonym=pseudonym).exists():
            return pseudonym
    raise RuntimeError("could not draw a free pseudonym")  # 25^5 codes: practically unreachable


# --- match keys ----------------------------------------------------------------------------------


def match_keys_for(
    case: Case, identity: dict[str, Any], ring: KeyRing, key_id: str | None = None
) -> dict[str, bool]:
    """HMAC of every normalised variant: {hex key: whether it includes the date of birth}."""
    result: dict[str, bool] = {}
    for variant in variants(identity):
        key = ring.match_key(f"case:{case.pk}|{variant.text}", key_id=key_id)
        result[key] = result.get(key, False) or variant.with_date_of_birth
    return result


def _store_match_keys(person: ProtectedPerson, computed: dict[str, bool]) -> None:
    PersonMatchKey.objects.filter(person=person).delete()
    PersonMatchKey.objects.bulk_create(
        PersonMatchKey(case_id=person.case_id, person=person, key=k, with_date_of_birth=dob)
        for k, dob in sorted(computed.items())
    )


# --- people ----------------------------------------------------------------------------------


def create_person(
    case: Case,
    *,
    user: Any,
    identity: dict[str, Any],
    roles: Sequence[str],
    place_of_origin: Place | None = None,
    displacement_date: str = "",
    audit_action: str = AuditAction.CREATE,
) -> ProtectedPerson:
    """Record a person: the identity sealed, match keys computed, a pseudonym drawn."""
    require(user, case, Permission.PROTECT_EDIT)
    cleaned = clean_identity(identity)
    roles = _check_roles(roles)
    displacement, lower, upper = _edtf_bounds(displacement_date, "displacement date")
    ring = keys.keyring()
    with transaction.atomic():
        person = ProtectedPerson(
            case=case,
            pseudonym=new_pseudonym(case, roles),
            roles=roles,
            key_id=ring.current_id,
            place_of_origin=_check_place(case, place_of_origin),
            displacement_date=displacement,
            displacement_lower=lower,
            displacement_upper=upper,
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        person.sealed_identity = _seal_json(ring, cleaned, _identity_aad(person.pk))
        person.save(force_insert=True)
        _store_match_keys(person, match_keys_for(case, cleaned, ring))
        audit(case, audit_action, user=user, person=person)
    return person


def people(case: Case, user: Any) -> QuerySet[ProtectedPerson]:
    """The case's protected people (pseudonyms only); the listing is audited."""
    require(user, case, Permission.REGISTRY)
    audit(case, AuditAction.LIST, user=user)
    return ProtectedPerson.objects.filter(case=case).select_related("place_of_origin")


def read_person(person: ProtectedPerson, user: Any) -> ProtectedPerson:
    """The person's pseudonymised record (no identity) for someone with REGISTRY; audited."""
    require(user, person.case, Permission.REGISTRY)
    audit(person.case, AuditAction.READ, user=user, person=person)
    return person


def reveal_identity(person: ProtectedPerson, user: Any, reason: str) -> dict[str, Any]:
    """The person's identity, for a protection officer who gives a reason. Audited first.

    The audit row is committed before the identity is opened, so a reveal is recorded even if
    what follows fails; a refused reveal (wrong role) is recorded too.
    """
    try:
        require(user, person.case, Permission.REVEAL)
    except PermissionDenied:
        audit(
            person.case,
            AuditAction.DENIED,
            user=user,
            person=person,
            details={"wanted": AuditAction.REVEAL},
        )
        raise
    reason = (reason or "").strip()
    if not reason:
        raise UserError("revealing an identity needs a reason (it is kept in the audit)")
    audit(person.case, AuditAction.REVEAL, user=user, person=person, reason=reason)
    return open_identity(person)


def open_identity(person: ProtectedPerson) -> dict[str, Any]:
    """Unseal the identity WITHOUT any check or audit: for services that already did both."""
    value = _open_json(
        keys.keyring(),
        person.sealed_identity,
        _identity_aad(person.pk),
        f"protected record {person.pseudonym}",
    )
    if not isinstance(value, dict):
        raise SealingError(f"protected record {person.pseudonym}: the identity is not an object")
    return value


def update_identity(
    person: ProtectedPerson, user: Any, changes: dict[str, Any], *, reason: str = ""
) -> ProtectedPerson:
    """Change identity fields (a value of None or "" clears one); resealed, keys recomputed."""
    require(user, person.case, Permission.PROTECT_EDIT)
    require(user, person.case, Permission.REVEAL)
    unknown = sorted(set(changes) - set(IDENTITY_FIELDS))
    if unknown:
        raise UserError(f"unknown identity field(s): {', '.join(unknown)}")
    ring = keys.keyring()
    with transaction.atomic():
        locked = ProtectedPerson.objects.select_for_update().get(pk=person.pk)
        identity = open_identity(locked)
        identity.update(changes)
        cleaned = clean_identity(identity)
        locked.sealed_identity = _seal_json(ring, cleaned, _identity_aad(locked.pk))
        locked.key_id = ring.current_id
        locked.save(update_fields=["sealed_identity", "key_id", "updated_at"])
        _store_match_keys(locked, match_keys_for(locked.case, cleaned, ring))
        audit(
            locked.case,
            AuditAction.UPDATE,
            user=user,
            person=locked,
            reason=reason,
            details={"fields": sorted(changes)},
        )
    return locked


def update_person(
    person: ProtectedPerson,
    user: Any,
    *,
    roles: Sequence[str] | None = None,
    place_of_origin: Place | None = None,
    displacement_date: str | None = None,
) -> ProtectedPerson:
    """Change the fields kept in clear (roles, place of origin, displacement date)."""
    require(user, person.case, Permission.PROTECT_EDIT)
    changed: list[str] = []
    if roles is not None:
        person.roles = _check_roles(roles)
        changed.append("roles")
    if place_of_origin is not None:
        person.place_of_origin = _check_place(person.case, place_of_origin)
        changed.append("place_of_origin")
    if displacement_date is not None:
        value, lower, upper = _edtf_bounds(displacement_date, "displacement date")
        person.displacement_date, person.displacement_lower, person.displacement_upper = (
            value,
            lower,
            upper,
        )
        changed.append("displacement_date")
    with transaction.atomic():
        person.save()
        audit(
            person.case, AuditAction.UPDATE, user=user, person=person, details={"fields": changed}
        )
    return person


# --- consent ---------------------------------------------------------------------------------


def record_consent(
    person: ProtectedPerson,
    *,
    user: Any,
    recipient: str,
    use: str,
    explained: str,
    given_on: date,
) -> Consent:
    """Record that the person agreed to ``use`` by ``recipient``, and what they were told."""
    require(user, person.case, Permission.PROTECT_EDIT)
    if recipient not in Recipient.values:
        raise UserError(f"unknown recipient {recipient!r}; known: {', '.join(Recipient.values)}")
    if use not in ConsentUse.values:
        raise UserError(f"unknown use {use!r}; known: {', '.join(ConsentUse.values)}")
    if not (explained or "").strip():
        raise UserError("say what was explained to the person before they gave consent")
    if given_on > timezone.localdate():
        raise UserError("consent cannot be given on a date in the future")
    with transaction.atomic():
        consent = Consent.objects.create(
            person=person,
            recipient=recipient,
            use=use,
            explained=explained.strip(),
            given_on=given_on,
            recorded_by=user if getattr(user, "is_authenticated", False) else None,
            recorded_by_label=actor_label(user),
        )
        audit(
            person.case,
            AuditAction.CONSENT,
            user=user,
            person=person,
            details={"consent": consent.pk, "recipient": recipient, "use": use},
        )
    return consent


def withdraw_consent(consent: Consent, *, user: Any, note: str = "") -> Consent:
    """Mark a consent withdrawn (kept, never deleted); exports stop including from now on."""
    person = consent.person
    require(user, person.case, Permission.PROTECT_EDIT)
    with transaction.atomic():
        locked = Consent.objects.select_for_update().get(pk=consent.pk)
        if locked.withdrawn_at is not None:
            raise UserError("this consent was already withdrawn")
        locked.withdrawn_at = timezone.now()
        locked.withdrawn_by = user if getattr(user, "is_authenticated", False) else None
        locked.withdrawal_note = (note or "").strip()
        locked.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_note"])
        audit(
            person.case,
            AuditAction.WITHDRAW,
            user=user,
            person=person,
            details={"consent": locked.pk, "recipient": locked.recipient, "use": locked.use},
        )
    return locked


def consent_allows(
    person: ProtectedPerson, recipient: str, use: str, on: date | None = None
) -> bool:
    """Whether the person's consent covered ``use`` by ``recipient`` on ``on`` (default today).

    Consent given after that day, or withdrawn on or before it, does not count.
    """
    day = on or timezone.localdate()
    for consent in Consent.objects.filter(person=person, recipient=recipient, use=use):
        if consent.given_on > day:
            continue
        if consent.withdrawn_at is not None and timezone.localdate(consent.withdrawn_at) <= day:
            continue
        return True
    return False


# --- claims and items ------------------------------------------------------------------------


def add_claim(
    person: ProtectedPerson,
    *,
    user: Any,
    category: str,
    place: Place | None = None,
    date: str = "",
    household: Iterable[dict[str, Any]] | None = None,
    household_size: int | None = None,
    value_amount: Decimal | int | str | None = None,
    value_currency: str = "",
    description: str = "",
    needs: str = "",
    referrals: str = "",
    supporting_items: Iterable[Item] = (),
) -> DamageClaim:
    """Record a damage or displacement claim; its supporting items become restricted."""
    require(user, person.case, Permission.PROTECT_EDIT)
    if category not in ClaimCategory.values:
        raise UserError(
            f"unknown claim category {category!r}; known: {', '.join(ClaimCategory.values)}"
        )
    edtf, lower, upper = _edtf_bounds(date, "claim date")
    members = _clean_household(household)
    if household_size is not None and household_size < len(members):
        raise UserError("the household size is smaller than the household members listed")
    amount = Decimal(str(value_amount)) if value_amount not in (None, "") else None
    currency = (value_currency or "").strip().upper()
    if amount is not None and len(currency) != 3:
        raise UserError("a claimed value needs its currency as a three-letter code, e.g. AMD")
    items = list(supporting_items)
    ring = keys.keyring()
    with transaction.atomic():
        claim = DamageClaim.objects.create(
            person=person,
            category=category,
            place=_check_place(person.case, place),
            date=edtf,
            date_lower=lower,
            date_upper=upper,
            household_size=household_size if household_size is not None else (len(members) or None),
            value_amount=amount,
            value_currency=currency,
            description=description.strip(),
            needs=needs.strip(),
            referrals=referrals.strip(),
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        # The id is needed to bind the seal to this claim, so the household is sealed second.
        claim.sealed_household = _seal_json(ring, members, _household_aad(claim.pk))
        claim.save(update_fields=["sealed_household"])
        for item in items:
            link_item(person, item, ItemRelation.SUPPORTING_DOCUMENT, user)
        claim.supporting_items.set(items)
        audit(
            person.case,
            AuditAction.CLAIM,
            user=user,
            person=person,
            details={"claim": claim.pk, "category": category},
        )
    return claim


def reveal_household(claim: DamageClaim, user: Any, reason: str) -> list[dict[str, str]]:
    """A claim's household members, for a protection officer who gives a reason. Audited."""
    person = claim.person
    require(user, person.case, Permission.REVEAL)
    if not (reason or "").strip():
        raise UserError("revealing household members needs a reason (it is kept in the audit)")
    audit(
        person.case,
        AuditAction.REVEAL,
        user=user,
        person=person,
        reason=reason.strip(),
        details={"claim": claim.pk, "what": "household"},
    )
    if not bytes(claim.sealed_household):
        return []
    value = _open_json(
        keys.keyring(),
        claim.sealed_household,
        _household_aad(claim.pk),
        f"claim {claim.pk} of {person.pseudonym}",
    )
    return list(value)


def link_item(person: ProtectedPerson, item: Item, relation: str, user: Any) -> PersonItem:
    """Link a testimony or supporting document to a person; the item becomes restricted.

    The change of sensitivity is kept in the case's edit history and the custody log (which
    say only that the item was restricted, not for whom).
    """
    require(user, person.case, Permission.PROTECT_EDIT)
    if item.case_id != person.case_id:
        raise UserError("the item belongs to another case")
    if relation not in ItemRelation.values:
        raise UserError(f"unknown relation {relation!r}; known: {', '.join(ItemRelation.values)}")
    with transaction.atomic():
        link, created = PersonItem.objects.get_or_create(
            person=person,
            item=item,
            relation=relation,
            defaults={"linked_by": user if getattr(user, "is_authenticated", False) else None},
        )
        if item.sensitivity != Sensitivity.RESTRICTED:
            previous = item.sensitivity
            item.sensitivity = Sensitivity.RESTRICTED
            save_with_history(item, user)
            record_event(
                person.case,
                "restricted",
                item=item,
                actor=actor_label(user),
                user=user,
                details={"sensitivity": Sensitivity.RESTRICTED, "previous": previous},
            )
        if created:
            audit(
                person.case,
                AuditAction.LINK,
                user=user,
                person=person,
                details={"item": str(item.pk), "relation": relation},
            )
    return link


# --- duplicates ------------------------------------------------------------------------------


def find_duplicates(case: Case, user: Any = None) -> list[DuplicateSuspicion]:
    """Pairs of records sharing match keys, as open suspicions for a protection officer.

    A pair already judged (same / different) is left alone; an open one gets its count updated.
    Returns the open suspicions created or updated by this run.
    """
    if user is not None:
        require(user, case, Permission.REVEAL)
    pairs: dict[tuple[Any, Any], list[bool]] = defaultdict(list)
    by_key: dict[str, list[tuple[Any, bool]]] = defaultdict(list)
    for person_id, key, dob in PersonMatchKey.objects.filter(case=case).values_list(
        "person_id", "key", "with_date_of_birth"
    ):
        by_key[key].append((person_id, dob))
    for members in by_key.values():
        if len(members) < 2:
            continue
        for i, (a, dob_a) in enumerate(members):
            for b, dob_b in members[i + 1 :]:
                if a != b:
                    pairs[(min(a, b, key=str), max(a, b, key=str))].append(dob_a and dob_b)
    result: list[DuplicateSuspicion] = []
    with transaction.atomic():
        existing = {
            (s.person_a_id, s.person_b_id): s
            for s in DuplicateSuspicion.objects.select_for_update().filter(case=case)
        }
        for (a, b), shared in sorted(pairs.items(), key=lambda p: (str(p[0][0]), str(p[0][1]))):
            suspicion = existing.get((a, b)) or existing.get((b, a))
            if suspicion is None:
                suspicion = DuplicateSuspicion.objects.create(
                    case=case,
                    person_a_id=a,
                    person_b_id=b,
                    shared_keys=len(shared),
                    with_date_of_birth=any(shared),
                )
            elif suspicion.status == SuspicionStatus.OPEN:
                suspicion.shared_keys = len(shared)
                suspicion.with_date_of_birth = any(shared)
                suspicion.save(update_fields=["shared_keys", "with_date_of_birth"])
            else:
                continue
            result.append(suspicion)
        audit(case, AuditAction.DUPLICATES, user=user, details={"open": len(result)})
    return result


def decide_duplicate(
    suspicion: DuplicateSuspicion, user: Any, status: str, note: str = ""
) -> DuplicateSuspicion:
    """A protection officer's judgement on a suspected duplicate: the same person or not."""
    require(user, suspicion.case, Permission.REVEAL)
    if status not in (SuspicionStatus.SAME, SuspicionStatus.DIFFERENT):
        raise UserError("decide 'same' or 'different'")
    with transaction.atomic():
        suspicion.status = status
        suspicion.decided_by = user if getattr(user, "is_authenticated", False) else None
        suspicion.decided_at = timezone.now()
        suspicion.note = (note or "").strip()
        suspicion.save(update_fields=["status", "decided_by", "decided_at", "note"])
        audit(
            suspicion.case,
            AuditAction.DECIDE,
            user=user,
            person=suspicion.person_a,
            details={
                "suspicion": suspicion.pk,
                "status": status,
                "other": suspicion.person_b.pseudonym,
            },
        )
    return suspicion


# --- key rotation ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RotationReport:
    """What a rotation did."""

    old_key_id: str
    new_key_id: str
    people: int
    households: int
    match_keys: int
    key_file: str


def rotate_keys(
    *, user: Any = None, key_file: Any = None, label: str | None = None
) -> RotationReport:
    """Re-seal every protected field and recompute every match key under a new key.

    Crash safety: (1) the new key is written to the key file as *pending* next to the current
    one, so both are on disk; (2) one database transaction re-seals everything, opens each value
    again under the new key to check it, and recomputes match keys; (3) only after the commit is
    the new key made current and the old one retired. A crash after (1) leaves the old data
    readable (the transaction rolled back); a crash after (2) leaves data sealed under the pending
    key, which is on disk and opens; running the rotation again finishes it, reusing the pending
    key. With VESTIGE_PROTECTION_KEY the environment cannot be rewritten, so ``key_file`` (a new
    path) receives the new ring, to be installed as the environment value afterwards.
    """
    from pathlib import Path

    from ..core.sealing import ProtectionKey, read_ring_file, write_ring_file

    if keys.from_environment():
        if key_file is None:
            raise UserError(
                "the protection key comes from VESTIGE_PROTECTION_KEY: give a file for the new "
                "key ring (vestige keys rotate --new-key-file PATH), then install its contents "
                "as VESTIGE_PROTECTION_KEY"
            )
        target = Path(key_file)
        ring = keys.keyring()
        if target.exists():
            # A rotation interrupted earlier: the file holds its pending key; finish it.
            written = read_ring_file(target)
            if written.current_id != ring.current_id or written.pending is None:
                raise UserError(f"{target} exists and is not an interrupted rotation of this ring")
            ring = written
    else:
        target = keys.key_path()
        ring = keys.keyring()
    old_id = ring.current_id
    if ring.pending is None:
        ring = ring.with_pending(ProtectionKey.generate())
        write_ring_file(target, ring)  # step 1: the new key is on disk before any data uses it
        keys.forget()
    assert ring.pending is not None
    new_id = ring.pending.key_id
    counts = _reseal_everything(ring, new_id)  # step 2: one transaction
    final = ring.promoted()
    write_ring_file(target, final)  # step 3: only now is the old key retired
    keys.forget()
    for case in Case.objects.filter(protected_people__isnull=False).distinct():
        audit(
            case,
            AuditAction.ROTATE,
            user=user,
            label=label,
            details={"old_key": old_id, "new_key": new_id},
        )
    return RotationReport(
        old_key_id=old_id,
        new_key_id=new_id,
        people=counts[0],
        households=counts[1],
        match_keys=counts[2],
        key_file=str(target),
    )


def _reseal_everything(ring: KeyRing, new_id: str) -> tuple[int, int, int]:
    """Re-seal all identities and households under ``new_id`` and check each; all or nothing."""
    people_count = households = match_count = 0
    with transaction.atomic():
        for person in (
            ProtectedPerson.objects.select_for_update().select_related("case").order_by("pk")
        ):
            aad = _identity_aad(person.pk)
            what = f"protected record {person.pseudonym}"
            identity = _open_json(ring, person.sealed_identity, aad, what)
            token = _seal_json(ring, identity, aad, key_id=new_id)
            if _open_json(ring, token, aad, what) != identity:
                raise SealingError(f"{what}: re-sealed identity does not open to the same value")
            person.sealed_identity = token
            person.key_id = new_id
            person.save(update_fields=["sealed_identity", "key_id"])
            computed = match_keys_for(person.case, identity, ring, key_id=new_id)
            _store_match_keys(person, computed)
            people_count += 1
            match_count += len(computed)
        for claim in (
            DamageClaim.objects.select_for_update().select_related("person").order_by("pk")
        ):
            if not bytes(claim.sealed_household):
                continue
            aad = _household_aad(claim.pk)
            what = f"claim {claim.pk} of {claim.person.pseudonym}"
            members = _open_json(ring, claim.sealed_household, aad, what)
            token = _seal_json(ring, members, aad, key_id=new_id)
            if _open_json(ring, token, aad, what) != members:
                raise SealingError(f"{what}: re-sealed household does not open to the same value")
            claim.sealed_household = token
            claim.save(update_fields=["sealed_household"])
            households += 1
    return people_count, households, match_count
