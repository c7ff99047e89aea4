"""Running an audit over files: streaming, on one or several processes, with progress."""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TextIO

from ..engine import Engine
from ..sources import InputError
from . import Audit, TimingRule, audit_conversation
from .transcripts import DEFAULT_HEADER, Message, conversations, read_messages

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
    keep_findings: bool = True,
    teams: Mapping[str, str] | None = None,
) -> tuple[Audit, list[InputError]]:
    """Audit every conversation of ``paths``; returns the audit and the input errors."""
    errors: list[InputError] = []
    audit = Audit(keep_findings=keep_findings, teams=dict(teams or {}))

    def messages() -> Iterator[Message | InputError]:
        for path in paths:
            yield from read_messages(path, mapping=mapping, agents=agents, header=header)

    def tick(force: bool = False) -> None:
        if progress is not None and (force or audit.conversations % 500 == 0):
            progress.write(f"\r审核中：{audit.conversations:,} 个会话，{audit.messages:,} 条消息")
            progress.flush()

    grouped = conversations(messages(), errors)
    if workers > 1:
        # Executor.map would read the whole input at once; a small window of tasks in flight
        # keeps memory bounded (and the results in order).
        pending: deque[Future[Audit]] = deque()
        with ProcessPoolExecutor(workers, initializer=_init, initargs=(engine, timing)) as pool:
            for chunk in _chunks(grouped, _CHUNK):
                pending.append(pool.submit(_work, (chunk, keep_findings, audit.teams)))
                if len(pending) >= 2 * workers:
                    audit.merge(pending.popleft().result())
                    tick(force=True)
            while pending:
                audit.merge(pending.popleft().result())
                tick(force=True)
    else:
        for group in grouped:
            audit.add(audit_conversation(engine, group, timing))
            tick()
    if progress is not None:
        progress.write("\r\x1b[2K")
    return audit, errors
