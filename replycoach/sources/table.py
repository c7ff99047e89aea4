"""CSV and TSV phrase libraries: the reply column of each row.

The reply column is found by its header (回复, 话术, 内容, 快捷短语, reply, text, ...) or
named with ``--column`` (a header or a 1-based number); a 场景/分组 column gives positions;
the other columns are kept as context. CSV follows RFC 4180 quoting; TSV has no quoting.

A small tokenizer records where every field stands in the file, so findings point at the
right line and column, a row with unbalanced quotes is reported without swallowing the rows
after it, and ``fix`` replaces exactly the bytes of a reply field: quoting, other columns
and line ends stay as they were.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, NamedTuple

from . import (
    CUSTOMER_COLUMNS,
    POSITION_COLUMNS,
    REPLY_COLUMNS,
    Entry,
    FixError,
    InputError,
    Parsed,
    SourceOptions,
    _simplified,
    raise_on_errors,
    splice,
)
from .decode import Sniffed, decode, encode
from .stream import BadLine, Discard, Record, Writer, lines_of, records


class Field(NamedTuple):
    value: str
    start: int  # offset of the raw field (quote included) in the text
    end: int
    quoted: bool
    line: int
    column: int  # 1-based column of the value's first character


class Row(NamedTuple):
    line: int
    fields: list[Field]


def new_field(value: str, start: int, end: int, quoted: bool, line: int, column: int) -> Field:
    """A Field built in C (NamedTuple's own constructor is a slow Python function)."""
    return tuple.__new__(Field, (value, start, end, quoted, line, column))


def new_row(line: int, fields: list[Field]) -> Row:
    return tuple.__new__(Row, (line, fields))


@dataclass(frozen=True)
class BadRow:
    line: int
    message: str


def tokenize(
    text: str, delimiter: str, quoting: bool, first_line: int = 1
) -> Iterator[Row | BadRow]:
    """Rows of ``text`` with the position of every field. A row with a quote that never
    closes (or junk after a closing quote) is reported, and reading resumes on the next
    line after where that row began."""
    n = len(text)
    pos = 0
    line = first_line
    line_start = 0
    unquoted = re.compile(f"[^{re.escape(delimiter)}\n]*")
    while pos < n:
        nl = text.find("\n", pos)
        stop = n if nl == -1 else nl
        if not quoting or text.find('"', pos, stop) == -1:  # fast path: a row without quotes
            raw = text[pos:stop]
            if raw.endswith("\r"):
                raw = raw[:-1]
            if raw:
                fields_fast = []
                at = pos
                for value in raw.split(delimiter):
                    fields_fast.append(
                        new_field(value, at, at + len(value), False, line, at - pos + 1)
                    )
                    at += len(value) + 1
                yield new_row(line, fields_fast)
            pos = stop + 1
            line += 1
            line_start = pos
            continue
        row_line, row_pos, row_line_start = line, pos, line_start
        fields: list[Field] = []
        error = None
        while True:
            start = pos
            if quoting and pos < n and text[pos] == '"':
                parts = []
                j = pos + 1
                col = j - line_start + 1
                value_line = line
                while True:
                    k = text.find('"', j)
                    if k == -1:
                        error = "unbalanced quotes: this row's quote never closes"
                        break
                    parts.append(text[j:k])
                    if k + 1 < n and text[k + 1] == '"':
                        parts.append('"')
                        j = k + 2
                        continue
                    j = k + 1
                    break
                if error:
                    break
                value = "".join(parts)
                newlines = text.count("\n", pos, j)
                if newlines:
                    line += newlines
                    line_start = text.rfind("\n", pos, j) + 1
                pos = j
                if pos < n and text[pos] not in (delimiter, "\r", "\n"):
                    error = f"unexpected character {text[pos]!r} after a closing quote"
                    break
                fields.append(new_field(value, start, pos, True, value_line, col))
            else:
                m = unquoted.match(text, pos)
                k = m.end() if m else pos
                end = (
                    k - 1 if k > pos and text[k - 1] == "\r" and (k == n or text[k] == "\n") else k
                )
                fields.append(new_field(text[pos:end], pos, end, False, line, pos - line_start + 1))
                pos = end
            if pos < n and text[pos] == delimiter:
                pos += 1
                continue
            if pos < n and text[pos] == "\r":
                pos += 1
            if pos < n and text[pos] == "\n":
                pos += 1
                line += 1
                line_start = pos
            break
        if error:
            yield BadRow(row_line, error)
            nl = text.find("\n", row_pos)
            pos = n if nl == -1 else nl + 1
            line = row_line + 1
            line_start = pos if nl != -1 else row_line_start
            continue
        if len(fields) == 1 and fields[0].value == "" and not fields[0].quoted:
            continue  # a blank line
        yield new_row(row_line, fields)


def _is_header(values: list[str], options: SourceOptions) -> bool:
    if options.column is not None and not options.column.isdigit():
        return any(v.strip() == options.column for v in values)
    known = {*REPLY_COLUMNS, *POSITION_COLUMNS, *CUSTOMER_COLUMNS}
    return any(_simplified(v) in known for v in values)


@dataclass(frozen=True)
class _Layout:
    reply: int
    position: int | None
    names: list[str]
    customer: int | None = None


def _layout(header: list[str] | None, values: list[str], options: SourceOptions) -> _Layout | str:
    width = len(values)
    names = [h.strip() for h in header] if header else [str(i + 1) for i in range(width)]
    if options.column is not None and options.column.isdigit():
        reply = int(options.column) - 1
        if reply < 0:
            return "--column numbers start at 1"
    elif options.column is not None and header is None:
        return (
            f"no column named {options.column!r}: the first row has "
            f"{', '.join(v.strip() for v in values)}; name the reply column with --column"
        )
    elif header is not None:
        matches = [i for i, name in enumerate(names) if options.is_reply_key(name)]
        if not matches:
            return f"no reply column among {', '.join(names)}; name it with --column"
        reply = matches[0]
    elif width == 1:
        reply = 0
    else:
        return "cannot tell which column holds the replies (no header); name it with --column"
    position = customer = None
    if header is not None:
        found = [i for i, name in enumerate(names) if options.is_position_key(name)]
        position = found[0] if found else None
        asked = [i for i, name in enumerate(names) if options.is_customer_key(name)]
        customer = asked[0] if asked else None
    return _Layout(reply, position, names, customer)


class _Table:
    """Rows to entries, one row at a time: the first row decides the layout."""

    def __init__(self, name: str, options: SourceOptions) -> None:
        self.name, self.options = name, options
        self.layout: _Layout | None = None
        self.stopped = False

    def take(self, row: Row | BadRow) -> Iterator[tuple[Entry, Field] | InputError]:
        name, options = self.name, self.options
        if self.stopped:
            return
        if isinstance(row, BadRow):
            yield InputError(name, row.line, row.message)
            return
        values = [f.value for f in row.fields]
        if self.layout is None:
            header = values if _is_header(values, options) else None
            layout = _layout(header, values, options)
            if isinstance(layout, str):
                self.stopped = True
                yield InputError(name, row.line, layout)
                return
            self.layout = layout
            if header is not None:
                return
        layout = self.layout
        if layout.reply >= len(row.fields):
            yield InputError(name, row.line, f"row has {len(row.fields)} columns, no reply column")
            return
        cell = row.fields[layout.reply]
        if not cell.value.strip():
            return
        scene = (
            row.fields[layout.position].value
            if layout.position is not None and layout.position < len(row.fields)
            else None
        )
        context = tuple(
            [
                (layout.names[i] if i < len(layout.names) else str(i + 1), values[i])
                for i in range(len(values))
                if i != layout.reply
            ]
        )
        asked = (
            values[layout.customer]
            if layout.customer is not None and layout.customer < len(values)
            else None
        )
        entry = Entry(
            name,
            cell.line,
            cell.value,
            cell.column,
            options.position_of(scene),
            where=layout.names[layout.reply],
            context=context,
            customer=asked or None,
        )
        yield entry, cell


def _walk(
    name: str, data: bytes, options: SourceOptions
) -> tuple[Parsed, list[tuple[Entry, Field]]]:
    decoded = decode(data)
    parsed = Parsed(decoded.encoding)
    text = decoded.join()
    if decoded.refused:
        parsed.items.append(InputError(name, 1, decoded.refused))
        return parsed, []
    for number in decoded.bad_lines:
        parsed.items.append(InputError(name, number, decoded.problem(number)))
    tsv = name.lower().endswith(".tsv")
    pairs: list[tuple[Entry, Field]] = []
    bad = set(decoded.bad_lines)
    table = _Table(name, options)
    for row in tokenize(text, "\t" if tsv else ",", quoting=not tsv):
        if isinstance(row, Row) and row.line in bad:
            continue
        for item in table.take(row):
            if isinstance(item, InputError):
                parsed.items.append(item)
            else:
                pairs.append(item)
                parsed.items.append(item[0])
    return parsed, pairs


def read(name: str, data: bytes, options: SourceOptions) -> Parsed:
    """Entries of a .csv or .tsv file."""
    return _walk(name, data, options)[0]


def _streamed(
    name: str, handle: BinaryIO, sniffed: Sniffed, options: SourceOptions
) -> Iterator[tuple[Record, list[tuple[Entry, Field] | InputError]] | InputError]:
    tsv = name.lower().endswith(".tsv")
    table = _Table(name, options)
    for record in records(lines_of(handle, sniffed), quoting=not tsv):
        if isinstance(record, BadLine):
            yield InputError(name, record.line, record.message)
            continue
        items = [
            item
            for row in tokenize(record.text, "\t" if tsv else ",", not tsv, record.line)
            for item in table.take(row)
        ]
        yield record, items


def stream(
    name: str, handle: BinaryIO, sniffed: Sniffed, options: SourceOptions
) -> Iterator[Entry | InputError]:
    """Entries of a .csv or .tsv stream, one record at a time."""
    for step in _streamed(name, handle, sniffed, options):
        if isinstance(step, InputError):
            yield step
            continue
        for item in step[1]:
            yield item if isinstance(item, InputError) else item[0]


def rewrite_stream(
    name: str,
    src: BinaryIO,
    dst: BinaryIO | Discard,
    sniffed: Sniffed,
    fix: Callable[[Entry], str],
    options: SourceOptions,
) -> bool:
    """Write the fixed table to ``dst`` record by record; True if anything changed."""
    out = Writer(dst, sniffed)
    tsv = name.lower().endswith(".tsv")
    changed = False
    for step in _streamed(name, src, sniffed, options):
        if isinstance(step, InputError):
            raise FixError(f"line {step.line}: {step.message}")
        record, items = step
        edits = []
        for item in items:
            if isinstance(item, InputError):
                raise FixError(f"line {item.line}: {item.message}")
            edit = _edit(item[0], item[1], fix(item[0]), tsv)
            if edit is not None:
                edits.append(edit)
        if edits:
            changed = True
        out.write(splice(record.text, edits) if edits else record.text)
    return changed


def _quote(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def rewrite(name: str, data: bytes, fix: Callable[[Entry], str], options: SourceOptions) -> bytes:
    """The file with each reply field replaced by ``fix(entry)`` in its original quoting."""
    parsed, pairs = _walk(name, data, options)
    raise_on_errors(parsed)
    decoded = decode(data)
    text = decoded.join()
    tsv = name.lower().endswith(".tsv")
    edits = []
    for entry, cell in pairs:
        edit = _edit(entry, cell, fix(entry), tsv)
        if edit is not None:
            edits.append(edit)
    return encode(decoded, splice(text, edits))


def _edit(entry: Entry, cell: Field, new: str, tsv: bool) -> tuple[int, int, str] | None:
    if new == entry.text:
        return None
    if tsv and any(c in new for c in "\t\r\n"):
        raise FixError(f"line {entry.line}: the fix would put a tab or line end in a TSV field")
    needs_quotes = any(c in new for c in ',"\r\n')
    raw = _quote(new) if (cell.quoted or (needs_quotes and not tsv)) else new
    return cell.start, cell.end, raw
