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
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import BinaryIO

from ..sources import InputError
from ..sources.decode import SNIFF_BYTES, sniff, stream_lines

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
            yield Message(
                str(data.get("conversation", "")),
                role,
                text,
                parse_time(data.get("time")),
                data.get("agent"),
                path,
                number,
                data.get("team"),
            )
        except (ValueError, TypeError) as exc:
            yield InputError(path, number, f"bad message: {exc}")


def read_csv(
    path: str, lines: Iterable[str], mapping: Mapping[str, str]
) -> Iterator[Message | InputError]:
    delimiter = "\t" if path.lower().endswith(".tsv") else ","
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
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

    for row in reader:
        number = reader.line_num
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
        except ValueError as exc:
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
        head = handle.read(SNIFF_BYTES)
        handle.seek(0)
        self.sniffed = sniff(head, complete=len(head) < SNIFF_BYTES)
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


def conversations(
    items: Iterable[Message | InputError], errors: list[InputError]
) -> Iterator[list[Message]]:
    """Group consecutive messages of the same conversation; input errors go to ``errors``.
    Only one conversation is held in memory at a time."""
    current: list[Message] = []
    for item in items:
        if isinstance(item, InputError):
            errors.append(item)
            continue
        if current and item.conversation != current[0].conversation:
            yield current
            current = []
        current.append(item)
    if current:
        yield current
