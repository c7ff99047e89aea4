"""A private on-disk cache for work that is costly to redo at every start.

Entries live in one directory per user (``$REPLYCOACH_CACHE_DIR``, else
``$XDG_CACHE_HOME/replycoach``, else ``~/.cache/replycoach``), created with mode 0700 and used
only while it is a real directory owned by the user and closed to others. An entry is read only
from a regular file (never a FIFO, device or symlink), and only if its checksum and key match;
anything else is ignored and the value recomputed. A cache can make replycoach faster, never
change what it finds.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import stat
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

_MAGIC = b"replycoach-cache-2\n"

try:  # CPython's own BLAKE2: hashlib would load OpenSSL first (~2.5 ms at every start)
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - another Python
    from hashlib import blake2b


def digest(data: bytes, size: int = 32) -> bytes:
    """A BLAKE2b digest of ``data`` (``size`` bytes): entry checksums and cache keys."""
    return blake2b(data, digest_size=size).digest()


_MAX_BYTES = 256 * 1024 * 1024


def _owned_by_me(st: os.stat_result) -> bool:
    getuid = getattr(os, "getuid", None)
    return getuid is None or st.st_uid == getuid()


@cache
def cache_dir() -> Path | None:
    """The user's private cache directory, created if needed; ``None`` when no safe one exists.

    >>> d = cache_dir()
    >>> d is None or oct(d.stat().st_mode & 0o777) == "0o700"
    True
    """
    explicit = os.environ.get("REPLYCOACH_CACHE_DIR")
    if explicit:
        path = Path(explicit)
    else:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        path = Path(base) / "replycoach"
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = os.lstat(path)
        if not stat.S_ISDIR(st.st_mode) or not _owned_by_me(st):
            return None
        if st.st_mode & 0o077:
            os.chmod(path, 0o700)
    except (OSError, RuntimeError):  # RuntimeError: no home directory
        return None
    return path


def _entry(name: str, key: str) -> Path | None:
    directory = cache_dir()
    if directory is None:
        return None
    hashed = digest(f"{name}|{key}".encode("utf-8", "surrogatepass"), 12).hex()
    return directory / f"{name}-{hashed}.bin"


def load(name: str, key: str) -> Any | None:
    """The value stored under ``name`` and ``key``, or ``None`` (missing, foreign, damaged)."""
    path = _entry(name, key)
    if path is None:
        return None
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or not _owned_by_me(st) or st.st_size > _MAX_BYTES:
            return None
        if st.st_mtime_ns < _recent():
            with contextlib.suppress(OSError, NotImplementedError):
                os.utime(fd)  # still in use: not among the oldest the pruning removes
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read()
    except OSError:
        return None
    finally:
        os.close(fd)
    head = len(_MAGIC)
    if not data.startswith(_MAGIC) or len(data) < head + 32:
        return None
    checksum, payload = data[head : head + 32], data[head + 32 :]
    if digest(payload) != checksum:
        return None
    try:
        stored_key, value = marshal.loads(payload)
    except (ValueError, EOFError, TypeError):
        return None
    return value if stored_key == key else None


def store(name: str, key: str, value: Any) -> None:
    """Store ``value`` (marshal-able) under ``name`` and ``key``; failures are ignored."""
    path = _entry(name, key)
    if path is None:
        return
    import tempfile

    with contextlib.suppress(OSError, ValueError):
        payload = marshal.dumps((key, value))
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(_MAGIC + digest(payload) + payload)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        _prune_once(path.parent)


_BUDGET = 192 * 1024 * 1024
"""What the entries may take together: past it, the least recently used go (down to three
quarters of it), so that a cache fed by every rule edit and every upgrade stays bounded."""

_pruned = False


def _recent() -> int:
    """An entry used since this (nanoseconds, a day ago) is not touched again on a load."""
    import time

    return time.time_ns() - 86_400 * 10**9


def _prune_once(directory: Path) -> None:
    """The first store of a process removes the least recently used entries (the oldest
    modification times: a load touches an entry a day old) while the cache holds more than
    :data:`_BUDGET`. Entries are recomputed when missing, so removing one is always safe."""
    global _pruned
    if _pruned:
        return
    _pruned = True
    entries = []
    total = 0
    with contextlib.suppress(OSError), os.scandir(directory) as found:
        for entry in found:
            if not entry.name.endswith(".bin") or not entry.is_file(follow_symlinks=False):
                continue
            st = entry.stat(follow_symlinks=False)
            entries.append((st.st_mtime_ns, st.st_size, entry.path))
            total += st.st_size
    if total <= _BUDGET:
        return
    entries.sort()
    for _, size, path in entries:
        if total <= _BUDGET * 3 // 4:
            break
        with contextlib.suppress(OSError):
            os.unlink(path)
            total -= size


def cached(name: str, key: str, compute: Callable[[], T]) -> T:
    """``compute()``, stored on disk under ``name`` and ``key`` (an empty key: not cached)."""
    if not key:
        return compute()
    value = load(name, key)
    if value is not None:
        return value  # type: ignore[no-any-return]
    value = compute()
    store(name, key, value)
    return value
