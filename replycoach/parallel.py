"""``--jobs N``: this process and N-1 helpers forked from it (they inherit the loaded
engine, and import nothing) share out files and pieces of big files; results come back in
input order, the same findings in the same order as on one process.

- Files are checked whole by whichever process takes them (it reads and checks the file).
- A big ``.txt``, ``.csv`` or ``.tsv`` file in UTF-8 is cut into pieces at record
  boundaries, and each worker reads *and* checks its piece, so reading is shared out too
  (it costs about as much as checking). A CSV piece gets the file's first record (the
  header) in front so its columns are found the same way, and its line numbers are shifted
  back. A cut is a line end with an even number of quotes before it (RFC 4180: a record
  boundary, never inside a quoted field); a ``.txt`` cut never follows a comment line,
  which may carry a ``# replycoach: disable=`` for the line after it.
- Whenever a piece does not read cleanly (an input error, another encoding), the file is
  read again whole, so the pieces never change what is reported.

Where ``os.fork`` is missing (Windows), every file is checked in this one process.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import pickle
import signal
from collections.abc import Callable, Generator, Sequence
from pathlib import Path
from typing import BinaryIO, NoReturn

from .engine import Engine
from .report import FileResult, Located, check_file, check_items
from .sources import Entry, InputError, SourceOptions, reader_for

Job = tuple[str, SourceOptions, frozenset[str]]

SPLIT_BYTES = 256 * 1024
"""Files at least this big are cut into pieces when more than one worker runs."""

PIECE_BYTES = 256 * 1024
"""The biggest piece: a process holds a piece's bytes, text and lines at once, so its
memory stays near that of reading the file as a stream."""

_SPLIT_FORMATS = {".txt": "text", ".csv": "csv", ".tsv": "tsv"}

_WORKER: Engine | None = None


def _check_whole(job: Job) -> FileResult:
    assert _WORKER is not None
    return check_file(_WORKER, *job)


@dataclasses.dataclass(frozen=True)
class Piece:
    """Bytes ``start:end`` of a file, read by the worker itself (with ``head``, the file's
    first record, in front when ``head_lines``): line ``n`` of what it reads is line
    ``n + shift`` of the file. ``stamp`` is the file's size and modification time when it
    was cut; a file changed since is read whole again instead."""

    path: str
    start: int
    end: int
    head: bytes
    head_lines: int
    shift: int
    stamp: tuple[int, int]
    options: SourceOptions
    ignore: frozenset[str]


def _stamp(path: str) -> tuple[int, int]:
    st = os.stat(path)
    return (st.st_size, st.st_mtime_ns)


def _check_piece(piece: Piece) -> FileResult | None:
    """The piece's result with file line numbers; ``None`` when it does not read cleanly."""
    assert _WORKER is not None
    try:
        with open(piece.path, "rb") as handle:
            handle.seek(piece.start)
            data = handle.read(piece.end - piece.start)
        if _stamp(piece.path) != piece.stamp:
            return None
    except OSError:
        return None
    parsed = reader_for(piece.path).read(piece.path, piece.head + data, piece.options)
    if parsed.encoding != "utf-8" or any(isinstance(i, InputError) for i in parsed.items):
        return None
    items: list[Entry | InputError] = [
        item for item in parsed.items if isinstance(item, Entry) and item.line > piece.head_lines
    ]
    result = check_items(_WORKER, piece.path, parsed.encoding, items, piece.ignore)
    if piece.shift:  # file line numbers, only where there is something to report
        moved: dict[int, Entry] = {}
        for n, loc in enumerate(result.findings):
            entry = moved.get(id(loc.entry))
            if entry is None:
                entry = dataclasses.replace(loc.entry, line=loc.entry.line + piece.shift)
                moved[id(loc.entry)] = entry
            result.findings[n] = Located(entry, loc.finding)
    return result


def _is_comment(line: bytes) -> bool:
    from .sources.text import is_comment

    return is_comment(line.decode("utf-8", "replace"))


_BLOCK = 1 << 16


class _File:
    """A file to cut, read a block at a time (memory: a block, or the longest line where a
    line is looked at whole), never whole: the file may be gigabytes. One pass first counts
    the quotes and line ends before every 64 KiB block."""

    def __init__(self, handle: BinaryIO, size: int) -> None:
        self.handle = handle
        self.size = size
        self.quotes = [0]
        self.lines = [0]
        handle.seek(0)
        while True:
            chunk = handle.read(16 * _BLOCK)
            if not chunk:
                break
            for at in range(0, len(chunk), _BLOCK):
                self.quotes.append(self.quotes[-1] + chunk.count(b'"', at, at + _BLOCK))
                self.lines.append(self.lines[-1] + chunk.count(b"\n", at, at + _BLOCK))

    def read(self, start: int, end: int) -> bytes:
        self.handle.seek(start)
        return self.handle.read(max(0, end - start))

    def count_before(self, byte: bytes, offset: int) -> int:
        """How many ``byte`` (a quote or a line end) there are before ``offset``."""
        block = offset // _BLOCK
        table = self.quotes if byte == b'"' else self.lines
        return table[block] + self.read(block * _BLOCK, offset).count(byte)

    def next_line_end(self, start: int) -> tuple[int, int]:
        """The first line end at or after ``start`` (-1: none), and the quotes from
        ``start`` to it."""
        quotes = 0
        at = start
        while at < self.size:
            data = self.read(at, min(at + _BLOCK, self.size))
            if not data:
                break
            nl = data.find(b"\n")
            if nl != -1:
                return at + nl, quotes + data.count(b'"', 0, nl)
            quotes += data.count(b'"')
            at += len(data)
        return -1, quotes

    def line_before(self, nl: int) -> bytes:
        """The line that ends at the line end ``nl`` (without it)."""
        parts = []
        start = nl
        while start > 0:
            low = max(0, start - _BLOCK)
            data = self.read(low, start)
            found = data.rfind(b"\n")
            if found != -1:
                parts.append(data[found + 1 :])
                break
            parts.append(data)
            start = low
        return b"".join(reversed(parts))


def _cut_file(file: _File, kind: str, pieces: int) -> list[int]:
    """:func:`cut`'s offsets, for a file read a block at a time."""
    cuts = [0]
    size = file.size
    for k in range(1, pieces):
        target = max(size * k // pieces, cuts[-1] + 1)
        quotes = file.count_before(b'"', target) if kind == "csv" else 0
        while True:
            nl, between = file.next_line_end(target)
            if nl == -1 or nl + 1 >= size:
                return [*cuts, size]
            point = nl + 1
            if kind == "csv":
                quotes += between
                if quotes % 2:
                    target = point
                    continue
            elif kind == "text" and _is_comment(file.line_before(nl)):
                target = point
                continue
            break
        if point > cuts[-1]:
            cuts.append(point)
    return [*cuts, size]


def _first_record_end_in(file: _File) -> int:
    """:func:`_first_record_end` of a file read a block at a time."""
    quotes = 0
    at = 0
    while True:
        nl, between = file.next_line_end(at)
        if nl == -1:
            return file.size
        quotes += between
        if quotes % 2 == 0:
            return nl + 1
        at = nl + 1


def split(job: Job, workers: int) -> list[Piece] | None:
    """``job``'s file in pieces, or ``None`` when it is to be read whole (small, another
    format or encoding, one piece only). The file is never read whole here."""
    path, options, ignore = job
    kind = _SPLIT_FORMATS.get(Path(path).suffix.lower())
    if kind is None:
        return None
    try:
        size = os.path.getsize(path)
        if size < SPLIT_BYTES:
            return None
        stamp = _stamp(path)
        with open(path, "rb") as handle:
            start = handle.read(4096)
            if start.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")) or b"\0" in start:
                return None
            file = _File(handle, size)
            # Eight pieces a worker (a tail piece on one worker leaves the other idle for
            # less), none smaller than a sixteenth of SPLIT_BYTES, none bigger than
            # PIECE_BYTES (a piece is read whole: its bytes, text and lines at once).
            count = max(
                2, min(workers * 8, size // max(1, SPLIT_BYTES // 16)), -(-size // PIECE_BYTES)
            )
            offsets = _cut_file(file, kind, count)
            if len(offsets) <= 2:
                return None
            head = file.read(0, _first_record_end_in(file)) if kind == "csv" else b""
            lines = [file.count_before(b"\n", offset) for offset in offsets]
    except OSError:
        return None  # reported by the reader
    head_lines = head.count(b"\n")
    out = []
    for (start_at, end), lines_before in zip(itertools.pairwise(offsets), lines, strict=False):
        if start_at == 0:
            out.append(Piece(path, start_at, end, b"", 0, 0, stamp, options, ignore))
        else:
            shift = lines_before - head_lines
            out.append(Piece(path, start_at, end, head, head_lines, shift, stamp, options, ignore))
    return out


def _merge(path: str, parts: Sequence[FileResult]) -> FileResult:
    result = FileResult(path, parts[0].encoding if parts else "")
    for part in parts:
        result.entries += part.entries
        result.findings.extend(part.findings)
    return result


class _Claims:
    """Which units are taken, shared by the processes of one run: this one takes them from
    the start, the helpers from the end, so that they meet wherever the work happens to
    divide and none is left idle. Two counters in shared memory, changed under a POSIX
    record lock (held by a process, not by a descriptor, so forked processes contend for
    it; released if one dies)."""

    def __init__(self, count: int) -> None:
        import fcntl
        import mmap

        self._lockf = fcntl.lockf
        self._lock, self._unlock = fcntl.LOCK_EX, fcntl.LOCK_UN
        if hasattr(os, "memfd_create"):
            self._fd = os.memfd_create("replycoach-claims")
        else:  # no memfd (macOS): an unnamed temporary file
            import tempfile

            with tempfile.TemporaryFile() as file:
                self._fd = os.dup(file.fileno())
        os.ftruncate(self._fd, 8)
        self._memory = mmap.mmap(self._fd, 8)
        self._memory[:] = _pack(0, count)

    def _take(self, last: bool) -> int | None:
        self._lockf(self._fd, self._lock)
        try:
            first, end = _unpack(self._memory[:])
            if first >= end:
                return None
            self._memory[:] = _pack(first, end - 1) if last else _pack(first + 1, end)
            return end - 1 if last else first
        finally:
            self._lockf(self._fd, self._unlock)

    def first(self) -> int | None:
        """The first unit nobody has taken (``None``: all are taken)."""
        return self._take(last=False)

    def last(self) -> int | None:
        """The last unit nobody has taken."""
        return self._take(last=True)

    def close(self) -> None:
        self._memory.close()
        os.close(self._fd)


def _pack(first: int, end: int) -> bytes:
    return first.to_bytes(4, "little") + end.to_bytes(4, "little")


def _unpack(data: bytes) -> tuple[int, int]:
    return int.from_bytes(data[:4], "little"), int.from_bytes(data[4:], "little")


def _helper(units: Sequence[Job | Piece], claims: _Claims, out: int) -> NoReturn:
    """A forked helper's whole life: check units from the end until none is left, send the
    ``(unit number, result)`` pairs back pickled (``None`` for a unit that failed: the
    parent checks it again), and exit without running the parent's exit handlers."""
    code = 0
    try:
        done: list[tuple[int, FileResult | None]] = []
        while (n := claims.last()) is not None:
            try:
                done.append((n, _check_unit(units[n])))
            except Exception:
                done.append((n, None))
        with open(out, "wb") as pipe:  # pickled as it is written: no copy of it all
            pickle.dump(done, pipe, pickle.HIGHEST_PROTOCOL)
    except BaseException:  # interrupted: what was not sent is checked by the parent
        code = 1
    finally:
        os._exit(code)


def _received(fd: int) -> list[tuple[int, FileResult | None]]:
    """What a helper sent, unpickled as it is read (nothing if it died before it had sent
    it all). Closes ``fd``."""
    with open(fd, "rb") as pipe:
        try:
            done: list[tuple[int, FileResult | None]] = pickle.load(pipe)
        except Exception:
            return []
    return done


def check_files(
    engine: Engine,
    jobs: Sequence[Job],
    workers: int,
    progress: Callable[[FileResult], None] | None = None,
) -> Generator[FileResult, None, None]:
    """Each job's result, in order, checked on ``workers`` processes: this one, which takes
    the units from the start and yields each job as soon as its units are done, and
    ``workers - 1`` helpers forked from it (they inherit the loaded engine), which take
    them from the end and send their results when none is left. A unit a helper did not
    report (it failed, or the helper died) is checked here. Needs ``os.fork``: not for a
    process with threads running."""
    global _WORKER
    _WORKER = engine  # this process checks too
    units: list[list[Job | Piece]] = []
    for job in jobs:
        pieces = split(job, workers)
        units.append([job] if pieces is None else list(pieces))
    flat = [unit for parts in units for unit in parts]
    starts = list(itertools.accumulate((len(parts) for parts in units), initial=0))
    results: dict[int, FileResult | None] = {}
    claims = _Claims(len(flat))
    helpers: list[tuple[int, int]] = []  # (pid, the pipe its results come back on)
    try:
        for _ in range(min(workers, len(flat)) - 1):
            read_end, write_end = os.pipe()
            try:
                pid = os.fork()
            except OSError:  # no more processes allowed: those there are do the work
                os.close(read_end)
                os.close(write_end)
                break
            if pid == 0:
                os.close(read_end)
                _helper(flat, claims, write_end)
            os.close(write_end)
            helpers.append((pid, read_end))
        ready = 0  # jobs yielded so far
        while (n := claims.first()) is not None:
            results[n] = _check_unit(flat[n])
            while ready < len(jobs) and all(
                k in results for k in range(starts[ready], starts[ready + 1])
            ):
                yield _finished(engine, jobs[ready], units[ready], starts[ready], results, progress)
                ready += 1
        while helpers:  # every unit is taken: what the helpers did comes back when they end
            pid, fd = helpers.pop()
            try:
                results.update(_received(fd))
            except BaseException:
                os.kill(pid, signal.SIGTERM)
                raise
            finally:
                os.waitpid(pid, 0)
        for k in range(ready, len(jobs)):
            yield _finished(engine, jobs[k], units[k], starts[k], results, progress)
    finally:
        for pid, fd in helpers:  # stopped early (an error, an interruption)
            os.kill(pid, signal.SIGTERM)
            os.close(fd)
            os.waitpid(pid, 0)
        claims.close()


def _finished(
    engine: Engine,
    job: Job,
    job_units: Sequence[Job | Piece],
    start: int,
    results: dict[int, FileResult | None],
    progress: Callable[[FileResult], None] | None,
) -> FileResult:
    """``job``'s result from its units' (a unit nobody reported is checked now; a piece that
    did not read cleanly has the file read whole)."""
    parts = []
    for k, unit in enumerate(job_units, start):
        if k not in results:  # its helper died
            results[k] = _check_unit(unit)
        part = results.pop(k)
        if part is not None:
            parts.append(part)
    if len(parts) < len(job_units):
        result = check_file(engine, *job)  # read whole: the pieces never decide
    else:
        result = _merge(job[0], parts) if isinstance(job_units[0], Piece) else parts[0]
    if progress:
        progress(result)
    return result


def _check_unit(unit: Job | Piece) -> FileResult | None:
    return _check_piece(unit) if isinstance(unit, Piece) else _check_whole(unit)
