"""Content-addressed storage of evidence bytes.

Bytes are addressed by their SHA-256. :class:`BlobStore` is the interface that every backend
satisfies (the local folder here; an S3 backend later). Writes stream: the bytes are hashed in the
same pass as the copy, land in a temporary file, are fsynced and then renamed into place, so a
crash leaves either the whole blob or nothing under ``objects/``. Identical bytes are stored once.
Reads verify the hash as they stream.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from .errors import IntegrityError, NotFound

CHUNK_SIZE = 1024 * 1024
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class StoredBlob:
    """The result of a write: the blob's address, its size and whether it was new."""

    sha256: str
    size: int
    created: bool


class BlobStore(Protocol):
    """What every blob store offers. Implementations must be safe for concurrent writers."""

    def put_stream(self, stream: BinaryIO) -> StoredBlob:
        """Store the bytes read from ``stream`` and return their address."""
        ...

    def put_file(self, path: Path) -> StoredBlob:
        """Store a file's bytes, streaming, and return their address."""
        ...

    def exists(self, sha256: str) -> bool:
        """Whether a blob with this address is stored."""
        ...

    def size(self, sha256: str) -> int:
        """The stored size of a blob."""
        ...

    def open_verified(self, sha256: str) -> Iterator[bytes]:
        """Yield the blob's bytes in chunks; raise IntegrityError at the end if they changed."""
        ...

    def verify(self, sha256: str) -> str:
        """Re-hash a blob and return the hash found (equal to ``sha256`` when intact)."""
        ...

    def iter_hashes(self) -> Iterator[str]:
        """Every address stored."""
        ...

    def local_path(self, sha256: str) -> Path | None:
        """A filesystem path to the blob when the backend has one (for tools like ffprobe)."""
        ...


def check_address(sha256: str) -> str:
    """Return ``sha256`` if it is a lower-case hex SHA-256, else raise NotFound."""
    if not _HEX64.match(sha256):
        raise NotFound(f"not a SHA-256 address: {sha256!r}")
    return sha256


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LocalBlobStore:
    """Blobs as files under ``root/objects/ab/cd/<sha256>``, written atomically."""

    def __init__(self, root: Path, fsync: bool = True) -> None:
        self.root = Path(root)
        self.objects = self.root / "objects"
        self.tmp = self.root / "tmp"
        self.fsync = fsync
        self.objects.mkdir(parents=True, exist_ok=True)
        self.tmp.mkdir(parents=True, exist_ok=True)

    def path_for(self, sha256: str) -> Path:
        """Where the blob with this address lives (whether or not it exists)."""
        check_address(sha256)
        return self.objects / sha256[:2] / sha256[2:4] / sha256

    def put_file(self, path: Path) -> StoredBlob:
        with open(path, "rb") as stream:
            return self.put_stream(stream)

    def put_stream(self, stream: BinaryIO) -> StoredBlob:
        digest = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(prefix="incoming-", dir=self.tmp)
        tmp_path = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                buffer = bytearray(CHUNK_SIZE)
                view = memoryview(buffer)
                while True:
                    n = stream.readinto(view)  # type: ignore[attr-defined]
                    if not n:
                        break
                    chunk = view[:n]
                    digest.update(chunk)
                    out.write(chunk)
                    size += n
                out.flush()
                if self.fsync:
                    os.fsync(out.fileno())
            sha256 = digest.hexdigest()
            final = self.path_for(sha256)
            if final.exists():
                tmp_path.unlink()
                return StoredBlob(sha256, size, created=False)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(tmp_path, 0o440)
            os.replace(tmp_path, final)
            if self.fsync:
                _fsync_dir(final.parent)
            return StoredBlob(sha256, size, created=True)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                tmp_path.unlink()
            raise

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def size(self, sha256: str) -> int:
        try:
            return self.path_for(sha256).stat().st_size
        except FileNotFoundError as exc:
            raise NotFound(f"blob {sha256} is missing from the store") from exc

    def open_verified(self, sha256: str) -> Iterator[bytes]:
        path = self.path_for(sha256)
        try:
            # Opened now, so a missing blob is reported before anything is streamed.
            handle = open(path, "rb")  # noqa: SIM115
        except FileNotFoundError as exc:
            raise NotFound(f"blob {sha256} is missing from the store") from exc
        return _stream_verified(handle, sha256)

    def verify(self, sha256: str) -> str:
        path = self.path_for(sha256)
        try:
            return hash_file(path)
        except FileNotFoundError as exc:
            raise NotFound(f"blob {sha256} is missing from the store") from exc

    def iter_hashes(self) -> Iterator[str]:
        for path in self.objects.glob("??/??/*"):
            if _HEX64.match(path.name):
                yield path.name

    def local_path(self, sha256: str) -> Path | None:
        return self.path_for(sha256)

    def clean_temporary(self) -> int:
        """Remove half-written files left by a crash; return how many were removed."""
        removed = 0
        for leftover in self.tmp.glob("incoming-*"):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
                removed += 1
        for workdir in self.tmp.glob("work-*"):
            shutil.rmtree(workdir, ignore_errors=True)
            removed += 1
        return removed


def _stream_verified(handle: BinaryIO, sha256: str) -> Iterator[bytes]:
    digest = hashlib.sha256()
    with handle:
        while chunk := handle.read(CHUNK_SIZE):
            digest.update(chunk)
            yield chunk
    found = digest.hexdigest()
    if found != sha256:
        raise IntegrityError(f"blob {sha256} has changed on disk: its bytes now hash to {found}")


def hash_file(path: Path) -> str:
    """SHA-256 of a file, streamed."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK_SIZE):
            digest.update(chunk)
    return digest.hexdigest()
