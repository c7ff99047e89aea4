"""The audit's output files: findings streamed to their file as they are found, scorecards
(JSON, CSV) and the HTML report written at the end. Every file is written as
:func:`replycoach.fixes.open_output` does (a symlink followed, a device written directly, a
regular file replaced whole only when the audit finished)."""

from __future__ import annotations

import contextlib
import csv
import io
import json
from collections.abc import Sequence
from types import TracebackType
from typing import Any, BinaryIO

from ..fixes import open_output, write_output
from . import Audit, AuditFinding, scorecard_rows


class _FindingsFile:
    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle

    def write(self, findings: Sequence[AuditFinding]) -> None:
        for f in findings:
            line = json.dumps(f.to_dict(), ensure_ascii=False) + "\n"
            self.handle.write(line.encode("utf-8", "surrogatepass"))

    def reset(self) -> None:
        if self.handle.seekable():
            self.handle.seek(0)
            self.handle.truncate()


class AuditOutputs(contextlib.AbstractContextManager["AuditOutputs"]):
    """Opens ``--findings`` before the audit (so a bad path fails first and findings stream
    to it) and writes the other files in :meth:`finish`."""

    def __init__(self, *, findings: str | None = None, html: str | None = None) -> None:
        self._stack = contextlib.ExitStack()
        self.sink: _FindingsFile | None = None
        self.findings_path = findings
        self.html = html

    def __enter__(self) -> AuditOutputs:
        if self.findings_path:
            handle = self._stack.enter_context(open_output(self.findings_path))
            self.sink = _FindingsFile(handle)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool | None:
        return self._stack.__exit__(kind, value, traceback)

    def finish(
        self,
        audit: Audit,
        cards: dict[str, Any],
        *,
        json_path: str | None = None,
        csv_path: str | None = None,
    ) -> None:
        """Write the scorecards and the HTML report."""
        if json_path:
            text = json.dumps(cards, ensure_ascii=False, indent=2) + "\n"
            write_output(json_path, text.encode("utf-8"))
        if csv_path:
            rows = scorecard_rows(cards)
            columns = sorted(
                {k for row in rows for k in row}, key=lambda k: (k.startswith("per100:"), k)
            )
            columns = ["scope", "name", *[c for c in columns if c not in ("scope", "name")]]
            buffer = io.StringIO()
            writer = csv.DictWriter(buffer, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)
            write_output(csv_path, buffer.getvalue().encode("utf-8-sig"))
        if self.html:
            from ..formats.html_report import render_audit_html

            write_output(self.html, render_audit_html(audit).encode("utf-8", "surrogatepass"))
