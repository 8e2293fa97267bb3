"""Sealing protected identities: AES-256-GCM under a key ring kept outside the database.

A sealed value is ``version (1 byte) | key id (8 bytes) | nonce (12 bytes) | ciphertext+tag``.
The caller passes *associated data* naming the record and field the value belongs to
(:func:`record_aad`); the tag covers it, so a sealed identity copied onto another record does not
open, just as a flipped byte or a different key does not. Opening never returns garbage: it returns
the plaintext or raises :class:`SealingError` with a message saying which of these happened.

The ring holds one *current* key (new seals), possibly a *pending* key (written to disk before a
rotation touches the database, so that no record is ever sealed under a key that is not on disk)
and the ids of *retired* keys (their material is dropped, so that a stolen old key opens nothing
sealed since). Each master key yields, through HKDF, an encryption key and a separate HMAC key for
match keys (:meth:`KeyRing.match_key`): keyed hashes of normalised names that let records be
compared without storing the names.

The ring is stored as JSON in ``<data dir>/keys/protection.key`` (mode 0600) or given in the
environment (``VESTIGE_PROTECTION_KEY``: that JSON, or the base64 of one 32-byte key). This module
has no Django imports.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
import stat
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .errors import VestigeError

FORMAT_VERSION = 1
KEY_BYTES = 32
KEY_ID_BYTES = 8
NONCE_BYTES = 12
TAG_BYTES = 16
HEADER_BYTES = 1 + KEY_ID_BYTES + NONCE_BYTES
RING_FORMAT = "vestige-protection-keyring-1"
AAD_PREFIX = b"vestige.protection:"


class SealingError(VestigeError):
    """A sealed value cannot be opened (or a key ring cannot be read); the message says why."""


def record_aad(table: str, record_id: object, field_name: str) -> bytes:
    """The associated data binding a sealed value to one field of one record."""
    return AAD_PREFIX + f"{table}:{record_id}:{field_name}".encode()


def key_id_for(master: bytes) -> str:
    """A key's public name: 16 hex digits of a hash of the key (the same wherever it is given)."""
    return hashlib.sha256(b"vestige.protection.key-id:" + master).hexdigest()[: KEY_ID_BYTES * 2]


def _derive(master: bytes, purpose: bytes) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=purpose)
    return hkdf.derive(master)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class ProtectionKey:
    """One master key and the two keys derived from it."""

    master: bytes
    created: str = ""

    def __post_init__(self) -> None:
        if len(self.master) != KEY_BYTES:
            raise SealingError(
                f"a protection key must be {KEY_BYTES} bytes, not {len(self.master)}"
            )

    @property
    def key_id(self) -> str:
        return key_id_for(self.master)

    @property
    def aead(self) -> AESGCM:
        return AESGCM(_derive(self.master, b"vestige.protection.seal"))

    @property
    def mac_key(self) -> bytes:
        return _derive(self.master, b"vestige.protection.match")

    @classmethod
    def generate(cls) -> ProtectionKey:
        return cls(secrets.token_bytes(KEY_BYTES), created=_now())


@dataclass(frozen=True)
class KeyRing:
    """The keys that seal and open protected records."""

    current: ProtectionKey
    pending: ProtectionKey | None = None
    older: tuple[ProtectionKey, ...] = ()  # still usable for opening (none after a rotation)
    retired: dict[str, str] = field(default_factory=dict)  # key id -> when it was retired

    # --- sealing -----------------------------------------------------------------------------

    @property
    def current_id(self) -> str:
        return self.current.key_id

    def _usable(self) -> dict[str, ProtectionKey]:
        keys = {k.key_id: k for k in self.older}
        if self.pending is not None:
            keys[self.pending.key_id] = self.pending
        keys[self.current.key_id] = self.current
        return keys

    def has_key(self, key_id: str) -> bool:
        return key_id in self._usable()

    def seal(self, plaintext: bytes, aad: bytes, *, key_id: str | None = None) -> bytes:
        """Encrypt ``plaintext`` bound to ``aad`` under the current key (or ``key_id``)."""
        key = self._key(key_id) if key_id else self.current
        nonce = secrets.token_bytes(NONCE_BYTES)
        body = key.aead.encrypt(nonce, plaintext, aad)
        return bytes([FORMAT_VERSION]) + bytes.fromhex(key.key_id) + nonce + body

    def open(self, token: bytes, aad: bytes) -> bytes:
        """The plaintext of ``token``; :class:`SealingError` for any key, format or tag problem."""
        key = self._key(token_key_id(token))
        nonce = bytes(token[1 + KEY_ID_BYTES : HEADER_BYTES])
        try:
            return key.aead.decrypt(nonce, bytes(token[HEADER_BYTES:]), aad)
        except InvalidTag:
            raise SealingError(
                f"the protection key {key.key_id} does not open this record: the sealed data "
                "was changed, or belongs to another record"
            ) from None

    def _key(self, key_id: str) -> ProtectionKey:
        usable = self._usable()
        if key_id in usable:
            return usable[key_id]
        have = ", ".join(sorted(usable))
        if key_id in self.retired:
            raise SealingError(
                f"this record was sealed with protection key {key_id}, which was retired on "
                f"{self.retired[key_id]} by a key rotation; the key ring has {have}. Was a "
                "backup restored without its key file?"
            )
        raise SealingError(
            f"this record was sealed with protection key {key_id}, which the key ring does not "
            f"have (it has {have}): wrong key. Set VESTIGE_PROTECTION_KEY or restore "
            "keys/protection.key to the key ring that sealed the registry"
        )

    # --- match keys ----------------------------------------------------------------------------

    def match_key(self, text: str, *, key_id: str | None = None) -> str:
        """HMAC-SHA256 (hex) of a normalised variant, under the current key (or ``key_id``)."""
        key = self._key(key_id) if key_id else self.current
        return hmac.new(key.mac_key, text.encode("utf-8"), hashlib.sha256).hexdigest()

    # --- rotation ------------------------------------------------------------------------------

    def with_pending(self, new: ProtectionKey) -> KeyRing:
        """The ring with ``new`` on disk but not yet current (the first step of a rotation)."""
        if new.key_id in self._usable() and new.key_id != (self.pending and self.pending.key_id):
            raise SealingError(f"protection key {new.key_id} is already in the key ring")
        return replace(self, pending=new)

    def promoted(self) -> KeyRing:
        """The ring after a committed rotation: the pending key is current, the others retired."""
        if self.pending is None:
            raise SealingError("the key ring has no pending key to make current")
        retired = dict(self.retired)
        when = _now()
        for key in (self.current, *self.older):
            if key.key_id != self.pending.key_id:
                retired[key.key_id] = when
        return KeyRing(current=self.pending, pending=None, older=(), retired=retired)

    def without_pending(self) -> KeyRing:
        """The ring as it was before an abandoned rotation."""
        return replace(self, pending=None)

    # --- storage -------------------------------------------------------------------------------

    def to_json(self) -> bytes:
        def entry(key: ProtectionKey, state: str) -> dict[str, str]:
            return {
                "id": key.key_id,
                "state": state,
                "key": base64.b64encode(key.master).decode("ascii"),
                "created": key.created,
            }

        keys = [entry(self.current, "current")]
        if self.pending is not None:
            keys.append(entry(self.pending, "pending"))
        keys.extend(entry(k, "older") for k in self.older)
        keys.extend(
            {"id": kid, "state": "retired", "retired": when}
            for kid, when in sorted(self.retired.items())
        )
        document = {"format": RING_FORMAT, "keys": keys}
        return (json.dumps(document, indent=2) + "\n").encode("ascii")

    @classmethod
    def generate(cls) -> KeyRing:
        return cls(current=ProtectionKey.generate())

    @classmethod
    def parse(cls, text: str, *, source: str) -> KeyRing:
        """Read a ring from its JSON, or from the base64 of a single 32-byte key."""
        text = text.strip()
        if not text:
            raise SealingError(f"{source} is empty: it should hold the protection key ring")
        if not text.startswith("{"):
            return cls(current=ProtectionKey(_b64(text, source)))
        try:
            document = json.loads(text)
        except ValueError:
            raise SealingError(f"{source} is not a protection key ring (invalid JSON)") from None
        if not isinstance(document, dict) or document.get("format") != RING_FORMAT:
            raise SealingError(f"{source} is not a protection key ring (format {RING_FORMAT})")
        return cls._from_entries(document.get("keys"), source)

    @classmethod
    def _from_entries(cls, entries: Any, source: str) -> KeyRing:
        if not isinstance(entries, list):
            raise SealingError(f"{source}: 'keys' must be a list")
        current: ProtectionKey | None = None
        pending: ProtectionKey | None = None
        older: list[ProtectionKey] = []
        retired: dict[str, str] = {}
        for entry in entries:
            if not isinstance(entry, dict):
                raise SealingError(f"{source}: every key entry must be an object")
            state = entry.get("state")
            if state == "retired":
                retired[str(entry.get("id", ""))] = str(entry.get("retired", ""))
                continue
            key = ProtectionKey(
                _b64(str(entry.get("key", "")), source), str(entry.get("created", ""))
            )
            if entry.get("id") not in (None, key.key_id):
                raise SealingError(
                    f"{source}: key {entry.get('id')} does not match its key material "
                    f"(which is key {key.key_id}); the file was edited or damaged"
                )
            if state == "current":
                if current is not None:
                    raise SealingError(f"{source}: more than one current key")
                current = key
            elif state == "pending":
                pending = key
            elif state == "older":
                older.append(key)
            else:
                raise SealingError(f"{source}: unknown key state {state!r}")
        if current is None:
            raise SealingError(f"{source}: the key ring has no current key")
        return cls(current=current, pending=pending, older=tuple(older), retired=retired)


def _b64(text: str, source: str) -> bytes:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise SealingError(
            f"{source}: a protection key must be base64 of {KEY_BYTES} bytes"
        ) from None
    if len(raw) != KEY_BYTES:
        raise SealingError(
            f"{source}: a protection key must be base64 of {KEY_BYTES} bytes, not {len(raw)}"
        )
    return raw


def token_key_id(token: bytes) -> str:
    """The id of the key a sealed value names, after checking its header."""
    token = bytes(token)
    if len(token) < HEADER_BYTES + TAG_BYTES:
        raise SealingError("this sealed value is truncated or is not a sealed value at all")
    if token[0] != FORMAT_VERSION:
        raise SealingError(
            f"this sealed value has format version {token[0]}, which this Vestige cannot read"
        )
    return token[1 : 1 + KEY_ID_BYTES].hex()


# --- the key file ---------------------------------------------------------------------------------


def read_ring_file(path: Path) -> KeyRing:
    """Read the ring at ``path``, refusing a file that others than its owner can read."""
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SealingError(
            f"{path} can be read by other accounts (mode {stat.S_IMODE(mode):o}); "
            f"run: chmod 600 {path}"
        )
    return KeyRing.parse(path.read_text("ascii", errors="replace"), source=str(path))


def write_ring_file(path: Path, ring: KeyRing) -> None:
    """Replace the ring at ``path`` atomically (0600, fsynced, then renamed over the old one)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, ring.to_json())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def create_ring_file(path: Path) -> KeyRing:
    """A new ring at ``path``; if another process created one first, that one is used."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    ring = KeyRing.generate()
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, ring.to_json())
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)  # fails if the ring exists: never replace keys that sealed data
    except FileExistsError:
        return read_ring_file(path)
    finally:
        tmp.unlink()
    _fsync_dir(path.parent)
    return ring


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
