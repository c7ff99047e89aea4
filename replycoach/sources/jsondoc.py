"""JSON and JSON Lines phrase libraries (shapes: see :mod:`replycoach.sources.tree`).

The document is validated by the standard library, then scanned once more to learn where
every string stands, so findings carry the line, the column and the JSON pointer, and
``fix`` replaces exactly the bytes of a reply's string token: layout, key order, other
values and escapes elsewhere stay as they were. A JSON syntax error is reported with its
line and the file is skipped; in JSON Lines only the bad line is skipped.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Callable, Iterator
from json.decoder import scanstring  # type: ignore[attr-defined]
from typing import BinaryIO

from . import Entry, FixError, InputError, Parsed, SourceOptions, raise_on_errors, splice
from .decode import Sniffed, decode, encode
from .stream import Discard, Writer, lines_of
from .tree import Found, Node, replies

_WS = " \t\n\r"
_NEWLINE = re.compile("\n")


class _Scanner:
    def __init__(self, text: str, base: int = 0, base_line: int = 1) -> None:
        self.text = text
        self.newlines = [m.start() for m in _NEWLINE.finditer(text)]
        self.base_line = base_line

    def where(self, offset: int) -> tuple[int, int]:
        k = bisect.bisect_right(self.newlines, offset - 1)
        line_start = self.newlines[k - 1] + 1 if k else 0
        return self.base_line + k, offset - line_start + 1

    def skip(self, pos: int) -> int:
        while pos < len(self.text) and self.text[pos] in _WS:
            pos += 1
        return pos

    def value(self, pos: int) -> tuple[Node, int]:
        pos = self.skip(pos)
        ch = self.text[pos]
        line, column = self.where(pos)
        if ch == '"':
            value, end = scanstring(self.text, pos + 1)
            line, column = self.where(pos + 1)
            return Node("str", pos, end, line, column, value), end
        if ch in "[{":
            closing = "]" if ch == "[" else "}"
            node = Node("list" if ch == "[" else "dict", pos, pos, line, column)
            pos = self.skip(pos + 1)
            index = 0
            while self.text[pos] != closing:
                key: str | int = index
                if ch == "{":
                    key, pos = scanstring(self.text, self.skip(pos) + 1)
                    pos = self.skip(pos) + 1  # the colon
                child, pos = self.value(pos)
                node.items.append((key, child))
                index += 1
                pos = self.skip(pos)
                if self.text[pos] == ",":
                    pos = self.skip(pos + 1)
            node.end = pos + 1
            return node, pos + 1
        end = pos
        while end < len(self.text) and self.text[end] not in ",]}" + _WS:
            end += 1
        return Node("other", pos, end, line, column), end


def _found(
    name: str, data: bytes, options: SourceOptions
) -> tuple[Parsed, list[tuple[Found, int]], str]:
    decoded = decode(data)
    parsed = Parsed(decoded.encoding)
    text = decoded.join()
    found: list[tuple[Found, int]] = []
    if decoded.refused:
        parsed.items.append(InputError(name, 1, decoded.refused))
        return parsed, found, text
    if name.lower().endswith(".jsonl"):
        offset = 0
        bad = set(decoded.bad_lines)
        for number, (line, end) in enumerate(zip(decoded.lines, decoded.newlines, strict=True), 1):
            if number in bad:
                parsed.items.append(InputError(name, number, decoded.problem(number)))
            elif line.strip():
                try:
                    json.loads(line)
                except json.JSONDecodeError as exc:
                    parsed.items.append(InputError(name, number, f"not valid JSON: {exc.msg}"))
                else:
                    root, _ = _Scanner(line, base_line=number).value(0)
                    found.extend((f, offset) for f in replies(root, options))
            offset += len(line) + len(end)
    else:
        # A line that cannot be decoded is blank in ``text``: reported, and the rest is
        # still read when the document parses without it.
        for number in decoded.bad_lines:
            parsed.items.append(InputError(name, number, decoded.problem(number)))
        try:
            json.loads(text)
        except json.JSONDecodeError as exc:
            if not decoded.bad_lines:
                parsed.items.append(InputError(name, exc.lineno, f"not valid JSON: {exc.msg}"))
            return parsed, found, text
        root, _ = _Scanner(text).value(0)
        found.extend((f, 0) for f in replies(root, options))
    parsed.items.extend(_entry(name, f) for f, _ in found)
    parsed.items.sort(key=lambda item: item.line)
    return parsed, found, text


def read(name: str, data: bytes, options: SourceOptions) -> Parsed:
    """Entries of a .json or .jsonl file."""
    return _found(name, data, options)[0]


def _entry(name: str, f: Found) -> Entry:
    assert f.node.value is not None
    return Entry(
        name,
        f.node.line,
        f.node.value,
        f.node.column,
        f.position,
        where=f.pointer or "/",
        context=f.context,
        customer=f.customer,
    )


def _jsonl_line(
    name: str, number: int, line: str, options: SourceOptions
) -> list[Found] | InputError:
    try:
        json.loads(line)
    except json.JSONDecodeError as exc:
        return InputError(name, number, f"not valid JSON: {exc.msg}")
    root, _ = _Scanner(line, base_line=number).value(0)
    return list(replies(root, options))


def stream(
    name: str, handle: BinaryIO, sniffed: Sniffed, options: SourceOptions
) -> Iterator[Entry | InputError]:
    """Entries of a .jsonl stream, one line at a time."""
    for number, line, _end, problem in lines_of(handle, sniffed):
        if line is None:
            yield InputError(name, number, problem or "line cannot be decoded")
        elif line.strip():
            found = _jsonl_line(name, number, line, options)
            if isinstance(found, InputError):
                yield found
            else:
                yield from (_entry(name, f) for f in found)


def rewrite_stream(
    name: str,
    src: BinaryIO,
    dst: BinaryIO | Discard,
    sniffed: Sniffed,
    fix: Callable[[Entry], str],
    options: SourceOptions,
) -> bool:
    """Write the fixed .jsonl to ``dst`` line by line; True if anything changed."""
    out = Writer(dst, sniffed)
    changed = False
    for number, line, end, problem in lines_of(src, sniffed):
        if line is None:
            raise FixError(f"line {number}: {problem}")
        if line.strip():
            found = _jsonl_line(name, number, line, options)
            if isinstance(found, InputError):
                raise FixError(f"line {number}: {found.message}")
            edits = []
            for f in found:
                entry = _entry(name, f)
                new = fix(entry)
                if new != entry.text:
                    raw = line[f.node.start : f.node.end]
                    edits.append((f.node.start, f.node.end, _dump_like(raw, entry.text, new)))
            if edits:
                changed = True
                line = splice(line, edits)
        out.write(line + end)
    return changed


def _dump_like(raw: str, old: str, new: str) -> str:
    """``new`` as a JSON string token, escaping like the original token did."""
    if raw == json.dumps(old):  # \\u-escaped, as Python and many tools write by default
        return json.dumps(new)
    return json.dumps(new, ensure_ascii=False)


def rewrite(name: str, data: bytes, fix: Callable[[Entry], str], options: SourceOptions) -> bytes:
    """The file with each reply's string token replaced; every other byte kept."""
    parsed, found, text = _found(name, data, options)
    raise_on_errors(parsed)
    entries = [item for item in parsed.items if isinstance(item, Entry)]
    by_place = {(e.line, e.column, e.where): e for e in entries}
    edits = []
    for f, offset in found:
        entry = by_place[(f.node.line, f.node.column, f.pointer or "/")]
        new = fix(entry)
        if new != entry.text:
            start, end = offset + f.node.start, offset + f.node.end
            edits.append((start, end, _dump_like(text[start:end], entry.text, new)))
    return encode(decode(data), splice(text, edits))
