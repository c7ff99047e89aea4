"""``--jobs``: the same findings in the same order as on one process, whether files are
checked whole by the workers or cut into pieces (small cut size here, so the test files are
split as big ones would be)."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Sequence
from pathlib import Path

import pytest

from replycoach import parallel
from replycoach.cli import main
from replycoach.report import FileResult
from replycoach.sources import SourceOptions

REPLIES = [
    "我保证明天一定发货，你放心",
    "亲，您好，请问有什么可以帮您",
    "这个问题我不太清楚",
    "你自己看说明书",
    "好的，已为您备注",
]


def run(*argv: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["check", "--no-config", "--fail-on", "never", "-q", "-f", "json", *argv], out=out, err=err
    )
    return code, out.getvalue()


@pytest.fixture(autouse=True)
def small_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "SPLIT_BYTES", 64)


def same_with_jobs(*paths: Path) -> dict[str, object]:
    code1, one = run("--jobs", "1", *map(str, paths))
    code2, two = run("--jobs", "2", *map(str, paths))
    assert (code1, one) == (code2, two)
    report: dict[str, object] = json.loads(one)
    return report


def csv_rows(n: int) -> str:
    rows = ["场景,话术"]
    for i in range(n):
        reply = REPLIES[i % len(REPLIES)]
        if i % 7 == 3:
            reply = f'"第{i}条,带逗号和""引号""\n{reply}"'  # quoted, over two lines
        rows.append(f"售前,{reply}")
    return "\n".join(rows) + "\n"


def test_big_csv_is_cut_at_record_boundaries(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text(csv_rows(400), encoding="utf-8")
    pieces = parallel.split((str(path), SourceOptions(), frozenset()), 2)
    assert pieces is not None and len(pieces) > 2
    report = same_with_jobs(path)
    findings = report["findings"]
    assert isinstance(findings, list) and len(findings) > 100
    lines = [(f["line"], f["column"]) for f in findings]
    assert lines == sorted(lines)


def test_headerless_tsv_and_txt_with_directives(tmp_path: Path) -> None:
    tsv = tmp_path / "big.tsv"
    tsv.write_text("".join(f"{REPLIES[i % 5]}\n" for i in range(300)), encoding="utf-8")
    txt = tmp_path / "big.txt"
    lines = []
    for i in range(300):
        if i % 4 == 0:
            lines.append("# replycoach: disable=absolute-promise")
        lines.append(REPLIES[i % 5])
    txt.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = same_with_jobs(tsv, txt)
    findings = report["findings"]
    assert isinstance(findings, list)
    assert {f["path"] for f in findings} == {str(tsv), str(txt)}
    silenced = [f for f in findings if f["path"] == str(txt) and f["rule"] == "absolute-promise"]
    assert len(silenced) == 2 * (60 - 15)  # every directive still silences the line after it


def test_a_bad_row_sends_the_file_back_to_a_whole_read(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    text = csv_rows(200).replace("售前,你自己看说明书", '售前,"你自己看说明书', 3)
    path.write_text(text, encoding="utf-8")
    code, _ = run("--jobs", "2", str(path))
    assert code == 2  # the unbalanced quote is reported, as on one process
    same_with_jobs(path)


def test_other_encodings_and_many_small_files(tmp_path: Path) -> None:
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes(csv_rows(200).encode("gb18030"))
    assert parallel.split((str(gbk), SourceOptions(), frozenset()), 2) is not None
    small = []
    for k in range(5):
        p = tmp_path / f"s{k}.txt"
        p.write_text(REPLIES[k] + "\n", encoding="utf-8")
        small.append(p)
    report = same_with_jobs(gbk, *small)
    assert report["replies"] == 205


def test_a_file_changed_after_it_was_cut_is_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from replycoach import Engine

    path = tmp_path / "big.csv"
    path.write_text(csv_rows(200), encoding="utf-8")
    pieces = parallel.split((str(path), SourceOptions(), frozenset()), 2)
    assert pieces is not None
    monkeypatch.setattr(parallel, "_WORKER", Engine.default())
    assert parallel._check_piece(pieces[1]) is not None
    path.write_text(csv_rows(201), encoding="utf-8")  # another size: the cut no longer holds
    assert parallel._check_piece(pieces[1]) is None


@pytest.mark.parametrize("block", [1, 5, 64, 1 << 16])
def test_a_file_is_cut_where_the_whole_file_in_memory_would_be(
    block: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``split`` reads a file a block at a time (it may be gigabytes): same cuts, same head
    and line counts as reading it whole."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    monkeypatch.setattr(parallel, "_BLOCK", block)
    path = tmp_path / "f.bin"
    parts = st.sampled_from(['"', "\n", "\r\n", "a,b", "你好", "# c", "# replycoach: disable=x"])

    @settings(max_examples=120, deadline=None)
    @given(st.lists(parts, min_size=1, max_size=60), st.integers(2, 9))
    def same(chunks: list[str], pieces: int) -> None:
        data = "".join(chunks).encode("utf-8")
        path.write_bytes(data)
        with path.open("rb") as handle:
            file = parallel._File(handle, len(data))
            for kind in ("csv", "text", "tsv"):
                offsets = parallel._cut_file(file, kind, pieces)
                assert offsets == _reference_cut(data, kind, pieces)
            assert parallel._first_record_end_in(file) == _reference_first_record_end(data)
            for at in range(len(data) + 1):
                assert file.count_before(b"\n", at) == data.count(b"\n", 0, at)
                assert file.count_before(b'"', at) == data.count(b'"', 0, at)

    same()


def test_jobs_auto_starts_a_process_per_share_of_input_up_to_the_cores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from replycoach import cli

    share = cli.AUTO_BYTES
    small, big = tmp_path / "small.txt", tmp_path / "big.txt"
    small.write_bytes(b"x\n" * (share // 4))
    big.write_bytes(b"x\n" * (share * 3 // 2))
    monkeypatch.setattr(cli, "_cores", lambda: 4)
    monkeypatch.setattr(cli, "_busy_cores", lambda: 0.2)
    assert cli._workers(None, [str(small)]) == 1
    assert cli._workers(None, [str(small), str(tmp_path / "missing.txt")]) == 1
    assert cli._workers(None, [str(big)]) == 3
    assert cli._workers(None, [str(big), str(big)]) == 4
    assert cli._workers(2, [str(small)]) == 2 and cli._workers(0, []) == 4
    monkeypatch.setattr(cli, "_busy_cores", lambda: 2.6)  # busy: one core idle
    assert cli._workers(None, [str(big), str(big)]) == 1
    monkeypatch.setattr(cli, "_busy_cores", lambda: 1.4)
    assert cli._workers(None, [str(big), str(big)]) == 3
    monkeypatch.setattr(cli, "_cores", lambda: 1)
    assert cli._workers(None, [str(big), str(big)]) == 1


# The cut of a file read whole: the reference the block-by-block cut is tested against.


def _reference_cut(data: bytes, kind: str, pieces: int) -> list[int]:
    """Offsets where ``data`` may be cut into about ``pieces`` parts (0 and len included)."""
    cuts = [0]
    size = len(data)
    quotes = 0  # quotes in data[:at]
    at = 0
    for k in range(1, pieces):
        target = max(size * k // pieces, cuts[-1] + 1)
        while True:
            nl = data.find(b"\n", target)
            if nl == -1 or nl + 1 >= size:
                return [*cuts, size]
            point = nl + 1
            if kind == "csv":
                quotes += data.count(b'"', at, point)
                at = point
                if quotes % 2:
                    target = point
                    continue
            elif kind == "text":
                previous = data[data.rfind(b"\n", 0, nl) + 1 : nl]
                if parallel._is_comment(previous):
                    target = point
                    continue
            break
        if point > cuts[-1]:
            cuts.append(point)
    return [*cuts, size]


def _reference_first_record_end(data: bytes) -> int:
    """Where the first CSV record ends (after its line end): the first line end with an
    even number of quotes before it."""
    at = 0
    while True:
        nl = data.find(b"\n", at)
        if nl == -1:
            return len(data)
        if data.count(b'"', 0, nl) % 2 == 0:
            return nl + 1
        at = nl + 1


def test_busy_cores_are_the_processes_runnable_now_at_most_the_load(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from replycoach import cli

    busy = cli._busy_cores()
    assert isinstance(busy, (int, float)) and busy >= 0
    real_open = open
    loadavg = {"text": b"0.10 0.20 0.30 3/120 4567\n"}

    def fake_proc(path: object, *args: object, **kwargs: object) -> object:
        if path == "/proc/loadavg":
            if loadavg["text"] is None:
                raise FileNotFoundError(path)
            return io.BytesIO(loadavg["text"])
        return real_open(path, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr("builtins.open", fake_proc)
    monkeypatch.setattr(os, "getloadavg", lambda: (1.5, 1.0, 1.0))
    assert cli._busy_cores() == 1.5  # 2 others runnable now, the load average is lower
    loadavg["text"] = b"1.90 1.20 0.30 1/120 4567\n"
    assert cli._busy_cores() == 0  # the average still counts what just ended: idle now
    loadavg["text"] = None
    assert cli._busy_cores() == 1.5  # no /proc: the load average
    monkeypatch.delattr(os, "getloadavg")
    assert cli._busy_cores() == 0.0  # nothing known: idle


def _jobs_of(*paths: Path) -> list[tuple[str, SourceOptions, frozenset[str]]]:
    return [(str(p), SourceOptions(), frozenset()) for p in paths]


def _summary(results: Sequence[FileResult]) -> list[tuple[str, int, list[tuple[int, int, str]]]]:
    return [
        (r.path, r.entries, [(f.entry.line, f.finding.start, f.finding.rule) for f in r.findings])
        for r in results
    ]


def _files(tmp_path: Path) -> list[Path]:
    big = tmp_path / "big.txt"
    big.write_text("".join(f"{REPLIES[i % 5]}\n" for i in range(120)), encoding="utf-8")
    small = []
    for k in range(4):
        p = tmp_path / f"s{k}.txt"
        p.write_text(REPLIES[k] + "\n" + REPLIES[k + 1] + "\n", encoding="utf-8")
        small.append(p)
    return [small[0], big, *small[1:]]


def _alone(tmp_path: Path) -> list[tuple[str, int, list[tuple[int, int, str]]]]:
    from replycoach import Engine
    from replycoach.report import check_file

    return _summary([check_file(Engine.default(), *job) for job in _jobs_of(*_files(tmp_path))])


@pytest.mark.parametrize("how", ["dies", "raises"])
def test_what_a_helper_does_not_report_is_checked_by_this_process(
    how: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A helper that dies (killed, out of memory) or fails on a unit changes nothing: the
    units it did not report are checked here, the same findings in the same order."""
    from replycoach import Engine

    expected = _alone(tmp_path)
    parent = os.getpid()
    check_unit = parallel._check_unit

    def flaky(unit: parallel.Job | parallel.Piece) -> FileResult | None:
        if os.getpid() != parent:
            if how == "dies":
                os._exit(9)
            raise RuntimeError("a helper's failure")
        return check_unit(unit)

    monkeypatch.setattr(parallel, "_check_unit", flaky)
    jobs = _jobs_of(*_files(tmp_path))
    got = list(parallel.check_files(Engine.default(), jobs, 3))
    assert _summary(got) == expected
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)  # every helper was waited for


def test_stopping_early_ends_the_helpers(tmp_path: Path) -> None:
    from replycoach import Engine

    jobs = _jobs_of(*_files(tmp_path))
    results = parallel.check_files(Engine.default(), jobs, 3)
    first = next(results)
    assert first.path == jobs[0][0]
    results.close()  # the caller stops reading: the helpers are ended and waited for
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)


def test_helpers_report_what_one_process_would(tmp_path: Path) -> None:
    from replycoach import Engine

    jobs = _jobs_of(*_files(tmp_path))
    for workers in (2, 3, 8):
        seen: list[str] = []

        def progress(result: FileResult, seen: list[str] = seen) -> None:
            seen.append(result.path)

        got = list(parallel.check_files(Engine.default(), jobs, workers, progress))
        assert _summary(got) == _alone(tmp_path)
        assert seen == [j[0] for j in jobs]  # progress in input order too


def test_no_helper_can_be_forked_and_this_process_does_the_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from replycoach import Engine

    def refused() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", refused)
    jobs = _jobs_of(*_files(tmp_path))
    assert _summary(list(parallel.check_files(Engine.default(), jobs, 4))) == _alone(tmp_path)


def _children(pid: int) -> list[str]:
    """The processes whose parent is ``pid`` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # ended meanwhile
        if fields[1] == str(pid):
            found.append(stat.parent.name)
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_ctrl_c_ends_the_run_with_130_one_line_and_no_helper_left(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys
    import time

    big = tmp_path / "big.txt"
    big.write_text("".join(f"{REPLIES[i % 5]}，第{i}条\n" for i in range(300_000)), "utf-8")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    argv = ["check", "-q", "--no-config", "--jobs", "2", "--fail-on", "never", str(big)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "replycoach.cli", *argv],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    children: list[str] = []
    deadline = time.monotonic() + 60
    while not children and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)  # until the helper is forked: the engine is loaded, the run is on
        children = _children(proc.pid)
    assert children, "the run ended before a helper was seen"
    proc.send_signal(signal.SIGINT)  # this process only: it ends its helper itself
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == "replycoach: interrupted" and "Traceback" not in err
    for child in children:  # ended and waited for by the run, not left running on its own
        assert not Path(f"/proc/{child}").exists()
