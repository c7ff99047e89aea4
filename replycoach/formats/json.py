"""Machine-readable report; each finding is the :class:`~replycoach.Finding` JSON plus its
location (``path``, ``line``, ``column``)."""

from __future__ import annotations

import json

from ..report import Report

SCHEMA_VERSION = 1


def render_json(report: Report) -> str:
    """``{"version", "replies", "findings": [...], "errors": [...]}`` as pretty JSON."""
    data = {
        "version": SCHEMA_VERSION,
        "replies": report.entries,
        "findings": [loc.to_dict() for loc in report.findings],
        "errors": [{"path": e.path, "line": e.line, "message": e.message} for e in report.errors],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
