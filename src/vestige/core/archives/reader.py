"""A streaming reader of WARC records, for plain and gzip (record-per-member) files.

It never holds a whole record block in memory: blocks are handed to the caller in chunks.
Offsets are byte offsets in the file as stored — for a gzip WARC, the compressed offset of
the gzip member where the record starts, which is what CDX indexes point at.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO

CHUNK = 256 * 1024
MAX_HEADER_LINE = 64 * 1024
MAX_HEADER_LINES = 4096
KNOWN_VERSIONS = ("0.17", "0.18", "1.0", "1.1")


class ArchiveFormatError(Exception):
    """The file cannot be read as WARC from here on (bad first line, truncation, bad gzip)."""

    def __init__(self, message: str, offset: int | None = None) -> None:
        super().__init__(message)
        self.offset = offset


@dataclass
class RawRecord:
    """The header part of one record; the block is read through :meth:`WarcReader.read_block`."""

    offset: int
    version: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    malformed_lines: list[str] = field(default_factory=list)
    content_length: int = 0

    def get(self, name: str, default: str | None = None) -> str | None:
        """The first value of a header (names are case-insensitive), like most WARC readers."""
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                return value
        return default

    def get_all(self, name: str) -> list[str]:
        lowered = name.lower()
        return [value for key, value in self.headers if key.lower() == lowered]


class _Source:
    """Bytes of the file, decompressed member by member when it is gzip."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.raw_pos = 0
        head = raw.read(2)
        self.raw_pos = len(head)
        self.gzip = head == b"\x1f\x8b"
        self._pending = head
        self._inflater: zlib._Decompress | None = None
        self.member_start = 0
        self.chunk_member = 0  # where the member that gave the last chunk starts

    def read_chunk(self) -> bytes:
        """The next decompressed bytes ('' at the end of the file)."""
        if not self.gzip:
            if self._pending:
                data, self._pending = self._pending, b""
                return data
            data = self.raw.read(CHUNK)
            self.raw_pos += len(data)
            return data
        while True:
            if self._inflater is None:
                if not self._pending:
                    self._pending = self.raw.read(CHUNK)
                    self.raw_pos += len(self._pending)
                if not self._pending:
                    return b""
                self.member_start = self.raw_pos - len(self._pending)
                self._inflater = zlib.decompressobj(wbits=31)
            data_in = self._pending or self.raw.read(CHUNK)
            if not self._pending:
                self.raw_pos += len(data_in)
            self._pending = b""
            if not data_in:
                raise ArchiveFormatError(
                    "the gzip stream ends in the middle of a member: the file is truncated"
                )
            try:
                out = self._inflater.decompress(data_in)
            except zlib.error as exc:
                raise ArchiveFormatError(f"the gzip data is damaged: {exc}") from exc
            if self._inflater.eof:
                self._pending = self._inflater.unused_data
                self._inflater = None
            if out:
                self.chunk_member = self.member_start
                return out


class WarcReader:
    """Iterate the records of one WARC stream, reporting where each one starts."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.source = _Source(raw)
        # Unread bytes are _data[_at:]; an index instead of slicing keeps small records cheap.
        self._data = b""
        self._at = 0
        self._pos = 0  # offset in the decompressed stream of _data[_at]
        self._members: list[tuple[int, int]] = []  # (decompressed position, member offset)

    @property
    def compression(self) -> str:
        return "gzip" if self.source.gzip else "none"

    def _available(self) -> int:
        return len(self._data) - self._at

    def _fill(self) -> bool:
        start = self._pos + self._available()
        chunk = self.source.read_chunk()
        if not chunk:
            return False
        if self.source.gzip and (
            not self._members or self._members[-1][1] != self.source.chunk_member
        ):
            self._members.append((start, self.source.chunk_member))
        self._data = self._data[self._at :] + chunk
        self._at = 0
        return True

    def _take(self, count: int) -> bytes:
        piece = self._data[self._at : self._at + count]
        self._at += len(piece)
        self._pos += len(piece)
        return piece

    def _readline(self) -> bytes:
        searched = self._at
        while True:
            index = self._data.find(b"\n", searched)
            if index >= 0:
                return self._take(index + 1 - self._at)
            if self._available() > MAX_HEADER_LINE:
                raise ArchiveFormatError(
                    f"a header line is longer than {MAX_HEADER_LINE} bytes: not a WARC header"
                )
            searched = len(self._data) - self._at
            if not self._fill():
                return self._take(self._available())
            searched = self._at + searched

    def _offset_here(self) -> int:
        """Where the byte at the current position starts, in the file as stored."""
        if not self.source.gzip:
            return self._pos
        found = 0
        keep = 0
        for index, (start, member) in enumerate(self._members):
            if start <= self._pos:
                found, keep = member, index
        del self._members[:keep]
        return found

    def _skip_separators(self) -> bool:
        """Skip the blank lines between records; False at the end of the file."""
        while True:
            while self._at < len(self._data) and self._data[self._at] in (13, 10):
                self._at += 1
                self._pos += 1
            if self._available():
                return True
            if not self._fill():
                return False

    def records(self) -> Iterator[RawRecord]:
        """Each record's headers; the caller must call :meth:`read_block` before the next."""
        while True:
            if not self._skip_separators():
                return
            offset = self._offset_here()
            first = self._readline().rstrip(b"\r\n")
            text = first.decode("utf-8", errors="replace")
            version = text[5:] if text.startswith("WARC/") else ""
            if version not in KNOWN_VERSIONS:
                raise ArchiveFormatError(f"Invalid WARC record, first line: {text[:200]}", offset)
            try:
                record = self._read_headers(offset, version)
            except ArchiveFormatError as exc:
                exc.offset = offset
                raise
            yield record

    def _read_headers(self, offset: int, version: str) -> RawRecord:
        record = RawRecord(offset=offset, version=version)
        for _ in range(MAX_HEADER_LINES):
            line = self._readline()
            if not line:
                raise ArchiveFormatError(
                    "the file ends inside the headers of a record: the file is truncated"
                )
            stripped = line.rstrip(b"\r\n")
            if not stripped:
                break
            text = stripped.decode("utf-8", errors="replace")
            if text[:1] in (" ", "\t") and record.headers:
                name, value = record.headers[-1]
                record.headers[-1] = (name, f"{value} {text.strip()}")
            elif ":" in text:
                name, value = text.split(":", 1)
                record.headers.append((name.strip(), value.strip()))
            else:
                record.malformed_lines.append(text[:200])
        else:
            raise ArchiveFormatError(f"a record has more than {MAX_HEADER_LINES} header lines")
        length = record.get("Content-Length")
        if length is None or not length.strip().isdigit():
            raise ArchiveFormatError(
                f"the record has no usable Content-Length ({length!r}): "
                "the next record cannot be found"
            )
        record.content_length = int(length)
        return record

    def read_block(self, length: int) -> Iterator[bytes]:
        """The record block in chunks; raise ArchiveFormatError if the file ends first."""
        remaining = length
        while remaining > 0:
            if not self._available() and not self._fill():
                raise ArchiveFormatError(
                    f"the record declares {length} bytes of content but the file ends after "
                    f"{length - remaining}: the file is truncated"
                )
            piece = self._take(remaining)
            remaining -= len(piece)
            yield piece
