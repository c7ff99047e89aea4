"""``--format github``: GitHub Actions workflow commands, shown as annotations on the diff."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..report import Report

if TYPE_CHECKING:
    from ..loader import AnyRule

_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def _data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(value: str) -> str:
    return _data(value).replace(":", "%3A").replace(",", "%2C")


def render(report: Report, rules: Sequence[AnyRule] = (), *, color: bool = False) -> str:
    """One ``::error``/``::warning``/``::notice`` line per finding and input error."""
    lines = []
    for loc in report.findings:
        f = loc.finding
        props = [
            f"file={_prop(loc.entry.path)}",
            f"line={loc.entry.line}",
            f"col={loc.column}",
            f"endColumn={loc.column + len(f.excerpt)}",
            f"title={_prop(f.rule)}",
        ]
        lines.append(f"::{_LEVEL[f.severity.value]} {','.join(props)}::{_data(f.message)}")
    for err in report.errors:
        props = [f"file={_prop(err.path)}", f"line={err.line}", "title=input"]
        lines.append(f"::error {','.join(props)}::{_data(err.message)}")
    return "".join(line + "\n" for line in lines)
