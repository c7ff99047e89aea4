"""Context: the customer's message a reply answers, through the API, CLI, files and service."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

import replycoach
from replycoach import Engine, UnknownRuleError
from replycoach.cli import main


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def rules_of(text: str, **kw: str) -> list[str]:
    return [f.rule for f in replycoach.check(text, **kw)]


def test_api_customer_drives_the_context_rules() -> None:
    assert rules_of("没有", customer="这款有金色的吗？") == ["bare-unavailable"]
    assert rules_of("没有") == []  # customer unknown: silent
    assert rules_of("我这里不还价", customer="能便宜点吗") == [
        "blunt-bargain-refusal",
        "flat-refusal",
    ]
    assert "complaint-without-apology" in rules_of(
        "麻烦发下订单号", customer="怎么还没到，我要投诉"
    )
    assert rules_of("非常抱歉，麻烦发下订单号", customer="怎么还没到，我要投诉") == []


def test_cli_customer_option_and_customer_column(tmp_path: Path) -> None:
    code, out, _ = run("check", "--text", "没有", "--customer", "有白色的吗", "--format", "json")
    assert code == 1
    assert [f["rule"] for f in json.loads(out)["findings"]] == ["bare-unavailable"]
    path = tmp_path / "pairs.csv"
    path.write_text("顾客问题,话术\n有白色的吗,没有\n你好,您好\n", encoding="utf-8")
    _, out, _ = run("check", str(path), "--format", "json")
    found = json.loads(out)["findings"]
    assert [(f["line"], f["rule"]) for f in found] == [(2, "bare-unavailable")]
    path.write_text("q,a\n有白色的吗,没有\n", encoding="utf-8")
    _, out, _ = run(
        "check", str(path), "--column", "a", "--customer-column", "q", "--format", "json"
    )
    assert [f["rule"] for f in json.loads(out)["findings"]] == ["bare-unavailable"]
    jsonl = tmp_path / "pairs.jsonl"
    jsonl.write_text('{"customer": "能便宜点吗", "reply": "不议价"}\n', encoding="utf-8")
    _, out, _ = run("check", str(jsonl), "--format", "json")
    assert {f["rule"] for f in json.loads(out)["findings"]} == {
        "blunt-bargain-refusal",
        "flat-refusal",
    }


def test_packs_and_rule_options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = "亲，加我微信吧"
    assert "off-platform-contact" not in rules_of(text)
    code, out, _ = run("check", "--text", text, "--pack", "compliance", "--format", "json")
    assert "off-platform-contact" in [f["rule"] for f in json.loads(out)["findings"]]
    with pytest.raises(UnknownRuleError):
        Engine.default().configure(packs=["nope"])
    long = "您好这款商品是我们店里卖得最好的款式之一无论是面料还是做工都非常讲究适合各种场合穿着"
    assert "long-sentence" in rules_of(long)
    relaxed = Engine.from_paths(options={"long-sentence": {"max": 80}})
    assert "long-sentence" not in [f.rule for f in relaxed.check(long)]
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".replycoach.yaml").write_text(
        "packs: [compliance]\nrule-options: {long-sentence: {max: 80}}\n", encoding="utf-8"
    )
    code, out, _ = run("check", "--text", text, "--text", long, "--format", "json")
    found = {f["rule"] for f in json.loads(out)["findings"]}
    assert "off-platform-contact" in found and "long-sentence" not in found
    (tmp_path / ".replycoach.yaml").write_text(
        "rule-options: {long-sentence: {max: one}}\n", encoding="utf-8"
    )
    code, _, err = run("check", "--text", long)
    assert code == 2 and ".replycoach.yaml:1: key 'rule-options.long-sentence': max" in err


def test_service_and_stdio_take_the_customer() -> None:
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from replycoach.service import Service
    from replycoach.service.http import create_app

    client = TestClient(create_app(Service(Engine.default)), base_url="http://127.0.0.1:8765")
    body = client.post("/v1/check", json={"text": "没有", "customer": "有白色的吗"}).json()
    assert [f["rule"] for f in body["findings"]] == ["bare-unavailable"]
    batch = client.post(
        "/v1/check/batch",
        json={"items": [{"text": "没有", "customer": "有白色的吗"}, {"text": "没有"}]},
    ).json()
    assert [len(r["findings"]) for r in batch["results"]] == [1, 0]
