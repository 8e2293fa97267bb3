"""What the WARC standard (ISO 28500, 1.0 and 1.1) asks of each header field and record type.

Each rule appends findings to a :class:`Notes` object with a severity: ``error`` (the standard
is broken), ``recommendation`` (a SHOULD is not followed) or ``comment`` (worth knowing, e.g. an
extension or a field the reader cannot check). The wording follows warcio's draft ``warcio test``
so reports can be compared line by line with its expected outputs.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass, field

TOKEN = re.compile(r"[!#$%&'*+\-.0-9A-Z^_`a-z|~]+")  # RFC 9110 token
DIGEST_VALUE = re.compile(r"[A-Za-z0-9/+\-_=]+")
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z")
SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+\-.]*")

RECORD_TYPES = (
    "warcinfo",
    "response",
    "resource",
    "request",
    "metadata",
    "revisit",
    "conversion",
    "continuation",
)
SEGMENT_DISCOURAGED = {"warcinfo", "request", "metadata", "revisit"}
TRUNCATED_REASONS = {"length", "time", "disconnect", "unspecified"}
PROFILES = {
    "http://netpreserve.org/warc/0.17/revisit/identical-payload-digest": "0.17",
    "http://netpreserve.org/warc/0.17/revisit/server-not-modified": "0.17",
    "http://netpreserve.org/warc/0.18/revisit/identical-payload-digest": "0.18",
    "http://netpreserve.org/warc/0.18/revisit/server-not-modified": "0.18",
    "http://netpreserve.org/warc/1.0/revisit/identical-payload-digest": "1.0",
    "http://netpreserve.org/warc/1.0/revisit/server-not-modified": "1.0",
    "http://netpreserve.org/warc/1.0/revisit/uri-agnostic-identical-payload-digest": "1.0",
    "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest": "1.1",
    "http://netpreserve.org/warc/1.1/revisit/server-not-modified": "1.1",
}
PROFILE_VERSIONS = set(PROFILES.values())


@dataclass
class Notes:
    """Findings about one record, in the order they were seen."""

    items: list[tuple[str, str, str, str]] = field(default_factory=list)

    def add(self, severity: str, message: str, name: str = "", value: str = "") -> None:
        text = " ".join(part for part in (message, name, value) if part)
        self.items.append((severity, text, name, value))

    def error(self, message: str, name: str = "", value: str = "") -> None:
        self.add("error", message, name, value)

    def recommend(self, message: str, name: str = "", value: str = "") -> None:
        self.add("recommendation", message, name, value)

    def comment(self, message: str, name: str = "", value: str = "") -> None:
        self.add("comment", message, name, value)


@dataclass
class FieldContext:
    """What a field rule may need to know about the record it belongs to."""

    version: str
    record_type: str | None
    has_segment_origin: bool


def hash_for(algorithm: str) -> hashlib._Hash | None:
    """A hash object for a WARC digest algorithm name (``sha1``, ``sha-256``…), or None."""
    name = algorithm.lower().replace("-", "")
    if name in {"sha3224", "sha3256", "sha3384", "sha3512"}:
        name = f"sha3_{name[4:]}"
    if name not in hashlib.algorithms_available:
        return None
    try:
        return hashlib.new(name)
    except ValueError:
        return None


def _unbracketed_uri(name: str, value: str, notes: Notes) -> None:
    if value.startswith("<") or value.endswith(">"):
        notes.error("uri must not be within <>:", name, value)
        return
    if ":" not in value:
        notes.error("Invalid uri, no scheme:", name, value)
    if re.search(r"\s", value):
        notes.error("Invalid uri, contains whitespace:", name, value)
    if ":" in value and not SCHEME.fullmatch(value.split(":", 1)[0]):
        notes.error("Invalid uri scheme, bad character:", name, value)


def _bracketed_uri(name: str, value: str, notes: Notes) -> None:
    if not (value.startswith("<") and value.endswith(">")):
        notes.error("uri must be within <>:", name, value)
        return
    _unbracketed_uri(name, value[1:-1], notes)


def _timestamp(name: str, value: str, ctx: FieldContext, notes: Notes) -> None:
    if not TIMESTAMP.fullmatch(value):
        notes.error("Invalid timestamp:", name, value)
    if ctx.version <= "1.0" and "." in value:
        notes.error(
            "WARC versions <= 1.0 may not have timestamps with fractional seconds:", name, value
        )


def _integer(name: str, value: str, notes: Notes) -> bool:
    if not value.isdigit():
        notes.error("Must be an integer:", name, value)
        return False
    return True


def _media_type(name: str, value: str, notes: Notes) -> None:
    if "/" not in value:
        notes.error("Must contain a /:", name, value)
    main, _, rest = value.partition("/")
    if not TOKEN.fullmatch(main):
        notes.error("Invalid type:", name, value)
    subtype = rest.split(";", 1)[0]
    if not TOKEN.fullmatch(subtype):
        notes.error("Invalid subtype:", name, value)


def _digest(name: str, value: str, notes: Notes) -> None:
    if ":" not in value:
        notes.error("Missing algorithm:", name, value)
    algorithm, _, digest = value.partition(":")
    if not TOKEN.fullmatch(algorithm):
        notes.error("Invalid algorithm:", name, value)
    elif hash_for(algorithm) is None:
        notes.comment("Unknown digest algorithm:", name, value)
    if digest and not DIGEST_VALUE.fullmatch(digest):
        notes.comment("Invalid-looking digest value:", name, value)


def _ip(name: str, value: str, notes: Notes) -> None:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        notes.error("Invalid ip:", name, value)


def _warc_type(name: str, value: str, notes: Notes) -> None:
    if not value.islower():
        notes.comment("WARC-Type is not lower-case:", name, value)
    if value.lower() not in RECORD_TYPES:
        notes.comment("Unknown WARC-Type:", name, value)


def _truncated(name: str, value: str, notes: Notes) -> None:
    if value.lower() not in TRUNCATED_REASONS:
        notes.comment("Unknown value, perhaps an extension:", name, value)


def _profile(name: str, value: str, ctx: FieldContext, notes: Notes) -> None:
    if ctx.version not in PROFILE_VERSIONS:
        return
    if value in PROFILES:
        if PROFILES[value] != ctx.version:
            notes.comment("WARC-Profile value is for a different version:", ctx.version, value)
    else:
        notes.comment("Unknown value, perhaps an extension:", name, value)
    if "/revisit/uri-agnostic-identical-payload-digest" in value:
        notes.comment("This Heretrix extension never made it into the standard:", name, value)


def _segment_number(name: str, value: str, ctx: FieldContext, notes: Notes) -> None:
    if not _integer(name, value, notes):
        return
    number = int(value)
    if number == 0:
        notes.error("Must be 1 or greater:", name, value)
    if ctx.record_type != "continuation":
        if number != 1:
            notes.error(
                "Non-continuation records must always have WARC-Segment-Number: 1:", name, value
            )
        if not ctx.has_segment_origin:
            notes.error(
                "Segmented records must have both WARC-Segment-Number and WARC-Segment-Origin-ID"
            )
    if ctx.record_type in SEGMENT_DISCOURAGED:
        notes.recommend(f"Do not segment WARC-Type {ctx.record_type}")


def _heritrix(name: str, value: str, notes: Notes) -> None:
    notes.comment("This Heretrix extension never made it into the standard:", name, value)


FieldRule = Callable[[str, str, FieldContext, Notes], None]


def _plain(rule: Callable[[str, str, Notes], object]) -> FieldRule:
    def wrapped(name: str, value: str, ctx: FieldContext, notes: Notes) -> None:
        rule(name, value, notes)

    return wrapped


def _nothing(name: str, value: str, ctx: FieldContext, notes: Notes) -> None:
    """A known field with no format to check (WARC-Filename is free text)."""


# field name (lower case) -> (rule, first WARC version that defines it)
FIELDS: dict[str, tuple[FieldRule, str]] = {
    "warc-type": (_plain(_warc_type), ""),
    "warc-record-id": (_plain(_bracketed_uri), ""),
    "warc-date": (_timestamp, ""),
    "content-length": (_plain(_integer), ""),
    "content-type": (_plain(_media_type), ""),
    "warc-concurrent-to": (_plain(_bracketed_uri), ""),
    "warc-block-digest": (_plain(_digest), ""),
    "warc-payload-digest": (_plain(_digest), ""),
    "warc-ip-address": (_plain(_ip), ""),
    "warc-refers-to": (_plain(_bracketed_uri), ""),
    "warc-target-uri": (_plain(_unbracketed_uri), ""),
    "warc-truncated": (_plain(_truncated), ""),
    "warc-warcinfo-id": (_plain(_bracketed_uri), ""),
    "warc-filename": (_nothing, ""),
    "warc-profile": (_profile, ""),
    "warc-identified-payload-type": (_plain(_media_type), ""),
    "warc-segment-origin-id": (_plain(_bracketed_uri), ""),
    "warc-segment-number": (_segment_number, ""),
    "warc-segment-total-length": (_plain(_integer), ""),
    "warc-refers-to-target-uri": (_plain(_unbracketed_uri), "1.1"),
    "warc-refers-to-date": (_timestamp, "1.1"),
    "warc-refers-to-filename": (_plain(_heritrix), ""),
    "warc-refers-to-file-offset": (_plain(_heritrix), ""),
}


@dataclass(frozen=True)
class TypeRules:
    """Which fields a record type must, may and must not carry (WARC 1.1, section 6)."""

    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    prohibited: tuple[str, ...] = ()
    recommended: tuple[str, ...] = ()


_BASE = ("WARC-Record-ID", "Content-Length", "WARC-Date", "WARC-Type")
_NO_REFERS = ("WARC-Refers-To", "WARC-Refers-To-Target-URI", "WARC-Refers-To-Date")
TYPE_RULES: dict[str, TypeRules] = {
    "warcinfo": TypeRules(
        required=(*_BASE, "Content-Type"),
        prohibited=("WARC-Refers-To", "WARC-Profile", "WARC-Identified-Payload-Type"),
    ),
    "response": TypeRules(
        required=(*_BASE, "Content-Type", "WARC-Target-URI"),
        prohibited=(*_NO_REFERS, "WARC-Filename", "WARC-Profile"),
    ),
    "resource": TypeRules(
        required=(*_BASE, "WARC-Target-URI", "Content-Type"),
        prohibited=(*_NO_REFERS, "WARC-Filename", "WARC-Profile"),
    ),
    "request": TypeRules(
        required=(*_BASE, "Content-Type", "WARC-Target-URI"),
        prohibited=(*_NO_REFERS, "WARC-Filename", "WARC-Profile"),
    ),
    "metadata": TypeRules(
        required=(*_BASE, "Content-Type"),
        prohibited=(
            "WARC-Payload-Digest",
            "WARC-Refers-To-Target-URI",
            "WARC-Refers-To-Date",
            "WARC-Filename",
            "WARC-Profile",
        ),
    ),
    "revisit": TypeRules(
        required=(*_BASE, "Content-Type", "WARC-Target-URI", "WARC-Profile"),
        prohibited=("WARC-Filename",),
    ),
    "conversion": TypeRules(
        required=(*_BASE, "WARC-Target-URI"),
        prohibited=(
            "WARC-Concurrent-To",
            "WARC-IP-Address",
            "WARC-Refers-To-Target-URI",
            "WARC-Refers-To-Date",
            "WARC-Filename",
            "WARC-Profile",
        ),
    ),
    "continuation": TypeRules(
        required=(*_BASE, "WARC-Segment-Number", "WARC-Segment-Origin-ID", "WARC-Target-URI"),
        prohibited=(
            "WARC-Block-Digest",
            "WARC-Payload-Digest",
            "WARC-Warcinfo-ID",
            "WARC-IP-Address",
            *_NO_REFERS,
            "WARC-Filename",
            "WARC-Profile",
        ),
    ),
}


def check_fields(
    headers: list[tuple[str, str]], version: str, record_type: str | None, notes: Notes
) -> None:
    """Every header field on its own: duplicates, unknown fields, the format of each value."""
    has_origin = any(name.lower() == "warc-segment-origin-id" for name, _ in headers)
    ctx = FieldContext(version, record_type, has_origin)
    seen: set[str] = set()
    for name, value in headers:
        lowered = name.lower()
        if lowered != "warc-concurrent-to" and lowered in seen:
            notes.error("Duplicate field seen:", name, value)
        seen.add(lowered)
        known = FIELDS.get(lowered)
        if known is None:
            notes.comment("Unknown field, no validation performed:", name, value)
            continue
        rule, since = known
        if since and version < since:
            notes.comment(
                "Field was introduced after this warc version:", version, f"{name} {value}"
            )
        rule(name, value, ctx, notes)


def check_presence(
    record_type: str,
    rules: TypeRules,
    headers: list[tuple[str, str]],
    notes: Notes,
    allow_others: bool = True,
) -> None:
    """Required and recommended fields present, prohibited ones absent."""
    present = {name.lower() for name, value in headers if value}
    for name in sorted(rules.required):
        if name.lower() not in present:
            notes.error("Missing required header:", name)
    for name in sorted(rules.recommended):
        if name.lower() not in present:
            notes.recommend("Missing recommended header:", name)
    prohibited = {name.lower() for name in rules.prohibited}
    for name, _ in headers:
        if name.lower() in prohibited:
            notes.error("Field not allowed in record type:", record_type, name)
