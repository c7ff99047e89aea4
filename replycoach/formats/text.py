"""``path:line:col: severity rule message``, one finding a line, like compilers print."""

from __future__ import annotations

from ..report import Report


def render_text(report: Report) -> str:
    """The findings, then the input errors, one per line."""
    lines = [
        f"{loc.entry.path}:{loc.entry.line}:{loc.column}: "
        f"{loc.finding.severity.value} {loc.finding.rule} {loc.finding.message}"
        for loc in report.findings
    ]
    lines.extend(f"{err.path}:{err.line}: error input {err.message}" for err in report.errors)
    return "".join(line + "\n" for line in lines)


def render_summary(report: Report) -> str:
    """One line for people: how many findings of which severity in how many replies."""
    by_sev = {"error": 0, "warning": 0, "info": 0}
    for loc in report.findings:
        by_sev[loc.finding.severity.value] += 1
    text = (
        f"{len(report.findings)} findings ({by_sev['error']} error, {by_sev['warning']} warning, "
        f"{by_sev['info']} info) in {report.entries} replies"
    )
    if report.errors:
        text += f"; {len(report.errors)} input errors"
    return text
