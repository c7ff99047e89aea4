"""Running an audit over files: streaming, on one or several processes, with progress."""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Protocol, TextIO

from ..engine import Engine
from ..sources import InputError
from . import Audit, AuditFinding, TimingRule, audit_conversation
from .transcripts import (
    DEFAULT_HEADER,
    Message,
    OutOfOrder,
    conversations,
    grouped_on_disk,
    read_messages,
)

_CHUNK = 1000  # conversations per task on the worker processes
_STATE: tuple[Engine, Sequence[TimingRule]] | None = None


def _init(engine: Engine, timing: Sequence[TimingRule]) -> None:
    global _STATE
    _STATE = (engine, timing)


def _work(job: tuple[list[list[Message]], bool, dict[str, str]]) -> Audit:
    """Audit a chunk of conversations into a partial audit (small to send back)."""
    assert _STATE is not None
    engine, timing = _STATE
    chunk, keep_findings, teams = job
    partial = Audit(keep_findings=keep_findings, teams=teams)
    for messages in chunk:
        partial.add(audit_conversation(engine, messages, timing))
    return partial


def _chunks(items: Iterable[list[Message]], size: int) -> Iterator[list[list[Message]]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


class FindingSink(Protocol):
    """Where findings go as they are found (``--findings``), so none are kept in memory."""

    def write(self, findings: Sequence[AuditFinding]) -> None:
        """Take some findings."""

    def reset(self) -> None:
        """Forget what was written (the audit starts again)."""


def run_audit(
    engine: Engine,
    paths: Sequence[str],
    timing: Sequence[TimingRule],
    *,
    mapping: Mapping[str, str] | None = None,
    agents: Sequence[str] = (),
    header: str = DEFAULT_HEADER,
    workers: int = 1,
    progress: TextIO | None = None,
    keep_findings: bool = False,
    sink: FindingSink | None = None,
    teams: Mapping[str, str] | None = None,
) -> tuple[Audit, list[InputError], list[str]]:
    """Audit every conversation of ``paths``; returns the audit, the input errors and notes
    for people. Findings go to ``sink`` as they are found (and are kept in the audit only
    with ``keep_findings``).

    Input is read as a stream, grouping consecutive messages of a conversation. When a
    conversation comes back after others (a chat tool's export sorted by time), the audit
    starts again with the messages grouped through an on-disk index, and a note says so.
    """

    def messages() -> Iterator[Message | InputError]:
        for path in paths:
            yield from read_messages(path, mapping=mapping, agents=agents, header=header)

    try:
        errors: list[InputError] = []
        audit = _run(
            engine,
            conversations(messages(), errors, strict=True),
            timing,
            workers,
            progress,
            keep_findings,
            sink,
            teams,
        )
        return audit, errors, []
    except OutOfOrder as exc:
        note = (
            f"{exc.message.path}: 消息没有按会话排列（第 {exc.message.line} 行的会话 "
            f"{exc.message.conversation!r} 在别的会话之后再次出现）；已按会话重新分组后审核 "
            "(the file is not in conversation order; messages were grouped by conversation)"
        )
    if sink is not None:
        sink.reset()
    errors = []
    audit = _run(
        engine,
        grouped_on_disk(messages(), errors),
        timing,
        workers,
        progress,
        keep_findings,
        sink,
        teams,
    )
    return audit, errors, [note]


def _run(
    engine: Engine,
    grouped: Iterable[list[Message]],
    timing: Sequence[TimingRule],
    workers: int,
    progress: TextIO | None,
    keep_findings: bool,
    sink: FindingSink | None,
    teams: Mapping[str, str] | None,
) -> Audit:
    audit = Audit(keep_findings=keep_findings, teams=dict(teams or {}))

    def tick(force: bool = False) -> None:
        if progress is not None and (force or audit.conversations % 500 == 0):
            progress.write(f"\r审核中：{audit.conversations:,} 个会话，{audit.messages:,} 条消息")
            progress.flush()

    def take(partial: Audit) -> None:
        if sink is not None:
            sink.write(partial.findings)
        if not keep_findings:
            partial.findings = []
        audit.merge(partial)
        tick(force=True)

    try:
        if workers > 1:
            # Executor.map would read the whole input at once; a small window of tasks in
            # flight keeps memory bounded (and the results in order).
            pending: deque[Future[Audit]] = deque()
            with ProcessPoolExecutor(workers, initializer=_init, initargs=(engine, timing)) as pool:
                for chunk in _chunks(grouped, _CHUNK):
                    keep = keep_findings or sink is not None
                    pending.append(pool.submit(_work, (chunk, keep, audit.teams)))
                    if len(pending) >= 2 * workers:
                        take(pending.popleft().result())
                while pending:
                    take(pending.popleft().result())
        else:
            for group in grouped:
                result = audit_conversation(engine, group, timing)
                audit.add(result)
                if sink is not None:
                    sink.write(result.findings)
                tick()
    finally:
        if progress is not None:
            progress.write("\r\x1b[2K")
    return audit
