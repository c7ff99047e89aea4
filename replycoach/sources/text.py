"""Plain-text phrase files: one reply per line; blank lines and ``# comment`` lines skipped.

A comment is a line whose first non-blank character is ``#`` followed by a blank or the end
of the line, so emoji codes such as ``#E-s01`` are still replies.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from . import Entry, InputError
from .decode import decode

_COMMENT = re.compile(r"\s*#(\s|$)")


def is_comment(line: str) -> bool:
    """True for ``# ...`` comment lines."""
    return _COMMENT.match(line) is not None


def read_text_entries(
    path: str | Path, *, position: str | None = None, data: bytes | None = None
) -> Iterator[Entry | InputError]:
    """Entries of a .txt file, or :class:`InputError` for lines that cannot be read."""
    name = str(path)
    if data is None:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            yield InputError(name, 1, f"cannot read file: {exc.strerror or exc}")
            return
    decoded = decode(data)
    bad = set(decoded.bad_lines)
    for number, line in enumerate(decoded.lines, 1):
        if number in bad:
            yield InputError(name, number, f"line is not valid {decoded.encoding.upper()}")
            continue
        if not line.strip() or is_comment(line):
            continue
        yield Entry(name, number, line, 1, position)
