"""The sealing core: AES-256-GCM under a key ring, bound to its record, failing loudly."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

import pytest

from vestige.core.sealing import (
    HEADER_BYTES,
    KeyRing,
    ProtectionKey,
    SealingError,
    create_ring_file,
    read_ring_file,
    record_aad,
    token_key_id,
    write_ring_file,
)

AAD = record_aad("protection_protectedperson", "6f1c0e52-0000-4000-8000-000000000001", "identity")
SECRET = "Əliyev Rəşad Kamal oğlu, 1980-03-12".encode()


def test_round_trip_and_format() -> None:
    ring = KeyRing.generate()
    token = ring.seal(SECRET, AAD)
    assert ring.open(token, AAD) == SECRET
    assert token[0] == 1
    assert token_key_id(token) == ring.current_id
    assert len(token) == HEADER_BYTES + len(SECRET) + 16
    assert SECRET not in token and b"Rashad" not in token
    # A fresh nonce every time: the same plaintext never gives the same bytes.
    assert ring.seal(SECRET, AAD) != token


def test_wrong_key_names_the_missing_key() -> None:
    token = KeyRing.generate().seal(SECRET, AAD)
    other = KeyRing.generate()
    with pytest.raises(SealingError, match="which the key ring does not have") as caught:
        other.open(token, AAD)
    assert token_key_id(token) in str(caught.value)
    assert "Rəşad" not in str(caught.value)


def test_same_key_id_with_tampered_bytes_fails() -> None:
    ring = KeyRing.generate()
    token = bytearray(ring.seal(SECRET, AAD))
    token[HEADER_BYTES + 3] ^= 0x01
    with pytest.raises(SealingError, match="does not open this record"):
        ring.open(bytes(token), AAD)
    # The nonce is covered too.
    token = bytearray(ring.seal(SECRET, AAD))
    token[HEADER_BYTES - 1] ^= 0x80
    with pytest.raises(SealingError, match="does not open this record"):
        ring.open(bytes(token), AAD)


def test_truncated_or_foreign_values_fail_clearly() -> None:
    ring = KeyRing.generate()
    token = ring.seal(SECRET, AAD)
    with pytest.raises(SealingError, match="truncated"):
        ring.open(token[:20], AAD)
    with pytest.raises(SealingError, match="format version 7"):
        ring.open(bytes([7]) + token[1:], AAD)


def test_ciphertext_moved_to_another_record_does_not_open() -> None:
    ring = KeyRing.generate()
    token = ring.seal(SECRET, AAD)
    other_record = record_aad(
        "protection_protectedperson", "6f1c0e52-0000-4000-8000-000000000002", "identity"
    )
    other_field = record_aad(
        "protection_damageclaim", "6f1c0e52-0000-4000-8000-000000000001", "identity"
    )
    for aad in (other_record, other_field):
        with pytest.raises(SealingError, match="belongs to another record"):
            ring.open(token, aad)


def test_ring_file_is_private_and_survives_a_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "protection.key"
    ring = create_ring_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = read_ring_file(path)
    assert again.current_id == ring.current_id
    token = ring.seal(SECRET, AAD)
    assert again.open(token, AAD) == SECRET
    # Creating again never replaces keys that may have sealed data.
    assert create_ring_file(path).current_id == ring.current_id
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_ring_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "protection.key"
    create_ring_file(path)
    os.chmod(path, 0o644)
    with pytest.raises(SealingError, match="chmod 600"):
        read_ring_file(path)


def test_rotation_steps_keep_every_value_openable(tmp_path: Path) -> None:
    path = tmp_path / "protection.key"
    ring = create_ring_file(path)
    old_token = ring.seal(SECRET, AAD)
    pending = ring.with_pending(ProtectionKey.generate())
    write_ring_file(path, pending)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    on_disk = read_ring_file(path)
    assert on_disk.pending is not None
    new_id = on_disk.pending.key_id
    new_token = on_disk.seal(SECRET, AAD, key_id=new_id)
    # Mid-rotation both the old and the new values open from what is on disk.
    assert on_disk.open(old_token, AAD) == SECRET
    assert on_disk.open(new_token, AAD) == SECRET
    final = on_disk.promoted()
    write_ring_file(path, final)
    done = read_ring_file(path)
    assert done.current_id == new_id
    assert done.open(new_token, AAD) == SECRET
    with pytest.raises(SealingError, match="retired on"):
        done.open(old_token, AAD)
    document = json.loads(path.read_text())
    states = {entry["state"] for entry in document["keys"]}
    assert states == {"current", "retired"}
    retired = [e for e in document["keys"] if e["state"] == "retired"]
    assert "key" not in retired[0]  # the old key's material is gone


def test_environment_value_as_plain_base64_key() -> None:
    raw = os.urandom(32)
    ring = KeyRing.parse(base64.b64encode(raw).decode(), source="VESTIGE_PROTECTION_KEY")
    assert ring.current.master == raw
    # The key id depends on the key only, so the file and the plain form agree.
    assert KeyRing.parse(ring.to_json().decode(), source="file").current_id == ring.current_id
    with pytest.raises(SealingError, match="base64 of 32 bytes"):
        KeyRing.parse(base64.b64encode(b"short").decode(), source="VESTIGE_PROTECTION_KEY")
    with pytest.raises(SealingError, match="base64"):
        KeyRing.parse("not base64 at all!", source="VESTIGE_PROTECTION_KEY")


def test_edited_key_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "protection.key"
    create_ring_file(path)
    document = json.loads(path.read_text())
    document["keys"][0]["id"] = "0000000000000000"
    write_ring_file(path, KeyRing.generate())  # replace, then hand-edit
    path.write_text(json.dumps(document))
    os.chmod(path, 0o600)
    with pytest.raises(SealingError, match="does not match its key material"):
        read_ring_file(path)


def test_match_keys_are_keyed() -> None:
    one, two = KeyRing.generate(), KeyRing.generate()
    assert one.match_key("name:aliev rasad") == one.match_key("name:aliev rasad")
    assert one.match_key("name:aliev rasad") != two.match_key("name:aliev rasad")
    assert len(one.match_key("x")) == 64
