"""Checking the signature of a WACZ (``signedData`` in ``datapackage-digest.json``).

Two kinds exist (the WACZ signing spec, as authsign and ArchiveWeb.page write them):

* **domain** — an ECDSA signature of the datapackage hash by the key of a domain certificate
  (Let's Encrypt), with the certificate chain, plus an RFC 3161 timestamp of that signature
  by a timestamp authority, with its chain.
* **observer** — an ECDSA signature by a bare public key (``publicKey``): integrity without
  identity.

Certificates are judged as of the archive's ``created`` time (the timestamp authority's time
for its own chain), not today's: signing certificates live 90 days, an archive lives for ever.
The RFC 3161 token is read with a small DER walker so no ASN.1 library is needed at run time.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.x509.oid import NameOID

# SHA-256 fingerprints of the roots a signature may chain to (public facts about public roots).
TRUSTED_DOMAIN_ROOTS = {
    "96bcec06264976f37460779acf28c5a7cfe8a3c0aae11a8ffcee05c0bddf08c6": "ISRG Root X1",
    "69729b8e15a86efc177a57afb7171dfc64add28c2fca8cf1507e34453ccb1470": "ISRG Root X2",
    "6d99fb265eb1c5b3744765fcbc648f3cd8e1bffafdc4c2f99b9d47cf7ff1c24f": (
        "ISRG Root X1 (cross-signed by DST Root CA X3)"
    ),
    "ee5f7abd6981bb0255632cd8f49283451b4b18844d12040b44ee00f07b8fe2c6": (
        "ISRG Root X1 (cross-signed)"
    ),
}
TRUSTED_TIMESTAMP_ROOTS = {
    "a6379e7cecc05faa3cbf076013d745e327bbbaa38c0b9af22469d4701d18aabc": "FreeTSA Root CA",
    "33846b545a49c9be4903c60e01713c1bd4e4ef31ea65cd95d69e62794f30b941": (
        "DigiCert Trusted Root G4"
    ),
}
# authsign signs with a certificate issued for the purpose: at most a week old when used.
CERT_FRESHNESS = timedelta(days=7)
# The timestamp must follow the signature closely.
STAMP_WINDOW = timedelta(minutes=10)

OID_MESSAGE_DIGEST = "1.2.840.113549.1.9.4"
HASH_OIDS: dict[str, Callable[[], hashes.HashAlgorithm]] = {
    "1.3.14.3.2.26": hashes.SHA1,
    "2.16.840.1.101.3.4.2.1": hashes.SHA256,
    "2.16.840.1.101.3.4.2.2": hashes.SHA384,
    "2.16.840.1.101.3.4.2.3": hashes.SHA512,
    "2.16.840.1.101.3.4.2.4": hashes.SHA224,
}


class SignatureProblem(Exception):
    """One check of the signature failed; the message says which and why."""


@dataclass
class SignatureReport:
    present: bool = False
    valid: bool | None = None  # None when there is no signature
    kind: str = ""  # domain | observer
    reason: str = ""  # why it is invalid, one sentence
    identity: str = ""  # the domain, or the observer key's fingerprint
    created: str = ""
    timestamp: str = ""  # the timestamp authority's time
    judged_as_of: str = ""
    software: str = ""
    certificate: dict[str, Any] = field(default_factory=dict)
    timestamp_authority: dict[str, Any] = field(default_factory=dict)
    steps: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def step(self, label: str, ok: bool, detail: str = "", failure: str = "") -> None:
        """Record one check; a failed one ends the verification with a precise reason."""
        self.steps.append(
            {"check": label, "ok": ok, "detail": failure if not ok and failure else detail}
        )
        if not ok:
            raise SignatureProblem(
                failure
                or (f"failed check '{label}' ({detail})" if detail else f"failed check '{label}'")
            )

    def to_dict(self) -> dict[str, Any]:
        return {
            "present": self.present,
            "valid": self.valid,
            "kind": self.kind,
            "reason": self.reason,
            "identity": self.identity,
            "created": self.created,
            "timestamp": self.timestamp,
            "judged_as_of": self.judged_as_of,
            "software": self.software,
            "certificate": self.certificate,
            "timestamp_authority": self.timestamp_authority,
            "steps": self.steps,
            "notes": self.notes,
        }


# --- a minimal DER reader ---------------------------------------------------------------


@dataclass
class Der:
    tag: int
    start: int  # where the whole TLV starts in ``data``
    body: int  # where the content starts
    end: int
    data: bytes

    @property
    def content(self) -> bytes:
        return self.data[self.body : self.end]

    @property
    def encoded(self) -> bytes:
        return self.data[self.start : self.end]

    def children(self) -> list[Der]:
        items = []
        pos = self.body
        while pos < self.end:
            item = read_der(self.data, pos)
            items.append(item)
            pos = item.end
        return items


def read_der(data: bytes, pos: int = 0) -> Der:
    """One TLV at ``pos`` (definite lengths only, as DER requires)."""
    if pos + 2 > len(data):
        raise SignatureProblem("timestamp token: truncated DER")
    tag = data[pos]
    length = data[pos + 1]
    body = pos + 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4:
            raise SignatureProblem("timestamp token: unsupported DER length")
        length = int.from_bytes(data[body : body + count], "big")
        body += count
    end = body + length
    if end > len(data):
        raise SignatureProblem("timestamp token: DER length past the end")
    return Der(tag, pos, body, end, data)


def oid_text(node: Der) -> str:
    raw = node.content
    first = raw[0]
    parts = [str(first // 40), str(first % 40)]
    value = 0
    for byte in raw[1:]:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(str(value))
            value = 0
    return ".".join(parts)


@dataclass
class TimeStamp:
    time: datetime
    imprint_oid: str
    imprint: bytes
    signer_serial: int | None


def parse_generalized_time(text: str) -> datetime:
    text = text.rstrip("Z")
    main, _, fraction = text.partition(".")
    moment = datetime.strptime(main, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    if fraction:
        moment += timedelta(microseconds=int(fraction[:6].ljust(6, "0")))
    return moment


def _verify_with(key: Any, signature: bytes, data: bytes, algorithm: hashes.HashAlgorithm) -> None:
    if isinstance(key, rsa.RSAPublicKey):
        key.verify(signature, data, padding.PKCS1v15(), algorithm)
    elif isinstance(key, ec.EllipticCurvePublicKey):
        key.verify(signature, data, ec.ECDSA(algorithm))
    else:
        raise SignatureProblem(f"unsupported key type {type(key).__name__}")


def verify_timestamp(token_b64: str, tsa_cert: x509.Certificate) -> TimeStamp:
    """Check an RFC 3161 TimeStampResp signed by ``tsa_cert``; return what it asserts."""
    data = base64.b64decode(token_b64)
    response = read_der(data).children()
    if len(response) < 2:
        raise SignatureProblem("timestamp response carries no token")
    status = response[0].children()[0]
    if int.from_bytes(status.content, "big") not in (0, 1):
        raise SignatureProblem("timestamp response status is not 'granted'")
    content_info = response[1].children()
    signed_data = content_info[1].children()[0].children()
    encap = signed_data[2].children()
    tst_octets = encap[1].children()[0]
    tst_info_der = tst_octets.content
    signer_info = signed_data[-1].children()[0].children()
    digest_alg = oid_text(signer_info[2].children()[0])
    algorithm = HASH_OIDS.get(digest_alg)
    if algorithm is None:
        raise SignatureProblem(f"timestamp signed with unknown digest {digest_alg}")
    index = 3
    signed_attrs = None
    if signer_info[index].tag == 0xA0:
        signed_attrs = signer_info[index]
        index += 1
    signature = signer_info[index + 1].content
    serial: int | None = None
    sid = signer_info[1]
    if sid.tag == 0x30:
        serial = int.from_bytes(sid.children()[1].content, "big", signed=True)
    if signed_attrs is None:
        signed_bytes = tst_info_der
    else:
        digest_value = None
        for attribute in signed_attrs.children():
            parts = attribute.children()
            if oid_text(parts[0]) == OID_MESSAGE_DIGEST:
                digest_value = parts[1].children()[0].content
        hasher = hashes.Hash(algorithm())
        hasher.update(tst_info_der)
        if digest_value != hasher.finalize():
            raise SignatureProblem("timestamp token: the signed digest does not match TSTInfo")
        signed_bytes = b"\x31" + signed_attrs.encoded[1:]  # [0] IMPLICIT -> SET OF for signing
    try:
        _verify_with(tsa_cert.public_key(), signature, signed_bytes, algorithm())
    except InvalidSignature as exc:
        raise SignatureProblem(
            "timestamp token is not signed by the timestamp certificate"
        ) from exc
    tst = read_der(tst_info_der).children()
    imprint = tst[2].children()
    gen_time = parse_generalized_time(tst[4].content.decode("ascii"))
    return TimeStamp(gen_time, oid_text(imprint[0].children()[0]), imprint[1].content, serial)


# --- certificates ---------------------------------------------------------------------------


def fingerprint(cert: x509.Certificate) -> str:
    return binascii.hexlify(cert.fingerprint(hashes.SHA256())).decode()


def _subject_name(cert: x509.Certificate) -> str:
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if names:
        value = names[0].value
        return value.decode() if isinstance(value, bytes) else value
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        dns = san.value.get_values_for_type(x509.DNSName)
        return dns[0] if dns else ""
    except x509.ExtensionNotFound:
        return ""


def _describe(cert: x509.Certificate) -> dict[str, Any]:
    return {
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "not_before": cert.not_valid_before_utc.isoformat(),
        "not_after": cert.not_valid_after_utc.isoformat(),
        "sha256": fingerprint(cert),
    }


def check_chain(
    pem: str,
    trusted: dict[str, str],
    as_of: datetime,
    label: str,
    report: SignatureReport,
) -> list[x509.Certificate]:
    """Each certificate signed by the next, all valid at ``as_of``, ending at a trusted root."""
    try:
        certs = x509.load_pem_x509_certificates(pem.encode("ascii"))
    except ValueError as exc:
        report.step(f"{label} certificate chain can be read", False, str(exc))
        raise AssertionError from exc  # unreachable: step raised
    for child, parent in pairwise(certs):
        try:
            child.verify_directly_issued_by(parent)
            ok = True
        except (ValueError, TypeError, InvalidSignature):
            ok = False
        report.step(
            f"{label} certificate chain is signed link by link",
            ok,
            "" if ok else f"'{child.subject.rfc4514_string()}' is not signed by the next one",
        )
    anchor_index = next((i for i, cert in enumerate(certs) if fingerprint(cert) in trusted), None)
    last = certs[-1]
    report.step(
        f"{label} certificate chain ends at a trusted root",
        anchor_index is not None,
        (
            f"'{trusted[fingerprint(certs[anchor_index])]}' "
            f"(sha-256 {fingerprint(certs[anchor_index])})"
            if anchor_index is not None
            else ""
        ),
        failure=(
            f"the {label} certificate chain ends at '{last.subject.rfc4514_string()}' "
            f"(sha-256 {fingerprint(last)}), which is not a trusted root"
        ),
    )
    assert anchor_index is not None
    for cert in certs[: anchor_index + 1]:
        valid = cert.not_valid_before_utc <= as_of <= cert.not_valid_after_utc
        report.step(
            f"{label} certificate valid on {as_of.isoformat()}",
            valid,
            f"'{_subject_name(cert) or cert.subject.rfc4514_string()}' valid "
            f"{cert.not_valid_before_utc.isoformat()} to {cert.not_valid_after_utc.isoformat()}",
        )
    return certs


def _ecdsa_verify(key: Any, signature_b64: str, message: str) -> bool:
    """ECDSA/SHA-256 over ``message``; the signature in DER or raw r||s (WebCrypto) form."""
    if not isinstance(key, ec.EllipticCurvePublicKey):
        return False
    try:
        raw = base64.b64decode(signature_b64)
    except (binascii.Error, ValueError):
        return False
    candidates = [raw]
    size = (key.curve.key_size + 7) // 8
    if len(raw) == 2 * size:
        r = int.from_bytes(raw[:size], "big")
        s = int.from_bytes(raw[size:], "big")
        candidates.append(encode_dss_signature(r, s))
    for candidate in candidates:
        try:
            key.verify(candidate, message.encode("utf-8"), ec.ECDSA(hashes.SHA256()))
            return True
        except (InvalidSignature, ValueError):
            continue
    return False


def parse_time(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def verify_signed_data(
    signed: dict[str, Any],
    digest_hash: str,
    created: str | None,
    domain_roots: dict[str, str] | None = None,
    timestamp_roots: dict[str, str] | None = None,
) -> SignatureReport:
    """Check ``signedData`` against the datapackage hash; never raises for bad input."""
    report = SignatureReport(present=True)
    report.software = str(signed.get("software", ""))
    report.created = str(signed.get("created", ""))
    try:
        _verify(signed, digest_hash, created, report, domain_roots, timestamp_roots)
        report.valid = True
    except SignatureProblem as exc:
        report.valid = False
        report.reason = str(exc)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        report.valid = False
        report.reason = f"the signed data cannot be read: {type(exc).__name__}: {exc}"
    return report


def _verify(
    signed: dict[str, Any],
    digest_hash: str,
    created: str | None,
    report: SignatureReport,
    domain_roots: dict[str, str] | None,
    timestamp_roots: dict[str, str] | None,
) -> None:
    report.step(
        "signed hash is the hash of datapackage.json",
        signed.get("hash") == digest_hash,
        f"signed {signed.get('hash')!r}, datapackage-digest.json {digest_hash!r}",
    )
    when = parse_time(str(signed.get("created", "")))
    report.step("signature creation time can be read", when is not None, report.created)
    assert when is not None
    report.step(
        "signature creation time equals the datapackage's 'created'",
        created is None or signed.get("created") == created,
        f"signed {signed.get('created')!r}, datapackage {created!r}",
    )
    report.judged_as_of = when.isoformat()
    signature = str(signed.get("signature", ""))
    if signed.get("domainCert"):
        _verify_domain(signed, signature, when, report, domain_roots, timestamp_roots)
    elif signed.get("publicKey"):
        report.kind = "observer"
        der = base64.b64decode(str(signed["publicKey"]))
        key = serialization.load_der_public_key(der)
        report.identity = "sha256:" + hashlib.sha256(der).hexdigest()
        report.step(
            "signature of the hash by the observer key",
            _ecdsa_verify(key, signature, str(signed.get("hash"))),
            "ECDSA with SHA-256",
        )
        report.notes.append(
            "observer signature: proves the package is unchanged since it was signed by this key; "
            "the key is not tied to a verified identity"
        )
    else:
        report.step("signature names a certificate or a public key", False, "neither present")


def _verify_domain(
    signed: dict[str, Any],
    signature: str,
    when: datetime,
    report: SignatureReport,
    domain_roots: dict[str, str] | None,
    timestamp_roots: dict[str, str] | None,
) -> None:
    report.kind = "domain"
    certs = check_chain(
        str(signed["domainCert"]), domain_roots or TRUSTED_DOMAIN_ROOTS, when, "domain", report
    )
    leaf = certs[0]
    report.certificate = _describe(leaf)
    report.step(
        "signature of the hash by the domain certificate's key",
        _ecdsa_verify(leaf.public_key(), signature, str(signed.get("hash"))),
        "ECDSA with SHA-256",
    )
    if signed.get("crossSignedCert"):
        cross = check_chain(
            str(signed["crossSignedCert"]),
            domain_roots or TRUSTED_DOMAIN_ROOTS,
            when,
            "cross-signed",
            report,
        )
        report.step(
            "signature of the hash by the cross-signed certificate's key",
            _ecdsa_verify(cross[0].public_key(), signature, str(signed.get("hash"))),
        )
    name = _subject_name(leaf)
    report.identity = name
    report.step(
        "certificate names the signing domain",
        name == signed.get("domain"),
        f"certificate {name!r}, signed data {signed.get('domain')!r}",
    )
    report.step(
        "signing certificate was at most 7 days old when used",
        leaf.not_valid_before_utc <= when <= leaf.not_valid_before_utc + CERT_FRESHNESS,
        f"issued {leaf.not_valid_before_utc.isoformat()}, used {when.isoformat()}",
    )
    tsa_pem = str(signed.get("timestampCert", ""))
    report.step(
        "a timestamp and its certificate are present", bool(tsa_pem and signed.get("timeSignature"))
    )
    tsa_certs = x509.load_pem_x509_certificates(tsa_pem.encode("ascii"))
    stamp = verify_timestamp(str(signed["timeSignature"]), tsa_certs[0])
    report.steps.append(
        {
            "check": "timestamp token signed by the timestamp authority",
            "ok": True,
            "detail": _subject_name(tsa_certs[0]),
        }
    )
    expected = hashlib.sha256(signature.encode("ascii")).digest()
    report.step(
        "timestamp covers the signature",
        stamp.imprint == expected and stamp.imprint_oid == "2.16.840.1.101.3.4.2.1",
        "SHA-256 of the signature",
    )
    report.timestamp = stamp.time.isoformat()
    report.step(
        "signature created at most 10 minutes before the timestamp",
        when - timedelta(seconds=1) <= stamp.time and stamp.time - when <= STAMP_WINDOW,
        f"created {when.isoformat()}, timestamp {stamp.time.isoformat()}",
    )
    tsa_chain = check_chain(
        tsa_pem, timestamp_roots or TRUSTED_TIMESTAMP_ROOTS, stamp.time, "timestamp", report
    )
    report.timestamp_authority = _describe(tsa_chain[0])
    now = datetime.now(UTC)
    expired = [c for c in certs + tsa_chain if c.not_valid_after_utc < now]
    if expired:
        report.notes.append(
            f"judged as of the archive's creation time ({when.isoformat()}): "
            f"{len(expired)} certificate(s) of the chains have expired since"
        )
    else:
        report.notes.append(f"judged as of the archive's creation time ({when.isoformat()})")
