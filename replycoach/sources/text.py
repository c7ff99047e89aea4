"""Plain-text phrase files: one reply per line; blank lines and ``# comment`` lines skipped.

A comment is a line whose first non-blank character is ``#`` followed by a blank or the end
of the line, so emoji codes such as ``#E-s01`` are still replies. ``# replycoach:
disable=rule-id`` at the end of a reply's line, or alone on the line above, silences that
rule for that reply.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from . import Entry, FixError, InputError, Parsed, SourceOptions, disabled_rules
from .decode import decode, encode

_COMMENT = re.compile(r"\s*#(\s|$)")
_TRAILING_DIRECTIVE = re.compile(r"\s+#\s*replycoach:.*$")


def is_comment(line: str) -> bool:
    """True for ``# ...`` comment lines."""
    return _COMMENT.match(line) is not None


def _split_directive(line: str) -> tuple[str, str]:
    """The reply and a trailing ``# replycoach:`` comment, if any."""
    if "#" not in line:
        return line, ""
    m = _TRAILING_DIRECTIVE.search(line)
    return (line[: m.start()], m.group()) if m else (line, "")


def read(name: str, data: bytes, options: SourceOptions) -> Parsed:
    """Entries of a .txt file, and :class:`InputError` for lines that cannot be decoded."""
    decoded = decode(data)
    parsed = Parsed(decoded.encoding)
    if decoded.refused:
        parsed.items.append(InputError(name, 1, decoded.refused))
        return parsed
    bad = set(decoded.bad_lines)
    previous = ""
    for number, line in enumerate(decoded.lines, 1):
        if number in bad:
            parsed.items.append(InputError(name, number, decoded.problem(number)))
            previous = ""
            continue
        if not line.strip() or is_comment(line):
            previous = line if is_comment(line) else ""
            continue
        text, trailing = _split_directive(line)
        parsed.items.append(
            Entry(
                name, number, text, 1, options.position, disabled=disabled_rules(previous, trailing)
            )
        )
        previous = ""
    return parsed


def rewrite(name: str, data: bytes, fix: Callable[[Entry], str], options: SourceOptions) -> bytes:
    """The file with each reply line replaced by ``fix(entry)``; everything else, encoding,
    BOM and line ends included, byte for byte."""
    decoded = decode(data)
    if decoded.refused:
        raise FixError(decoded.refused)
    if decoded.bad_lines:
        raise FixError(f"line {decoded.bad_lines[0]}: {decoded.problem(decoded.bad_lines[0])}")
    lines = list(decoded.lines)
    for item in read(name, data, options).items:
        if isinstance(item, Entry):
            line = lines[item.line - 1]
            lines[item.line - 1] = fix(item) + line[len(item.text) :]
    return encode(decoded, decoded.join(lines))
