"""The local service: JSON API, LanguageTool compatibility (with a real LanguageTool client),
stdio mode, bad input, token, CORS, reload on SIGHUP."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

import httpx
from fastapi.testclient import TestClient

from replycoach import Engine
from replycoach.service import Service
from replycoach.service.http import create_app

from .conftest import ROOT, free_port, running_server, wait_until_up

LOCAL = "http://127.0.0.1:8765"  # a Host name the service answers for


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(Service(Engine.default)), base_url=LOCAL)


@pytest.fixture(scope="module")
def live_url() -> Iterator[str]:
    """A real uvicorn server in a thread, on a free loopback port."""
    with running_server(create_app(Service(Engine.default))) as url:
        yield url


# ------------------------------------------------------------------------------- JSON API


def test_check_fix_batch_rules_health(client: TestClient) -> None:
    body = client.post("/v1/check", json={"text": "我保证明天一定发货，你放心"}).json()
    found = {(f["rule"], f["start"], f["end"], f["excerpt"]) for f in body["findings"]}
    assert ("absolute-promise", 1, 3, "保证") in found and ("honorific-you", 10, 11, "你") in found
    assert set(body["findings"][0]) == {
        "rule",
        "severity",
        "start",
        "end",
        "excerpt",
        "message",
        "suggestions",
        "fixable",
    }

    first = client.post("/v1/check", json={"text": "已经发货了", "position": "first"}).json()
    assert [f["rule"] for f in first["findings"]] == ["missing-greeting"]
    only = client.post("/v1/check", json={"text": "我保证", "rules": ["honorific-you"]}).json()
    assert only["findings"] == []

    fixed = client.post("/v1/fix", json={"text": "你好，你的快递到了"}).json()
    assert fixed == {"text": "您好，您的快递到了", "changed": True, "findings": []}

    items = [{"text": "你好"}, {"text": "您好"}, {"text": "好的", "position": "last"}]
    results = client.post("/v1/check/batch", json={"items": items}).json()["results"]
    assert [[f["rule"] for f in r["findings"]] for r in results] == [
        ["honorific-you"],
        [],
        ["missing-closing"],
    ]

    rules = client.get("/v1/rules").json()
    assert {r["id"] for r in rules} >= {"absolute-promise", "privacy-leak"}
    health = client.get("/healthz").json()
    assert health["status"] == "ok" and health["rules"] == 14


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"content": b"{not json"}, 400, "invalid_json"),
        ({"content": '{"text": "你好"}'.encode("gbk")}, 400, None),
        ({"json": {"text": 3}}, 422, "invalid_request"),
        ({"json": {}}, 422, "invalid_request"),
        ({"json": {"text": "x", "position": "sideways"}}, 422, "invalid_request"),
        ({"json": {"text": "x", "extra": 1}}, 422, "invalid_request"),
        ({"json": {"text": "x", "rules": ["no-such-rule"]}}, 400, "unknown_rule"),
        ({"content": b'{"text": "' + b"a" * 70_000 + b'"}'}, 413, "body_too_large"),
    ],
)
def test_bad_requests_get_a_json_4xx_and_the_server_keeps_serving(
    client: TestClient, kwargs: dict[str, object], status: int, code: str | None
) -> None:
    headers = {"content-type": "application/json"}
    response = client.post("/v1/check", headers=headers, **kwargs)  # type: ignore[arg-type]
    assert response.status_code == status
    error = response.json()["error"]
    assert error["message"]
    if code:
        assert error["code"] == code
    assert client.post("/v1/check", json={"text": "你好"}).status_code == 200


def test_batch_limit_and_unknown_paths(client: TestClient) -> None:
    too_many = {"items": [{"text": "你"}] * 1001}
    response = client.post("/v1/check/batch", json=too_many)
    assert response.status_code == 413 and response.json()["error"]["code"] == "batch_too_large"
    assert client.get("/v1/nope").json()["error"]["code"] == "not_found"
    assert client.get("/v1/check").status_code == 405


def test_streamed_body_over_the_limit(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"text": "'
        for _ in range(100):
            yield b"a" * 1000
        yield b'"}'

    response = client.post(
        "/v1/check", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


def test_token_and_cors() -> None:
    app = create_app(
        Service(Engine.default), token="s3cret", cors_origins=["chrome-extension://abc"]
    )
    c = TestClient(app, base_url=LOCAL)
    assert c.post("/v1/check", json={"text": "你好"}).status_code == 401
    ok = c.post("/v1/check", json={"text": "你好"}, headers={"Authorization": "Bearer s3cret"})
    assert ok.status_code == 200
    assert c.get("/").status_code == 200 and c.get("/healthz").status_code == 200
    pre = c.options(
        "/v1/check",
        headers={"Origin": "chrome-extension://abc", "Access-Control-Request-Method": "POST"},
    )
    assert pre.headers["access-control-allow-origin"] == "chrome-extension://abc"
    plain = TestClient(create_app(Service(Engine.default)), base_url=LOCAL)
    r = plain.post("/v1/check", json={"text": "你好"}, headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers


def test_binding_beyond_loopback_needs_a_token() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "replycoach.cli", "serve", "--host", "0.0.0.0", "--port", "1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and "--token" in proc.stderr


# -------------------------------------------------------------------- LanguageTool compatible


def test_languagetool_shape_and_utf16_offsets(client: TestClient) -> None:
    text = "🙂🙂亲，我保证你满意"
    answer = client.post(
        "/v2/check",
        data={
            "text": text,
            "language": "zh-CN",
            "mode": "all",
            "level": "picky",
            "motherTongue": "en",
            "preferredVariants": "zh-CN",
            "enabledOnly": "false",
        },
    ).json()
    assert answer["software"]["name"] == "replycoach"
    assert answer["language"]["code"] == "zh-CN"
    match = next(m for m in answer["matches"] if m["rule"]["id"] == "absolute-promise")
    # two emoji are four UTF-16 code units: 保证 starts at code point 5, UTF-16 offset 7
    assert (match["offset"], match["length"]) == (7, 2)
    assert match["replacements"][0] == {"value": "尽量"}
    assert set(match["rule"]) == {"id", "description", "issueType", "category"}
    assert set(match["context"]) == {"text", "offset", "length"} and match["sentence"]
    for language in ("zh-TW", "zh", "auto"):
        assert (
            client.post("/v2/check", data={"text": "你好", "language": language}).status_code == 200
        )
    only = client.post(
        "/v2/check",
        data={
            "text": "我保证你满意",
            "language": "zh-CN",
            "enabledRules": "honorific-you",
            "enabledOnly": "true",
        },
    )
    assert [m["rule"]["id"] for m in only.json()["matches"]] == ["honorific-you"]
    off = client.post(
        "/v2/check",
        data={
            "text": "我保证你满意",
            "language": "zh-CN",
            "disabledRules": "honorific-you,UPPERCASE_SENTENCE_START",
        },
    )
    assert "honorific-you" not in [m["rule"]["id"] for m in off.json()["matches"]]
    assert client.get("/v2/languages").json()[0]["longCode"] == "zh-CN"


def test_real_languagetool_client_against_our_server(live_url: str) -> None:
    """language-tool-python, a client nobody here wrote, used unchanged with remote_server."""
    language_tool_python = pytest.importorskip("language_tool_python")
    tool = language_tool_python.LanguageTool("zh-CN", remote_server=live_url)
    text = "😀亲，我保证明天发货，你放心🙂"
    matches = tool.check(text)
    by_rule = {m.rule_id: m for m in matches}
    assert set(by_rule) >= {"absolute-promise", "honorific-you"}
    promise = by_rule["absolute-promise"]
    # the client turns our UTF-16 offsets back into Python's code points
    assert text[promise.offset : promise.offset + promise.error_length] == "保证"
    you = by_rule["honorific-you"]
    assert text[you.offset : you.offset + you.error_length] == "你"
    assert you.replacements == ["您"]
    corrected = language_tool_python.utils.correct(text, [you])
    assert corrected == "😀亲，我保证明天发货，您放心🙂"
    tool.close()


# --------------------------------------------------------------------------------- stdio


def test_stdio_mode() -> None:
    lines = [
        {"id": 1, "method": "check", "params": {"text": "你好"}},
        {"id": 2, "method": "fix", "params": {"text": "你好"}},
        "not json",
        {"id": 4, "method": "check", "params": {"text": 5}},
        {"id": 5, "method": "nope"},
        {"id": 6, "method": "batch", "params": {"items": [{"text": "你"}, {"text": "您"}]}},
        {"id": 7, "method": "health"},
    ]
    stdin = (
        "\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines)
        + "\n"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "replycoach.cli", "serve", "--stdio"],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert proc.returncode == 0 and len(out) == 7
    assert out[0]["id"] == 1 and out[0]["result"]["findings"][0]["rule"] == "honorific-you"
    assert out[1]["result"]["text"] == "您好"
    assert out[2]["error"]["code"] == "invalid_json"
    assert out[3] == {
        "id": 4,
        "error": {"code": "invalid_request", "message": "text: Input should be a valid string"},
    }
    assert out[4]["error"]["code"] == "unknown_method"
    assert [len(r["findings"]) for r in out[5]["result"]["results"]] == [1, 0]
    assert out[6]["result"]["status"] == "ok"


# ------------------------------------------------------------------------- reload on SIGHUP

RULE = """rules:
  - id: no-dear
    kind: existence
    severity: info
    message: 不说“{match}”
    words: [WORD]
    source: {file: x, passage: y}
    examples: {flag: [WORD], clean: [亲]}
"""


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="no SIGHUP on this platform")
def test_sighup_reloads_without_dropping_requests(tmp_path: Path) -> None:
    rules = tmp_path / "team.yaml"
    rules.write_text(RULE.replace("WORD", "亲爱哒"), encoding="utf-8")
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "replycoach.cli",
            "serve",
            "--port",
            str(port),
            "--rules",
            str(rules),
            "--no-config",
        ],
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url)

        def rules_of(text: str) -> list[str]:
            r = httpx.post(url + "/v1/check", json={"text": text}, timeout=5)
            assert r.status_code == 200
            return [f["rule"] for f in r.json()["findings"]]

        assert rules_of("亲爱哒") == ["no-dear"]
        failures: list[str] = []
        stop = threading.Event()

        def hammer() -> None:
            with httpx.Client(timeout=5) as c:
                while not stop.is_set():
                    try:
                        if c.post(url + "/v1/check", json={"text": "你好"}).status_code != 200:
                            failures.append("status")
                    except httpx.HTTPError as exc:
                        failures.append(repr(exc))

        thread = threading.Thread(target=hammer)
        thread.start()
        rules.write_text(RULE.replace("WORD", "宝宝"), encoding="utf-8")
        os.kill(proc.pid, signal.SIGHUP)
        deadline = time.time() + 20
        while time.time() < deadline and rules_of("宝宝") != ["no-dear"]:
            time.sleep(0.1)
        assert rules_of("宝宝") == ["no-dear"] and rules_of("亲爱哒") == []

        rules.write_text("rules:\n  - id: broken\n    severity: loud\n", encoding="utf-8")
        os.kill(proc.pid, signal.SIGHUP)
        deadline = time.time() + 20
        while time.time() < deadline and not httpx.get(url + "/healthz").json()["reload_error"]:
            time.sleep(0.1)
        health = httpx.get(url + "/healthz").json()
        assert "team.yaml" in health["reload_error"]
        assert rules_of("宝宝") == ["no-dear"]  # the old rules stay in force
        stop.set()
        thread.join()
        assert failures == []
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            _, err = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
    assert "reload failed, the old rules stay in force" in err
