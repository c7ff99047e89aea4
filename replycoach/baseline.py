"""Baselines: accept the findings a phrase library already has, report only new ones.

A finding is keyed by its rule, the whole text of its entry and its excerpt, never by line
numbers, so reordering or moving a library does not bring old findings back. The file
stores only hashes of those keys (a privacy-leak excerpt is personal data), how many times
each occurs, and where it was first seen, for people reading the file.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ReplycoachError
from .report import Located

VERSION = 1


class BaselineError(ReplycoachError):
    """A baseline file cannot be read."""


def fingerprint(rule: str, entry_text: str, excerpt: str) -> str:
    """A stable key for one finding in one entry."""
    digest = hashlib.sha256(f"{rule}\0{entry_text}\0{excerpt}".encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:32]


def _key(loc: Located) -> str:
    return fingerprint(loc.finding.rule, loc.entry.text, loc.finding.excerpt)


@dataclass
class Baseline:
    """Accepted findings: fingerprint → (rule, count, where first seen)."""

    counts: Counter[str] = field(default_factory=Counter)
    rules: dict[str, str] = field(default_factory=dict)
    seen: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_findings(cls, findings: Iterable[Located]) -> Baseline:
        baseline = cls()
        for loc in findings:
            key = _key(loc)
            baseline.counts[key] += 1
            baseline.rules.setdefault(key, loc.finding.rule)
            baseline.seen.setdefault(key, loc.entry.location(loc.finding.start))
        return baseline

    def dumps(self) -> str:
        items = [
            {"fingerprint": k, "rule": self.rules[k], "count": n, "first_seen": self.seen[k]}
            for k, n in sorted(self.counts.items(), key=lambda kv: (self.rules[kv[0]], kv[0]))
        ]
        data = {"version": VERSION, "tool": "replycoach", "findings": items}
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"

    @classmethod
    def loads(cls, text: str, path: str = "<baseline>") -> Baseline:
        """Parse the text of a baseline file."""
        try:
            data = json.loads(text)
            baseline = cls()
            for item in data["findings"]:
                key = str(item["fingerprint"])
                baseline.counts[key] = int(item.get("count", 1))
                baseline.rules[key] = str(item["rule"])
                baseline.seen[key] = str(item.get("first_seen", ""))
        except (ValueError, KeyError, TypeError) as exc:
            raise BaselineError(f"{path}:1: not a replycoach baseline: {exc}") from None
        return baseline

    @classmethod
    def load(cls, path: str | Path) -> Baseline:
        """Read a baseline file."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise BaselineError(f"{path}:1: cannot read baseline: {exc.strerror}") from None
        return cls.loads(text, str(path))

    def filter(self, findings: list[Located]) -> tuple[list[Located], list[str]]:
        """The findings not covered by the baseline, and the baseline entries no longer
        found (stale), each as ``rule first_seen``."""
        left = Counter(self.counts)
        new = []
        for loc in findings:
            key = _key(loc)
            if left[key] > 0:
                left[key] -= 1
            else:
                new.append(loc)
        stale = [
            f"{self.rules[k]} (first seen at {self.seen[k]})"
            for k, n in sorted(left.items())
            if n > 0
        ]
        return new, stale
