"""Nothing lost, nothing clobbered, nothing silently skipped (issue 11): output files,
encodings, damaged input, exclusions, exit codes, concurrent edits, big files, audits.

Real material where there is some: the shared corpus's phrase file (or its excerpt in
tests/data), damaged in the test's own folder; the shared transcripts (or the example)."""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from replycoach import Engine, ReplycoachError, RuleFileError, check, load_rules
from replycoach.cli import main

from .conftest import ROOT, SHARED

PHRASES = SHARED / "corpus" / "phrases" / "jddc_frequent_agent_lines.tsv"
EXCERPT = ROOT / "tests" / "data" / "phrases" / "jddc-frequent-excerpt.tsv"
TRANSCRIPTS = SHARED / "corpus" / "transcripts.jsonl"


def run(argv: list[str], stdin: bytes | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    old = sys.stdin
    if stdin is not None:
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    try:
        code = main(argv, out=out, err=err)
    finally:
        sys.stdin = old
    return code, out.getvalue(), err.getvalue()


def real_lines() -> list[str]:
    """Agent replies from the real phrase file (the shared corpus, else its excerpt)."""
    source = PHRASES if PHRASES.is_file() else EXCERPT
    rows = source.read_text(encoding="utf-8").splitlines()[1:]
    lines = [row.split("\t", 1)[1] for row in rows if "\t" in row]
    return [line for line in lines if line.strip() and not line.isascii() and '"' not in line]


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


# ---------------------------------------------------------------- 1. what stands at the path


def test_fix_follows_a_symlinked_phrase_file(tmp_path: Path) -> None:
    real = tmp_path / "real.txt"
    real.write_text("\n".join(real_lines()[:50]) + "\n你放心，马上发货\n", encoding="utf-8")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    code, _, err = run(["fix", str(link)])
    assert code == 0, err
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text(encoding="utf-8").endswith("您放心，马上发货\n")


def test_outputs_write_through_symlinks_and_into_fifos(tmp_path: Path) -> None:
    (tmp_path / "lib.txt").write_text("你好\n", encoding="utf-8")
    example = str(ROOT / "examples" / "transcripts.jsonl")
    commands = {
        "check.json": ["check", "lib.txt", "-f", "json", "-o"],
        "base.json": ["baseline", "lib.txt", "-o"],
        "schema.json": ["schema", "-o"],
        "docs.md": ["docs", "-o"],
        "report.html": ["audit", example, "--fail-on", "never", "--html"],
        "cards.json": ["audit", example, "--fail-on", "never", "--json"],
        "findings.jsonl": ["audit", example, "--fail-on", "never", "--findings"],
    }
    for name, argv in commands.items():
        target = tmp_path / f"target-{name}"
        target.write_text("old", encoding="utf-8")
        link = tmp_path / name
        link.symlink_to(target)
        code, _, err = run([*argv, str(link)])
        assert code in (0, 1), (name, err)
        assert link.is_symlink(), name  # the link is kept ...
        assert target.read_text(encoding="utf-8") != "old", name  # ... and its target written

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    code, _, err = run(["audit", example, "--fail-on", "never", "--html", str(fifo)])
    reader.join(10)
    assert code == 0, err
    assert stat.S_ISFIFO(fifo.stat().st_mode)  # still a FIFO, not replaced by a file
    assert got and got[0].startswith(b"<!doctype html>")


def test_output_to_dev_stdout_writes_to_the_descriptor(tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    log.write_text("before\n", encoding="utf-8")
    with log.open("ab") as handle:  # stdout redirected to a regular file, appending
        subprocess.run(
            [
                sys.executable,
                "-m",
                "replycoach.cli",
                "check",
                "--text",
                "你好",
                "-q",
                "-o",
                "/dev/stdout",
            ],
            stdout=handle,
            check=False,
        )
    text = log.read_text(encoding="utf-8")
    assert text.startswith("before\n<text>:1:1: warning honorific-you"), text


# ------------------------------------------------------- 2. damaged input loses nothing


def _library(fmt: str, lines: list[str]) -> str:
    """The real lines as a phrase library in a format the README lists, one entry a line."""
    if fmt == "txt":
        return "".join(f"{line}\n" for line in lines)
    if fmt == "csv":
        return "回复\n" + "".join(f"{line}\n" for line in lines)
    if fmt == "tsv":
        return "编号\t话术\n" + "".join(f"{i}\t{line}\n" for i, line in enumerate(lines))
    if fmt == "jsonl":
        return "".join(json.dumps({"text": line}, ensure_ascii=False) + "\n" for line in lines)
    if fmt == "json":
        return (
            "[\n"
            + "".join(f"  {json.dumps(line, ensure_ascii=False)},\n" for line in lines)
            + '  ""\n]\n'
        )
    assert fmt == "yaml"
    return "".join(f"- {json.dumps(line, ensure_ascii=False)}\n" for line in lines)


FORMATS = ["txt", "csv", "tsv", "jsonl", "json", "yaml"]
ENCODINGS = ["utf-8", "utf-8-sig", "gb18030", "big5", "utf-16", "utf-16-le"]


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_one_damaged_line_loses_only_itself(tmp_path: Path, fmt: str, encoding: str) -> None:
    import opencc

    lines = real_lines()[:120]
    if encoding == "big5":
        convert = opencc.OpenCC("s2t").convert
        lines = [convert(line) for line in lines]
        lines = [line for line in lines if line.encode("big5", "ignore").decode("big5") == line]
    text = _library(fmt, lines)
    if encoding == "big5":
        text = opencc.OpenCC("s2t").convert(text)  # headers too: 編號, 話術
    data = bytearray(text.encode(encoding))
    clean = tmp_path / f"clean.{fmt}"
    clean.write_bytes(bytes(data))
    # Damage one character of the 40th entry's line (a middle one of the excerpt's, when
    # the shared corpus is not beside the project).
    target = lines[min(40, len(lines) // 2)]
    inner = {"utf-16": "utf-16-le", "utf-8-sig": "utf-8"}.get(encoding, encoding)  # no BOM
    raw = target.encode(inner)
    at = bytes(data).index(raw)
    wide = next(i for i, c in enumerate(target) if not c.isascii())
    offset = len(target[:wide].encode(inner))
    if encoding.startswith("utf-16"):
        data[at + offset : at + offset + 2] = b"\x00\xdc"  # a lone low surrogate
    else:
        data[at + offset] = 0xFF
    damaged = tmp_path / f"damaged.{fmt}"
    damaged.write_bytes(bytes(data))
    damaged_line = bytes(data[:at]).decode(encoding, "replace").count("\n") + 1

    _, whole, _ = run(["check", str(clean), "-f", "json", "--fail-on", "never"])
    code, out, _ = run(["check", str(damaged), "-f", "json", "--fail-on", "never"])
    before, after = json.loads(whole), json.loads(out)
    assert code == 2
    assert [e["line"] for e in after["errors"]] == [damaged_line], after["errors"]
    assert after["replies"] == before["replies"] - 1  # only the damaged entry is lost
    kept = {(f["line"], f["rule"], f["column"]) for f in before["findings"]}
    kept = {k for k in kept if k[0] != damaged_line}
    assert {(f["line"], f["rule"], f["column"]) for f in after["findings"]} == kept


def test_a_gbk_file_with_a_utf8_line_or_a_cut_last_character(tmp_path: Path) -> None:
    lines = [*real_lines()[:60], "你放心，马上发货"]
    body = "".join(f"{line}\n" for line in lines).encode("gb18030")
    path = tmp_path / "lib.txt"
    path.write_bytes(body + "你好，在的呢\n".encode())  # one UTF-8 line at the end
    code, out, _err = run(["check", str(path), "--fail-on", "never"])
    assert code == 2
    assert f"{path}:{len(lines) + 1}: error input line is UTF-8 in a GB18030 file" in out
    assert f"{path}:{len(lines)}:1: warning honorific-you" in out  # the rest is checked
    path.write_bytes(body + "你好".encode("gb18030")[:-1])  # the last character cut
    code, out, _ = run(["check", str(path), "--fail-on", "never"])
    assert code == 2 and f"{path}:{len(lines) + 1}: error input line is not valid GB18030" in out
    assert f"{path}:{len(lines)}:1: warning honorific-you" in out


def test_a_streamed_gbk_file_whose_first_mib_is_ascii(tmp_path: Path) -> None:
    path = tmp_path / "lib.txt"
    ascii_lines = "".join(f"#E-s{i} ok\n" for i in range(150_000))  # over 1 MiB of ASCII
    path.write_bytes(ascii_lines.encode() + "你放心，马上发货\n".encode("gbk"))
    code, out, err = run(["check", str(path), "-v"])
    assert code == 1 and f"{path}:150001:1: warning honorific-you" in out, out + err
    assert f"{path}: gb18030, " in err


# --------------------------------------------------- 3. wrong encodings never pass silently


def test_big5_and_bomless_utf16_are_read_not_mojibake(tmp_path: Path) -> None:
    reply = "你好，我們保證明天發貨"
    for name, data in [
        ("big5.txt", f"{reply}\n".encode("big5")),
        ("utf16le.txt", f"{reply}\n".encode("utf-16-le")),
        ("utf16be.txt", f"{reply}\n".encode("utf-16-be")),
    ]:
        path = tmp_path / name
        path.write_bytes(data)
        code, out, _ = run(["check", str(path), "-f", "json"])
        rules = {f["rule"] for f in json.loads(out)["findings"]}
        assert code == 1 and {"honorific-you", "absolute-promise"} <= rules, name
        assert json.loads(out)["findings"][0]["excerpt"] == "你"
    # A fix keeps the file's encoding.
    path = tmp_path / "big5.txt"
    assert run(["fix", str(path)])[0] == 0
    assert path.read_bytes() == "您好，我們保證明天發貨\n".encode("big5")


def test_real_lines_in_big5_are_told_from_gb18030(tmp_path: Path) -> None:
    import opencc

    convert = opencc.OpenCC("s2t").convert
    lines = [convert(line) for line in real_lines()[:200]]
    data = "".join(f"{line}\n" for line in lines).encode("big5", "replace")
    path = tmp_path / "繁體.txt"
    path.write_bytes(data)
    code, _, err = run(["check", str(path), "-v", "--fail-on", "never"])
    assert code == 0 and f"{path}: big5, " in err


def test_xls_and_binary_files_are_refused_with_a_reason(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    xls = tmp_path / "lib" / "话术.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500))
    (tmp_path / "lib" / "ok.txt").write_text("您好\n", encoding="utf-8")
    for target in (str(xls), str(tmp_path / "lib")):
        code, out, _ = run(["check", target])
        assert code == 2 and "not supported; save it as .xlsx" in out, target
    binary = tmp_path / "blob.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01\x02")
    code, out, _ = run(["check", str(binary)])
    assert code == 2 and "not a text file" in out


# ------------------------------------------------- 4. exclude applies to named files too


def test_exclude_applies_to_named_files(tmp_path: Path) -> None:
    (tmp_path / ".replycoach.yaml").write_text("exclude: ['archive/*']\n", encoding="utf-8")
    (tmp_path / "archive").mkdir()
    old = tmp_path / "archive" / "old.txt"
    old.write_text("你好\n", encoding="utf-8")
    assert run(["fix", "archive/old.txt"])[0] == 0
    assert old.read_text(encoding="utf-8") == "你好\n"  # excluded: not rewritten
    assert run(["check", "archive/old.txt", "-q"])[0] == 0
    assert run(["check", "archive/old.txt", "-q", "--no-force-exclude"])[0] == 1
    assert run(["fix", "archive/old.txt", "--no-force-exclude"])[0] == 0
    assert old.read_text(encoding="utf-8") == "您好\n"


def test_pre_commit_try_repo_respects_the_exclusion(tmp_path: Path) -> None:
    pytest.importorskip("pre_commit")
    if not (ROOT / ".git").exists():
        pytest.skip("needs a git checkout of replycoach")
    repo = tmp_path / "shop"
    (repo / "archive").mkdir(parents=True)

    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
            cwd=repo,
            check=True,
            capture_output=True,
        )

    git("init", "-q")
    (repo / ".replycoach.yaml").write_text("exclude: ['archive/*']\n", encoding="utf-8")
    (repo / "archive" / "旧话术.txt").write_text("你好，在的\n", encoding="utf-8")
    (repo / "快捷短语.txt").write_text("您好，请问有什么可以帮您？\n", encoding="utf-8")
    git("add", ".")
    git("commit", "-qm", "phrases")
    env = {**os.environ, "PRE_COMMIT_HOME": str(ROOT / ".pytest_cache" / "pre-commit")}
    for hook in ("replycoach-fix", "replycoach"):
        done = subprocess.run(
            [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), hook, "--all-files"],
            cwd=repo,
            capture_output=True,
            text=True,
            env=env,
            timeout=900,
        )
        assert done.returncode == 0, done.stdout + done.stderr
    assert (repo / "archive" / "旧话术.txt").read_text(encoding="utf-8") == "你好，在的\n"


# ------------------------------------------------------- 5. I/O errors: exit 2, one line


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "lib.txt", "-o", "missing/x.json"],
        ["baseline", "lib.txt", "-o", "missing/b.json"],
        ["audit", str(ROOT / "examples" / "transcripts.jsonl"), "--html", "missing/r.html"],
        ["audit", str(ROOT / "examples" / "transcripts.jsonl"), "--findings", "missing/f.jsonl"],
        ["schema", "-o", "missing/s.json"],
        ["docs", "-o", "missing/rules.md"],
    ],
)
def test_a_missing_output_folder_is_one_line_and_exit_2(tmp_path: Path, argv: list[str]) -> None:
    (tmp_path / "lib.txt").write_text("你好\n", encoding="utf-8")
    code, _, err = run(argv)
    lines = [line for line in err.splitlines() if "missing" in line]
    assert code == 2 and len(lines) == 1 and "does not exist" in lines[0], err
    assert "Traceback" not in err


# ----------------------------------------------------------- 6. runs that check nothing


def test_runs_that_would_check_nothing_say_so(tmp_path: Path) -> None:
    code, _, err = run(["check"], stdin=b"")
    assert code == 2 and "empty" in err
    lib = tmp_path / "lib.txt"
    lib.write_text("你好 # replycoach: disable=honorific-yuo\n", encoding="utf-8")
    code, _, err = run(["check", str(lib)])
    assert f"{lib}:1: warning unknown rule id 'honorific-yuo'" in err
    assert code == 1  # the typo silences nothing
    table = tmp_path / "t.csv"
    table.write_text("编号,话术\n1,你好\n", encoding="utf-8")
    code, _, err = run(["check", str(table), "--column", "0"])
    assert code == 2 and "start at 1" in err
    code, out, _ = run(["check", str(table), "--column", "nope"])
    assert code == 2 and "no column named 'nope'" in out and "编号, 话术" in out
    code, _, err = run(["check", str(table), "--customer", "太慢了"])
    assert code == 2 and "--customer applies to --text" in err


# ------------------------------------------------------------------- 7. one command line


def test_audit_reports_like_check(tmp_path: Path) -> None:
    example = str(ROOT / "examples" / "transcripts.jsonl")
    code, out, err = run(["audit", example])
    assert code == 1 and "conversations" in err and "missing-greeting" in out
    assert run(["audit", example, "--fail-on", "never"])[0] == 0
    code, out, _ = run(["audit", example, "-f", "json", "-q", "--fail-on", "never"])
    assert json.loads(out)["conversations"] == 8
    code, out, _ = run(["audit", example, "-o", "summary.txt", "--fail-on", "never"])
    assert out == "" and "missing-greeting" in (tmp_path / "summary.txt").read_text("utf-8")


def test_fix_diff_exit_code_and_summaries_on_stderr(tmp_path: Path) -> None:
    lib = tmp_path / "lib.txt"
    lib.write_text("你好\n", encoding="utf-8")
    assert run(["fix", str(lib), "--diff"])[0] == 1  # would change: 1, as ruff and black
    _code, out, err = run(["check", str(lib)])
    assert out.count("\n") == 1 and "1 finding (0 error, 1 warning, 0 info) in 1 reply" in err
    run(["fix", str(lib)])
    assert run(["fix", str(lib), "--diff"])[0] == 0


def test_junit_failures_follow_fail_on(tmp_path: Path) -> None:
    lib = tmp_path / "lib.txt"
    lib.write_text("你好\n您好，这个不归我们管\n", encoding="utf-8")
    code, out, _ = run(["check", str(lib), "-f", "junit", "--fail-on", "error"])
    assert code == 1 and out.count("<failure") == 1  # blame-shifting; honorific-you passes
    assert 'failures="1"' in out and "honorific-you" in out
    code, out, _ = run(["check", str(lib), "-f", "junit", "--fail-on", "never"])
    assert code == 0 and "<failure" not in out


def test_unknown_option_prints_the_subcommands_usage() -> None:
    code, _, err = run(["audit", "x.jsonl", "--colour", "never"])
    assert code == 2 and "usage: replycoach audit" in err and "--colour" in err


@pytest.mark.parametrize(
    ("config", "line", "says"),
    [
        ("fail-on: error\nseverity:\n  honorific-yuo: error\n", 3, "unknown rule id"),
        ("rule-options:\n  long-sentence: {max: lots}\n", 2, "rule-options.long-sentence"),
        ("fail-on: warning\npacks: [complianse]\n", 2, "unknown rule pack 'complianse'"),
        ("disable:\n  - pronoun-balance\n  - honorfic-you\n", 3, "unknown rule id"),
    ],
)
def test_configuration_errors_name_file_and_line(
    tmp_path: Path, config: str, line: int, says: str
) -> None:
    (tmp_path / ".replycoach.yaml").write_text(config, encoding="utf-8")
    code, _, err = run(["check", "--text", "您好"])
    assert code == 2 and f".replycoach.yaml:{line}: " in err and says in err, err


def test_library_errors_are_its_own(tmp_path: Path) -> None:
    rules = tmp_path / "r.yaml"
    text = (ROOT / "rules" / "honorific-you.yaml").read_text(encoding="utf-8")
    rules.write_text(text.replace("severity: warning", "severity: fatal", 1), encoding="utf-8")
    with pytest.raises(RuleFileError) as caught:
        load_rules(rules)
    problem = caught.value.details[0]
    assert (problem.file, problem.field) == (str(rules), "rules[0].severity")
    assert problem.line > 1 and "fatal" in problem.message
    with pytest.raises(ReplycoachError):
        Engine.default().configure(severity={"honorific-you": "fatal"})
    with pytest.raises(TypeError):
        check(None)  # type: ignore[arg-type]


# ------------------------------------------------------------------- 9. text for people


def test_text_for_people() -> None:
    _code, _, err = run(["check", "--text", "你好"])
    assert "1 finding (0 error, 1 warning, 0 info) in 1 reply" in err
    _code, out, _ = run(["rules"])
    rows = out.splitlines()
    starts = {row.index("《") for row in rows if "《" in row}
    assert len(starts) == 1  # the source column starts at one place
    assert "《淘宝客服日常工作安排表》" in out and "002_a357f8f2c1f849a2.txt" not in out
    _, out, _ = run(["explain", "honorific-you"])
    assert "出处  《淘宝客服日常工作安排表》" in out


def test_readme_counts_the_kinds_it_lists() -> None:
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Writing rules") :]
    numbers = {"Five": 5, "Six": 6, "Seven": 7, "Eight": 8, "Nine": 9}
    said = re.search(r"\b(Five|Six|Seven|Eight|Nine) kinds", section)
    assert said is not None
    table = section[said.end() :].split("\n\n")[1]
    listed = re.findall(r"^\| `(\w+)` \|", table, re.M)
    assert numbers[said.group(1)] == len(listed), listed


# ------------------------------------------------ 10. fix never loses a concurrent edit


def test_fix_never_loses_a_concurrent_edit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lib = tmp_path / "lib.txt"
    lib.write_text("".join(f"{line}\n" for line in real_lines()[:30]) + "你好\n", encoding="utf-8")
    real_fix = Engine.fix

    def edit_meanwhile(self: Engine, text: str, **kwargs: object) -> str:
        with lib.open("a", encoding="utf-8") as handle:  # someone saves the file meanwhile
            handle.write("新加的一行\n")
        monkeypatch.setattr(Engine, "fix", real_fix)
        return real_fix(self, text, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Engine, "fix", edit_meanwhile)
    code, _, err = run(["fix", str(lib)])
    assert code == 2 and "changed by someone else" in err
    text = lib.read_text(encoding="utf-8")
    assert text.endswith("你好\n新加的一行\n")  # their edit is kept; nothing half-fixed
    assert [p.name for p in tmp_path.iterdir()] == ["lib.txt"]


def test_read_only_files_and_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lib = tmp_path / "lib.txt"
    lib.write_text("你好\n", encoding="utf-8")
    lib.chmod(0o444)
    code, _, err = run(["fix", str(lib)])
    assert code == 2 and "read-only; left as it is" in err
    assert lib.read_text(encoding="utf-8") == "你好\n" and stat.S_IMODE(lib.stat().st_mode) == 0o444
    lib.chmod(0o644)

    import replycoach.fixes as fixes

    def refuse(path: object, mode: str = "r", *args: object, **kwargs: object) -> object:
        if "x" in mode:  # creating the temporary file in the folder
            raise PermissionError(13, "Permission denied", str(path))
        return open(path, mode, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(fixes, "open", refuse, raising=False)
    code, _, err = run(["fix", str(lib)])
    assert code == 2 and err.count("\n") == 1 and "Permission denied" in err
    code, _, err = run(["check", str(lib), "-o", "report.txt"])
    assert code == 2 and "report.txt: cannot write" in err and "Traceback" not in err


def test_a_killed_fix_leaves_nothing_behind(tmp_path: Path) -> None:
    lib = tmp_path / "lib.txt"
    lib.write_text("你好\n", encoding="utf-8")
    stale = tmp_path / ".lib.txt.999999999.replycoach.tmp"  # no such process
    stale.write_text("half", encoding="utf-8")
    assert run(["fix", str(lib)])[0] == 0
    assert not stale.exists() and lib.read_text(encoding="utf-8") == "您好\n"


# ------------------------------------------------------------------------ 11. big files


_PEAK = """
import sys
from replycoach.cli import main
code = main(sys.argv[1:])
# VmHWM: this process image's peak (ru_maxrss would count the forked test runner too).
with open("/proc/self/status") as status:
    peak = next(line for line in status if line.startswith("VmHWM:"))
print(int(peak.split()[1]) // 1024)
"""


def _peak_mib(*argv: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", _PEAK, *argv], capture_output=True, text=True, check=False
    )
    return int(done.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize("fmt", ["txt", "csv", "jsonl"])
def test_big_line_based_files_are_streamed(tmp_path: Path, fmt: str) -> None:
    lines = real_lines()
    big = tmp_path / f"big.{fmt}"
    # Long entries: a real reply padded with blanks (cheap to check, so the test is quick).
    entries = [f"{lines[i % len(lines)]}{' ' * 50_000}。" for i in range(180)]
    big.write_text(_library(fmt, ["你好", *entries]), encoding="utf-8")
    size = big.stat().st_size >> 20
    assert size >= 8
    # The base checks 70 of the same entries, so that what the engine keeps per text (its
    # caches hold the last 64 texts) is in it too, and the difference is the reading.
    small = tmp_path / f"small.{fmt}"
    small.write_text(_library(fmt, ["你好", *entries[:70]]), encoding="utf-8")
    base = _peak_mib("check", str(small), "-q", "--fail-on", "never", "-f", "json", "-j", "1")
    check = ["check", "-q", "--fail-on", "never", "-f", "json"]
    # --jobs 1: read as a stream; by default (auto) a big file is cut into pieces for
    # worker processes, and the process that cuts it must not read it whole either.
    for argv in ([*check, "--jobs", "1"], check, ["fix", "-q"]):
        peak = _peak_mib(*argv, str(big))
        # Read whole, the file would take several times its size (bytes, text, lines).
        assert peak - base < size, (argv, base, peak, size)
    assert big.read_text(encoding="utf-8").count("您好") >= 1  # fixed, as a stream


# ---------------------------------------------------------------------------- 12. audits


def _real_transcript(tmp_path: Path) -> Path:
    source = TRANSCRIPTS if TRANSCRIPTS.is_file() else ROOT / "examples" / "transcripts.jsonl"
    path = tmp_path / "in-order.jsonl"
    path.write_bytes(source.read_bytes())
    return path


def test_audit_groups_conversations_whatever_their_order(tmp_path: Path) -> None:
    ordered = _real_transcript(tmp_path)
    records = [json.loads(line) for line in ordered.read_text(encoding="utf-8").splitlines()]
    # As a chat tool's export sorted by time: the conversations' messages interleave.
    by_conversation: dict[str, list[dict[str, object]]] = {}
    for record in records:
        by_conversation.setdefault(str(record["conversation"]), []).append(record)
    interleaved = []
    queues = list(by_conversation.values())
    while any(queues):
        for queue in queues:
            if queue:
                interleaved.append(queue.pop(0))
        queues = [q for q in queues if q]
    shuffled = tmp_path / "by-time.jsonl"
    shuffled.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in interleaved), encoding="utf-8"
    )
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    assert run(["audit", str(ordered), "--json", str(a), "-q", "--fail-on", "never"])[0] == 0
    code, _, err = run(["audit", str(shuffled), "--json", str(b), "--fail-on", "never"])
    assert code == 0 and "not in conversation order" in err
    first, second = json.loads(a.read_text("utf-8")), json.loads(b.read_text("utf-8"))
    assert second["conversations"] == first["conversations"] == len(by_conversation)
    assert second["findings_by_rule"] == first["findings_by_rule"]


def test_bad_transcript_lines_are_reported_and_the_audit_goes_on(tmp_path: Path) -> None:
    good = '{"conversation":"a","role":"customer","text":"在吗"}\n' + (
        '{"conversation":"a","role":"agent","agent":"小美","text":"您好，在的，还有什么可以帮您的吗"}\n'
    )
    jsonl = tmp_path / "t.jsonl"
    jsonl.write_text(
        good
        + '{"conversation":"b","role":"agent","agent":["x"],"text":"好的"}\n'
        + '{"conversation":"c","role":"agent","agent":"小美","text":"\\ud800好"}\n'
        + good.replace('"a"', '"d"'),
        encoding="utf-8",
    )
    report = tmp_path / "r.html"
    code, _, err = run(["audit", str(jsonl), "--html", str(report), "--fail-on", "never"])
    assert code == 2
    assert f"{jsonl}:3: error input bad message: agent must be a string" in err
    assert f"{jsonl}:4: error input bad message: text has a lone surrogate" in err
    assert "2 conversations" in err and report.read_text("utf-8").startswith("<!doctype")

    table = tmp_path / "t.csv"
    rows = [
        "会话,发送方,内容",
        "a,顾客,在吗",
        'a,客服,"您好，在的',  # an unbalanced quote
        "a,顾客,发货了吗",
        "b,客服," + "长" * 140_000,  # over the csv module's field limit
        "c,顾客,在吗",
        "c,客服,您好，在的",
    ]
    table.write_text("\n".join(rows) + "\n", encoding="utf-8")
    code, _, err = run(["audit", str(table), "--fail-on", "never"])
    assert code == 2
    assert f"{table}:3: error input unbalanced quotes" in err
    assert f"{table}:5: error input bad CSV row" in err
    assert "2 conversations, 4 messages" in err  # a and c; b has no readable message


def test_findings_are_streamed_not_kept(tmp_path: Path) -> None:
    from replycoach.audit import load_timing_rules
    from replycoach.audit.run import run_audit

    written: list[object] = []

    class Sink:
        def write(self, findings: object) -> None:
            written.extend(findings)  # type: ignore[call-overload]

        def reset(self) -> None:
            written.clear()

    path = _real_transcript(tmp_path)
    audit, errors, _ = run_audit(Engine.default(), [str(path)], load_timing_rules(), sink=Sink())
    assert errors == [] and audit.findings == []  # nothing held in memory ...
    assert len(written) == sum(audit.rule_counts.values()) > 0  # ... all went to the sink
