"""Checking many entries: results with their locations, and the exit-code decision."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from .engine import Engine
from .model import Finding, Severity
from .sources import Entry, InputError


@dataclass(frozen=True)
class Located:
    """A finding in a file: ``path:line:column`` of its first character."""

    entry: Entry
    finding: Finding

    @property
    def column(self) -> int:
        return self.entry.column + self.finding.start

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {
            "path": self.entry.path,
            "line": self.entry.line,
            "column": self.column,
        }
        data.update(self.finding.to_dict())
        return data


@dataclass
class Report:
    """Everything one run found: findings in input order, and unreadable inputs."""

    entries: int = 0
    findings: list[Located] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)

    def add(self, engine: Engine, items: Iterable[Entry | InputError]) -> None:
        """Check every entry of ``items``; collect input errors as they come."""
        for item in items:
            if isinstance(item, InputError):
                self.errors.append(item)
                continue
            self.entries += 1
            for finding in engine.check(item.text, position=item.position):
                self.findings.append(Located(item, finding))

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
