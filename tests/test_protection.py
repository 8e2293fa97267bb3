"""The protection registry's core: sealed identities, roles, audit, consent, duplicates,
restricted testimony and key rotation — against the real database and the real key file."""

from __future__ import annotations

import base64
import json
import os
import stat
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from PIL import Image

from vestige.cases.graph import Edit
from vestige.cases.roles import ROLE_PERMISSIONS, Permission, Role
from vestige.cases.services import set_member
from vestige.core.errors import ImmutableRecordError, PermissionDenied, UserError
from vestige.core.sealing import SealingError
from vestige.evidence.importing import Importer
from vestige.evidence.models import CustodyEvent, Item
from vestige.protection import keys, services
from vestige.protection.access import can_open_item
from vestige.protection.models import (
    DamageClaim,
    DuplicateSuspicion,
    PersonMatchKey,
    ProtectedPerson,
    ProtectionAudit,
)
from vestige.search.service import search

from .conftest import vestige

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-9"
RASHAD_AZ = {
    "family_name": "Əliyev",
    "given_name": "Rəşad",
    "patronymic": "Kamal oğlu",
    "date_of_birth": "1980-03-12",
    "contacts": ["+994 50 555 01 23"],
    "address_before": "Şuşa, Azadlıq küçəsi 4",
}
RASHAD_LATIN = {
    "family_name": "Aliyev",
    "given_name": "Rashad",
    "patronymic": "Kamal ogly",
    "date_of_birth": "12.03.1980",
}
RASHAD_CYRILLIC = {"other_names": ["Алиев Рашад Камал оглы"]}
ANAHIT_HY = {"family_name": "Պետրոսյան", "given_name": "Անահիտ"}
ANAHIT_LATIN = {"family_name": "Petrosian", "given_name": "Anahit", "gender": "female"}
STRANGER = {"family_name": "Quellwater", "given_name": "Ysolde", "date_of_birth": "1955-01-02"}


@pytest.fixture(autouse=True)
def _own_key(settings: Any, tmp_path: Path) -> None:
    """Each test gets a key ring of its own (rotation tests replace it)."""
    settings.PROTECTION_KEY_PATH = tmp_path / "keys" / "protection.key"
    settings.PROTECTION_KEY = ""
    keys.forget()


@pytest.fixture(autouse=True)
def _static_root(settings: Any) -> None:
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)


@pytest.fixture
def officer(django_user_model: Any, case: Any) -> Any:
    account = django_user_model.objects.create_user(username="nune", password=PASSWORD)
    set_member(case.slug, "nune", Role.PROTECTION_OFFICER)
    return account


@pytest.fixture
def analyst(django_user_model: Any, case: Any) -> Any:
    account = django_user_model.objects.create_user(username="arif", password=PASSWORD)
    set_member(case.slug, "arif", Role.ANALYST)
    return account


def jpeg_bytes() -> bytes:
    import io

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (20, 120, 200)).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def person(case: Any, officer: Any, identity: dict[str, Any], **kw: Any) -> ProtectedPerson:
    return services.create_person(
        case, user=officer, identity=identity, roles=kw.pop("roles", ["witness"]), **kw
    )


def audit_actions(case: Any) -> list[tuple[str, str]]:
    return list(ProtectionAudit.objects.filter(case=case).values_list("user_label", "action"))


# --- roles ------------------------------------------------------------------------------------


def test_only_protection_officers_reveal() -> None:
    revealers = {role for role, perms in ROLE_PERMISSIONS.items() if Permission.REVEAL in perms}
    assert revealers == {Role.PROTECTION_OFFICER}
    registry = {role for role, perms in ROLE_PERMISSIONS.items() if Permission.REGISTRY in perms}
    assert registry == {Role.OWNER, Role.INVESTIGATOR, Role.ANALYST, Role.PROTECTION_OFFICER}
    assert Permission.PROTECT_EDIT not in ROLE_PERMISSIONS[Role.OWNER]


def test_cli_accepts_the_new_role(cli_env: dict[str, str]) -> None:
    initialised = vestige(["init"], cli_env, check=True)
    key_file = Path(cli_env["VESTIGE_DATA_DIR"]) / "keys" / "protection.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert json.loads(key_file.read_text())["keys"][0]["id"] in initialised.stdout
    for name in ("amira", "nune"):
        vestige(
            ["user", "create", name, "--password-stdin"], cli_env, check=True, input=PASSWORD + "\n"
        )
    vestige(["case", "create", "nk", "--title", "NK", "--owner", "amira"], cli_env, check=True)
    done = vestige(
        ["case", "add-member", "nk", "nune", "--role", "protection_officer"], cli_env, check=True
    )
    assert "protection_officer" in done.stdout
    assert "protection_officer" in vestige(["case", "add-member", "--help"], cli_env).stdout


# --- people, reveal, audit -------------------------------------------------------------------


def test_identity_is_sealed_and_pseudonymised(case: Any, officer: Any) -> None:
    record = person(case, officer, RASHAD_AZ, roles=["victim", "claimant"])
    stored = ProtectedPerson.objects.get(pk=record.pk)
    blob = bytes(stored.sealed_identity)
    for value in ("Əliyev", "Rəşad", "1980-03-12", "+994", "Azadlıq"):
        assert value.encode() not in blob
    assert stored.pseudonym.startswith("V-") and len(stored.pseudonym) == 7
    assert stored.key_id == keys.keyring().current_id
    assert stored.match_keys.count() > 0
    assert all(len(k.key) == 64 for k in stored.match_keys.all())
    assert stat.S_IMODE(keys.key_path().stat().st_mode) == 0o600
    assert services.open_identity(stored)["given_name"] == "Rəşad"


def test_only_officers_create_people(case: Any, user: Any, analyst: Any) -> None:
    for who in (user, analyst):
        with pytest.raises(PermissionDenied):
            services.create_person(case, user=who, identity=STRANGER, roles=["witness"])
    assert not ProtectedPerson.objects.exists()


def test_bad_identity_is_refused_without_echoing_it(case: Any, officer: Any) -> None:
    with pytest.raises(UserError, match="unknown identity field") as caught:
        person(case, officer, {"given_name": "Ysolde", "shoe_size": "41"})
    assert "Ysolde" not in str(caught.value)
    with pytest.raises(UserError, match="needs a given name"):
        person(case, officer, {"gender": "female"})
    with pytest.raises(UserError, match="unknown role"):
        person(case, officer, STRANGER, roles=["suspect"])


def test_reveal_needs_the_role_and_a_reason_and_is_audited(
    case: Any, officer: Any, user: Any, analyst: Any
) -> None:
    record = person(case, officer, RASHAD_AZ)
    for who in (user, analyst):
        with pytest.raises(PermissionDenied):
            services.reveal_identity(record, who, "routine check")
    with pytest.raises(UserError, match="needs a reason"):
        services.reveal_identity(record, officer, "   ")
    identity = services.reveal_identity(record, officer, "referral to ICRC tracing")
    assert identity["family_name"] == "Əliyev" and identity["patronymic"] == "Kamal oğlu"
    reveals = ProtectionAudit.objects.filter(case=case, action="reveal")
    assert [(a.user_label, a.reason) for a in reveals] == [("nune", "referral to ICRC tracing")]
    denied = ProtectionAudit.objects.filter(case=case, action="denied")
    assert sorted(a.user_label for a in denied) == ["amira", "arif"]


def test_every_read_and_listing_is_audited(case: Any, officer: Any, analyst: Any) -> None:
    record = person(case, officer, STRANGER)
    assert [p.pseudonym for p in services.people(case, analyst)] == [record.pseudonym]
    services.read_person(record, analyst)
    services.read_person(record, officer)
    assert audit_actions(case) == [
        ("nune", "create"),
        ("arif", "list"),
        ("arif", "read"),
        ("nune", "read"),
    ]


def test_audit_is_append_only(case: Any, officer: Any) -> None:
    person(case, officer, STRANGER)
    row = ProtectionAudit.objects.get()
    row.reason = "rewritten"
    with pytest.raises(ImmutableRecordError):
        row.save()
    with pytest.raises(ImmutableRecordError):
        row.delete()
    with pytest.raises(ImmutableRecordError):
        ProtectionAudit.objects.all().delete()
    with pytest.raises(ImmutableRecordError):
        ProtectionAudit.objects.update(reason="x")


def test_update_identity_reseals_and_recomputes_keys(case: Any, officer: Any) -> None:
    record = person(case, officer, STRANGER)
    before = set(record.match_keys.values_list("key", flat=True))
    services.update_identity(
        record, officer, {"family_name": "Quellwater-Brant", "notes": ""}, reason="married name"
    )
    record.refresh_from_db()
    assert services.open_identity(record)["family_name"] == "Quellwater-Brant"
    assert set(record.match_keys.values_list("key", flat=True)) != before
    update = ProtectionAudit.objects.get(action="update")
    assert update.details == {"fields": ["family_name", "notes"]}  # names, never values


# --- consent ---------------------------------------------------------------------------------


def test_consent_allows_until_withdrawn(case: Any, officer: Any, analyst: Any) -> None:
    record = person(case, officer, STRANGER)
    last_week = date.today() - timedelta(days=7)
    assert not services.consent_allows(record, "icc", "evidence")
    with pytest.raises(PermissionDenied):
        services.record_consent(
            record, user=analyst, recipient="icc", use="evidence", explained="x", given_on=last_week
        )
    with pytest.raises(UserError, match="unknown recipient"):
        services.record_consent(
            record,
            user=officer,
            recipient="nato",
            use="evidence",
            explained="x",
            given_on=last_week,
        )
    with pytest.raises(UserError, match="explained"):
        services.record_consent(
            record, user=officer, recipient="icc", use="evidence", explained=" ", given_on=last_week
        )
    with pytest.raises(UserError, match="future"):
        services.record_consent(
            record,
            user=officer,
            recipient="icc",
            use="evidence",
            explained="x",
            given_on=date.today() + timedelta(days=1),
        )
    consent = services.record_consent(
        record,
        user=officer,
        recipient="icc",
        use="evidence",
        explained="Read the ICC information sheet in Armenian",
        given_on=last_week,
    )
    assert services.consent_allows(record, "icc", "evidence")
    assert not services.consent_allows(record, "icc", "publication")
    assert not services.consent_allows(record, "media", "evidence")
    assert not services.consent_allows(record, "icc", "evidence", on=last_week - timedelta(days=1))
    services.withdraw_consent(consent, user=officer, note="asked by phone")
    assert not services.consent_allows(record, "icc", "evidence")
    assert services.consent_allows(record, "icc", "evidence", on=last_week)  # it held then
    with pytest.raises(UserError, match="already withdrawn"):
        services.withdraw_consent(consent, user=officer)
    assert [a for _, a in audit_actions(case)] == ["create", "consent", "withdraw"]


# --- duplicates ------------------------------------------------------------------------------


def test_duplicates_are_found_across_scripts(case: Any, officer: Any, analyst: Any) -> None:
    az = person(case, officer, RASHAD_AZ)
    latin = person(case, officer, RASHAD_LATIN)
    cyrillic = person(case, officer, RASHAD_CYRILLIC)
    hy = person(case, officer, ANAHIT_HY)
    anahit = person(case, officer, ANAHIT_LATIN)
    stranger = person(case, officer, STRANGER)
    with pytest.raises(PermissionDenied):
        services.find_duplicates(case, analyst)
    found = services.find_duplicates(case, officer)
    pairs = {frozenset((s.person_a_id, s.person_b_id)): s for s in found}
    assert set(pairs) == {
        frozenset((az.pk, latin.pk)),
        frozenset((az.pk, cyrillic.pk)),
        frozenset((latin.pk, cyrillic.pk)),
        frozenset((hy.pk, anahit.pk)),
    }
    assert pairs[frozenset((az.pk, latin.pk))].with_date_of_birth
    assert not pairs[frozenset((az.pk, cyrillic.pk))].with_date_of_birth
    assert (
        pairs[frozenset((az.pk, latin.pk))].shared_keys
        > pairs[frozenset((az.pk, cyrillic.pk))].shared_keys
    )
    assert stranger.pk not in {p for pair in pairs for p in pair}
    # A pair judged "different" is not suggested again; running twice creates no new rows.
    services.decide_duplicate(pairs[frozenset((hy.pk, anahit.pk))], officer, "different")
    again = services.find_duplicates(case, officer)
    assert len(again) == 3
    assert DuplicateSuspicion.objects.filter(case=case).count() == 4


def test_match_keys_hold_no_name_in_clear(case: Any, officer: Any) -> None:
    record = person(case, officer, RASHAD_AZ)
    stored = " ".join(PersonMatchKey.objects.filter(person=record).values_list("key", flat=True))
    for fragment in ("aliev", "rasad", "kamal", "1980"):
        assert fragment not in stored


# --- claims and restricted testimony -----------------------------------------------------------


@pytest.fixture
def testimony(case: Any, user: Any, make_files: Any) -> Item:
    folder = make_files({"statement-hq7.txt": b"Heard shelling near the Zarvandik bakery.\n"})
    Importer(case, actor="amira", user=user, workers=1).run([folder])
    return Item.objects.get(case=case, source_name="statement-hq7.txt")


def test_claim_seals_household_and_restricts_supporting_items(
    case: Any, officer: Any, analyst: Any, testimony: Item
) -> None:
    record = person(case, officer, RASHAD_AZ, roles=["claimant"])
    household = [{"given_name": "Ləman", "family_name": "Əliyeva", "relation": "daughter"}]
    with pytest.raises(UserError, match="currency"):
        services.add_claim(record, user=officer, category="loss_of_home", value_amount=100)
    with pytest.raises(PermissionDenied):
        services.add_claim(record, user=analyst, category="loss_of_home")
    claim = services.add_claim(
        record,
        user=officer,
        category="loss_of_home",
        date="2023-09~",
        household=household,
        value_amount="45000",
        value_currency="usd",
        supporting_items=[testimony],
    )
    stored = DamageClaim.objects.get(pk=claim.pk)
    assert "Ləman".encode() not in bytes(stored.sealed_household)
    assert stored.household_size == 1 and stored.value_currency == "USD"
    assert stored.date_lower == date(2023, 9, 1)
    with pytest.raises(PermissionDenied):
        services.reveal_household(stored, analyst, "curious")
    assert services.reveal_household(stored, officer, "tracing request") == household
    testimony.refresh_from_db()
    assert testimony.sensitivity == "restricted"
    assert list(stored.supporting_items.all()) == [testimony]


def test_linking_restricts_the_item_with_history_and_custody(
    case: Any, officer: Any, testimony: Item
) -> None:
    record = person(case, officer, STRANGER)
    services.link_item(record, testimony, "testimony", officer)
    testimony.refresh_from_db()
    assert testimony.sensitivity == "restricted"
    event = CustodyEvent.objects.filter(item=testimony, action="restricted").get()
    assert event.details_dict == {"sensitivity": "restricted", "previous": "normal"}
    assert record.pseudonym not in event.details  # the log does not say for whom
    edit = Edit.objects.filter(model="evidence.Item", object_id=str(testimony.pk)).get()
    assert edit.after["sensitivity"] == "restricted"
    # Linking again changes nothing more.
    services.link_item(record, testimony, "testimony", officer)
    assert CustodyEvent.objects.filter(item=testimony, action="restricted").count() == 1


def test_restricted_testimony_is_hidden_from_everyone_but_officers(
    case: Any, officer: Any, analyst: Any, user: Any, testimony: Item, make_files: Any
) -> None:
    folder = make_files({"passport-scan-hq7.jpg": jpeg_bytes()}, folder="scans")
    Importer(case, actor="amira", user=user, workers=1).run([folder])
    scan = Item.objects.get(case=case, source_name="passport-scan-hq7.jpg")
    thumbnail = scan.derivatives.get(kind="thumbnail")
    record = person(case, officer, STRANGER)
    services.link_item(record, testimony, "testimony", officer)
    services.add_claim(record, user=officer, category="loss_of_home", supporting_items=[scan])
    urls = []
    for item in (testimony, scan):
        base = f"/cases/{case.slug}/items/{item.pk}/"
        api = f"/api/cases/{case.slug}/items/{item.pk}"
        urls += [base, base + "download", api, api + "/download", api + "/custody"]
    scan_base = f"/cases/{case.slug}/items/{scan.pk}/"
    urls += [scan_base + "preview", scan_base + f"derivatives/{thumbnail.pk}"]
    officer_client = Client()
    officer_client.force_login(officer)
    for url in urls:  # the URLs are right: the officer gets every one of them
        assert officer_client.get(url).status_code == 200, url
    for who in (user, analyst):  # the owner too: only protection officers
        assert not can_open_item(who, testimony) and not can_open_item(who, scan)
        client = Client()
        client.force_login(who)
        for url in urls:
            assert client.get(url).status_code == 404, url
        listing = json.dumps(client.get(f"/api/cases/{case.slug}/items").json())
        assert str(testimony.pk) not in listing and str(scan.pk) not in listing
        page = client.get(f"/cases/{case.slug}/").content.decode()
        assert "statement-hq7" not in page and "passport-scan" not in page
        results = search("Zarvandik", user=who)
        assert results.total == 0 and not results.hits
        for word in ("Zarvandik", "bakery", "statement", "passport"):
            body = client.get("/api/search", {"q": word}).json()
            assert body["total"] == 0 and body["hits"] == [], word
    download = officer_client.get(f"/cases/{case.slug}/items/{testimony.pk}/download")
    assert b"Zarvandik" in b"".join(download.streaming_content)  # type: ignore[attr-defined]
    assert [h.record_id for h in search("Zarvandik", user=officer).hits] == [str(testimony.pk)]


def test_claims_from_restricted_testimony_stay_out_of_the_case_graph(
    case: Any, officer: Any, analyst: Any, user: Any, testimony: Item
) -> None:
    from vestige.cases.extraction import propose_claims
    from vestige.cases.graph import Actor, Claim, Incident
    from vestige.cases.history import save_with_history

    incident = Incident(case=case, title="Shelling of the bakery", date="2023-09-19")
    save_with_history(incident, user)
    actor = Actor(case=case, name="Unit 4471")
    save_with_history(actor, user)
    claim = Claim(
        case=case,
        item=testimony,
        text="Heard shelling near the Zarvandik bakery.",
        anchor={"start": 0, "end": 41},
    )
    save_with_history(claim, user)
    claim.incidents.add(incident)
    claim.actors.add(actor)
    propose_claims(testimony, user)
    record = person(case, officer, STRANGER)
    services.link_item(record, testimony, "testimony", officer)
    pages = [
        f"/cases/{case.slug}/incidents/{incident.pk}/",
        f"/cases/{case.slug}/actors/{actor.pk}/",
        f"/cases/{case.slug}/history/",
        f"/cases/{case.slug}/candidates/",
    ]
    officer_client = Client()
    officer_client.force_login(officer)
    for url in pages:  # the pages do show the claim to an officer
        assert "Zarvandik" in officer_client.get(url).content.decode(), url
    for who in (user, analyst):
        client = Client()
        client.force_login(who)
        for url in pages:
            response = client.get(url)
            assert response.status_code == 200, url
            html = response.content.decode()
            assert "Zarvandik" not in html and "statement-hq7" not in html, url


# --- keys: wrong key, tampering, rotation ------------------------------------------------------


def test_wrong_key_fails_loudly(case: Any, officer: Any, settings: Any) -> None:
    record = person(case, officer, RASHAD_AZ)
    settings.PROTECTION_KEY = base64.b64encode(os.urandom(32)).decode()
    with pytest.raises(SealingError, match="which the key ring does not have") as caught:
        services.reveal_identity(record, officer, "checking the key")
    message = str(caught.value)
    assert record.pseudonym in message and record.key_id in message
    assert "Rəşad" not in message and "Əliyev" not in message
    # The environment key seals new records; the file is not touched.
    other = person(case, officer, STRANGER)
    assert other.key_id == keys.keyring().current_id != record.key_id


def test_identity_moved_to_another_record_does_not_open(case: Any, officer: Any) -> None:
    first = person(case, officer, RASHAD_AZ)
    second = person(case, officer, STRANGER)
    ProtectedPerson.objects.filter(pk=second.pk).update(sealed_identity=first.sealed_identity)
    second.refresh_from_db()
    with pytest.raises(SealingError, match="belongs to another record"):
        services.reveal_identity(second, officer, "checking a complaint")
    blob = bytearray(bytes(first.sealed_identity))
    blob[-1] ^= 1
    ProtectedPerson.objects.filter(pk=first.pk).update(sealed_identity=bytes(blob))
    first.refresh_from_db()
    with pytest.raises(SealingError, match="was changed"):
        services.open_identity(first)


def _registry(case: Any, officer: Any, testimony: Item | None = None) -> dict[Any, Any]:
    people = [
        person(case, officer, i)
        for i in (RASHAD_AZ, RASHAD_LATIN, RASHAD_CYRILLIC, ANAHIT_HY, STRANGER)
    ]
    claim = services.add_claim(
        people[0],
        user=officer,
        category="forced_displacement",
        household=[{"given_name": "Ləman", "relation": "daughter"}],
    )
    expected: dict[Any, Any] = {p.pk: services.open_identity(p) for p in people}
    expected[("claim", claim.pk)] = [{"given_name": "Ləman", "relation": "daughter"}]
    return expected


def _check_registry(expected: dict[Any, Any], officer: Any) -> None:
    for key, value in expected.items():
        if isinstance(key, tuple):
            claim = DamageClaim.objects.get(pk=key[1])
            assert services.reveal_household(claim, officer, "rotation check") == value
        else:
            assert services.open_identity(ProtectedPerson.objects.get(pk=key)) == value


def test_rotation_loses_nothing(case: Any, officer: Any) -> None:
    expected = _registry(case, officer)
    old_id = keys.keyring().current_id
    old_tokens = {p.pk: bytes(p.sealed_identity) for p in ProtectedPerson.objects.all()}
    old_keys = set(PersonMatchKey.objects.values_list("key", flat=True))
    before = {
        frozenset((s.person_a_id, s.person_b_id)) for s in services.find_duplicates(case, officer)
    }
    report = services.rotate_keys(user=officer)
    assert (report.old_key_id, report.people, report.households) == (old_id, 5, 1)
    assert report.match_keys == PersonMatchKey.objects.count()
    ring = keys.keyring()
    assert ring.current_id == report.new_key_id != old_id
    assert old_id in ring.retired and ring.pending is None
    assert stat.S_IMODE(keys.key_path().stat().st_mode) == 0o600
    assert set(ProtectedPerson.objects.values_list("key_id", flat=True)) == {ring.current_id}
    _check_registry(expected, officer)
    assert set(PersonMatchKey.objects.values_list("key", flat=True)).isdisjoint(old_keys)
    after = {
        frozenset((s.person_a_id, s.person_b_id)) for s in services.find_duplicates(case, officer)
    }
    assert after == before and len(after) == 3
    # What the old key sealed no longer opens: the old key is gone.
    with pytest.raises(SealingError, match="retired"):
        ring.open(next(iter(old_tokens.values())), b"x")
    assert ProtectionAudit.objects.filter(case=case, action="rotate").count() == 1


def test_rotation_interrupted_before_commit_keeps_data_and_finishes_later(
    case: Any, officer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = _registry(case, officer)
    old_id = keys.keyring().current_id
    real = services._reseal_everything

    def crash_midway(ring: Any, new_id: str) -> Any:
        # Re-seal for real inside the transaction, then die before it commits.
        from django.db import transaction

        with transaction.atomic():
            real(ring, new_id)
            raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(services, "_reseal_everything", crash_midway)
    with pytest.raises(KeyboardInterrupt):
        services.rotate_keys(user=officer)
    ring = keys.keyring()
    assert ring.current_id == old_id and ring.pending is not None
    pending_id = ring.pending.key_id
    assert set(ProtectedPerson.objects.values_list("key_id", flat=True)) == {old_id}
    _check_registry(expected, officer)
    monkeypatch.setattr(services, "_reseal_everything", real)
    report = services.rotate_keys(user=officer)
    assert report.new_key_id == pending_id  # the pending key on disk is reused
    _check_registry(expected, officer)


def test_rotation_interrupted_after_commit_stays_readable(
    case: Any, officer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vestige.core import sealing

    expected = _registry(case, officer)
    real_write = sealing.write_ring_file
    writes: list[Any] = []

    def crash_on_second_write(path: Path, ring: Any) -> None:
        writes.append(ring)
        if len(writes) == 2:
            raise KeyboardInterrupt("power cut after the commit")
        real_write(path, ring)

    monkeypatch.setattr(sealing, "write_ring_file", crash_on_second_write)
    with pytest.raises(KeyboardInterrupt):
        services.rotate_keys(user=officer)
    monkeypatch.setattr(sealing, "write_ring_file", real_write)
    ring = keys.keyring()
    assert ring.pending is not None
    # The data is sealed under the pending key, which is on disk: everything opens.
    assert set(ProtectedPerson.objects.values_list("key_id", flat=True)) == {ring.pending.key_id}
    _check_registry(expected, officer)
    report = services.rotate_keys(user=officer)
    assert report.new_key_id == ring.pending.key_id
    assert keys.keyring().pending is None
    _check_registry(expected, officer)


def test_rotation_with_an_environment_key_needs_a_file(
    case: Any, officer: Any, settings: Any, tmp_path: Path
) -> None:
    settings.PROTECTION_KEY = base64.b64encode(os.urandom(32)).decode()
    expected = _registry(case, officer)
    with pytest.raises(UserError, match="--new-key-file"):
        services.rotate_keys(user=officer)
    target = tmp_path / "new-ring.key"
    report = services.rotate_keys(user=officer, key_file=target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert not keys.key_path().exists()  # the data-dir key file is never written
    settings.PROTECTION_KEY = target.read_text()
    assert keys.keyring().current_id == report.new_key_id
    _check_registry(expected, officer)


SEED = """
import sys
from vestige.cli.base import setup_django
setup_django()
from django.contrib.auth import get_user_model
from vestige.cases.services import create_case, set_member
from vestige.protection import services
owner = get_user_model().objects.create_user(username="amira", password="x-long-password-1")
officer = get_user_model().objects.create_user(username="nune", password="x-long-password-1")
case = create_case("nk", "NK", owner=owner)
set_member("nk", "nune", "protection_officer")
for identity in %r:
    services.create_person(case, user=officer, identity=identity, roles=["witness"])
"""

CHECK = """
import json
from vestige.cli.base import setup_django
setup_django()
from vestige.protection.models import ProtectedPerson
from vestige.protection.services import open_identity
print(json.dumps(sorted(open_identity(p)["given_name"] for p in ProtectedPerson.objects.all()),
                 ensure_ascii=False))
"""


def test_keys_rotate_command_and_wrong_key(cli_env: dict[str, str]) -> None:
    import subprocess
    import sys

    def python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
        )

    seeded = python(SEED % ([RASHAD_AZ, ANAHIT_LATIN, STRANGER],), cli_env)
    assert seeded.returncode == 0, seeded.stderr
    key_file = Path(cli_env["VESTIGE_DATA_DIR"]) / "keys" / "protection.key"
    old_ring = json.loads(key_file.read_text())
    done = vestige(["keys", "rotate"], cli_env, check=True)
    assert "re-sealed 3 people and 0 households" in done.stdout
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    new_ring = json.loads(key_file.read_text())
    assert new_ring["keys"][0]["id"] != old_ring["keys"][0]["id"]
    checked = python(CHECK, cli_env)
    assert checked.returncode == 0, checked.stderr
    assert json.loads(checked.stdout) == ["Anahit", "Rəşad", "Ysolde"]
    # A wrong key fails loudly, naming the key, never the person.
    wrong = dict(cli_env, VESTIGE_PROTECTION_KEY=base64.b64encode(os.urandom(32)).decode())
    failed = python(CHECK, wrong)
    assert failed.returncode != 0
    assert "which the key ring does not have" in failed.stderr
    assert "Rəşad" not in failed.stderr + failed.stdout
    refused = vestige(["keys", "rotate"], wrong)
    assert refused.returncode == 2 and "--new-key-file" in refused.stderr
