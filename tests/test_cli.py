"""The command line: golden outputs, exit codes, bad input, atomic fixes."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from replycoach.cli import main

from .conftest import ROOT

GOLDEN = ROOT / "tests" / "golden"


def run(argv: list[str], stdin: bytes | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    if stdin is not None:
        fake = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
        old, sys.stdin = sys.stdin, fake
    try:
        code = main(argv, out=out, err=err)
    finally:
        if stdin is not None:
            sys.stdin = old
    return code, out.getvalue(), err.getvalue()


def golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_bytes(actual.encode("utf-8"))
    assert actual == path.read_bytes().decode("utf-8"), f"golden {name} differs (UPDATE_GOLDEN=1)"


@pytest.fixture(autouse=True)
def _in_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_golden_check_of_examples(fmt: str) -> None:
    code, out, _err = run(["check", "examples", "--format", fmt])
    assert code == 1
    golden(f"check-examples.{fmt}", out)
    if fmt == "json":
        data = json.loads(out)
        assert data["replies"] == 57 and data["errors"] == []


def test_done_means_example() -> None:
    code, out, _ = run(["check", "--text", "我保证明天一定发货，你放心", "--format", "json"])
    assert code == 1
    found = {
        (f["rule"], f["start"], f["end"], f["excerpt"], tuple(f["suggestions"]))
        for f in json.loads(out)["findings"]
    }
    assert ("absolute-promise", 1, 3, "保证", ("尽量", "努力", "争取")) in found
    assert ("honorific-you", 10, 11, "你", ("您",)) in found


def test_golden_rules_and_explain() -> None:
    code, out, _ = run(["rules"])
    assert code == 0
    golden("rules.txt", out)
    code, out, _ = run(["explain", "absolute-promise"])
    assert code == 0
    golden("explain-absolute-promise.txt", out)
    code, out, _ = run(["explain", "absolute-promise", "--format", "json"])
    assert json.loads(out)["id"] == "absolute-promise"


def test_exit_codes_and_fail_on() -> None:
    assert run(["check", "--text", "您好，请问有什么可以帮您？"])[0] == 0
    assert run(["check", "--text", "我帮你查一下"])[0] == 1  # warning
    assert run(["check", "--text", "我帮你查一下", "--fail-on", "error"])[0] == 0
    assert run(["check", "--text", "我我我，我", "--fail-on", "info"])[0] == 1
    assert run(["check", "--text", "爱买不买", "--fail-on", "never"])[0] == 0
    assert run(["check", "--text", "x", "--position", "sideways"])[0] == 2
    assert run(["check", "--text", "x", "--disable", "no-such-rule"])[0] == 2
    assert run(["explain", "no-such-rule"])[0] == 2
    assert run([])[0] == 2


def test_position_and_rule_options() -> None:
    _, out, _ = run(["check", "--text", "已经发货了", "--position", "only"])
    assert "missing-greeting" in out and "missing-closing" in out
    _code, out, _ = run(
        [
            "check",
            "--text",
            "我保证",
            "--select",
            "absolute-promise",
            "--severity",
            "absolute-promise=error",
            "--format",
            "json",
        ]
    )
    assert [f["severity"] for f in json.loads(out)["findings"]] == ["error"]
    assert run(["check", "--text", "x", "--severity", "absolute-promise"])[0] == 2


def test_stdin_is_one_reply_per_line() -> None:
    code, out, _ = run(["check"], stdin="您好\n你好\n".encode())
    assert code == 1
    assert out.startswith("<stdin>:2:1: warning honorific-you")


def test_bad_lines_are_reported_and_the_rest_checked(tmp_path: Path) -> None:
    path = tmp_path / "damaged.txt"
    path.write_bytes("你好\n".encode() + b"\xff\xfe\xfa broken\n" + "我保证\n".encode())
    code, out, _ = run(["check", str(path)])
    assert code == 2
    assert f"{path}:1:1: warning honorific-you" in out
    assert f"{path}:3:2: warning absolute-promise" in out
    assert f"{path}:2: error input line is not valid UTF-8" in out
    code, out, _ = run(["check", str(tmp_path / "missing.txt")])
    assert code == 2 and "missing.txt:1: error input cannot read file" in out


def test_gbk_and_bom_files_are_decoded(tmp_path: Path) -> None:
    for name, data in [
        ("gbk.txt", "你好\n".encode("gbk")),
        ("bom.txt", "\ufeff你好\n".encode()),
        ("utf16.txt", "你好\n".encode("utf-16")),
    ]:
        path = tmp_path / name
        path.write_bytes(data)
        _code, out, _ = run(["check", str(path)])
        assert out == f"{path}:1:1: warning honorific-you 称呼顾客请用“您”，不用“你”。\n", name


def test_fix_rewrites_atomically_and_keeps_bytes(tmp_path: Path) -> None:
    path = tmp_path / "lib.txt"
    original = "# 注释里的你不改\r\n你好，你的快递到了\r\n\r\n我保证\r\n".encode("gbk")
    path.write_bytes(original)
    code, out, err = run(["fix", str(path), "--diff"])
    assert code == 1 and "-你好，你的快递到了" in out and "+您好，您的快递到了" in out
    assert path.read_bytes() == original
    code, _, err = run(["fix", str(path)])
    assert code == 0 and "fixed 1 reply" in err
    assert path.read_bytes() == "# 注释里的你不改\r\n您好，您的快递到了\r\n\r\n我保证\r\n".encode(
        "gbk"
    )
    assert [p.name for p in tmp_path.iterdir()] == ["lib.txt"]  # no temp file left


def test_fix_refuses_a_damaged_file_whole(tmp_path: Path) -> None:
    path = tmp_path / "damaged.txt"
    data = "你好\n".encode() + b"\xff\xfe\n"
    path.write_bytes(data)
    code, _, err = run(["fix", str(path)])
    assert code == 2 and "left as it is" in err
    assert path.read_bytes() == data


def test_fix_text_and_stdin() -> None:
    assert run(["fix", "--text", "你放心"])[1] == "您放心\n"
    assert run(["fix"], stdin="你好\n我保证\n".encode())[1] == "您好\n我保证\n"


def test_console_script_smoke() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "replycoach.cli", "check", "--text", "你好"],
        capture_output=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONIOENCODING": "ascii"},
    )
    assert proc.returncode == 1
    assert "honorific-you" in proc.stdout.decode("utf-8")


def test_no_input_on_a_terminal_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Tty())
    code, _, err = run(["check"])
    assert code == 2 and "pipe replies on stdin" in err


def test_rule_files_are_not_phrase_libraries(tmp_path: Path) -> None:
    (tmp_path / "team-rules.yaml").write_text(
        (ROOT / "rules" / "honorific-you.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (tmp_path / "phrases.yaml").write_text("- 你好\n", encoding="utf-8")
    code, out, _ = run(["check", str(tmp_path), "--format", "json"])
    data = json.loads(out)
    assert (
        code == 1
        and data["replies"] == 1
        and {f["path"] for f in data["findings"]} == {str(tmp_path / "phrases.yaml")}
    )


@pytest.mark.parametrize("argv", [["check", "--text", "你好"], ["init", "--help"]])
def test_the_console_script_collects_garbage_while_it_works(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``run`` keeps the collector off only while the process starts (imports, engine)."""
    import gc

    from replycoach import cli

    seen: list[bool] = []
    collect = cli._collect

    def spy(*args: object, **kwargs: object) -> object:
        seen.append(gc.isenabled())
        return collect(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(cli, "_collect", spy)
    monkeypatch.setattr(sys, "argv", ["replycoach", *argv])
    assert gc.isenabled()
    threshold = gc.get_threshold()
    try:
        with pytest.raises(SystemExit) as exit_:
            cli.run()
        batch = gc.get_threshold()
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
    assert gc.isenabled() and not cli._starting
    if argv[0] == "check":
        assert exit_.value.code == 1 and seen == [True]
        assert "honorific-you" in capsys.readouterr().out
        assert batch[0] == 10_000
    else:
        assert exit_.value.code == 0 and batch == threshold
