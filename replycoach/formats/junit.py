"""``--format junit``: JUnit XML for GitLab, Jenkins and other CI test reports: a test
suite per file, a failing test case per finding (a passing one for a clean file)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING
from xml.etree import ElementTree as ET

from ..report import Report

if TYPE_CHECKING:
    from ..loader import AnyRule


def render(report: Report, rules: Sequence[AnyRule] = (), *, color: bool = False) -> str:
    """The XML document."""
    root = ET.Element(
        "testsuites",
        name="replycoach",
        tests=str(0),
        failures=str(len(report.findings) + len(report.errors)),
    )
    total = 0
    for result in report.files:
        cases = len(result.findings) + len(result.errors) or 1
        total += cases
        suite = ET.SubElement(
            root,
            "testsuite",
            name=result.path,
            tests=str(cases),
            failures=str(len(result.findings) + len(result.errors)),
        )
        for loc in result.findings:
            f = loc.finding
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f.rule,
                name=f"{loc.location()} {f.rule}",
                file=loc.entry.path,
                line=str(loc.entry.line),
            )
            failure = ET.SubElement(case, "failure", message=f.message, type=f.severity.value)
            failure.text = (
                f"{loc.location()}: {f.severity.value} {f.rule} {f.message}\n{loc.entry.text}"
            )
        for err in result.errors:
            case = ET.SubElement(
                suite,
                "testcase",
                classname="input",
                name=f"{err.path}:{err.line} input",
                file=err.path,
                line=str(err.line),
            )
            ET.SubElement(case, "failure", message=err.message, type="error")
        if not result.findings and not result.errors:
            ET.SubElement(suite, "testcase", classname="replycoach", name=result.path)
    root.set("tests", str(total))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
