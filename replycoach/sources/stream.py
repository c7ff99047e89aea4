"""Reading and rewriting line-based phrase files (.txt, .csv, .tsv, .jsonl) as streams, so
memory is bounded by the longest entry, not the file: the encoding is decided from the
file's start, then lines (or CSV records, which may span lines) are read one at a time, and
``fix`` writes each one out as it goes."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from .decode import SNIFF_BYTES, Sniffed, sniff, stream_lines

STREAMED = (".txt", ".csv", ".tsv", ".jsonl")
"""Endings read as streams (other formats are parsed whole)."""

MAX_RECORD_LINES = 1000
"""A quoted CSV field may span lines; one still open after this many lines is taken for an
unbalanced quote (reported; reading goes on from the next line)."""


Line = tuple[int, str | None, str, str | None]
"""``(number, text or None, line end, why it could not be decoded)``."""


@dataclass(frozen=True)
class Record:
    """One or more whole lines: ``text`` with their line ends, starting on line ``line``."""

    line: int
    text: str


@dataclass(frozen=True)
class BadLine:
    line: int
    message: str


def open_sniffed(handle: BinaryIO) -> Sniffed:
    """The encoding of a seekable stream, decided from its start (or, when its first MiB is
    plain ASCII, from the first stretch that is not); the stream is rewound."""
    head = handle.read(SNIFF_BYTES)
    sniffed = sniff(head, complete=len(head) < SNIFF_BYTES)
    if len(head) == SNIFF_BYTES and head.isascii():
        carry = b""
        while chunk := handle.read(SNIFF_BYTES):
            chunk = carry + chunk
            if not chunk.isascii():
                first = next(i for i, b in enumerate(chunk) if b > 0x7F)
                start = chunk.rfind(b"\n", 0, first) + 1
                sniffed = sniff(chunk[start:], complete=False)
                break
            carry = chunk[chunk.rfind(b"\n") + 1 :][-65536:]
    handle.seek(0)
    return sniffed


def records(
    lines: Iterable[Line], *, quoting: bool, max_lines: int = MAX_RECORD_LINES
) -> Iterator[Record | BadLine]:
    """Lines joined into CSV records: while a quote is open (an odd number of ``"`` so far)
    the next line belongs to the same record. A quote still open after ``max_lines`` lines
    or at the end is reported on the line it opened on, and reading resumes on the next
    line, so the rows it would have swallowed are still read."""
    pending: deque[Line] = deque()
    source = iter(lines)

    def take() -> Line | None:
        return pending.popleft() if pending else next(source, None)

    while (first := take()) is not None:
        number, text, end, problem = first
        if text is None:
            yield BadLine(number, problem or "line cannot be decoded")
            continue
        if not quoting or text.count('"') % 2 == 0:
            yield Record(number, text + end)
            continue
        parts = [text + end]
        quotes = text.count('"')
        taken: list[Line] = []
        while quotes % 2 and len(taken) < max_lines:
            step = take()
            if step is None:
                break
            taken.append(step)
            if step[1] is None:
                break
            parts.append(step[1] + step[2])
            quotes += step[1].count('"')
        if quotes % 2 == 0:
            yield Record(number, "".join(parts))
            continue
        yield BadLine(number, "unbalanced quotes: this row's quote never closes")
        pending.extendleft(reversed(taken))


class Discard:
    """A binary sink that keeps nothing (to learn whether a fix would change a file)."""

    def write(self, data: bytes) -> int:
        return len(data)


class Writer:
    """Writes text to a binary stream in a file's encoding (its BOM first)."""

    def __init__(self, handle: BinaryIO | Discard, sniffed: Sniffed) -> None:
        self.handle = handle
        self.codec = sniffed.codec
        if sniffed.bom:
            handle.write(sniffed.bom)

    def write(self, text: str) -> None:
        self.handle.write(text.encode(self.codec))


def lines_of(handle: BinaryIO, sniffed: Sniffed) -> Iterator[Line]:
    """The decoded lines of a stream (see :func:`~replycoach.sources.decode.stream_lines`)."""
    return stream_lines(handle, sniffed)
