"""Issue 12: no input can freeze, flood or fool the service. Each test names the point of
the issue it covers; each failed before the fix."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

pytest.importorskip("fastapi")

import httpx
from fastapi.testclient import TestClient

from replycoach import Engine
from replycoach.service import Service
from replycoach.service.guard import bind
from replycoach.service.http import create_app, is_loopback, uvicorn_config

from .conftest import ROOT

LOCAL = "http://127.0.0.1:8765"


@contextmanager
def served(app: Any, **limits: Any) -> Iterator[tuple[str, int]]:
    """``app`` on uvicorn exactly as ``replycoach serve`` runs it (guarded protocol and
    limits), on a free loopback port, in a thread. Yields (url, port)."""
    import uvicorn

    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn_config(app, **limits))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            httpx.get(url + "/healthz", timeout=1)
            break
        except httpx.TransportError:
            time.sleep(0.05)
    try:
        yield url, port
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def raw(port: int, data: bytes, *, timeout: float = 10) -> tuple[int, dict[str, Any], bytes]:
    """Send raw bytes, read the answer: (status, JSON body or {}, raw answer)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        try:
            s.sendall(data)
        except OSError:
            pass  # the server may answer and close before it has read everything
        answer = b""
        while True:
            try:
                chunk = s.recv(65536)
            except OSError:
                break
            if not chunk:
                break
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1]) if head.startswith(b"HTTP/") else 0
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = {}
    return status, parsed, answer


@pytest.fixture(scope="module")
def app() -> Any:
    return create_app(Service(Engine.default))


@pytest.fixture(scope="module")
def live(app: Any) -> Iterator[tuple[str, int]]:
    with served(app) as where:
        yield where


# ------------------------------------------- 1. the bind check, from the bound address


def test_every_interface_is_not_loopback() -> None:
    assert not is_loopback("") and not is_loopback("0.0.0.0") and not is_loopback("::")
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    sock = bind("", 0)
    try:
        assert sock.getsockname()[0] in ("0.0.0.0", "::")
    finally:
        sock.close()


@pytest.mark.parametrize("host", ["", "0.0.0.0"])
def test_serve_on_every_interface_needs_a_token(host: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "replycoach.cli", "serve", "--host", host, "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert proc.returncode == 2 and "--token" in proc.stderr
    assert "Traceback" not in proc.stderr


# ------------------------------------------------------------------ 2. DNS rebinding, cross-site


@pytest.mark.parametrize(
    ("host", "status"),
    [
        ("127.0.0.1:8765", 200),
        ("localhost:8765", 200),
        ("localhost", 200),
        ("[::1]:8765", 200),
        ("LOCALHOST.:8765", 200),
        ("evil.example", 421),
        ("evil.example:8765", 421),
        ("127.0.0.1.evil.example", 421),
    ],
)
def test_only_the_bound_host_names_are_served(app: Any, host: str, status: int) -> None:
    c = TestClient(app, base_url=LOCAL)
    r = c.post("/v1/check", json={"text": "你好"}, headers={"Host": host})
    assert r.status_code == status
    if status != 200:
        assert r.json()["error"]["code"] == "host_not_allowed"
    assert c.get("/healthz", headers={"Host": "evil.example"}).status_code == 421


def test_configured_host_names_are_served() -> None:
    c = TestClient(
        create_app(Service(Engine.default), hosts=["localhost", "replycoach.lan"]),
        base_url=LOCAL,
    )
    assert c.get("/healthz", headers={"Host": "replycoach.lan:8765"}).status_code == 200
    assert c.get("/healthz", headers={"Host": "127.0.0.1"}).status_code == 421


def test_cross_site_form_post_is_refused(app: Any) -> None:
    c = TestClient(app, base_url=LOCAL)
    # a page elsewhere posting a form (no preflight needed) to /v2/check
    r = c.post(
        "/v2/check",
        data={"text": "你好", "language": "zh-CN"},
        headers={"Origin": "https://evil.example"},
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "origin_not_allowed"
    r = c.post("/v1/check", json={"text": "你好"}, headers={"Origin": "null"})
    assert r.status_code == 403
    # the service's own page (the demo) is the same origin
    same = c.post("/v1/check", json={"text": "你好"}, headers={"Origin": LOCAL})
    assert same.status_code == 200
    # clients that send no Origin (LanguageTool clients, curl) are served
    assert c.post("/v2/check", data={"text": "你好", "language": "zh-CN"}).status_code == 200


def test_configured_extension_origin_works() -> None:
    origin = "chrome-extension://abcdefghijklmnopabcdefghijklmnop"
    c = TestClient(create_app(Service(Engine.default), cors_origins=[origin]), base_url=LOCAL)
    pre = c.options(
        "/v2/check",
        headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
    )
    assert pre.status_code == 200 and pre.headers["access-control-allow-origin"] == origin
    r = c.post("/v2/check", data={"text": "你好", "language": "zh-CN"}, headers={"Origin": origin})
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == origin
    assert r.json()["matches"][0]["rule"]["id"] == "honorific-you"
    other = c.post("/v1/check", json={"text": "你"}, headers={"Origin": "chrome-extension://x"})
    assert other.status_code == 403


def test_serve_allow_host_and_cors_options_reach_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    from replycoach import cli
    from replycoach.service import http

    seen: dict[str, Any] = {}

    def fake_serve(service: Service, **kwargs: Any) -> int:
        seen.update(kwargs)
        return 0

    monkeypatch.setattr(http, "serve", fake_serve)
    argv = ["serve", "--allow-host", "box.lan", "--cors-origin", "chrome-extension://e"]
    assert cli.main([*argv, "--no-config"]) == 0
    assert seen["allow_hosts"] == ["box.lan"] and seen["cors_origins"] == ["chrome-extension://e"]


# --------------------------------------------------------- 3. one request must not freeze it


def test_long_reply_does_not_block_healthz(live: tuple[str, int]) -> None:
    url, _ = live
    took: dict[str, float] = {}

    def long_check() -> None:
        started = time.perf_counter()
        r = httpx.post(url + "/v1/check", json={"text": "滚" * 20_000}, timeout=60)
        took["check"] = time.perf_counter() - started
        assert r.status_code == 200

    thread = threading.Thread(target=long_check)
    thread.start()
    health = []
    while thread.is_alive():
        started = time.perf_counter()
        assert httpx.get(url + "/healthz", timeout=10).status_code == 200
        health.append(time.perf_counter() - started)
        time.sleep(0.01)
    thread.join()
    assert took["check"] < 3  # was 82 s
    assert max(health, default=0) < 1


def test_every_endpoint_has_the_same_caps(app: Any) -> None:
    c = TestClient(app, base_url=LOCAL)

    def form(text: str) -> dict[str, Any]:  # multipart: UTF-8 as is, under the body limit
        return {"files": {"text": (None, text), "language": (None, "zh-CN")}}

    # /v2/check had no length cap (21,500 characters: 98 s)
    r = c.post("/v2/check", **form("滚" * 20_001))
    assert r.status_code == 413 and r.json()["error"]["code"] == "text_too_long"
    body = json.dumps({"text": "滚" * 20_001}, ensure_ascii=False).encode()
    r = c.post("/v1/check", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422
    started = time.perf_counter()
    r = c.post("/v2/check", **form("你" * 20_000))
    matches = r.json()["matches"]
    assert sum(m["rule"]["id"] == "honorific-you" for m in matches) == 20_000
    assert time.perf_counter() - started < 5


def test_a_request_over_its_budget_gets_503_and_the_server_goes_on() -> None:
    service = Service(Engine.default)
    slow_check = service.check

    def slow(request: Any) -> Any:
        if request.text == "slow":
            time.sleep(1)
        return slow_check(request)

    service.check = slow  # type: ignore[method-assign]
    c = TestClient(create_app(service, budget=0.2), base_url=LOCAL)
    r = c.post("/v1/check", json={"text": "slow"})
    assert r.status_code == 503 and r.json()["error"]["code"] == "timeout"
    assert c.post("/v1/check", json={"text": "你"}).status_code == 200


def test_fixes_are_applied_in_one_pass() -> None:
    """apply_fixes rebuilt the whole text for every fix: quadratic (300,000 x 你: 14 s)."""
    from replycoach import check
    from replycoach.fixes import apply_fixes

    text = "你" * 100_000
    findings = check(text)
    started = time.perf_counter()
    assert apply_fixes(text, findings) == "您" * 100_000
    assert time.perf_counter() - started < 2


# ------------------------------------------------------------ 4. request head, body, slowness


def test_huge_header_is_refused_before_it_is_read(live: tuple[str, int]) -> None:
    _, port = live
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ")
        chunk = b"a" * 65536
        try:
            while sent < 100 * 1024 * 1024:
                s.sendall(chunk)
                sent += len(chunk)
        except OSError:
            pass  # the server answered and closed
        answer = s.recv(65536)
    assert answer.startswith(b"HTTP/1.1 431")
    assert json.loads(answer.partition(b"\r\n\r\n")[2])["error"]["code"] == "headers_too_large"
    assert sent < 100 * 1024 * 1024


def test_long_url_and_bad_content_length_get_json_errors(live: tuple[str, int]) -> None:
    _, port = live
    status, body, _ = raw(port, b"GET /v2/check?text=" + b"a" * 100_000 + b" HTTP/1.1\r\n\r\n")
    assert status == 414 and body["error"]["code"] == "uri_too_long"
    for length in (b"abc", b"-1", b"9" * 5000, b"1, 2"):
        request = (
            b"POST /v1/check HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: " + length + b"\r\n\r\n{}"
        )
        status, body, _ = raw(port, request)
        assert (status, body["error"]["code"]) in {(400, "bad_request"), (413, "body_too_large")}


def test_slow_client_is_cut_off() -> None:
    with served(create_app(Service(Engine.default)), read_timeout=0.5) as (url, port):
        started = time.perf_counter()
        status, body, _ = raw(port, b"POST /v1/check HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        assert status == 408 and body["error"]["code"] == "request_timeout"
        assert time.perf_counter() - started < 5
        # a body that never comes: the connection is closed
        started = time.perf_counter()
        status, _, _ = raw(
            port,
            b"POST /v1/check HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100\r\n\r\n{",
        )
        assert status != 200 and time.perf_counter() - started < 5
        assert httpx.get(url + "/healthz").status_code == 200


# ---------------------------------------------------------------------- 7. the rest of the edges


@pytest.mark.parametrize(
    "data",
    [
        "not json",
        "[]",
        '{"annotation": 5}',
        '{"annotation": [5]}',
        '{"annotation": [{"text": 5}]}',
        '{"annotation": [{"markup": "<b>", "interpretAs": ["x"]}]}',
        '{"annotation": [{}]}',
        '{"annotation": [null]}',
        "[" * 100_000,
    ],
)
def test_malformed_annotation_is_a_400(app: Any, data: str) -> None:
    c = TestClient(app, base_url=LOCAL)
    r = c.post("/v2/check", data={"data": data, "language": "zh-CN"})
    assert r.status_code in (400, 413)
    assert r.json()["error"]["code"] in ("invalid_request", "body_too_large")


def test_annotation_offsets_still_map_back(app: Any) -> None:
    c = TestClient(app, base_url=LOCAL)
    data = {
        "annotation": [
            {"markup": "<p>"},
            {"text": "你好"},
            {"markup": "<br/>", "interpretAs": "\n"},
            {"text": "你"},
        ]
    }
    r = c.post("/v2/check", data={"data": json.dumps(data), "language": "zh-CN"})
    offsets = [m["offset"] for m in r.json()["matches"]]
    assert offsets == [3, 10]


def test_healthz_hides_reload_details_without_the_token(tmp_path: Any) -> None:
    service = Service(Engine.default)
    service.reload_error = "/srv/team/secret-rules.yaml:3: rules[0].severity: 'loud' ..."
    c = TestClient(create_app(service, token="s3cret"), base_url=LOCAL)
    anonymous = c.get("/healthz").json()["reload_error"]
    assert anonymous and "secret-rules" not in anonymous
    authorized = c.get("/healthz", headers={"Authorization": "Bearer s3cret"}).json()
    assert "secret-rules" in authorized["reload_error"]
    # a wrong token of the same length is refused like any other
    assert (
        c.post(
            "/v1/check", json={"text": "x"}, headers={"Authorization": "Bearer s3creT"}
        ).status_code
        == 401
    )


def test_token_is_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    import hmac

    calls = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    c = TestClient(create_app(Service(Engine.default), token="s3cret"), base_url=LOCAL)
    c.post("/v1/check", json={"text": "x"}, headers={"Authorization": "Bearer guess"})
    assert (b"Bearer guess", b"Bearer s3cret") in calls


def test_languagetool_answer_stays_small(app: Any) -> None:
    """One 20,000-character sentence with 20,000 findings made a 1.2 GB answer."""
    c = TestClient(app, base_url=LOCAL)
    r = c.post("/v2/check", files={"text": (None, "你" * 20_000), "language": (None, "zh-CN")})
    assert r.status_code == 200 and len(r.content) < 60_000_000  # was 1.2 GB
    sentence = r.json()["matches"][10_000]["sentence"]
    assert "你" in sentence and len(sentence) <= 201


# -------------------------------------------------------------------------------- 7. stdio


def test_stdio_answers_hostile_lines_and_goes_on(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from replycoach.service import stdio

    monkeypatch.setattr(stdio, "MAX_LINE", 50_000)
    good = '{"id": 9, "method": "check", "params": {"text": "你"}}'
    lines = [
        "[" * 100_000,  # RecursionError in json.loads, and over the line limit
        "[" * 40_000,  # under the limit: RecursionError
        '{"id": ' + "1" * 5_000 + ', "method": "health"}',  # int() digit limit
        '{"id": NaN, "method": "health"}',
        '{"id": 1e400, "method": "health"}',
        '{"id": Infinity, "method": "health"}',
        '{"id": {"x": 1}, "method": "health"}',
        '{"id": true, "method": "health"}',
        '{"id": "a", "method": "check", "params": {"text": "x", "position": NaN}}',
        good,
    ]
    out = io.StringIO()
    assert stdio.run(Service(Engine.default), io.StringIO("\n".join(lines) + "\n"), out) == 0

    def strict(name: str) -> Any:
        raise AssertionError(f"{name} echoed")

    # every answer is standard JSON: no NaN or Infinity echoed
    answers = [json.loads(line, parse_constant=strict) for line in out.getvalue().splitlines()]
    assert len(answers) == len(lines)
    codes = [a.get("error", {}).get("code") for a in answers]
    assert codes[:9] == ["line_too_long"] + ["invalid_json"] * 5 + ["invalid_request"] * 2 + [
        "invalid_json"
    ]
    assert all(a["id"] is None for a in answers[:9])
    assert (
        answers[9]
        == {
            "id": 9,
            "result": {"findings": answers[9]["result"]["findings"]},
        }
        and answers[9]["result"]["findings"][0]["rule"] == "honorific-you"
    )


def test_stdio_survives_an_internal_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from replycoach.service import stdio

    service = Service(Engine.default)

    def broken(request: Any) -> Any:
        raise RuntimeError("bug")

    service.check = broken  # type: ignore[method-assign]
    answer = stdio.handle(service, '{"id": 1, "method": "check", "params": {"text": "x"}}')
    assert answer == {
        "id": 1,
        "error": {"code": "internal_error", "message": "internal error: RuntimeError"},
    }
