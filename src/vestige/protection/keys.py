"""The instance's protection key ring: from VESTIGE_PROTECTION_KEY, or the 0600 key file.

The ring is re-read whenever the key file changes (a `vestige keys rotate` run by another process
takes effect in a running server at its next request), and whenever the environment value does.
"""

from __future__ import annotations

import threading
from pathlib import Path

from django.conf import settings

from ..core.sealing import KeyRing, SealingError, create_ring_file, read_ring_file

_lock = threading.Lock()
_cache: dict[tuple[object, ...], KeyRing] = {}


def key_path() -> Path:
    return Path(settings.PROTECTION_KEY_PATH)


def from_environment() -> bool:
    """Whether the ring comes from VESTIGE_PROTECTION_KEY (then the key file is never used)."""
    return bool(getattr(settings, "PROTECTION_KEY", ""))


def keyring() -> KeyRing:
    """The current key ring, created (0600) the first time when no environment key is set."""
    value: str = getattr(settings, "PROTECTION_KEY", "")
    if value:
        cache_key: tuple[object, ...] = ("env", value)
        with _lock:
            if cache_key not in _cache:
                _cache.clear()
                _cache[cache_key] = KeyRing.parse(value, source="VESTIGE_PROTECTION_KEY")
            return _cache[cache_key]
    path = key_path()
    with _lock:
        try:
            info = path.stat()
        except FileNotFoundError:
            _cache.clear()
            ring = create_ring_file(path)
            info = path.stat()
            _cache[("file", str(path), info.st_ino, info.st_mtime_ns, info.st_size)] = ring
            return ring
        cache_key = ("file", str(path), info.st_ino, info.st_mtime_ns, info.st_size)
        if cache_key not in _cache:
            _cache.clear()
            _cache[cache_key] = read_ring_file(path)
        return _cache[cache_key]


def forget() -> None:
    """Drop the cached ring (after this process rewrote the key file)."""
    with _lock:
        _cache.clear()


__all__ = ["SealingError", "forget", "from_environment", "key_path", "keyring"]
