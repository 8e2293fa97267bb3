"""The content-addressed blob store: layout, deduplication, atomic writes, verified reads."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest

from vestige.core.blobstore import LocalBlobStore
from vestige.core.errors import IntegrityError, NotFound


def test_bytes_land_under_their_hash(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    data = b"evidence " * 1000
    stored = store.put_stream(io.BytesIO(data))
    expected = hashlib.sha256(data).hexdigest()
    assert stored.sha256 == expected
    assert stored.size == len(data)
    assert stored.created
    path = tmp_path / "objects" / expected[:2] / expected[2:4] / expected
    assert path.read_bytes() == data
    assert b"".join(store.open_verified(expected)) == data


def test_identical_bytes_are_stored_once(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    first = store.put_stream(io.BytesIO(b"same bytes"))
    second = store.put_stream(io.BytesIO(b"same bytes"))
    assert first.sha256 == second.sha256
    assert first.created and not second.created
    assert list(store.iter_hashes()) == [first.sha256]
    assert list((tmp_path / "tmp").glob("incoming-*")) == []


def test_a_failed_write_leaves_nothing_behind(tmp_path: Path) -> None:
    class Exploding(io.RawIOBase):
        def __init__(self) -> None:
            self.calls = 0

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
            self.calls += 1
            if self.calls > 3:
                raise OSError("device went away")
            buffer[:10] = b"0123456789"
            return 10

    store = LocalBlobStore(tmp_path)
    with pytest.raises(OSError, match="device went away"):
        store.put_stream(Exploding())  # type: ignore[arg-type]
    assert list(store.iter_hashes()) == []
    assert list((tmp_path / "tmp").iterdir()) == []


def test_reads_detect_changed_bytes(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    stored = store.put_stream(io.BytesIO(b"original bytes"))
    path = store.path_for(stored.sha256)
    path.chmod(0o644)
    path.write_bytes(b"Original bytes")
    assert store.verify(stored.sha256) != stored.sha256
    with pytest.raises(IntegrityError, match="changed on disk"):
        b"".join(store.open_verified(stored.sha256))


def test_missing_and_malformed_addresses(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    with pytest.raises(NotFound):
        store.verify("a" * 64)
    with pytest.raises(NotFound, match="not a SHA-256"):
        store.path_for("../../etc/passwd")


def test_large_file_streams_in_chunks(tmp_path: Path) -> None:
    source = tmp_path / "large.bin"
    digest = hashlib.sha256()
    with open(source, "wb") as out:
        for index in range(40):
            chunk = bytes([index]) * (256 * 1024)
            digest.update(chunk)
            out.write(chunk)
    store = LocalBlobStore(tmp_path / "store")
    stored = store.put_file(source)
    assert stored.sha256 == digest.hexdigest()
    assert sum(len(c) for c in store.open_verified(stored.sha256)) == source.stat().st_size
