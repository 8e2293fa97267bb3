"""Record-by-record validation of a WARC file against the WARC standard, streaming.

:func:`check_warc` reads each record once, in chunks: header fields are checked one by one,
then against the record type, the block digests are recomputed, and the block is inspected
(HTTP headers of responses and requests, ``application/warc-fields`` of warcinfo and metadata).
At the end, references between records (WARC-Warcinfo-ID, WARC-Concurrent-To) are resolved.
A file that stops being readable (bad first line, truncation, damaged gzip) gives a ``fatal``
finding at the offset where reading stopped; everything seen before it is still reported.
"""

from __future__ import annotations

import base64
import html
import re
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from .reader import ArchiveFormatError, RawRecord, WarcReader
from .warcrules import TYPE_RULES, Notes, TypeRules, check_fields, check_presence, hash_for

HEAD_LIMIT = 64 * 1024  # bytes of a block kept to find HTTP headers and a page title
WARC_FIELDS_LIMIT = 1024 * 1024  # warc-fields blocks larger than this are not parsed
MAX_PAGES = 10_000
SEVERITY_ORDER = {"error": 0, "recommendation": 1, "comment": 2}
HTML_TYPES = ("text/html", "application/xhtml+xml")
TITLE = re.compile(rb"<title[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
CONTINUATION_NOTE = (
    "continuation records are checked field by field only; segments are not reassembled"
)


@dataclass
class Finding:
    """One problem (or remark) about one record, or about the file when ``record_id`` is None."""

    severity: str  # error | recommendation | comment | fatal
    message: str
    offset: int | None = None
    record_id: str | None = None
    record_type: str | None = None


@dataclass
class RecordCheck:
    """What was found in one record (kept only for records with something to say)."""

    offset: int
    record_id: str | None
    record_type: str | None
    version: str
    length: int
    digest: str
    findings: list[Finding] = field(default_factory=list)


@dataclass
class WarcReport:
    name: str
    compression: str = "none"
    records: int = 0
    record_types: dict[str, int] = field(default_factory=dict)
    checks: list[RecordCheck] = field(default_factory=list)
    global_findings: list[tuple[str, Finding]] = field(default_factory=list)
    fatal: Finding | None = None
    pages: list[dict[str, Any]] = field(default_factory=list)
    pages_total: int = 0
    digests_checked: int = 0
    digests_failed: int = 0

    def findings(self) -> list[Finding]:
        """Every finding, record by record, then the whole-file ones."""
        found = [f for check in self.checks for f in check.findings]
        found.extend(f for _, f in self.global_findings)
        if self.fatal:
            found.append(self.fatal)
        return found

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings() if f.severity == severity)

    @property
    def valid(self) -> bool:
        """True when the file reads to the end with no error and every digest matches."""
        return self.fatal is None and self.count("error") == 0

    def summary(self) -> str:
        """One sentence for people: the verdict and the main reason."""
        if self.fatal:
            return f"unreadable from offset {self.fatal.offset}: {self.fatal.message}"
        errors = self.count("error")
        if errors:
            first = next(f for f in self.findings() if f.severity == "error")
            where = f"record at offset {first.offset}" if first.offset is not None else "file"
            return (
                f"{errors} error(s) in {self.records} record(s); first ({where}): {first.message}"
            )
        return f"{self.records} record(s) conform to the WARC standard"

    def to_dict(self, limit: int = 500) -> dict[str, Any]:
        """A JSON-able summary; at most ``limit`` findings are listed (the counts are whole)."""
        findings = self.findings()
        return {
            "format": "warc",
            "name": self.name,
            "valid": self.valid,
            "summary": self.summary(),
            "compression": self.compression,
            "records": self.records,
            "record_types": dict(self.record_types),
            "digests_checked": self.digests_checked,
            "digests_failed": self.digests_failed,
            "counts": {s: self.count(s) for s in ("error", "recommendation", "comment")},
            "fatal": asdict(self.fatal) if self.fatal else None,
            "findings": [asdict(f) for f in findings[:limit]],
            "findings_omitted": max(0, len(findings) - limit),
        }


@dataclass
class _Block:
    """What is learned while a block streams past."""

    head: bytearray = field(default_factory=bytearray)
    kept: bytearray = field(default_factory=bytearray)  # for warc-fields
    keep_limit: int = 0
    http_end: int | None = None
    payload_length: int = 0
    length: int = 0


class _DigestCheck:
    """Recompute the block and payload digests a record declares."""

    def __init__(self, record: RawRecord, payload_applies: bool) -> None:
        self.block_declared = record.get("WARC-Block-Digest")
        self.payload_declared = record.get("WARC-Payload-Digest") if payload_applies else None
        self.block = self._hasher(self.block_declared)
        self.payload = self._hasher(self.payload_declared)

    @staticmethod
    def _hasher(declared: str | None) -> Any:
        if not declared or ":" not in declared:
            return None
        return hash_for(declared.split(":", 1)[0])

    def status(self, record: RawRecord) -> tuple[str, list[str]]:
        """The digest line of the report and the error messages for mismatches."""
        if not record.get("WARC-Block-Digest") and not record.get("WARC-Payload-Digest"):
            return "digest not present", []
        if self.block_declared and self.block is None:
            return "unknown hash algorithm name in block digest", []
        problems: list[str] = []
        parts: list[str] = []
        for label, declared, hasher in (
            ("block", self.block_declared, self.block),
            ("payload", self.payload_declared, self.payload),
        ):
            if not declared:
                continue
            if hasher is None:
                parts.append(f"unknown hash algorithm name in {label} digest")
                continue
            if _digest_matches(declared.split(":", 1)[1], hasher.digest()):
                parts.append(f"{label} digest pass")
            else:
                computed = base64.b32encode(hasher.digest()).decode()
                header = "WARC-Block-Digest" if label == "block" else "WARC-Payload-Digest"
                problems.append(
                    f"{label} digest failed: {header} {declared} does not match the content "
                    f"({declared.split(':', 1)[0]}:{computed} computed)"
                )
                parts.append(f"{label} digest failed")
        return "; ".join(parts) or "digest not present", problems


def _digest_matches(declared: str, digest: bytes) -> bool:
    declared = declared.strip()
    candidates = {
        base64.b32encode(digest).decode().rstrip("="),
        digest.hex(),
        base64.b64encode(digest).decode().rstrip("="),
        base64.urlsafe_b64encode(digest).decode().rstrip("="),
    }
    if declared.rstrip("=") in candidates:
        return True
    return declared.lower() == digest.hex() or declared.upper().rstrip("=") in candidates


def _is_http(record: RawRecord) -> bool:
    target = (record.get("WARC-Target-URI") or "").lower()
    return target.startswith(("http:", "https:"))


def _http_headers(head: bytes, kind: str) -> tuple[int | None, dict[str, str], str]:
    """(end of the HTTP header block, headers, first line) or (None, {}, '') when absent."""
    end = head.find(b"\r\n\r\n")
    sep = 4
    if end < 0:
        end, sep = head.find(b"\n\n"), 2
    if end < 0:
        return None, {}, ""
    lines = head[:end].decode("iso-8859-1").splitlines()
    first = lines[0] if lines else ""
    if kind == "response" and not first.startswith("HTTP/"):
        return None, {}, ""
    if kind == "request" and not re.match(r"[A-Z]+ \S+ HTTP/\d", first):
        return None, {}, ""
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers.setdefault(name.strip().lower(), value.strip())
    return end + sep, headers, first


def _warc_fields(content: bytes, notes: Notes) -> None:
    """An ``application/warc-fields`` block: UTF-8, CRLF lines, ``name: value`` pairs."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        notes.error(f"warc-fields contains invalid utf-8: {exc}")
        text = content.decode("utf-8", errors="replace")
    fields_seen = 0
    parts = text.split("\n")
    for number, part in enumerate(parts):
        raw = part + "\n" if number < len(parts) - 1 else part
        if raw == "":
            continue
        if not raw.endswith("\r\n"):
            notes.comment("warc-fields lines must end with \\r\\n:", raw.rstrip())
            body = raw.rstrip("\r\n")
        else:
            body = raw[:-2]
        if body.startswith((" ", "\t")):
            if number == 0:
                notes.comment("The first line of warc-fields cannot start with whitespace")
        elif body == "":
            continue
        elif ":" not in body:
            notes.comment("Missing colon in warc-fields line:", body)
        elif not re.fullmatch(r"[!#$%&'*+\-.0-9A-Z^_`a-z|~]+", body.split(":", 1)[0]):
            notes.comment("Invalid warc-fields name:", body.split(":", 1)[0])
        else:
            fields_seen += 1
    if fields_seen == 0:
        notes.comment("warc-fields block present but empty")


def _check_type(record: RawRecord, rtype: str, block: _Block, notes: Notes) -> None:
    """What the standard asks of each record type beyond its fields (WARC 1.1, section 6)."""
    content_type = record.get("Content-Type", "none") or "none"
    canon = re.sub(r"\s*;\s*", "; ", content_type.lower())
    if rtype in ("warcinfo", "metadata"):
        if content_type.lower() != "application/warc-fields":
            if rtype == "warcinfo":
                notes.recommend(
                    "warcinfo Content-Type recommended to be application/warc-fields:",
                    content_type,
                )
        elif block.length > WARC_FIELDS_LIMIT:
            notes.comment(f"warc-fields block larger than {WARC_FIELDS_LIMIT} bytes not parsed")
        else:
            _warc_fields(bytes(block.kept), notes)
    elif rtype in ("response", "request") and _is_http(record):
        plural = "Responses" if rtype == "response" else "requests"
        if canon not in (f"application/http; msgtype={rtype}", "application/http"):
            notes.error(
                f"{plural} for http/https should have Content-Type of "
                f"application/http; msgtype={rtype} or application/http:",
                content_type,
            )
        if record.get("WARC-IP-Address") is None:
            notes.error(f"WARC-IP-Address should be used for http and https {rtype}s")
        end, headers, _ = _http_headers(bytes(block.head), rtype)
        if rtype == "response" and end is None:
            notes.error("http/https responses should have http headers")
        elif rtype == "response" and end is not None:
            declared = headers.get("content-length")
            chunked = "chunked" in headers.get("transfer-encoding", "").lower()
            if declared is not None and not chunked and not record.get("WARC-Truncated"):
                if not declared.isdigit():
                    notes.comment("http content length header is not an integer", declared)
                elif int(declared) != block.length - end:
                    notes.comment(
                        "Actual http payload length is different from http header Content-Length:",
                        str(block.length - end),
                        declared,
                    )
    elif rtype == "resource":
        target = (record.get("WARC-Target-URI") or "").lower()
        if target.startswith("dns:") and content_type.lower() != "text/dns":
            notes.error(
                "resource records for dns shall have Content-Type of text/dns:", content_type
            )
    elif rtype == "revisit":
        _check_revisit(record, notes)
    elif rtype == "continuation":
        notes.comment(CONTINUATION_NOTE)
        number = record.get("WARC-Segment-Number", "none") or "none"
        if number.isdigit() and int(number) < 2:
            notes.error("continuation record must have WARC-Segment-Number > 1:", number)


def _check_revisit(record: RawRecord, notes: Notes) -> None:
    profile = record.get("WARC-Profile", "none") or "none"
    if profile.endswith(
        ("/revisit/identical-payload-digest", "/revisit/uri-agnostic-identical-payload-digest")
    ):
        recommended = ["WARC-Refers-To"]
        if "/1.1/" in profile:
            recommended += ["WARC-Refers-To-Target-URI", "WARC-Refers-To-Date"]
        rules = TypeRules(required=("WARC-Payload-Digest",), recommended=tuple(recommended))
    elif profile.endswith("/revisit/server-not-modified"):
        rules = TypeRules(
            required=(),
            recommended=("WARC-Refers-To", "WARC-Refers-To-Date"),
            prohibited=("WARC-Payload-Digest",),
        )
    else:
        notes.comment("No revisit details validation done due to unknown profile:", profile)
        return
    check_presence("revisit", rules, record.headers, notes)


def _title(payload_head: bytes) -> str:
    match = TITLE.search(payload_head)
    if not match:
        return ""
    text = match.group(1).decode("utf-8", errors="replace")
    return " ".join(html.unescape(text).split())[:500]


class _Checker:
    def __init__(self, name: str) -> None:
        self.report = WarcReport(name=name)
        self.ids: dict[str, int] = {}
        self.warcinfo_ids: set[str] = set()
        self.references: list[tuple[str, str, str, int]] = []  # (record id, field, target, offset)

    def run(self, stream: IO[bytes]) -> WarcReport:
        reader = WarcReader(stream)
        self.report.compression = reader.compression
        offset: int | None = 0
        try:
            for record in reader.records():
                offset = record.offset
                self._record(reader, record)
        except ArchiveFormatError as exc:
            where = exc.offset if exc.offset is not None else offset
            self.report.fatal = Finding("fatal", str(exc), offset=where)
        except OSError as exc:
            self.report.fatal = Finding("fatal", f"the file cannot be read: {exc}", offset=offset)
        self._global()
        return self.report

    def _record(self, reader: WarcReader, record: RawRecord) -> None:
        report = self.report
        report.records += 1
        rtype = record.get("WARC-Type")
        record_id = record.get("WARC-Record-ID")
        report.record_types[rtype or "none"] = report.record_types.get(rtype or "none", 0) + 1
        notes = Notes()
        for line in record.malformed_lines:
            notes.error("Header line without a colon:", line)
        check_fields(record.headers, record.version, rtype, notes)
        rules = TYPE_RULES.get(rtype or "")
        if rules is not None and rtype:
            check_presence(rtype, rules, record.headers, notes)
        ctype = (record.get("Content-Type") or "").lower()
        http_payload = rtype in ("response", "request") and ctype.startswith("application/http")
        digests = _DigestCheck(record, payload_applies=rtype != "revisit")
        block = _Block(keep_limit=WARC_FIELDS_LIMIT if "warc-fields" in ctype else 0)
        error: ArchiveFormatError | None = None
        try:
            self._read_block(reader, record, block, digests, http_payload)
        except ArchiveFormatError as exc:
            exc.offset = record.offset
            error = exc
        if error is None and rules is not None and rtype:
            _check_type(record, rtype, block, notes)
        status, problems = "not checked: the record is incomplete", list[str]()
        if error is None:
            status, problems = digests.status(record)
            if digests.block is not None or digests.payload is not None:
                report.digests_checked += 1
            if problems:
                report.digests_failed += 1
        for problem in problems:
            notes.error(problem)
        self._remember(record, rtype, record_id)
        if error is None and rtype == "response" and _is_http(record):
            self._page(record, block)
        check = RecordCheck(record.offset, record_id, rtype, record.version, block.length, status)
        ranked = sorted(notes.items, key=lambda item: SEVERITY_ORDER[item[0]])
        for severity, text, _, _ in ranked:
            check.findings.append(Finding(severity, text, record.offset, record_id, rtype))
        if check.findings:
            report.checks.append(check)
        if error is not None:
            raise error

    def _read_block(
        self,
        reader: WarcReader,
        record: RawRecord,
        block: _Block,
        digests: _DigestCheck,
        http_payload: bool,
    ) -> None:
        rtype = record.get("WARC-Type") or ""
        for chunk in reader.read_block(record.content_length):
            if digests.block is not None:
                digests.block.update(chunk)
            if len(block.head) < HEAD_LIMIT:
                block.head += chunk[: HEAD_LIMIT - len(block.head)]
            if len(block.kept) < block.keep_limit:
                block.kept += chunk[: block.keep_limit - len(block.kept)]
            start = block.length
            block.length += len(chunk)
            if digests.payload is None:
                continue
            if not http_payload:
                digests.payload.update(chunk)
                continue
            if block.http_end is None:
                end, _, _ = _http_headers(bytes(block.head), rtype)
                if end is None:
                    continue
                block.http_end = end
                digests.payload.update(bytes(block.head[end:]) if end < start else b"")
                if end < start:
                    digests.payload.update(chunk)
                    continue
                digests.payload.update(chunk[end - start :])
                continue
            digests.payload.update(chunk)

    def _remember(self, record: RawRecord, rtype: str | None, record_id: str | None) -> None:
        if record_id is None:
            return
        if record_id in self.ids:
            first = self.ids[record_id]
            self.report.global_findings.append(
                (
                    "record ids",
                    Finding(
                        "error",
                        f"Duplicate WARC-Record-ID: {record_id} (first seen at offset {first})",
                        record.offset,
                        record_id,
                        rtype,
                    ),
                )
            )
        else:
            self.ids[record_id] = record.offset
        if rtype == "warcinfo":
            self.warcinfo_ids.add(record_id)
        for name, value in record.headers:
            lowered = name.lower()
            if lowered == "warc-warcinfo-id":
                self.references.append((record_id, "WARC-Warcinfo-ID", value, record.offset))
            elif lowered == "warc-concurrent-to":
                self.references.append((record_id, "WARC-Concurrent-To", value, record.offset))

    def _page(self, record: RawRecord, block: _Block) -> None:
        end, headers, first = _http_headers(bytes(block.head), "response")
        if end is None:
            return
        status = first.split(" ")[1] if len(first.split(" ")) > 1 else ""
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if status != "200" or content_type not in HTML_TYPES:
            return
        self.report.pages_total += 1
        if len(self.report.pages) >= MAX_PAGES:
            return
        encoded = headers.get("content-encoding", "identity").lower() not in ("", "identity")
        title = "" if encoded else _title(bytes(block.head[end:]))
        self.report.pages.append(
            {"url": record.get("WARC-Target-URI"), "ts": record.get("WARC-Date"), "title": title}
        )

    def _global(self) -> None:
        for record_id, name, target, offset in sorted(
            self.references, key=lambda ref: (ref[1] != "WARC-Warcinfo-ID", ref[0], ref[2])
        ):
            if name == "WARC-Warcinfo-ID":
                if target in self.warcinfo_ids:
                    continue
                section = "warcinfo"
            else:
                if target in self.ids:
                    continue
                section = "Concurrent-To"
            self.report.global_findings.append(
                (
                    section,
                    Finding(
                        "comment",
                        f"{name} not found: {record_id} {name} {target}",
                        offset,
                        record_id,
                    ),
                )
            )


def check_warc(source: Path | str | IO[bytes], name: str | None = None) -> WarcReport:
    """Validate a WARC (plain or gzip) record by record; never raises for a bad file's content."""
    with ExitStack() as stack:
        if isinstance(source, (str, Path)):
            stream: IO[bytes] = stack.enter_context(open(source, "rb"))
            label = name or Path(source).name
        else:
            stream, label = source, name or "warc"
        return _Checker(label).run(stream)


def render_warcio_style(report: WarcReport, name: str | None = None) -> str:
    """The report laid out like ``warcio test`` output, to compare with its expected files."""
    lines = [name or report.name]
    for check in report.checks:
        lines.append(f"  WARC-Record-ID {check.record_id}")
        lines.append(f"    WARC-Type {check.record_type}")
        lines.append(f"    {check.digest}")
        lines.extend(f"    {f.severity}: {f.message}" for f in check.findings)
    if report.fatal:
        lines.append(f"  saw exception ArchiveLoadFailed: {report.fatal.message}")
        lines.append("  skipping rest of file")
    sections: dict[str, list[Finding]] = {}
    for section, finding in report.global_findings:
        sections.setdefault(section, []).append(finding)
    for section in ("warcinfo", "Concurrent-To"):
        if section in sections:
            lines.append(f"global {section} checks")
            lines.extend(f"  {f.severity}: {f.message}" for f in sections[section])
    for section, found in sections.items():
        if section not in ("warcinfo", "Concurrent-To"):
            lines.append(f"global {section} checks")
            lines.extend(f"  {f.severity}: {f.message}" for f in found)
    return "\n".join(lines) + "\n"


__all__ = ["Finding", "RecordCheck", "WarcReport", "check_warc", "render_warcio_style"]
