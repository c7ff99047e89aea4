"""For people: ``path:line:col: severity rule message``, one finding a line, like compilers.

On a terminal (``color``) findings are grouped under a header per file and coloured. The
summary (one line, and a table per rule) is written separately, to stderr.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..report import Report

if TYPE_CHECKING:
    from ..loader import AnyRule

_SEVERITY_COLOR = {"error": "31", "warning": "33", "info": "36"}


def _c(code: str, text: str, color: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if color else text


def render(report: Report, rules: Sequence[AnyRule] = (), *, color: bool = False) -> str:
    """The findings, then the input errors."""
    lines: list[str] = []
    for result in report.files:
        if color and (result.findings or result.errors):
            lines.append(_c("1;4", result.path, color))
        for loc in result.findings:
            f = loc.finding
            sev = _c(_SEVERITY_COLOR[f.severity.value], f.severity.value, color)
            where = loc.location()
            if color:
                where = "  " + where.removeprefix(result.path + ":")
            lines.append(f"{where}: {sev} {_c('2', f.rule, color)} {f.message}")
        for err in result.errors:
            where = f"{err.path}:{err.line}"
            if color:
                where = "  " + where.removeprefix(result.path + ":")
            lines.append(f"{where}: {_c('31', 'error', color)} input {err.message}")
        if color and (result.findings or result.errors):
            lines.append("")
    return "".join(line + "\n" for line in lines)


_PLURALS = {"reply": "replies"}


def plural(n: int, noun: str) -> str:
    """``1 finding``, ``2 findings``, ``1 reply``, ``0 replies``.

    >>> plural(1, "finding"), plural(2, "reply")
    ('1 finding', '2 replies')
    """
    return f"{n:,} {noun if n == 1 else _PLURALS.get(noun, noun + 's')}"


def render_summary(report: Report) -> str:
    """One line: how many findings of which severity in how many replies."""
    by_sev = {"error": 0, "warning": 0, "info": 0}
    for loc in report.findings:
        by_sev[loc.finding.severity.value] += 1
    text = (
        f"{plural(len(report.findings), 'finding')} ({by_sev['error']} error, "
        f"{by_sev['warning']} warning, {by_sev['info']} info) in {plural(report.entries, 'reply')}"
    )
    if report.errors:
        text += f"; {plural(len(report.errors), 'input error')}"
    return text


def render_table(report: Report) -> str:
    """Findings per rule, most first, as an aligned table (empty when there are none)."""
    counts = report.counts()
    if not counts:
        return ""
    severity = {loc.finding.rule: loc.finding.severity.value for loc in report.findings}
    width = max(len(rule) for rule in counts)
    rows = [f"{'rule':<{width}}  {'severity':<8}  {'findings':>8}"]
    for rule, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        rows.append(f"{rule:<{width}}  {severity[rule]:<8}  {n:>8}")
    return "\n".join(rows) + "\n"
