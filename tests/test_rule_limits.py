"""Issue 12, point 6: a team's rule file cannot hang or exhaust the machine. Each of these
loaded (or crashed with a traceback, or took seconds and gigabytes) before; now each is
refused at load with file:line, and the CLI exits 2."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from replycoach import Engine, load_rules
from replycoach.cli import main
from replycoach.errors import RuleFileError
from replycoach.loader import load_paths
from replycoach.ruletest import test_rules as run_test_rules

RULE = """rules:
  - id: team-rule
    kind: {kind}
    severity: warning
    message: "{message}"
{fields}
    source: {{file: team.md, passage: 团队规范}}
    examples: {{flag: [{flag}], clean: [您好]}}
"""


def rule_file(
    tmp_path: Path,
    *,
    kind: str = "existence",
    message: str = "别说“{match}”",
    fields: str = "    words: [亲爱哒]",
    flag: str = "亲爱哒",
    name: str = "team.yaml",
) -> Path:
    path = tmp_path / name
    path.write_text(
        RULE.format(kind=kind, message=message, fields=fields, flag=flag), encoding="utf-8"
    )
    return path


def refused(path: Path) -> str:
    """The problems of loading ``path``; the CLI must exit 2 on it without a traceback."""
    with pytest.raises(RuleFileError) as info:
        load_rules(path)
    text = "\n".join(info.value.problems)
    assert text.startswith(f"{path}:")
    return text


def test_cli_exits_2_on_a_refused_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = rule_file(tmp_path, message="{0}")
    assert main(["check", "--rules", str(path), "--text", "你好", "--no-config"]) == 2
    err = capsys.readouterr().err
    assert f"{path}:5:" in err and "Traceback" not in err


# ------------------------------------------------------------------------------- alias bombs


def test_alias_bomb_is_refused_fast_without_printing_its_expansion(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["滚滚滚滚滚滚滚滚"]']
    for n in range(1, 10):
        lines.append(f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]")
    path = tmp_path / "bomb.yaml"
    path.write_text(
        "\n".join(lines)
        + "\n"
        + RULE.format(
            kind="existence", message="别说", fields="    words: [滚]", flag="滚"
        ).replace(
            "severity: warning",
            "severity: *a9",  # its error message printed the value
        ),
        encoding="utf-8",
    )
    assert path.stat().st_size < 1000
    started = time.perf_counter()
    problems = refused(path)
    assert time.perf_counter() - started < 2  # 9^9 took 111 s and a MemoryError
    assert "alias" in problems
    assert all(len(line) < 300 for line in problems.splitlines())


def test_a_smaller_bomb_does_not_print_its_value_either(tmp_path: Path) -> None:
    # under the expansion limit, but wrong for the field: the message stays short
    path = tmp_path / "wide.yaml"
    path.write_text(
        'x: &x ["很长的值很长的值很长的值"]\ny: &y [*x, *x, *x, *x, *x, *x, *x, *x]\n'
        "z: &z [*y, *y, *y, *y, *y, *y, *y, *y]\n"
        + RULE.format(kind="existence", message="m", fields="    words: [a]", flag="a").replace(
            "severity: warning", "severity: *z"
        ),
        encoding="utf-8",
    )
    problems = refused(path)
    assert "severity" in problems
    assert all(len(line) < 300 for line in problems.splitlines())


def test_recursive_alias_and_deep_nesting_are_refused(tmp_path: Path) -> None:
    loop = tmp_path / "loop.yaml"
    loop.write_text("rules: &r [*r]\n", encoding="utf-8")
    assert "refers to itself" in refused(loop) or "YAML" in refused(loop)
    deep = tmp_path / "deep.yaml"
    deep.write_text("rules: " + "[" * 10_000 + "]" * 10_000 + "\n", encoding="utf-8")
    assert "nested" in refused(deep) or "YAML" in refused(deep)


# ---------------------------------------------------------------------------------- messages


@pytest.mark.parametrize(
    "message",
    ["{0}", "{match:>999999999}", "{match!r}", "{match.__class__}", "{nope}", "{match", "{count}"],
)
def test_bad_message_placeholders_are_refused(tmp_path: Path, message: str) -> None:
    problems = refused(rule_file(tmp_path, message=message))
    assert ":5: rules[0].message:" in problems


def test_count_and_length_kinds_keep_their_placeholders(tmp_path: Path) -> None:
    count = rule_file(
        tmp_path,
        kind="count",
        message="{count} 个我，{against} 个您",
        fields="    words: [我]\n    min: 2",
        flag="我我",
    )
    assert load_rules(count)[0].kind == "count"


# ------------------------------------------------------------------------------------ regexes


def test_catastrophic_pattern_runs_in_linear_time_and_test_rules_flags_it(tmp_path: Path) -> None:
    path = rule_file(
        tmp_path, kind="pattern", message="m", fields="    pattern: '(a+)+$'", flag="aaa"
    )
    engine = Engine.from_paths(path, defaults=False)
    started = time.perf_counter()
    engine.check("a" * 30 + "b")  # 26 s on a backtracking engine
    engine.check("a" * 20_000 + "b")
    assert time.perf_counter() - started < 1
    problems = run_test_rules([path], with_defaults=False)
    assert any("backtrack catastrophically" in p and "(a+)+" in p for p in problems)
    assert main(["test-rules", str(path), "--no-default-rules"]) == 1


def test_catastrophic_pattern_that_re2_cannot_run_is_refused(tmp_path: Path) -> None:
    # \d is Unicode in Python's re and ASCII in RE2, so RE2 cannot stand in for it
    path = rule_file(
        tmp_path, kind="pattern", message="m", fields="    pattern: '(\\d+\\s?)+$'", flag="1"
    )
    assert "exponential or polynomial" in refused(path)


def test_default_patterns_are_not_slow_on_long_input() -> None:
    engine = Engine.default().configure(packs=["compliance"])
    started = time.perf_counter()
    for text in ("QQ" + " " * 20_000, "微信" + " " * 20_000, "http://" + "a" * 20_000):
        engine.check(text)
    assert time.perf_counter() - started < 1.5  # QQ + 20,000 spaces took 4.3 s


# ------------------------------------------------------------------------------------ numbers


@pytest.mark.parametrize(
    ("kind", "fields"),
    [
        ("length", "    max: 4294967296"),
        ("count", "    words: [我]\n    min: 4294967296"),
        ("count", "    words: [我]\n    ratio: .nan"),
        ("count", "    words: [我]\n    ratio: .inf"),
        ("pattern", "    pattern: '[0-9]+'\n    mask: [4294967296, 1]"),
        ("length", "    max: " + "9" * 5_000),
    ],
)
def test_numbers_out_of_range_are_refused(tmp_path: Path, kind: str, fields: str) -> None:
    problems = refused(rule_file(tmp_path, kind=kind, message="m", fields=fields, flag="x"))
    assert "Overflow" not in problems


# -------------------------------------------------------------------------------- rule ids


def test_duplicate_id_across_files_is_refused(tmp_path: Path) -> None:
    first = rule_file(tmp_path, name="a.yaml")
    second = rule_file(tmp_path, name="b.yaml")
    with pytest.raises(RuleFileError) as info:
        load_paths([first, second])
    (problem,) = info.value.problems
    assert str(second) in problem and str(first) in problem and "team-rule" in problem
    # one file named twice (configuration and command line) is read once
    assert [r.id for r in load_paths([first, tmp_path / "a.yaml"])] == ["team-rule"]
    assert main(["check", "--rules", str(first), "--rules", str(second), "--text", "x"]) == 2


def test_a_default_id_cannot_be_taken_again(tmp_path: Path) -> None:
    path = rule_file(tmp_path, fields="    words: [亲爱哒]").read_text(encoding="utf-8")
    clash = tmp_path / "clash.yaml"
    clash.write_text(path.replace("team-rule", "honorific-you"), encoding="utf-8")
    with pytest.raises(RuleFileError, match="honorific-you"):
        Engine.from_paths(clash)


# ----------------------------------------------------------------------------------- reload


def test_reload_with_a_bad_file_keeps_the_old_rules(tmp_path: Path) -> None:
    from replycoach.service import CheckRequest, Service

    path = rule_file(tmp_path)
    service = Service(lambda: Engine.from_paths(path, defaults=False))
    path.write_text(path.read_text(encoding="utf-8").replace("别说", "{0}"), encoding="utf-8")
    assert service.reload() is False and "message" in (service.reload_error or "")
    found = service.check(CheckRequest(text="亲爱哒"))
    assert [f.message for f in found] == ["别说“亲爱哒”"]

    def crash() -> Engine:
        raise MemoryError  # whatever a build raises, the service keeps its rules

    service._build = crash
    assert service.reload() is False and "MemoryError" in (service.reload_error or "")
    assert service.check(CheckRequest(text="亲爱哒"))
