"""An open phrase file, kept checked as it is edited: what the language server works on.

The file is read by the same readers as ``replycoach check`` (:mod:`replycoach.sources`), so a
table's reply column, the strings of a JSON or YAML library, scene columns and inline
``# replycoach: disable=`` comments work the same. An edit re-reads only what it touched:

- line formats (.txt, .jsonl, .csv, .tsv): the edited lines, widened to whole rows (a quoted
  CSV field may span lines: a row boundary is a line start with an even number of quotes
  before it) plus the line above and below in .txt (a comment above an entry silences it);
  a table is read with its header row in front. An edit that changes the quoting of the rest
  of the file, touches the header, or meets a damaged row is read whole.
- tree formats (.json, .yaml): an edit inside one reply's string, Enter and blank lines, and
  list items added or removed need no whole read (:mod:`.tree`); anything else reads the file
  whole.

Each entry's findings are cached by its text, position, customer and silenced rules, so a
whole read re-checks only entries that changed. Positions: lines are split at ``\\n`` as the
readers do; columns are code points here and converted to the client's units (UTF-16 by
default) by :func:`to_units` / :func:`from_units`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...engine import Engine
from ...model import Finding
from ...sources import Entry, FixError, InputError, SourceOptions, reader_for
from .tree import FLOW_START, TreeEdits

Item = Entry | InputError

LINE_FORMATS = {".txt": (1, 1), ".jsonl": (0, 0), ".csv": (0, 0), ".tsv": (0, 0)}
"""Line formats and how many lines of context above and below an edit each needs."""
TREE_FORMATS = (".json", ".yaml", ".yml")


def to_units(line: str, column: int, encoding: str = "utf-16") -> int:
    """Code-point ``column`` of ``line`` in the client's units (utf-16, utf-8 or utf-32)."""
    if encoding == "utf-32":
        return column
    head = line[:column]
    if encoding == "utf-8":
        return len(head.encode("utf-8"))
    return column + sum(1 for ch in head if ord(ch) > 0xFFFF)


def from_units(line: str, units: int, encoding: str = "utf-16") -> int:
    """The code-point column of ``units`` client units into ``line`` (clamped to the line)."""
    if encoding == "utf-32":
        return min(units, len(line))
    count = 0
    for index, ch in enumerate(line):
        if count >= units:
            return index
        code = ord(ch)
        if encoding == "utf-8":
            count += 1 if code < 0x80 else 2 if code < 0x800 else 3 if code < 0x10000 else 4
        else:
            count += 2 if code > 0xFFFF else 1
    return len(line)


def split_lines(text: str) -> list[str]:
    """Lines with their ``\\n`` kept; the last one has none (and may be empty)."""
    parts = text.split("\n")
    return [p + "\n" for p in parts[:-1]] + [parts[-1]]


@dataclass(eq=False)
class Unit:
    """One entry (or unreadable part) of the file and its findings. ``span`` is the raw
    token's [start, end) column range on its line, for single-line JSON/YAML strings."""

    item: Item
    findings: tuple[Finding, ...] = ()
    span: tuple[int, int] | None = None
    style: str | None = None
    places: list[tuple[int, int]] | None = None  # (line offset, column) per text offset
    cache: Any = None  # what the server built from this unit, and for which line


@dataclass
class Stats:
    """How the last update was done, for tests and the benchmark."""

    mode: str = "full"
    lines: int = 0
    checked: int = 0


@dataclass
class PhraseDocument(TreeEdits):
    """The lines of an open file and the entries found on each line (``slots``)."""

    name: str
    engine: Engine
    options: SourceOptions = field(default_factory=SourceOptions)
    ignore: frozenset[str] = frozenset()
    excluded: bool = False
    """True for a file the configuration excludes: read, but nothing reported."""
    lines: list[str] = field(default_factory=list)
    slots: list[tuple[Unit, ...]] = field(default_factory=list)
    stats: Stats = field(default_factory=Stats)
    _memo: dict[tuple[Any, ...], tuple[Finding, ...]] = field(default_factory=dict)
    _fresh: list[bool] = field(default_factory=list)  # per line: a table row may start here
    _flow: bool = True  # the text had a YAML flow collection when last read whole
    _damaged: bool = True  # a part could not be read when last read whole
    _multiline: bool = True  # a JSON/YAML entry spans lines (or has no single token)
    _good: tuple[list[tuple[Unit, ...]], bool, tuple[int, int], frozenset[int]] | None = None
    """While a JSON/YAML file cannot be read: the units of its last good reading, kept in line
    with the edits, whether a splice is ruled out (a multi-line entry, a line that was not a
    list item replaced), the lines edited since, and the indentation of the items replaced."""

    def __post_init__(self) -> None:
        self.suffix = Path(self.name).suffix.lower()
        if self.suffix not in LINE_FORMATS and self.suffix not in TREE_FORMATS:
            self.suffix = ".txt"  # read as .txt, as `replycoach check` does
        self.reader = reader_for(self.name)

    # ------------------------------------------------------------------ public

    @property
    def text(self) -> str:
        return "".join(self.lines)

    def set_text(self, text: str) -> None:
        """Replace the whole content and read it."""
        self.lines = split_lines(text)
        self.stats = Stats()
        self._full()

    def reconfigure(self, engine: Engine, options: SourceOptions, ignore: frozenset[str]) -> None:
        """New rules or options: forget cached findings and read everything again."""
        self.engine, self.options, self.ignore = engine, options, ignore
        self._memo.clear()
        self.stats = Stats()
        self._full()

    def replace(self, start: tuple[int, int], end: tuple[int, int], new: str) -> None:
        """Apply one edit: code-point positions ``(line, column)``, end exclusive (columns
        past a line's end mean its end, as in LSP)."""
        self.stats = Stats("full", len(self.lines))
        last = len(self.lines) - 1
        (sl, sc), (el, ec) = start, end
        if sl > last:
            sl, sc = last, len(self.lines[last])
        if el > last:
            el, ec = last, len(self.lines[last])
        sc = min(sc, len(self.lines[sl].rstrip("\r\n")))
        ec = min(ec, len(self.lines[el].rstrip("\r\n")))
        old_lines = self.lines[sl : el + 1]
        table = self.suffix in (".csv", ".tsv")
        header = self._header_end() if table else -1
        if table and any(isinstance(u.item, InputError) for s in self.slots for u in s):
            header = None  # a damaged row: where rows start after an edit is not known
        pieces = split_lines(old_lines[0][:sc] + new + old_lines[-1][ec:])
        if el < last:
            pieces.pop()  # the text ends with the line end before the next line
        self.lines[sl : el + 1] = pieces
        new_end = sl + len(pieces) - 1
        if self.suffix in TREE_FORMATS:
            self._tree_edit(sl, el, sc, ec, new, old_lines, pieces)
            return
        self.slots[sl : el + 1] = [()] * len(pieces)
        self._fresh[sl + 1 : el + 1] = [False] * (len(pieces) - 1)
        if header is None or sl <= header or not self._window(sl, new_end, new_end - el, header):
            self._full()

    def units(self) -> Iterator[tuple[int, Unit]]:
        """Every unit with its 0-based line, in file order."""
        for number, slot in enumerate(self.slots):
            for unit in slot:
                yield number, unit

    def places(self, line: int, unit: Unit) -> list[tuple[int, int]]:
        """For each offset into an entry's text (its end included), the (line, column) in
        the file, following quotes, escapes and folded lines of its format."""
        if unit.places is None:
            assert isinstance(unit.item, Entry)
            unit.places = self._align(line, unit.item, unit.style)
        return [(line + dl, col) for dl, col in unit.places]

    def position_of(self, offset: int) -> tuple[int, int]:
        """(line, column) of a code-point offset into the whole text."""
        for number, line in enumerate(self.lines):
            if offset < len(line) or number == len(self.lines) - 1:
                return number, min(offset, len(line))
            offset -= len(line)
        return len(self.lines) - 1, 0  # pragma: no cover - the loop always returns

    def fixed_text(self, target: tuple[int, Entry] | None = None, new: str = "") -> str | None:
        """The text with every safe fix applied (or, with ``target``, that entry's text
        replaced by ``new``), written by the format's own rewriter so quoting and layout are
        kept; None when the file cannot be rewritten whole."""
        text = self.text

        def fix(entry: Entry) -> str:
            if target is not None:
                line, wanted = target
                same = entry.line == line + 1 and entry.column == wanted.column
                return new if same and entry.text == wanted.text else entry.text
            return self.engine.fix(
                entry.text,
                position=entry.position,
                customer=entry.customer,
                ignore=self.ignore | entry.disabled,
            )

        try:
            out: bytes = self.reader.rewrite(self.name, text.encode("utf-8"), fix, self.options)
        except FixError:
            return None
        return out.decode("utf-8")

    # ------------------------------------------------------------------ reading

    def _findings(self, item: Item) -> tuple[Finding, ...]:
        if isinstance(item, InputError):
            return ()
        key = (item.text, item.position, item.customer, item.disabled)
        found = self._memo.get(key)
        if found is None:
            self.stats.checked += 1
            found = tuple(
                self.engine.check(
                    item.text,
                    position=item.position,
                    customer=item.customer,
                    ignore=self.ignore | item.disabled,
                )
            )
            if len(self._memo) > 200_000:
                self._memo.clear()
            self._memo[key] = found
        return found

    def _read(self, text: str) -> list[Item]:
        parsed = self.reader.read(self.name, text.encode("utf-8"), self.options)
        return list(parsed.items)

    def _full(self) -> None:
        self.stats.mode, self.stats.lines = "full", len(self.lines)
        slots: list[list[Unit]] = [[] for _ in self.lines]
        text = self.text
        if self.suffix in TREE_FORMATS:
            for line, unit in self._tree_units(text):
                slots[min(line, len(slots) - 1)].append(unit)
        else:
            for item in self._read(text):
                index = min(max(item.line - 1, 0), len(slots) - 1)
                slots[index].append(Unit(item, self._findings(item)))
        self.slots = [tuple(s) for s in slots]
        self._fresh = [True] * len(self.lines)
        self._flow = FLOW_START.search(text) is not None
        self._damaged = any(isinstance(u.item, InputError) for s in self.slots for u in s)
        self._multiline = any(
            u.span is None for s in self.slots for u in s if isinstance(u.item, Entry)
        )
        if self.suffix == ".csv" and '"' in text:
            self._mark_rows(text, 0)

    def _tree_units(self, text: str) -> Iterator[tuple[int, Unit]]:
        from ...sources import jsondoc, yamldoc

        data = text.encode("utf-8")
        starts = [0]
        for text_line in self.lines:
            starts.append(starts[-1] + len(text_line))
        Key = tuple[int, int, str | None]
        spans: dict[Key, tuple[int, int]]
        styles: dict[Key, str | None]
        if self.suffix == ".json":
            parsed, found, _ = jsondoc._found(self.name, data, self.options)
            spans = {
                (f.node.line, f.node.column, f.pointer or "/"): (f.node.start, f.node.end)
                for f, _ in found
            }
            styles = {key: '"' for key in spans}
        else:
            parsed, pairs, _ = yamldoc._found(self.name, data, self.options)
            spans = {(e.line, e.column, e.where): (f.node.start, f.node.end) for f, e in pairs}
            styles = {(e.line, e.column, e.where): f.node.style for f, e in pairs}
        for item in parsed.items:
            number = max(item.line - 1, 0)
            if isinstance(item, InputError):
                yield number, Unit(item)
                continue
            key = (item.line, item.column, item.where)
            span = None
            start, end = spans.get(key, (-1, -1))
            if start >= 0 and "\n" not in text[start:end] and start >= starts[number]:
                span = (start - starts[number], end - starts[number])
            yield number, Unit(item, self._findings(item), span, styles.get(key))

    def _window(self, first: int, last: int, delta: int, header: int) -> bool:
        """Re-read lines ``first``..``last`` (0-based, after an edit that added ``delta``
        lines) of a line format, widened as the format needs; False when only a whole read
        is right. ``header`` is the line where a table's first row ends."""
        before, after = LINE_FORMATS[self.suffix]
        table = self.suffix in (".csv", ".tsv")
        prefix: list[str] = []
        if table:
            prefix = self.lines[: header + 1]
            while not self._fresh[first] and first > header + 1:  # back to the row's start
                first -= 1
            if not self._fresh[first]:
                return False
            # on to a line where a row started before the edit too: the rest reads the same
            while last + 1 < len(self.lines) and not self._fresh[last + 1]:
                last += 1
        keep_from = first
        top = max(0, first - before)
        bottom = min(len(self.lines) - 1, last + after)
        window = "".join(self.lines[top : bottom + 1])
        if table and not self._mark_rows(window, top, "".join(prefix)):
            return False
        items = self._read("".join(prefix) + window)
        shift = top - len(prefix)
        slots: list[list[Unit]] = [[] for _ in range(bottom - keep_from + 1)]
        for item in items:
            line = item.line - 1 + shift
            if table and isinstance(item, InputError):
                return False
            if line < keep_from or line > bottom:
                continue
            slots[line - keep_from].append(Unit(item, self._findings(item)))
        self.slots[keep_from : bottom + 1] = [tuple(s) for s in slots]
        self.stats.mode, self.stats.lines = "window", bottom - top + 1 + len(prefix)
        return True

    def _mark_rows(self, text: str, top: int, prefix: str = "") -> bool:
        """Mark which lines of ``text`` (starting at line ``top``) a table row starts on, by
        the table reader's own tokenizer; False if a row is damaged."""
        from ...sources.table import BadRow, tokenize

        skip = prefix.count("\n")
        tsv = self.suffix == ".tsv"
        lines = text.count("\n") + 1
        fresh = [True] * lines
        for row in tokenize(prefix + text, "\t" if tsv else ",", quoting=not tsv):
            if isinstance(row, BadRow):
                if top or prefix:
                    return False
                continue  # the reader goes on at the next line
            start = row.line - 1 - skip
            last = row.fields[-1]
            end = last.line - 1 - skip + (last.value.count("\n") if last.quoted else 0)
            for number in range(max(start + 1, 0), min(end + 1, lines)):
                fresh[number] = False
        self._fresh[top : top + lines] = fresh
        return True

    def _header_end(self) -> int | None:
        """The 0-based line where a table's first row ends (None: no row)."""
        started = None
        for number, line in enumerate(self.lines):
            if started is None and line.strip():
                started = number
            if started is not None and (number + 1 == len(self.lines) or self._fresh[number + 1]):
                return number
        return None

    # ------------------------------------------------------------------ positions

    def _align(self, line: int, entry: Entry, style: str | None) -> list[tuple[int, int]]:
        lines = self.lines
        number, col = line, entry.column - 1
        escapes = (style == '"' and self.suffix in TREE_FORMATS) or self.suffix == ".jsonl"
        quote = style
        if quote is None and self.suffix in (".csv",) and col > 0:
            quote = '"' if lines[number][col - 1 : col] == '"' else None
        if self.suffix in (".json", ".jsonl"):
            quote = '"'
        out: list[tuple[int, int]] = []
        text = lines[number]
        for ch in entry.text:
            while col >= len(text) and number + 1 < len(lines):
                number, col = number + 1, 0
                text = lines[number]
            src = text[col : col + 1]
            out.append((number - line, col))
            if escapes and src == "\\":
                col += _escape_length(text, col, ch)
            elif src == ch:
                col += 1
                if quote and ch == quote and not escapes and text[col : col + 1] == quote:
                    col += 1
            elif ch in " \n" and src and src in " \t\r\n":
                while col < len(text) and text[col] in " \t\r\n":
                    col += 1
                    if col >= len(text) and number + 1 < len(lines):
                        number, col = number + 1, 0
                        text = lines[number]
            else:
                col += 1
        out.append((number - line, col))
        return out


def _escape_length(text: str, col: int, ch: str) -> int:
    kind = text[col + 1 : col + 2]
    if kind == "u":
        return 12 if ord(ch) > 0xFFFF and text[col + 6 : col + 8] == "\\u" else 6
    if kind == "U":
        return 10
    if kind == "x":
        return 4
    return 2
