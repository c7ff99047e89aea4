"""Baselines: keyed by content and rule, so reordering does not resurrect old findings."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from replycoach import Engine
from replycoach.baseline import Baseline
from replycoach.cli import main
from replycoach.report import Located
from replycoach.sources import Entry


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_baseline_hides_old_findings_and_lists_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    lib = tmp_path / "lib.txt"
    lib.write_text("你好\n我保证\n你好\n", encoding="utf-8")
    code, _, err = run("baseline", "lib.txt")
    assert code == 0 and "3 findings accepted (2 distinct)" in err
    stored = json.loads((tmp_path / ".replycoach-baseline.json").read_text(encoding="utf-8"))
    assert "你好" not in json.dumps(stored, ensure_ascii=False)  # hashes, not content
    assert run("check", "lib.txt", "--baseline", ".replycoach-baseline.json")[0] == 0
    lib.write_text("我保证\n\n你好\n你好\n", encoding="utf-8")  # reordered, moved
    assert run("check", "lib.txt", "--baseline", ".replycoach-baseline.json")[0] == 0
    lib.write_text("我保证\n你好\n你好\n你好\n", encoding="utf-8")  # one more 你好
    code, out, _ = run("check", "lib.txt", "--baseline", ".replycoach-baseline.json")
    assert code == 1 and out.count("honorific-you") == 1
    lib.write_text("你好\n", encoding="utf-8")
    code, out, err = run(
        "check", "lib.txt", "--baseline", ".replycoach-baseline.json", "--format", "json"
    )
    data = json.loads(out)
    assert code == 0 and data["findings"] == [] and len(data["stale_baseline"]) == 2
    assert "baseline entry no longer found: absolute-promise" in err


def test_baseline_from_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".replycoach.yaml").write_text("baseline: legacy.json\n", encoding="utf-8")
    (tmp_path / "lib.txt").write_text("你好\n", encoding="utf-8")
    run("baseline", "lib.txt")
    assert (tmp_path / "legacy.json").is_file()
    assert run("check", "lib.txt")[0] == 0


def test_broken_baseline_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "b.json"
    bad.write_text("{", encoding="utf-8")
    (tmp_path / "lib.txt").write_text("你好\n", encoding="utf-8")
    code, _, err = run("check", str(tmp_path / "lib.txt"), "--baseline", str(bad))
    assert code == 2 and "not a replycoach baseline" in err


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from(["你好", "我保证", "您好", "不行", "你保证", "x"]), max_size=12),
    st.randoms(),
)
def test_round_trip_any_order(lines: list[str], rnd: object) -> None:
    engine = Engine.default()

    def located(texts: list[str]) -> list[Located]:
        return [
            Located(Entry("f", i + 1, t), f) for i, t in enumerate(texts) for f in engine.check(t)
        ]

    findings = located(lines)
    baseline = Baseline.loads(Baseline.from_findings(findings).dumps())
    shuffled = list(lines)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    new, stale = baseline.filter(located(shuffled))
    assert new == [] and stale == []
