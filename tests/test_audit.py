"""Conversation audit: transcripts in, findings per message, response times, scorecards."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from replycoach import Engine
from replycoach.audit import audit_all, audit_conversation, business_seconds, load_timing_rules
from replycoach.audit.transcripts import Message, conversations, parse_time, read_messages
from replycoach.cli import main

from .conftest import ROOT, SHARED

EXAMPLE = ROOT / "examples" / "transcripts.jsonl"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def msg(role: str, text: str, t: float | None = None, agent: str | None = "A") -> Message:
    return Message("c1", role, text, t, agent if role == "agent" else None)


def test_positions_context_and_unanswered() -> None:
    convo = [
        msg("customer", "在吗，这款有白色的吗"),
        msg("agent", "没有"),  # first: no greeting; bare 没有 to an item
        msg("customer", "怎么还没发货，我要投诉"),
        msg("agent", "麻烦提供订单号"),  # middle: complaint, no apology
        msg("agent", "好的"),  # last: no closing
        msg("customer", "？？"),  # left unanswered
    ]
    result = audit_conversation(Engine.default(), convo)
    found = [(f.index, f.finding.rule) for f in result.findings]
    assert (1, "missing-greeting") in found and (1, "bare-unavailable") in found
    assert (3, "complaint-without-apology") in found
    assert (4, "missing-closing") in found and (5, "unanswered-customer") in found
    assert result.greeted is False and result.closed is False
    only = audit_conversation(
        Engine.default(), [msg("customer", "在吗"), msg("agent", "您好，在的")]
    )
    assert {f.finding.rule for f in only.findings} == {"missing-closing"}


def test_timing_rules_are_data_and_their_examples_hold() -> None:
    rules = load_timing_rules()
    assert {r.id for r in rules} == {"slow-first-response", "slow-response"}
    for rule in rules:
        for delay in rule.examples.flag:
            assert rule.severity_for(delay) is not None, (rule.id, delay)
        for delay in rule.examples.clean:
            assert rule.severity_for(delay) is None, (rule.id, delay)
    convo = [
        msg("customer", "在吗", 0),
        msg("agent", "您好，在的", 45),
        msg("customer", "有白色的吗", 50),
        msg("agent", "有的亲", 130),
        msg("customer", "好的谢谢", 131),
        msg("agent", "感谢您的咨询，祝您购物愉快", 140),
    ]
    result = audit_conversation(Engine.default(), convo, rules)
    timing = [
        (f.index, f.finding.rule, f.finding.severity.value)
        for f in result.findings
        if f.finding.rule.startswith("slow")
    ]
    assert timing == [(1, "slow-first-response", "warning"), (3, "slow-response", "error")]
    assert [t for _, t in result.response_times] == [45, 80, 9]


def test_business_hours() -> None:
    night = parse_time("2024-06-08T23:59:00+08:00")
    morning = parse_time("2024-06-09T09:00:20+08:00")
    assert night is not None and morning is not None
    assert business_seconds(night, morning, "09:00-23:00") == 20
    assert business_seconds(night, morning, "") == morning - night
    assert parse_time("2024-06-08 18:54:07") == parse_time("2024-06-08T18:54:07+08:00")
    assert parse_time(1717844047000) == 1717844047


def test_readers_and_damaged_lines(tmp_path: Path) -> None:
    jsonl = tmp_path / "t.jsonl"
    jsonl.write_text(
        '{"conversation":"a","role":"customer","text":"在吗"}\n{bad\n'
        '{"conversation":"a","role":"boss","text":"x"}\n'
        '{"conversation":"a","role":"agent","text":"在的","time":"2024-06-08 10:00:00"}\n',
        encoding="utf-8",
    )
    items = list(read_messages(str(jsonl)))
    assert [(type(i).__name__, i.line) for i in items] == [
        ("Message", 1),
        ("InputError", 2),
        ("InputError", 3),
        ("Message", 4),
    ]
    table = tmp_path / "t.csv"
    table.write_text(
        "会话,发送方,内容,时间,客服\na,顾客,在吗,2024-06-08 10:00:00,\n"
        "a,客服,您好,2024-06-08 10:00:09,小美\na,路人,?,,\n",
        encoding="utf-8",
    )
    items = list(read_messages(str(table)))
    assert [(type(i).__name__, i.line) for i in items] == [
        ("Message", 2),
        ("Message", 3),
        ("InputError", 4),
    ]
    assert items[1].agent == "小美" and items[1].time == items[0].time + 9  # type: ignore[union-attr,operator]
    custom = tmp_path / "c.csv"
    custom.write_text("sid,who,msg\n1,0,在吗\n1,1,在的\n", encoding="utf-8")
    items = list(
        read_messages(str(custom), mapping={"conversation": "sid", "role": "who", "text": "msg"})
    )
    assert [i.role for i in items] == ["customer", "agent"]  # type: ignore[union-attr]
    log = tmp_path / "旺旺.txt"
    log.write_text(
        "导出时间 2024\n2024-06-08 18:54:07 买家小王\n在吗\n有白色的吗\n"
        "2024-06-08 18:54:20 客服小美\n您好，在的\n=== 第二个会话 ===\n"
        "2024-06-08 19:00:00 买家小李\n怎么还没发货\n",
        encoding="utf-8",
    )
    items = list(read_messages(str(log), agents=["客服小美"]))
    assert [(type(i).__name__, i.line) for i in items] == [
        ("InputError", 1),
        ("Message", 2),
        ("Message", 5),
        ("Message", 8),
    ]
    messages = [i for i in items if isinstance(i, Message)]
    assert messages[0].text == "在吗\n有白色的吗" and messages[1].role == "agent"
    assert messages[2].conversation == "第二个会话"
    errors: list[object] = []
    assert [len(c) for c in conversations(items, errors)] == [2, 1]  # type: ignore[arg-type]


def test_cli_outputs_and_jobs(tmp_path: Path) -> None:
    cards = tmp_path / "cards.json"
    table = tmp_path / "cards.csv"
    findings = tmp_path / "f.jsonl"
    report = tmp_path / "report.html"
    code, out, err = run(
        "audit",
        str(EXAMPLE),
        "--json",
        str(cards),
        "--csv",
        str(table),
        "--findings",
        str(findings),
        "--html",
        str(report),
    )
    assert code == 1 and "timing measured" in err  # findings at or above fail-on: exit 1
    assert "missing-greeting" in out
    data = json.loads(cards.read_text(encoding="utf-8"))
    assert data["conversations"] == 8 and data["timing"] == "measured"
    assert set(data["agents"]) == {"客服小美", "客服小丽", "客服阿杰"}
    row = data["agents"]["客服小美"]
    assert row["response_seconds_p50"] is not None and 0 <= row["greeting_compliance"] <= 1
    rows = list(csv.DictReader(io.StringIO(table.read_text(encoding="utf-8-sig"))))
    assert {r["scope"] for r in rows} == {"agent", "team", "day"}
    lines = findings.read_text(encoding="utf-8").splitlines()
    assert len(lines) == sum(data["findings_by_rule"].values())
    assert report.read_text(encoding="utf-8").startswith("<!doctype html>")
    two = tmp_path / "two.json"
    run("audit", str(EXAMPLE), "--json", str(two), "--jobs", "2")
    assert json.loads(two.read_text(encoding="utf-8")) == data  # the same result on 2 processes


@pytest.mark.skipif(not (SHARED / "corpus" / "transcripts.jsonl").is_file(), reason="no corpus")
def test_real_transcripts_without_timestamps() -> None:
    errors: list[object] = []
    items = read_messages(str(SHARED / "corpus" / "transcripts.jsonl"))
    audit = audit_all(Engine.default(), conversations(items, errors), load_timing_rules())  # type: ignore[arg-type]
    cards = audit.scorecards()
    assert errors == [] and audit.conversations == 994 and audit.messages == 12136
    assert cards["timing"] == "skipped: the transcripts have no timestamps"
    assert not any(rule.startswith("slow") for rule in cards["findings_by_rule"])
    assert cards["findings_by_rule"]["missing-greeting"] > 0


def test_teams_from_the_transcript_or_the_option(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text(
        '{"conversation":"a","role":"customer","text":"在吗"}\n'
        '{"conversation":"a","role":"agent","agent":"小美","team":"售前","text":"您好，在的"}\n'
        '{"conversation":"b","role":"customer","text":"在吗"}\n'
        '{"conversation":"b","role":"agent","agent":"阿杰","text":"好的"}\n',
        encoding="utf-8",
    )
    cards = tmp_path / "cards.json"
    run("audit", str(path), "--json", str(cards), "--teams", "售后=阿杰;售前=小美,小丽")
    data = json.loads(cards.read_text(encoding="utf-8"))
    assert set(data["teams"]) == {"售前", "售后"}
    assert data["teams"]["售后"]["greeting_compliance"] == 0.0
    assert data["teams"]["售前"]["greeting_compliance"] == 1.0
    assert run("audit", str(path), "--teams", "nonsense")[0] == 2
