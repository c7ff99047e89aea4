"""Applying safe rewrites: only fixable findings, never overlapping, right to left."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from pathlib import Path

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up time)
if TYPE_CHECKING:
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
    for f in reversed(chosen):
        text = text[: f.start] + f.suggestions[0] + text[f.end :]
    return text


def write_atomic(path: str | Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path`` and rename it into place, so a
    reader (or a crash) never sees a partial file. The file's permissions are kept."""
    import shutil
    import tempfile

    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            shutil.copymode(path, tmp)
        else:  # a new file gets the usual mode, not mkstemp's private 0600
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
