"""Plain-text phrase files: one reply per line; blank lines and ``# comment`` lines skipped.

A comment is a line whose first non-blank character is ``#`` followed by a blank or the end
of the line, so emoji codes such as ``#E-s01`` are still replies. ``# replycoach:
disable=rule-id`` at the end of a reply's line, or alone on the line above, silences that
rule for that reply.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from typing import BinaryIO

from . import Entry, FixError, InputError, Parsed, SourceOptions, disabled_rules
from .decode import Decoded, Sniffed, decode, encode
from .stream import Discard, Line, Writer, lines_of

_COMMENT = re.compile(r"\s*#(\s|$)")
_NONE: frozenset[str] = frozenset()
_DIRECTIVE_START = re.compile(r"#\s*replycoach:")


def is_comment(line: str) -> bool:
    """True for ``# ...`` comment lines."""
    return _COMMENT.match(line) is not None


def _split_directive(line: str) -> tuple[str, str]:
    """The reply and a trailing ``# replycoach:`` comment, if any."""
    if "#" not in line:
        return line, ""
    # Found from the '#', not with a leading r"\s+" that backtracks over long blank runs.
    for m in _DIRECTIVE_START.finditer(line):
        if m.start() > 0 and line[m.start() - 1].isspace():
            body = line[: m.start()].rstrip()
            return body, line[len(body) :]
    return line, ""


def _walk(
    name: str, lines: Iterable[Line], options: SourceOptions
) -> Iterator[tuple[Line, Entry | InputError | None]]:
    """Every line, with the entry it holds (or why it cannot be read, or None)."""
    previous = ""
    position = options.position
    for line_info in lines:
        number, line, _end, problem = line_info
        if line is None:
            yield line_info, InputError(name, number, problem or "line cannot be decoded")
            previous = ""
            continue
        if "#" not in line:  # most lines: neither a comment nor a directive
            if not line or line.isspace():
                yield line_info, None
            else:
                disabled = disabled_rules(previous) if previous else _NONE
                yield line_info, Entry(name, number, line, 1, position, disabled=disabled)
            previous = ""
            continue
        if not line.strip() or is_comment(line):
            previous = line if is_comment(line) else ""
            yield line_info, None
            continue
        text, trailing = _split_directive(line)
        disabled = disabled_rules(previous, trailing)
        yield line_info, Entry(name, number, text, 1, options.position, disabled=disabled)
        previous = ""


def _decoded_lines(decoded: Decoded) -> Iterator[Line]:
    if not decoded.bad_lines:  # (most files: the lines as they are, no loop of ours)
        return zip(itertools.count(1), decoded.lines, decoded.newlines, itertools.repeat(None))
    return _with_bad_lines(decoded)


def _with_bad_lines(decoded: Decoded) -> Iterator[Line]:
    bad = set(decoded.bad_lines)
    for number, (line, end) in enumerate(zip(decoded.lines, decoded.newlines, strict=False), 1):
        if number in bad:
            yield number, None, end, decoded.problem(number)
        else:
            yield number, line, end, None


def read(name: str, data: bytes, options: SourceOptions) -> Parsed:
    """Entries of a .txt file, and :class:`InputError` for lines that cannot be decoded."""
    decoded = decode(data)
    parsed = Parsed(decoded.encoding)
    if decoded.refused:
        parsed.items.append(InputError(name, 1, decoded.refused))
        return parsed
    parsed.items.extend(
        item for _, item in _walk(name, _decoded_lines(decoded), options) if item is not None
    )
    return parsed


def stream(
    name: str, handle: BinaryIO, sniffed: Sniffed, options: SourceOptions
) -> Iterator[Entry | InputError]:
    """Entries of a .txt stream, one line at a time."""
    for _, item in _walk(name, lines_of(handle, sniffed), options):
        if item is not None:
            yield item


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


def rewrite_stream(
    name: str,
    src: BinaryIO,
    dst: BinaryIO | Discard,
    sniffed: Sniffed,
    fix: Callable[[Entry], str],
    options: SourceOptions,
) -> bool:
    """Write the fixed file to ``dst`` line by line; True if anything changed. A line that
    cannot be decoded raises :class:`FixError` (whole file or nothing)."""
    out = Writer(dst, sniffed)
    changed = False
    for (number, line, end, _), item in _walk(name, lines_of(src, sniffed), options):
        if isinstance(item, InputError):
            raise FixError(f"line {number}: {item.message}")
        assert line is not None
        if item is not None:
            new = fix(item)
            if new != item.text:
                changed = True
                line = new + line[len(item.text) :]
        out.write(line + end)
    return changed
