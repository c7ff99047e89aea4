"""Where replies come from: phrase libraries (快捷短语/话术库) read into located entries.

Every format has a reader module with ``read(name, data, options) -> Parsed`` and
``rewrite(name, data, fix, options) -> bytes``. A reader yields entries and
:class:`InputError` items in file order; a bad line or row never stops the rest of the file
from being checked.

| ending | module | an entry is |
|---|---|---|
| .txt | text | a line (blank lines and ``# comments`` skipped) |
| .csv .tsv | table | the reply column of a row (found by header or ``--column``) |
| .json .jsonl | jsondoc | a string in a list, or the reply field of an object |
| .yaml .yml | yamldoc | the same shapes as JSON |
| .xlsx | excel | the reply column of a row, on every sheet (``replycoach[excel]``) |
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from ..model import POSITIONS


@dataclass(frozen=True)
class Entry:
    """One reply and where it stands.

    ``line`` and ``column`` locate its first character; ``where`` is the format's own
    address (a CSV column name, a JSON pointer, ``Sheet1!C12``); ``cell`` replaces
    ``line`` in reports where a spreadsheet cell is the natural address.
    """

    path: str
    line: int
    text: str
    column: int = 1
    position: str | None = None
    where: str | None = None
    cell: str | None = None
    disabled: frozenset[str] = frozenset()
    context: tuple[tuple[str, str], ...] = ()
    customer: str | None = None
    """The customer's message this reply answers, where the file gives it."""

    def __init__(
        self,
        path: str,
        line: int,
        text: str,
        column: int = 1,
        position: str | None = None,
        where: str | None = None,
        cell: str | None = None,
        disabled: frozenset[str] = frozenset(),
        context: tuple[tuple[str, str], ...] = (),
        customer: str | None = None,
    ) -> None:
        # Written out (the dataclass keeps its fields, equality, hash and repr): one Entry
        # is made per reply read, and a frozen dataclass's own __init__ sets each field
        # through object.__setattr__ (~1.4 µs an entry; this ~0.3 µs). A field left at its
        # default is not set: the class attribute answers for it.
        fields = self.__dict__
        fields["path"] = path
        fields["line"] = line
        fields["text"] = text
        if column != 1:
            fields["column"] = column
        if position is not None:
            fields["position"] = position
        if where is not None:
            fields["where"] = where
        if cell is not None:
            fields["cell"] = cell
        if disabled:
            fields["disabled"] = disabled
        if context:
            fields["context"] = context
        if customer is not None:
            fields["customer"] = customer

    def location(self, offset: int = 0) -> str:
        """``path:line:column`` of the character ``offset`` into the reply."""
        if self.cell is not None:
            return f"{self.path}:{self.cell}:{self.column + offset}"
        return f"{self.path}:{self.line}:{self.column + offset}"


@dataclass(frozen=True)
class InputError:
    """A part of an input that could not be read; reported, never fatal for the rest."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class Parsed:
    """What a reader found in one file."""

    encoding: str
    items: list[Entry | InputError] = field(default_factory=list)


class FixError(Exception):
    """A file cannot be rewritten whole; it is left untouched."""


def raise_on_errors(parsed: Parsed) -> None:
    """A file with a part that cannot be read cannot be rewritten whole: raise FixError."""
    for item in parsed.items:
        if isinstance(item, InputError):
            raise FixError(f"line {item.line}: {item.message}")


def splice(text: str, edits: Iterable[tuple[int, int, str]]) -> str:
    """``text`` with each ``(start, end, replacement)`` applied (edits do not overlap)."""
    out = []
    last = 0
    for start, end, raw in sorted(edits):
        out.append(text[last:start])
        out.append(raw)
        last = end
    out.append(text[last:])
    return "".join(out)


DEFAULT_POSITION_MAP: dict[str, str] = {
    "欢迎语": "first",
    "欢迎": "first",
    "开场": "first",
    "开场白": "first",
    "开场语": "first",
    "问候": "first",
    "问候语": "first",
    "打招呼": "first",
    "首次回复": "first",
    "自动回复": "only",
    "结束语": "last",
    "结束": "last",
    "结束用语": "last",
    "告别": "last",
    "告别语": "last",
    "欢送": "last",
    "欢送语": "last",
    "结尾": "last",
}
"""Values of a scene/group column (场景/分组) that tell a reply's conversation position."""

REPLY_COLUMNS = (
    "回复",
    "回复内容",
    "话术",
    "话术内容",
    "内容",
    "快捷短语",
    "短语",
    "文本",
    "答案",
    "回答",
    "reply",
    "replies",
    "text",
    "content",
    "message",
    "answer",
    "response",
)
POSITION_COLUMNS = ("场景", "分组", "类型", "分类", "position", "scene", "group", "category")
CUSTOMER_COLUMNS = (
    "顾客",
    "客户",
    "买家",
    "问题",
    "顾客问题",
    "客户问题",
    "顾客消息",
    "客户消息",
    "买家问题",
    "customer",
    "question",
    "query",
)


@dataclass(frozen=True)
class SourceOptions:
    """How to read phrase files: which column holds the reply, where positions come from."""

    column: str | None = None
    """Reply column (header name, or 1-based number) or object key; default: by header."""
    position: str | None = None
    """Position for every entry, unless a position column says otherwise."""
    position_column: str | None = None
    """Column or key whose value maps to a position; default: 场景/分组/... by header."""
    position_map: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_POSITION_MAP))
    customer_column: str | None = None
    """Column or key holding the customer's message; default: 顾客/客户/问题/customer by header."""

    def is_reply_key(self, key: str) -> bool:
        if self.column is not None:
            return key.strip() == self.column
        return _simplified(key) in REPLY_COLUMNS

    def is_position_key(self, key: str) -> bool:
        if self.position_column is not None:
            return key.strip() == self.position_column
        return _simplified(key) in POSITION_COLUMNS

    def is_customer_key(self, key: str) -> bool:
        if self.customer_column is not None:
            return key.strip() == self.customer_column
        return _simplified(key) in CUSTOMER_COLUMNS

    def position_of(self, value: str | None) -> str | None:
        """The position a scene/group value stands for, else the default position."""
        if value is not None:
            value = value.strip()
            if value in POSITIONS:
                return value
            mapped = self.position_map.get(value)
            if mapped is not None:
                return mapped
        return self.position


def _simplified(key: str) -> str:
    """A header or key as the default column names are written: lower case, simplified
    script and half-width (話術 and 话术 name the same column)."""
    key = key.strip().lower()
    if key.isascii():
        return key
    from ..normalize import normalize

    return normalize(key)


_NONE: frozenset[str] = frozenset()
_DIRECTIVE = re.compile(r"#\s*replycoach:\s*disable=([\w,\s-]+)")


def disabled_rules(*comments: str) -> frozenset[str]:
    """Rule ids silenced by ``# replycoach: disable=rule-a,rule-b`` in these comments."""
    if not any(comments):
        return _NONE
    ids: set[str] = set()
    for comment in comments:
        for m in _DIRECTIVE.finditer(comment):
            ids.update(part.strip() for part in m.group(1).split(",") if part.strip())
    return frozenset(ids)


def _readers() -> dict[str, ModuleType]:
    from . import excel, jsondoc, table, text, unsupported, yamldoc

    return {
        ".txt": text,
        ".csv": table,
        ".tsv": table,
        ".json": jsondoc,
        ".jsonl": jsondoc,
        ".yaml": yamldoc,
        ".yml": yamldoc,
        ".xlsx": excel,
        ".xls": unsupported,
    }


SUFFIXES = (".txt", ".csv", ".tsv", ".json", ".jsonl", ".yaml", ".yml", ".xlsx", ".xls")
"""File endings read when a directory is given (.xls to say it is not supported)."""


_READER_MODULES = {
    ".txt": "text",
    ".csv": "table",
    ".tsv": "table",
    ".json": "jsondoc",
    ".jsonl": "jsondoc",
    ".yaml": "yamldoc",
    ".yml": "yamldoc",
    ".xlsx": "excel",
    ".xls": "unsupported",
}


def reader_for(path: str | Path) -> ModuleType:
    """The reader module for a file name (unknown endings are read as .txt). Only that
    reader is imported: a .txt check needs no YAML or JSON reader (~10 ms)."""
    import importlib

    name = _READER_MODULES.get(Path(str(path)).suffix.lower(), "text")
    return importlib.import_module(f"{__name__}.{name}")


def read_file(
    path: str | Path,
    options: SourceOptions | None = None,
    *,
    data: bytes | None = None,
    name: str | None = None,
) -> Parsed:
    """Read one phrase file (``data`` instead of the file's bytes when given; ``name`` is the
    file name to report and to choose the format by, e.g. for ``--stdin-filename``)."""
    options = options or SourceOptions()
    name = name or str(path)
    if data is None:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            return Parsed("", [InputError(name, 1, f"cannot read file: {exc.strerror or exc}")])
    reader = reader_for(name)
    parsed: Parsed = reader.read(name, data, options)
    return parsed


def is_streamed(name: str | Path) -> bool:
    """Whether files of this name are read and fixed as streams (line-based formats)."""
    from .stream import STREAMED

    return Path(str(name)).suffix.lower() in STREAMED


@contextmanager
def stream_file(
    path: str | Path, options: SourceOptions | None = None, *, name: str | None = None
) -> Iterator[tuple[str, Iterator[Entry | InputError]]]:
    """The encoding and the entries of a line-based phrase file, read as a stream (memory
    bounded by the longest entry) while the ``with`` block lasts."""
    from .stream import open_sniffed

    options = options or SourceOptions()
    name = name or str(path)
    try:
        handle = open(path, "rb")
    except OSError as exc:
        yield "", iter([InputError(name, 1, f"cannot read file: {exc.strerror or exc}")])
        return
    with handle:
        sniffed = open_sniffed(handle)
        if sniffed.refused:
            yield sniffed.encoding, iter([InputError(name, 1, sniffed.refused)])
            return
        yield sniffed.encoding, reader_for(name).stream(name, handle, sniffed, options)


def expand_paths(paths: Iterable[str | Path]) -> Iterator[str]:
    """Files as given, and for directories every file with a known ending, sorted.
    A path that does not exist is passed on, so its reader reports it."""
    for path in paths:
        p = Path(path)
        if p.is_dir():
            yield from sorted(
                str(f)
                for f in p.rglob("*")
                if f.is_file()
                and f.suffix.lower() in SUFFIXES
                and not any(part.startswith(".") for part in f.relative_to(p).parts)
            )
        else:
            yield str(path)
