"""Checking phrase files: results with their locations, and the exit-code decision."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable, Sequence, Sized
from dataclasses import dataclass, field

from .engine import Engine
from .model import Finding, Severity
from .sources import Entry, InputError, SourceOptions, is_streamed, read_file, stream_file


@dataclass(frozen=True)
class Located:
    """A finding in a file: ``path:line:column`` of its first character."""

    entry: Entry
    finding: Finding

    @property
    def column(self) -> int:
        return self.entry.column + self.finding.start

    def location(self) -> str:
        return self.entry.location(self.finding.start)

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {
            "path": self.entry.path,
            "line": self.entry.line,
            "column": self.column,
        }
        if self.entry.where is not None:
            data["where"] = self.entry.where
        if self.entry.position is not None:
            data["position"] = self.entry.position
        data.update(self.finding.to_dict())
        return data


@dataclass
class FileResult:
    """One file's entries (counted), findings and unreadable parts."""

    path: str
    encoding: str
    entries: int = 0
    findings: list[Located] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    warnings: list[InputError] = field(default_factory=list)
    """Problems that do not stop a reply being checked (an unknown id in an inline
    ``# replycoach: disable=``)."""


Tick = Callable[[int, int], None]
"""Progress within a file: (entries done, entries in the file)."""


def known_ids(engine: Engine) -> frozenset[str]:
    """Names an inline ``disable=`` may use: rule ids, their aliases, ``all`` and ``*``."""
    return frozenset(
        {"all", "*"} | {r.id for r in engine.rules} | {a for r in engine.rules for a in r.aliases}
    )


def check_items(
    engine: Engine,
    path: str,
    encoding: str,
    items: Iterable[Entry | InputError],
    ignore: frozenset[str] = frozenset(),
    tick: Tick | None = None,
) -> FileResult:
    """Check the entries of one file; inline and per-path silencing applied."""
    result = FileResult(path, encoding)
    known: frozenset[str] | None = None
    total = len(items) if isinstance(items, Sized) else 0
    check, findings, entries = engine.check, result.findings, 0
    for done, item in enumerate(items, 1):
        if tick is not None and done % 2000 == 0:
            tick(done, max(total, done))
        if isinstance(item, InputError):
            result.errors.append(item)
            continue
        entries += 1
        skip = ignore
        if item.disabled:
            known = known if known is not None else known_ids(engine)
            unknown = sorted(item.disabled - known)
            if unknown:
                result.warnings.append(
                    InputError(
                        item.path,
                        item.line,
                        f"unknown rule id {', '.join(map(repr, unknown))} in "
                        "'# replycoach: disable=' (see 'replycoach rules')",
                    )
                )
            skip = ignore | item.disabled
        found = check(item.text, position=item.position, customer=item.customer, ignore=skip)
        if found:
            findings.extend([Located(item, finding) for finding in found])
    result.entries = entries
    return result


def check_file(
    engine: Engine,
    path: str,
    options: SourceOptions,
    ignore: frozenset[str] = frozenset(),
    *,
    data: bytes | None = None,
    name: str | None = None,
    tick: Tick | None = None,
) -> FileResult:
    """Read and check one phrase file (line-based formats as a stream)."""
    if data is None and is_streamed(name or path):
        with stream_file(path, options, name=name) as (encoding, items):
            return check_items(engine, name or path, encoding, items, ignore, tick)
    parsed = read_file(path, options, data=data, name=name)
    return check_items(engine, name or path, parsed.encoding, parsed.items, ignore, tick)


MANY_BYTES = 64 * 1024
"""Files this big together hold a thousand replies or more: see
:func:`~replycoach.wordset.expect_many`."""


def total_size(paths: Iterable[str], enough: int) -> int:
    """The files' sizes added up, stopping once ``enough`` is reached (a file that cannot be
    read counts 0: its reader reports it)."""
    total = 0
    for path in paths:
        try:
            total += os.stat(path).st_size
        except OSError:
            continue
        if total >= enough:
            break
    return total


@dataclass
class Report:
    """Everything one run found: files in input order, stale baseline entries."""

    files: list[FileResult] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)

    @property
    def entries(self) -> int:
        return sum(f.entries for f in self.files)

    @property
    def findings(self) -> list[Located]:
        return [loc for f in self.files for loc in f.findings]

    @property
    def errors(self) -> list[InputError]:
        return [err for f in self.files for err in f.errors]

    @property
    def warnings(self) -> list[InputError]:
        return [w for f in self.files for w in f.warnings]

    def add(self, engine: Engine, items: Iterable[Entry | InputError], path: str = "") -> None:
        """Check loose entries (``--text``) as one more file."""
        self.files.append(check_items(engine, path, "", list(items)))

    def check_files(
        self,
        engine: Engine,
        jobs: Sequence[tuple[str, SourceOptions, frozenset[str]]],
        *,
        workers: int = 1,
        progress: Callable[[FileResult], None] | None = None,
        tick: Tick | None = None,
    ) -> None:
        """Check files, on ``workers`` processes when more than one and processes can be
        forked (big files are split among them, see :mod:`replycoach.parallel`); results
        keep the input order."""
        if total_size((path for path, _, _ in jobs), MANY_BYTES) >= MANY_BYTES:
            from .wordset import expect_many

            expect_many()
        if workers > 1 and len(jobs) and hasattr(os, "fork"):
            from .parallel import check_files

            self.files.extend(check_files(engine, jobs, workers, progress))
            return
        for job in jobs:
            result = check_file(engine, *job, tick=tick)
            self.files.append(result)
            if progress:
                progress(result)

    def counts(self) -> Counter[str]:
        """Findings per rule id."""
        return Counter(loc.finding.rule for loc in self.findings)

    def exit_code(self, fail_on: str) -> int:
        """2 if any input could not be read, 1 if a finding is at or above ``fail_on``
        (``error``/``warning``/``info``; ``never`` never fails), else 0."""
        if self.errors:
            return 2
        if fail_on == "never":
            return 0
        threshold = Severity(fail_on).rank
        return int(any(loc.finding.severity.rank >= threshold for loc in self.findings))
