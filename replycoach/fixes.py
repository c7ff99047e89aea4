"""Applying safe rewrites: only fixable findings, never overlapping, in one pass."""

from __future__ import annotations

import contextlib
import os
import re
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

from .errors import ReplycoachError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import BinaryIO

    from .model import Finding


def apply_fixes(text: str, findings: Iterable[Finding]) -> str:
    """Replace each fixable finding's excerpt by its first suggestion.

    Findings that overlap an earlier fixable one are left for a later pass.

    >>> from replycoach import check
    >>> apply_fixes("你好，你的快递到了", check("你好，你的快递到了"))
    '您好，您的快递到了'
    """
    chosen: list[Finding] = []
    last_end = -1
    for f in sorted((f for f in findings if f.fixable and f.suggestions), key=lambda f: f.start):
        if f.start >= last_end and text[f.start : f.end] == f.excerpt:
            chosen.append(f)
            last_end = f.end
    if not chosen:
        return text
    pieces: list[str] = []
    at = 0
    for f in chosen:  # one pass, joined once: linear in the text, whatever the findings
        pieces += (text[at : f.start], f.suggestions[0])
        at = f.end
    pieces.append(text[at:])
    return "".join(pieces)


class OutputError(ReplycoachError):
    """A file cannot be written (a missing or read-only folder, a full disk); the message
    names the file and why."""


class FileChanged(ReplycoachError):
    """A file was changed by someone else while it was being fixed; it was left as they
    left it."""


class ReadOnlyFile(ReplycoachError):
    """A file has no write permission; it is left alone."""


_TEMP_SUFFIX = ".replycoach.tmp"
_STREAMS = re.compile(r"/dev/(stdout|stderr)|/(?:dev/fd|proc/self/fd)/(\d+)")


def _temp_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}{_TEMP_SUFFIX}")


def clean_stale_temps(path: str | Path) -> list[Path]:
    """Remove temporary files that a killed run left beside ``path`` (their process is gone);
    returns what was removed."""
    path = Path(os.path.realpath(path))
    removed: list[Path] = []
    prefix = f".{path.name}."
    try:
        names = os.listdir(path.parent)
    except OSError:
        return removed
    for name in names:
        if not (name.startswith(prefix) and name.endswith(_TEMP_SUFFIX)):
            continue
        pid = name[len(prefix) : -len(_TEMP_SUFFIX)]
        if not pid.isdigit() or _alive(int(pid)):
            continue
        with contextlib.suppress(OSError):
            os.unlink(path.parent / name)
            removed.append(path.parent / name)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def fingerprint(path: str | Path) -> tuple[int, int, int]:
    """What tells that a file changed: inode, size and modification time (ns)."""
    st = os.stat(path)
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


@contextlib.contextmanager
def open_output(
    path: str | Path, *, expect: tuple[int, int, int] | None = None, keep_read_only: bool = True
) -> Iterator[BinaryIO]:
    """A binary handle whose content replaces ``path`` when the block ends without error.

    A symlink is followed to its target (the link stays a link). What is not a regular file
    (a device such as /dev/null, a FIFO, /dev/stdout) is written directly. A regular file is
    written to a temporary file beside it and renamed into place, so a reader (or a crash)
    never sees a partial file; its mode and owner are kept. With ``expect`` (from
    :func:`fingerprint` when the file was read) the file is replaced only if nobody changed
    it meanwhile (else :class:`FileChanged`); a read-only file is left alone
    (:class:`ReadOnlyFile`) unless ``keep_read_only`` is false. Errors of the file system
    raise :class:`OutputError` naming the file.
    """
    shown = str(path)
    stream = _STREAMS.fullmatch(os.path.normpath(shown))
    if stream is not None:  # /dev/stdout and the like: the open descriptor, even to a file
        fd = {"stdout": 1, "stderr": 2}.get(stream.group(1) or "") or int(stream.group(2))
        try:
            with os.fdopen(os.dup(fd), "wb") as handle:
                yield handle
        except OSError as exc:
            raise OutputError(f"{shown}: cannot write: {_why(exc)}") from None
        return
    target = Path(os.path.realpath(path))
    try:
        st: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise OutputError(f"{shown}: cannot write: {_why(exc)}") from None
    if st is not None and not stat.S_ISREG(st.st_mode):
        try:
            with open(target, "wb") as handle:
                yield handle
        except OSError as exc:
            raise OutputError(f"{shown}: cannot write: {_why(exc)}") from None
        return
    if st is not None and keep_read_only and not st.st_mode & 0o222:
        raise ReadOnlyFile(f"{shown}: the file is read-only; left as it is")
    if not target.parent.is_dir():
        raise OutputError(f"{shown}: cannot write: folder {target.parent} does not exist")
    tmp = _temp_name(target)
    try:
        handle = open(tmp, "xb")
    except FileExistsError:
        os.unlink(tmp)
        handle = open(tmp, "xb")
    except OSError as exc:
        raise OutputError(f"{shown}: cannot write in {target.parent}: {_why(exc)}") from None
    try:
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        if st is not None:
            os.chmod(tmp, stat.S_IMODE(st.st_mode))
            if (st.st_uid, st.st_gid) != (os.getuid(), os.getgid()):
                with contextlib.suppress(OSError):
                    os.chown(tmp, st.st_uid, st.st_gid)
        else:  # a new file gets the usual mode, not a private 0600
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        if expect is not None and fingerprint(target) != expect:
            raise FileChanged(
                f"{shown}: changed by someone else while it was being fixed; "
                "left as it is now, run fix again"
            )
        os.replace(tmp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise OutputError(f"{shown}: cannot write: {_why(exc)}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_output(
    path: str | Path,
    data: bytes,
    *,
    expect: tuple[int, int, int] | None = None,
    keep_read_only: bool = False,
) -> None:
    """Write ``data`` to ``path`` as :func:`open_output` does (reports, baselines, schemas:
    a read-only file asked for explicitly is still replaced, keeping its mode)."""
    with open_output(path, expect=expect, keep_read_only=keep_read_only) as handle:
        handle.write(data)


def write_atomic(path: str | Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path`` and rename it into place, so a
    reader (or a crash) never sees a partial file. The file's permissions are kept; a
    symlink is followed and a device or FIFO written directly (see :func:`open_output`)."""
    write_output(path, data)
