"""Rule files: malformed ones are reported with file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from replycoach import Engine, RuleFileError, load_rules

GOOD = """\
rules:
  - id: no-dear
    kind: existence
    severity: info
    message: 别说“{match}”
    words: [亲爱的]
    source: {file: x.txt, passage: y}
    examples: {flag: [亲爱的], clean: [您好]}
"""


def write(tmp_path: Path, text: str, name: str = "custom.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def errors_of(path: Path) -> list[str]:
    with pytest.raises(RuleFileError) as info:
        load_rules(path)
    return info.value.problems


def test_good_file_loads_and_runs(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    engine = Engine.from_paths(path, defaults=False)
    assert [f.rule for f in engine.check("亲爱的，在的")] == ["no-dear"]


def test_bad_severity_names_file_line_and_field(tmp_path: Path) -> None:
    rules = GOOD + GOOD.replace("rules:\n", "").replace("no-dear", "second").replace(
        "severity: info", "severity: fatal"
    )
    path = write(tmp_path, rules)
    assert errors_of(path) == [
        f"{path}:11: rules[1].severity: 'fatal' is not one of error, warning, info"
    ]


def test_unknown_key_missing_field_and_bad_kind(tmp_path: Path) -> None:
    text = GOOD.replace("    words: [亲爱的]\n", "    wrods: [亲爱的]\n")
    path = write(tmp_path, text)
    problems = errors_of(path)
    assert f"{path}:2: rules[0].words: required field is missing" in problems
    assert f"{path}:6: rules[0].wrods: unknown field" in problems

    path = write(tmp_path, GOOD.replace("kind: existence", "kind: magic"))
    (problem,) = errors_of(path)
    assert problem.startswith(f"{path}:2: rules[0]: kind 'magic' is not one of existence")


def test_bad_regex_and_bad_yaml_and_duplicates(tmp_path: Path) -> None:
    text = GOOD.replace("kind: existence", "kind: pattern").replace(
        "    words: [亲爱的]\n", "    pattern: '([0-9]'\n"
    )
    (problem,) = errors_of(write(tmp_path, text))
    assert ":6: rules[0].pattern: not a valid regular expression" in problem

    (problem,) = errors_of(write(tmp_path, "rules:\n  - id: x\n   bad: [\n"))
    assert "not valid YAML" in problem and ":3:" in problem

    dup = GOOD.replace("    severity: info\n", "    severity: info\n    severity: error\n")
    (problem,) = errors_of(write(tmp_path, dup))
    assert ":5: not valid YAML: duplicate key 'severity'" in problem

    twice = GOOD + GOOD.replace("rules:\n", "")
    (problem,) = errors_of(write(tmp_path, twice))
    assert "rule id 'no-dear' is used twice" in problem


def test_not_a_mapping_missing_file_and_wrong_encoding(tmp_path: Path) -> None:
    (problem,) = errors_of(write(tmp_path, "- just a list\n"))
    assert problem.endswith("a rule file is a mapping with the key 'rules'")
    (problem,) = errors_of(tmp_path / "absent.yaml")
    assert "cannot read rule file" in problem
    path = tmp_path / "gbk.yaml"
    path.write_bytes(GOOD.encode("gbk"))
    (problem,) = errors_of(path)
    assert problem == f"{path}:5: rule files must be UTF-8"


def test_exception_without_its_word_is_rejected(tmp_path: Path) -> None:
    text = GOOD.replace("    words: [亲爱的]\n", "    words: [亲爱的]\n    exceptions: [宝贝]\n")
    (problem,) = errors_of(write(tmp_path, text))
    assert "rules[0].exceptions" in problem and "宝贝" in problem


def test_all_problems_of_several_files_are_reported(tmp_path: Path) -> None:
    a = write(tmp_path, GOOD.replace("severity: info", "severity: loud"), "a.yaml")
    b = write(tmp_path, GOOD.replace("message: 别说“{match}”\n", ""), "b.yaml")
    with pytest.raises(RuleFileError) as info:
        Engine.from_paths(a, b, defaults=False)
    assert len(info.value.problems) == 2


def test_unknown_rule_ids_in_options() -> None:
    from replycoach import UnknownRuleError

    with pytest.raises(UnknownRuleError):
        Engine.default().configure(disable=["no-such-rule"])
    with pytest.raises(UnknownRuleError):
        Engine.default().configure(severity={"no-such-rule": "error"})
