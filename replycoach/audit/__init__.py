"""Auditing whole conversations: every agent message checked at its position with the
customer's message it answers, response times against timing rules (YAML data), customers
left unanswered, and scorecards per agent, team and day.

Timing rules live in ``rules/audit/*.yaml`` (a sub-folder, so reply checking never loads
them). Their examples are response delays in seconds, checked by the tests.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..engine import Engine
from ..errors import RuleFileError
from ..loader import Source, default_rules_dir
from ..model import Finding, Severity
from .transcripts import Message

CHINA = timezone(timedelta(hours=8))


class TimingExamples(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    flag: list[float] = Field(min_length=1)
    clean: list[float] = Field(min_length=1)


class TimingRule(BaseModel):
    """A response-time rule: ``first-response`` (the customer's first message to the agent's
    first reply) or ``response`` (every later customer turn to the reply); a warning after
    ``warn_after`` seconds, an error after ``error_after``. Only time within business hours
    counts (``hours``: "09:00-24:00"; empty: all day)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    kind: Literal["timing"]
    measure: Literal["first-response", "response"]
    warn_after: float = Field(gt=0)
    error_after: float = Field(gt=0)
    hours: str = ""
    message: str
    source: Source
    examples: TimingExamples

    def severity_for(self, seconds: float) -> Severity | None:
        if seconds > self.error_after:
            return Severity.ERROR
        if seconds > self.warn_after:
            return Severity.WARNING
        return None


class TimingFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rules: list[TimingRule] = Field(min_length=1)


def load_timing_rules(path: str | Path | None = None) -> list[TimingRule]:
    """The timing rules of a file or folder (default: the shipped ``rules/audit``)."""
    path = Path(path) if path else default_rules_dir() / "audit"
    files = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
    rules: list[TimingRule] = []
    for file in files:
        try:
            data = yaml.safe_load(file.read_text(encoding="utf-8"))
            rules.extend(TimingFile.model_validate(data).rules)
        except (OSError, yaml.YAMLError) as exc:
            raise RuleFileError([f"{file}:1: cannot read timing rules: {exc}"]) from None
        except ValidationError as exc:
            problems = [
                f"{file}:1: {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()
            ]
            raise RuleFileError(problems) from None
    return rules


def business_seconds(start: float, end: float, hours: str) -> float:
    """Seconds between two moments that fall within daily business hours (China time)."""
    if end <= start:
        return 0.0
    if not hours:
        return end - start
    open_s, close_s = (_clock(part) for part in hours.split("-"))
    total = 0.0
    day = datetime.fromtimestamp(start, CHINA).replace(hour=0, minute=0, second=0, microsecond=0)
    while day.timestamp() < end:
        window_start = day.timestamp() + open_s
        window_end = day.timestamp() + close_s
        total += max(0.0, min(end, window_end) - max(start, window_start))
        day += timedelta(days=1)
    return total


def _clock(text: str) -> float:
    hour, minute = text.strip().split(":")
    return int(hour) * 3600 + int(minute) * 60


@dataclass(frozen=True)
class AuditFinding:
    """A finding in a conversation: the message it is about, and the finding."""

    conversation: str
    index: int  # the message's index in its conversation
    role: str
    agent: str | None
    time: float | None
    path: str
    line: int
    text: str
    finding: Finding

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "conversation": self.conversation,
            "message": self.index,
            "role": self.role,
            "agent": self.agent,
            "time": self.time,
            "path": self.path,
            "line": self.line,
        }
        data.update(self.finding.to_dict())
        return data


@dataclass
class ConversationResult:
    """What auditing one conversation found."""

    conversation: str
    messages: list[Message]
    findings: list[AuditFinding] = field(default_factory=list)
    response_times: list[tuple[str | None, float]] = field(default_factory=list)
    greeted: bool | None = None
    closed: bool | None = None

    @property
    def score(self) -> int:
        """Badness used to rank conversations: errors weigh 3, warnings 2, info 1."""
        weight = {"error": 3, "warning": 2, "info": 1}
        return sum(weight[f.finding.severity.value] for f in self.findings)


def _timing_finding(
    rule: TimingRule, severity: Severity, seconds: float, message: Message, index: int
) -> AuditFinding:
    limit = rule.warn_after if severity == Severity.WARNING else rule.error_after
    text = rule.message.format(seconds=round(seconds), limit=round(limit))
    finding = Finding(
        rule=rule.id,
        severity=severity,
        start=0,
        end=0,
        excerpt="",
        message=text,
        suggestions=(),
        fixable=False,
    )
    return AuditFinding(
        message.conversation,
        index,
        message.role,
        message.agent,
        message.time,
        message.path,
        message.line,
        message.text,
        finding,
    )


def audit_conversation(
    engine: Engine, messages: Sequence[Message], timing: Sequence[TimingRule] = ()
) -> ConversationResult:
    """Check one conversation: its agent messages, its response times, its end."""
    result = ConversationResult(messages[0].conversation if messages else "", list(messages))
    agent_indexes = [i for i, m in enumerate(messages) if m.role == "agent"]
    last_customer: str | None = None
    for i, message in enumerate(messages):
        if message.role == "customer":
            last_customer = message.text
            continue
        if len(agent_indexes) == 1:
            position = "only"
        elif i == agent_indexes[0]:
            position = "first"
        elif i == agent_indexes[-1]:
            position = "last"
        else:
            position = "middle"
        found = engine.check(message.text, position=position, customer=last_customer)
        for f in found:
            result.findings.append(
                AuditFinding(
                    message.conversation,
                    i,
                    "agent",
                    message.agent,
                    message.time,
                    message.path,
                    message.line,
                    message.text,
                    f,
                )
            )
        if position in ("first", "only"):
            result.greeted = not any(f.rule == "missing-greeting" for f in found)
        if position in ("last", "only"):
            result.closed = not any(f.rule == "missing-closing" for f in found)
        last_customer = None

    # Response times: from the first customer message of a turn to the next agent message.
    waiting_since: float | None = None
    first = True
    for i, message in enumerate(messages):
        if message.role == "customer":
            if waiting_since is None and message.time is not None:
                waiting_since = message.time
            continue
        if waiting_since is not None and message.time is not None:
            measure = "first-response" if first else "response"
            for rule in timing:
                if rule.measure != measure:
                    continue
                seconds = business_seconds(waiting_since, message.time, rule.hours)
                severity = rule.severity_for(seconds)
                if severity is not None:
                    result.findings.append(_timing_finding(rule, severity, seconds, message, i))
            result.response_times.append(
                (message.agent, business_seconds(waiting_since, message.time, ""))
            )
        waiting_since = None
        first = False
    # Customers left unanswered at the end.
    if messages and messages[-1].role == "customer" and agent_indexes:
        i = len(messages) - 1
        last = messages[-1]
        finding = Finding(
            rule="unanswered-customer",
            severity=Severity.WARNING,
            start=0,
            end=len(last.text),
            excerpt=last.text,
            message="会话以顾客的消息结束，顾客的问题没有得到回复。",
            suggestions=(),
            fixable=False,
        )
        result.findings.append(
            AuditFinding(
                last.conversation,
                i,
                "customer",
                None,
                last.time,
                last.path,
                last.line,
                last.text,
                finding,
            )
        )
    result.findings.sort(key=lambda f: (f.index, f.finding.start, f.finding.rule))
    return result


def _day(time: float | None) -> str:
    if time is None:
        return "unknown"
    return datetime.fromtimestamp(time, CHINA).strftime("%Y-%m-%d")


class Durations:
    """Response times in fixed bins, so memory stays flat for any number of them: one-second
    bins up to an hour, one-minute bins up to a day, and the exact maximum. Percentiles are
    exact to the bin (the second, below an hour)."""

    def __init__(self) -> None:
        self.fine = [0] * 3600
        self.coarse = [0] * (24 * 60)
        self.count = 0
        self.max: float | None = None

    def add(self, seconds: float) -> None:
        self.count += 1
        self.max = seconds if self.max is None else max(self.max, seconds)
        if seconds < 3600:
            self.fine[int(seconds)] += 1
        else:
            self.coarse[min(int(seconds // 60), len(self.coarse) - 1)] += 1

    def merge(self, other: Durations) -> None:
        self.count += other.count
        if other.max is not None:
            self.max = other.max if self.max is None else max(self.max, other.max)
        self.fine = [a + b for a, b in zip(self.fine, other.fine, strict=True)]
        self.coarse = [a + b for a, b in zip(self.coarse, other.coarse, strict=True)]

    def percentile(self, q: float) -> float | None:
        if not self.count:
            return None
        rank = min(self.count - 1, int(q * self.count))
        seen = 0
        for second, n in enumerate(self.fine):
            seen += n
            if seen > rank:
                return float(second)
        for minute, n in enumerate(self.coarse):
            seen += n
            if seen > rank:
                return float(minute * 60)
        return self.max

    def histogram(self, edges: list[float]) -> list[int]:
        """Counts between consecutive ``edges`` (seconds; the last bin is open)."""
        counts = [0] * len(edges)
        for second, n in enumerate(self.fine):
            if n:
                counts[max(i for i, e in enumerate(edges) if second >= e)] += n
        for minute, n in enumerate(self.coarse):
            if n:
                counts[max(i for i, e in enumerate(edges) if minute * 60 >= e)] += n
        return counts


@dataclass
class Tally:
    """Counts for one scorecard row (bounded: no per-message lists)."""

    agent_messages: int = 0
    conversations: int = 0
    findings: Counter[str] = field(default_factory=Counter)
    greeted: Counter[bool] = field(default_factory=Counter)
    closed: Counter[bool] = field(default_factory=Counter)
    times: Durations = field(default_factory=Durations)

    def merge(self, other: Tally) -> None:
        self.agent_messages += other.agent_messages
        self.conversations += other.conversations
        self.findings.update(other.findings)
        self.greeted.update(other.greeted)
        self.closed.update(other.closed)
        self.times.merge(other.times)

    def row(self) -> dict[str, Any]:
        n = self.agent_messages
        per100 = {
            rule: round(100 * c / n, 2) if n else None for rule, c in sorted(self.findings.items())
        }
        total = sum(self.findings.values())
        return {
            "conversations": self.conversations,
            "agent_messages": n,
            "findings": total,
            "findings_per_100_messages": round(100 * total / n, 2) if n else None,
            "by_rule_per_100_messages": per100,
            "greeting_compliance": _share(self.greeted),
            "closing_compliance": _share(self.closed),
            "response_seconds_p50": self.times.percentile(0.5),
            "response_seconds_p90": self.times.percentile(0.9),
            "response_seconds_max": self.times.max,
        }


def _share(values: Counter[bool]) -> float | None:
    total = values[True] + values[False]
    return round(values[True] / total, 4) if total else None


@dataclass
class Audit:
    """An audit in progress: results are added conversation by conversation. Only tallies
    and the worst conversations are kept (and the findings, if asked), so memory stays
    bounded; partial audits made on other processes merge."""

    keep_worst: int = 10
    keep_findings: bool = True
    teams: dict[str, str] = field(default_factory=dict)
    """Agent name → team, for transcripts that do not say."""
    conversations: int = 0
    messages: int = 0
    timestamps: bool = False
    rule_counts: Counter[str] = field(default_factory=Counter)
    severity_counts: Counter[str] = field(default_factory=Counter)
    by_agent: defaultdict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_team: defaultdict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_day: defaultdict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    worst: list[ConversationResult] = field(default_factory=list)
    times: Durations = field(default_factory=Durations)
    findings: list[AuditFinding] = field(default_factory=list)

    def add(self, result: ConversationResult, team: str | None = None) -> None:
        """Count one conversation. Its team: ``team``, else the team its messages give, else
        ``self.teams`` by agent name, else "all"."""
        if team is None:
            first = next((m for m in result.messages if m.role == "agent"), None)
            team = (
                (first.team if first and first.team else None)
                or (self.teams.get(first.agent or "") if first else None)
                or "all"
            )
        self.conversations += 1
        self.messages += len(result.messages)
        if any(m.time is not None for m in result.messages):
            self.timestamps = True
        day = _day(next((m.time for m in result.messages if m.time is not None), None))
        agents = Counter(m.agent or "unknown" for m in result.messages if m.role == "agent")
        tallies = [self.by_team[team], self.by_day[day]]
        for agent, n in agents.items():
            self.by_agent[agent].agent_messages += n
            self.by_agent[agent].conversations += 1
        for tally in tallies:
            tally.agent_messages += sum(agents.values())
            tally.conversations += 1
        for f in result.findings:
            self.rule_counts[f.finding.rule] += 1
            self.severity_counts[f.finding.severity.value] += 1
            agent = f.agent or "unknown"
            if f.agent is None and f.index < len(result.messages):
                agent = result.messages[f.index].agent or "unknown"
            for tally in (self.by_agent[agent], *tallies):
                tally.findings[f.finding.rule] += 1
        first_agent = next((m.agent for m in result.messages if m.role == "agent"), None)
        for flag, attr in ((result.greeted, "greeted"), (result.closed, "closed")):
            if flag is not None:
                for tally in (self.by_agent[first_agent or "unknown"], *tallies):
                    getattr(tally, attr)[flag] += 1
        for responder, seconds in result.response_times:
            for tally in (self.by_agent[responder or "unknown"], *tallies):
                tally.times.add(seconds)
            self.times.add(seconds)
        if self.keep_findings:
            self.findings.extend(result.findings)
        if result.findings and (
            len(self.worst) < self.keep_worst or result.score > self.worst[-1].score
        ):
            self.worst.append(result)
            self.worst.sort(key=lambda r: -r.score)
            del self.worst[self.keep_worst :]

    def merge(self, other: Audit) -> None:
        """Add a partial audit (of other conversations) to this one."""
        self.conversations += other.conversations
        self.messages += other.messages
        self.timestamps = self.timestamps or other.timestamps
        self.rule_counts.update(other.rule_counts)
        self.severity_counts.update(other.severity_counts)
        for mine, theirs in (
            (self.by_agent, other.by_agent),
            (self.by_team, other.by_team),
            (self.by_day, other.by_day),
        ):
            for key, tally in theirs.items():
                mine[key].merge(tally)
        self.times.merge(other.times)
        self.findings.extend(other.findings)
        self.worst = sorted([*self.worst, *other.worst], key=lambda r: -r.score)
        del self.worst[self.keep_worst :]

    def exit_code(self, fail_on: str) -> int:
        """1 if a finding is at or above ``fail_on`` (``never`` never fails), else 0."""
        if fail_on == "never":
            return 0
        threshold = Severity(fail_on).rank
        return int(any(Severity(s).rank >= threshold for s, n in self.severity_counts.items() if n))

    def scorecards(self) -> dict[str, Any]:
        """Per agent, per team and per day, as plain data (JSON-ready)."""
        return {
            "conversations": self.conversations,
            "messages": self.messages,
            "findings_by_rule": dict(
                sorted(self.rule_counts.items(), key=lambda kv: (-kv[1], kv[0]))
            ),
            "timing": "measured"
            if self.timestamps
            else "skipped: the transcripts have no timestamps",
            "agents": {k: v.row() for k, v in sorted(self.by_agent.items())},
            "teams": {k: v.row() for k, v in sorted(self.by_team.items())},
            "days": {k: v.row() for k, v in sorted(self.by_day.items())},
            "worst_conversations": [
                {"conversation": r.conversation, "score": r.score, "findings": len(r.findings)}
                for r in self.worst
            ],
        }


def scorecard_rows(cards: dict[str, Any]) -> list[dict[str, Any]]:
    """Flat rows (scope, name, metrics) for CSV."""
    rows = []
    for scope in ("agents", "teams", "days"):
        for name, row in cards[scope].items():
            flat = {k: v for k, v in row.items() if k != "by_rule_per_100_messages"}
            for rule, value in row["by_rule_per_100_messages"].items():
                flat[f"per100:{rule}"] = value
            rows.append({"scope": scope.rstrip("s"), "name": name, **flat})
    return rows


def audit_all(
    engine: Engine,
    conversations: Iterable[Sequence[Message]],
    timing: Sequence[TimingRule] = (),
    *,
    keep_findings: bool = True,
) -> Audit:
    """Audit conversations one after another."""
    audit = Audit(keep_findings=keep_findings)
    for messages in conversations:
        audit.add(audit_conversation(engine, messages, timing))
    return audit
