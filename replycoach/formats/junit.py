"""``--format junit``: JUnit XML for GitLab, Jenkins and other CI test reports: a test
suite per file, a test case per finding, failing when the finding is at or above
``--fail-on`` (as the exit code does) and passing with the finding as its output below it;
a passing case for a clean file."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING
from xml.etree import ElementTree as ET

from ..model import Severity
from ..report import Located, Report

if TYPE_CHECKING:
    from ..loader import AnyRule


def _fails(loc: Located, fail_on: str) -> bool:
    return fail_on != "never" and loc.finding.severity.rank >= Severity(fail_on).rank


def render(
    report: Report, rules: Sequence[AnyRule] = (), *, color: bool = False, fail_on: str = "warning"
) -> str:
    """The XML document."""
    failing = sum(_fails(loc, fail_on) for loc in report.findings)
    root = ET.Element(
        "testsuites",
        name="replycoach",
        tests=str(0),
        failures=str(failing + len(report.errors)),
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
            failures=str(sum(_fails(loc, fail_on) for loc in result.findings) + len(result.errors)),
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
            detail = f"{loc.location()}: {f.severity.value} {f.rule} {f.message}\n{loc.entry.text}"
            if _fails(loc, fail_on):
                failure = ET.SubElement(case, "failure", message=f.message, type=f.severity.value)
                failure.text = detail
            else:
                ET.SubElement(case, "system-out").text = detail
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
