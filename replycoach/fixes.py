"""Applying safe rewrites: only fixable findings, never overlapping, right to left."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

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
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            shutil.copymode(path, tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@dataclass(frozen=True)
class FileFix:
    """The outcome of fixing one file: the new bytes (``None`` if it must not be
    rewritten), how many lines changed, and why it was refused, if it was."""

    path: str
    data: bytes | None
    changed: list[tuple[int, str, str]]
    error: str | None = None


def fix_text_file(
    path: str | Path, fix: Callable[[str], str], *, data: bytes | None = None
) -> FileFix:
    """Apply ``fix`` to every reply line of a .txt phrase file, keeping encoding, BOM,
    line ends, blank and comment lines byte for byte. A file with an undecodable line is
    refused whole."""
    from .sources.decode import decode, encode
    from .sources.text import is_comment

    name = str(path)
    try:
        raw = Path(path).read_bytes() if data is None else data
    except OSError as exc:
        return FileFix(name, None, [], f"cannot read file: {exc.strerror or exc}")
    decoded = decode(raw)
    if decoded.bad_lines:
        return FileFix(
            name, None, [], f"line {decoded.bad_lines[0]} is not valid UTF-8; file left as it is"
        )
    new_lines = []
    changed = []
    for number, line in enumerate(decoded.lines, 1):
        new = line if (not line.strip() or is_comment(line)) else fix(line)
        if new != line:
            changed.append((number, line, new))
        new_lines.append(new)
    if not changed:
        return FileFix(name, raw, [])
    try:
        out = encode(decoded, decoded.join(new_lines))
    except UnicodeEncodeError as exc:
        return FileFix(name, None, [], f"the fix cannot be written in {decoded.encoding}: {exc}")
    return FileFix(name, out, changed)
