"""Chat transcripts: messages read from JSONL, CSV or plain-text chat logs, streamed and
grouped into conversations (a conversation's messages are expected together, as chat tools
export them).

- JSONL: one message a line, ``{"conversation", "role": "customer"|"agent", "agent",
  "time", "text"}`` (``time``: ISO-8601 or epoch seconds; optional).
- CSV/TSV: a header row; ``--map role=发送方,text=内容,...`` names the columns (defaults:
  conversation/会话, role/角色/发送方, agent/客服, time/时间, text/内容/消息).
- Plain-text logs (QQ/旺旺 style): a header line ``2024-06-08 18:54:07 昵称`` then the
  message's lines. The header pattern is configurable; the shop's agent names are given, every
  other speaker is a customer. A blank line between two headers does not start a conversation;
  a conversation per file, or split by a ``===``-style separator line.

Malformed lines are reported with file and line; the rest is read.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import BinaryIO

from ..sources import InputError
from ..sources.decode import stream_lines
from ..sources.stream import open_sniffed

ROLES = {
    "customer": "customer",
    "agent": "agent",
    "顾客": "customer",
    "客户": "customer",
    "买家": "customer",
    "用户": "customer",
    "客服": "agent",
    "卖家": "agent",
    "商家": "agent",
    "0": "customer",
    "1": "agent",
    "user": "customer",
    "waiter": "agent",
    "staff": "agent",
}

DEFAULT_COLUMNS = {
    "conversation": ("conversation", "会话", "会话id", "session", "session_id"),
    "role": ("role", "角色", "发送方", "sender"),
    "agent": ("agent", "客服", "客服昵称", "agent_name"),
    "time": ("time", "时间", "timestamp", "发送时间"),
    "text": ("text", "内容", "消息", "message", "content"),
    "team": ("team", "组", "组别", "团队", "班组"),
}

CHINA = timezone(timedelta(hours=8))
DEFAULT_HEADER = r"^(?P<time>\d{4}-\d{2}-\d{2}[ T]\d{1,2}:\d{2}:\d{2})\s+(?P<speaker>.+?)\s*$"
SEPARATOR = re.compile(r"^\s*(?:={3,}|-{3,})\s*(?P<name>.*?)\s*(?:={3,}|-{3,})?\s*$")


@dataclass(frozen=True)
class Message:
    """One message of a conversation, located in its file."""

    conversation: str
    role: str  # "customer" or "agent"
    text: str
    time: float | None = None  # epoch seconds
    agent: str | None = None
    path: str = ""
    line: int = 0
    team: str | None = None


def parse_time(value: object) -> float | None:
    """ISO-8601 (with or without zone; naive times are read as UTC+8, China's time) or
    epoch seconds (milliseconds too). None when empty; ValueError when not a time."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        number = float(value)
        return number / 1000 if number > 1e11 else number
    text = str(value).strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return parse_time(float(text))
    moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("/", "-"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=CHINA)
    return moment.timestamp()


def _role(value: object) -> str | None:
    return ROLES.get(str(value).strip().lower()) if value is not None else None


def _unicode(value: object, key: str) -> None:
    """Strings from JSON can hold lone surrogates (``"\\ud800"``), which no file can store."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError(
                f"{key} has a lone surrogate ({value[exc.start]!r}), not valid Unicode"
            ) from None


def read_jsonl(path: str, lines: Iterable[str]) -> Iterator[Message | InputError]:
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            if not isinstance(data, dict):
                raise ValueError("a message is a JSON object")
            role = _role(data.get("role"))
            if role is None:
                raise ValueError(f"role must be customer or agent, got {data.get('role')!r}")
            text = data.get("text")
            if not isinstance(text, str):
                raise ValueError("text must be a string")
            conversation = data.get("conversation", "")
            if not isinstance(conversation, (str, int)) or isinstance(conversation, bool):
                raise ValueError(f"conversation must be a string, got {conversation!r}")
            for key in ("agent", "team"):
                if data.get(key) is not None and not isinstance(data.get(key), str):
                    raise ValueError(f"{key} must be a string, got {data.get(key)!r}")
            for key in ("text", "agent", "team", "conversation"):
                _unicode(data.get(key), key)
            yield Message(
                str(conversation),
                role,
                text,
                parse_time(data.get("time")),
                data.get("agent"),
                path,
                number,
                data.get("team"),
            )
        except (ValueError, TypeError, OverflowError) as exc:
            yield InputError(path, number, f"bad message: {exc}")


MAX_RECORD_LINES = 200
"""A quoted CSV field may span lines; one still open after this many lines is taken for an
unbalanced quote (reported, and reading goes on from the next line)."""


def csv_records(
    lines: Iterable[str], max_lines: int = MAX_RECORD_LINES
) -> Iterator[tuple[int, str] | InputError]:
    """Records of a CSV stream with the line each starts on: lines are joined while a quote
    is open (RFC 4180: a record ends where its quotes balance). A quote still open after
    ``max_lines`` lines (or at the end) is reported, and reading resumes on the line after
    the one it opened on, so the rows it would swallow are still read. Memory is bounded by
    ``max_lines`` lines."""
    pending: deque[tuple[int, str]] = deque()
    source = iter(enumerate(lines, 1))
    while True:
        if pending:
            number, line = pending.popleft()
        else:
            step = next(source, None)
            if step is None:
                return
            number, line = step
        if line.count('"') % 2 == 0:
            yield number, line
            continue
        parts = [line]
        quotes = line.count('"')
        taken: list[tuple[int, str]] = []
        while quotes % 2 and len(parts) < max_lines:
            if pending:
                step = pending.popleft()
            else:
                step = next(source, None)
                if step is None:
                    break
            taken.append(step)
            parts.append(step[1])
            quotes += step[1].count('"')
        if quotes % 2 == 0:
            yield number, "\n".join(parts)
            continue
        yield InputError(
            "", number, "unbalanced quotes: the quote opened on this line never closes"
        )
        pending.extendleft(reversed(taken))


def read_csv(
    path: str, lines: Iterable[str], mapping: Mapping[str, str]
) -> Iterator[Message | InputError]:
    delimiter = "\t" if path.lower().endswith(".tsv") else ","

    def rows() -> Iterator[tuple[int, list[str]] | InputError]:
        for record in csv_records(lines):
            if isinstance(record, InputError):
                yield InputError(path, record.line, record.message)
                continue
            number, text = record
            try:
                yield number, next(csv.reader([text], delimiter=delimiter), [])
            except csv.Error as exc:
                yield InputError(path, number, f"bad CSV row: {exc}")

    stream = rows()
    header: list[str] | None = None
    for first in stream:
        if isinstance(first, InputError):
            yield first
            continue
        header = first[1]
        break
    if header is None:
        return
    names = [h.strip() for h in header]
    index: dict[str, int] = {}
    for field, candidates in DEFAULT_COLUMNS.items():
        wanted = [mapping[field]] if field in mapping else list(candidates)
        found = [i for i, n in enumerate(names) if n in wanted or n.lower() in wanted]
        if found:
            index[field] = found[0]
    missing = [f for f in ("role", "text") if f not in index]
    if missing:
        yield InputError(
            path, 1, f"no column for {', '.join(missing)}; name it with --map {missing[0]}=COLUMN"
        )
        return

    def cell(row: list[str], field: str) -> str | None:
        i = index.get(field)
        return row[i] if i is not None and i < len(row) else None

    for item in stream:
        if isinstance(item, InputError):
            yield item
            continue
        number, row = item
        if not any(value.strip() for value in row):
            continue
        try:
            role = _role(cell(row, "role"))
            if role is None:
                raise ValueError(f"role must be customer or agent, got {cell(row, 'role')!r}")
            yield Message(
                cell(row, "conversation") or "",
                role,
                cell(row, "text") or "",
                parse_time(cell(row, "time")),
                cell(row, "agent"),
                path,
                number,
                cell(row, "team") or None,
            )
        except (ValueError, OverflowError) as exc:
            yield InputError(path, number, f"bad message: {exc}")


def read_log(
    path: str, lines: Iterable[str], agents: Iterable[str], header: str = DEFAULT_HEADER
) -> Iterator[Message | InputError]:
    pattern = re.compile(header)
    agent_names = {a.strip() for a in agents}
    conversation = Path(path).stem
    current: dict[str, object] | None = None
    body: list[str] = []

    def flush() -> Iterator[Message]:
        if current is not None:
            speaker = str(current["speaker"])
            role = "agent" if speaker in agent_names else "customer"
            when = current["time"]
            yield Message(
                str(current["conversation"]),
                role,
                "\n".join(body).strip(),
                when if isinstance(when, float) else None,
                speaker if role == "agent" else None,
                path,
                int(str(current["line"])),
            )

    seen_header = False
    for number, line in enumerate(lines, 1):
        sep = SEPARATOR.match(line)
        if sep:
            yield from flush()
            current, body = None, []
            conversation = sep.group("name") or f"{Path(path).stem}#{number}"
            continue
        m = pattern.match(line)
        if m:
            yield from flush()
            body = []
            seen_header = True
            try:
                when = parse_time(m.groupdict().get("time"))
            except ValueError:
                yield InputError(path, number, "bad time in the message header")
                current = None
                continue
            current = {
                "speaker": m.group("speaker"),
                "time": when,
                "line": number,
                "conversation": conversation,
            }
            continue
        if current is None:
            if line.strip() and not seen_header:
                yield InputError(path, number, "text before the first message header")
            continue
        body.append(line)
    yield from flush()


class _Lines:
    """A file's lines, decoded one at a time (memory stays flat for any size). The encoding
    is decided from the start of the file (:func:`~replycoach.sources.decode.sniff`); a line
    that does not decode is recorded in ``bad`` (with why) and read as empty."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle
        self.sniffed = open_sniffed(handle)
        if self.sniffed.refused:
            raise ValueError(self.sniffed.refused)
        self.encoding = self.sniffed.encoding
        self.bad: list[int] = []
        self.problems: dict[int, str] = {}

    def __iter__(self) -> Iterator[str]:
        for number, text, _end, problem in stream_lines(self.handle, self.sniffed):
            if text is None:
                self.bad.append(number)
                self.problems[number] = problem or "line cannot be decoded"
                yield ""
            else:
                yield text


def read_messages(
    path: str,
    *,
    mapping: Mapping[str, str] | None = None,
    agents: Iterable[str] = (),
    header: str = DEFAULT_HEADER,
    data: bytes | None = None,
) -> Iterator[Message | InputError]:
    """Messages of one transcript file, in file order, read as a stream."""
    try:
        handle: BinaryIO = io.BytesIO(data) if data is not None else open(path, "rb")
    except OSError as exc:
        yield InputError(path, 1, f"cannot read file: {exc.strerror or exc}")
        return
    with handle:
        try:
            lines = _Lines(handle)
        except ValueError as exc:
            yield InputError(path, 1, str(exc))
            return
        suffix = Path(path).suffix.lower()
        if suffix in (".jsonl", ".json", ".ndjson"):
            items = read_jsonl(path, lines)
        elif suffix in (".csv", ".tsv"):
            items = read_csv(path, lines, mapping or {})
        else:
            items = read_log(path, lines, agents, header)
        reported = 0
        for item in items:
            while reported < len(lines.bad):
                bad = lines.bad[reported]
                yield InputError(path, bad, lines.problems[bad])
                reported += 1
            if isinstance(item, InputError) and item.line in lines.bad:
                continue
            yield item
        for bad in lines.bad[reported:]:
            yield InputError(path, bad, lines.problems[bad])


class OutOfOrder(Exception):
    """A conversation's messages are not together in the input."""

    def __init__(self, message: Message) -> None:
        self.message = message
        super().__init__(
            f"{message.path}:{message.line}: conversation {message.conversation!r} comes back "
            "after other conversations"
        )


def conversations(
    items: Iterable[Message | InputError], errors: list[InputError], *, strict: bool = False
) -> Iterator[list[Message]]:
    """Group consecutive messages of the same conversation; input errors go to ``errors``.
    Only one conversation is held in memory at a time. With ``strict``, a conversation that
    comes back after others raises :class:`OutOfOrder` (the input is not grouped)."""
    current: list[Message] = []
    done: set[str] = set()
    for item in items:
        if isinstance(item, InputError):
            errors.append(item)
            continue
        if current and item.conversation != current[0].conversation:
            yield current
            if strict:
                done.add(current[0].conversation)
            current = []
        if strict and not current and item.conversation in done:
            raise OutOfOrder(item)
        current.append(item)
    if current:
        yield current


def grouped_on_disk(
    items: Iterable[Message | InputError], errors: list[InputError]
) -> Iterator[list[Message]]:
    """Conversations of input in any order, grouped through an on-disk index (SQLite in a
    temporary folder), so memory stays bounded: conversations in order of first appearance,
    each one's messages in input order."""
    import pickle
    import sqlite3
    import tempfile

    with tempfile.TemporaryDirectory(prefix="replycoach-audit-") as folder:
        db = sqlite3.connect(f"{folder}/messages.db")
        try:
            db.execute("PRAGMA journal_mode=OFF")
            db.execute("PRAGMA synchronous=OFF")
            db.execute("PRAGMA temp_store=FILE")
            db.execute("CREATE TABLE c (conv TEXT PRIMARY KEY, first INTEGER)")
            db.execute("CREATE TABLE m (seq INTEGER PRIMARY KEY, conv TEXT, data BLOB)")
            batch: list[tuple[int, str, bytes]] = []
            for seq, item in enumerate(items):
                if isinstance(item, InputError):
                    errors.append(item)
                    continue
                batch.append((seq, item.conversation, pickle.dumps(item)))
                if len(batch) >= 5000:
                    _store(db, batch)
            _store(db, batch)
            db.execute("CREATE INDEX m_conv ON m (conv, seq)")
            current: list[Message] = []
            query = "SELECT m.conv, m.data FROM c JOIN m ON m.conv = c.conv ORDER BY c.first, m.seq"
            for conv, data in db.execute(query):
                if current and conv != current[0].conversation:
                    yield current
                    current = []
                current.append(pickle.loads(data))
            if current:
                yield current
        finally:
            db.close()


def _store(db: object, batch: list[tuple[int, str, bytes]]) -> None:
    import sqlite3

    assert isinstance(db, sqlite3.Connection)
    db.executemany("INSERT OR IGNORE INTO c VALUES (?, ?)", [(c, s) for s, c, _ in batch])
    db.executemany("INSERT INTO m VALUES (?, ?, ?)", batch)
    batch.clear()
