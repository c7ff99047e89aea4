"""``--format sarif``: SARIF 2.1.0, as code-scanning services (GitHub) accept it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from .. import __version__
from ..baseline import fingerprint
from ..docs import source_title
from ..loader import AnyRule
from ..report import Report

_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)


def _uri(path: str) -> str:
    p = Path(path)
    if p.is_absolute():
        return p.as_uri()
    return p.as_posix()


def render(report: Report, rules: Sequence[AnyRule] = (), *, color: bool = False) -> str:
    """The SARIF log: one run, the rules as reporting descriptors, one result a finding."""
    index = {rule.id: i for i, rule in enumerate(rules)}
    descriptors = [
        {
            "id": rule.id,
            "name": "".join(part.title() for part in rule.id.split("-")),
            "shortDescription": {"text": rule.description or rule.message},
            "fullDescription": {
                "text": f"{rule.description} 出处：{source_title(rule.source.file)}："
                f"“{rule.source.passage}”"
            },
            "help": {"text": f"replycoach explain {rule.id}"},
            "defaultConfiguration": {"level": _LEVEL[rule.severity.value]},
            "properties": {"kind": rule.kind, "source": rule.source.file},
        }
        for rule in rules
    ]
    results = []
    for loc in report.findings:
        f = loc.finding
        result: dict[str, object] = {
            "ruleId": f.rule,
            "level": _LEVEL[f.severity.value],
            "message": {"text": f.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(loc.entry.path)},
                        "region": {
                            "startLine": loc.entry.line,
                            "startColumn": loc.column,
                            "endColumn": loc.column + len(f.excerpt),
                            "snippet": {"text": f.excerpt},
                        },
                    },
                }
            ],
            "partialFingerprints": {
                "replycoach/v1": fingerprint(f.rule, loc.entry.text, f.excerpt)
            },
        }
        if f.rule in index:
            result["ruleIndex"] = index[f.rule]
        if loc.entry.where:
            result["properties"] = {"where": loc.entry.where}
        if f.fixable and f.suggestions:
            result["fixes"] = [
                {
                    "description": {"text": f"{f.excerpt} → {f.suggestions[0]}"},
                    "artifactChanges": [
                        {
                            "artifactLocation": {"uri": _uri(loc.entry.path)},
                            "replacements": [
                                {
                                    "deletedRegion": {
                                        "startLine": loc.entry.line,
                                        "startColumn": loc.column,
                                        "endColumn": loc.column + len(f.excerpt),
                                    },
                                    "insertedContent": {"text": f.suggestions[0]},
                                }
                            ],
                        }
                    ],
                }
            ]
        results.append(result)
    invocation = {
        "executionSuccessful": not report.errors,
        "toolExecutionNotifications": [
            {
                "level": "error",
                "message": {"text": err.message},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": _uri(err.path)},
                            "region": {"startLine": err.line},
                        }
                    }
                ],
            }
            for err in report.errors
        ],
    }
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "replycoach",
                        "version": __version__,
                        "informationUri": "https://github.com/replycoach/replycoach",
                        "rules": descriptors,
                    }
                },
                "invocations": [invocation],
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    return json.dumps(log, ensure_ascii=False, indent=2) + "\n"
