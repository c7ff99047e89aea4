"""``--format json``: each finding is the :class:`~replycoach.Finding` JSON plus its
location (``path``, ``line``, ``column``, and ``where``: a column name, JSON pointer or cell)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..report import Report

if TYPE_CHECKING:
    from ..loader import AnyRule

SCHEMA_VERSION = 1


def render(report: Report, rules: Sequence[AnyRule] = (), *, color: bool = False) -> str:
    """``{"version", "replies", "findings", "errors", "stale_baseline"}`` as pretty JSON."""
    data = {
        "version": SCHEMA_VERSION,
        "replies": report.entries,
        "findings": [loc.to_dict() for loc in report.findings],
        "errors": [{"path": e.path, "line": e.line, "message": e.message} for e in report.errors],
        "stale_baseline": report.stale,
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
