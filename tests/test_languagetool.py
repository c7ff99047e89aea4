"""LanguageTool compatibility: the answer's shape, the parameters real clients send (as
ltex-ls, language_tool_python and the npm package languagetool-api send them), and those
two clients run unchanged against a live server."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

from fastapi.testclient import TestClient

from replycoach import Engine
from replycoach.service import Service
from replycoach.service.http import create_app

from .conftest import ROOT, running_server

NODE_CLIENT = ROOT / "clients" / "lt-node-test"
TEXT = "😀亲，我保证明天发货，你放心"


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(Service(Engine.default)), base_url="http://127.0.0.1:8765")


@pytest.fixture(scope="module")
def live_url() -> Iterator[str]:
    with running_server(create_app(Service(Engine.default))) as url:
        yield url


def lt(client: TestClient, **params: str) -> dict[str, object]:
    response = client.post("/v2/check", data=params)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def ids(answer: dict[str, object]) -> list[str]:
    return [m["rule"]["id"] for m in answer["matches"]]  # type: ignore[attr-defined, index]


# ---------------------------------------------------------------------------- the answer


def test_every_match_has_languagetools_fields(client: TestClient) -> None:
    answer = lt(client, text=TEXT, language="zh-CN")
    assert set(answer) == {"software", "warnings", "language", "matches", "sentenceRanges"}
    assert answer["software"]["name"] == "replycoach"  # type: ignore[index]
    assert answer["software"]["apiVersion"] == 1  # type: ignore[index]
    assert answer["warnings"] == {"incompleteResults": False}
    language = answer["language"]
    assert language["code"] == "zh-CN" and language["name"] == "Chinese"  # type: ignore[index]
    assert language["detectedLanguage"]["code"] == "zh-CN"  # type: ignore[index]
    # no end mark: one sentence, 15 UTF-16 units (the emoji counts two)
    assert answer["sentenceRanges"] == [[0, 15]]
    promise, you = answer["matches"]  # type: ignore[misc]
    assert set(promise) == {
        "message",
        "shortMessage",
        "replacements",
        "offset",
        "length",
        "context",
        "sentence",
        "type",
        "rule",
        "ignoreForIncompleteSentence",
        "contextForSureMatch",
    }
    assert promise["rule"]["id"] == "absolute-promise"
    assert promise["rule"]["category"] == {"id": "ANSWERS", "name": "承诺与答复"}
    assert promise["rule"]["issueType"] == "style"
    assert you["rule"]["category"] == {"id": "TONE", "name": "语气与礼貌"}
    assert you["rule"]["issueType"] == "register"
    # the emoji is two UTF-16 code units: 保证 is at code point 4, UTF-16 offset 5
    assert (promise["offset"], promise["length"]) == (5, 2)
    assert promise["context"] == {"text": TEXT, "offset": 5, "length": 2}
    assert promise["sentence"] == TEXT
    assert promise["replacements"] == [{"value": "尽量"}, {"value": "努力"}, {"value": "争取"}]
    assert promise["type"] == {"typeName": "Other"}
    assert you["replacements"] == [{"value": "您"}]


def test_context_is_cut_like_languagetools(client: TestClient) -> None:
    text = "好" * 50 + "\n" + "你放心" + "啊" * 50
    match = lt(client, text=text, language="zh")["matches"][0]  # type: ignore[index]
    context = match["context"]
    assert context["text"] == "..." + "好" * 39 + " " + "你放心" + "啊" * 38 + "..."
    assert context["offset"] == 43 and context["length"] == 1
    assert context["text"][context["offset"]] == "你"


def test_sentence_and_privacy_is_legal(client: TestClient) -> None:
    answer = lt(client, text="您好。我的手机号是13812345678。谢谢", language="zh-CN")
    match = next(m for m in answer["matches"] if m["rule"]["id"] == "privacy-leak")  # type: ignore[attr-defined]
    assert match["rule"]["issueType"] == "legal"
    assert match["rule"]["category"]["id"] == "COMPLIANCE"
    assert match["sentence"] == "我的手机号是13812345678。"
    assert answer["sentenceRanges"] == [[0, 3], [3, 21], [21, 23]]


# ------------------------------------------------------------------- how clients post it


def test_ltex_ls_form_body_labelled_json(client: TestClient) -> None:
    """ltex-ls posts a form body with Content-Type: application/json, and annotated text."""
    data = {
        "annotation": [
            {"markup": "**"},
            {"text": "我保证"},
            {"markup": "**"},
            {"markup": "\n\n", "interpretAs": "\n\n"},
            {"text": "你放心"},
        ]
    }
    body = urlencode(
        {"language": "zh-CN", "data": json.dumps(data, ensure_ascii=False), "level": "picky"}
    )
    response = client.post(
        "/v2/check", content=body.encode(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200
    original = "**我保证**\n\n你放心"
    matches = response.json()["matches"]
    spans = {m["rule"]["id"]: original[m["offset"] : m["offset"] + m["length"]] for m in matches}
    assert spans == {"absolute-promise": "保证", "honorific-you": "你"}
    # the context is the annotated text with its markup, as LanguageTool gives it
    you = next(m for m in matches if m["rule"]["id"] == "honorific-you")
    assert you["context"]["text"] == "**我保证**  你放心" and you["context"]["offset"] == 9


def test_json_object_and_multipart_bodies(client: TestClient) -> None:
    body = {"language": "zh-CN", "text": "你好", "enabledOnly": False}
    assert ids(client.post("/v2/check", json=body).json()) == ["honorific-you"]
    multipart = client.post(
        "/v2/check", files={"text": (None, "你好"), "language": (None, "zh-CN")}
    )
    assert ids(multipart.json()) == ["honorific-you"]
    get = client.get("/v2/check", params={"text": "你好", "language": "zh-CN"})
    assert ids(get.json()) == ["honorific-you"]


@pytest.mark.parametrize(
    ("params", "status", "words"),
    [
        ({"language": "zh-CN"}, 400, "Missing 'text' or 'data'"),
        ({"text": "你好"}, 400, "Missing 'language'"),
        ({"text": "hello", "language": "en-US"}, 400, "Chinese"),
        ({"text": "你", "language": "zh", "level": "loud"}, 400, "level"),
        ({"text": "你", "language": "zh", "enabledOnly": "true"}, 400, "must specify enabled"),
        (
            {
                "text": "你",
                "language": "zh",
                "enabledOnly": "true",
                "enabledRules": "x",
                "disabledRules": "y",
            },
            400,
            "cannot specify disabled",
        ),
        ({"text": "你", "language": "zh", "enabled": "x"}, 400, "enabledRules"),
        ({"data": "{not json", "language": "zh"}, 400, "annotation"),
        ({"data": '{"annotation": [{"x": 1}]}', "language": "zh"}, 400, "annotation[0]"),
        ({"text": "a" * 20_001, "language": "zh"}, 413, "20000"),
    ],
)
def test_bad_requests_are_answered_not_silent(
    client: TestClient, params: dict[str, str], status: int, words: str
) -> None:
    response = client.post("/v2/check", data=params)
    assert response.status_code == status
    assert words in response.json()["error"]["message"]
    assert client.post("/v2/check", data={"text": "你", "language": "zh"}).status_code == 200


def test_a_body_that_is_not_a_form_is_not_read_as_empty(client: TestClient) -> None:
    response = client.post(
        "/v2/check", content=b'{"text": "x"', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_json"


# ----------------------------------------------------------------------------- parameters


def test_language_auto_and_preferred_variants(client: TestClient) -> None:
    auto = lt(client, text=TEXT, language="auto")
    assert auto["language"]["code"] == "zh-CN"  # type: ignore[index]
    assert auto["language"]["detectedLanguage"]["confidence"] == 1.0  # type: ignore[index]
    tw = lt(client, text=TEXT, language="auto", preferredVariants="en-GB,zh-TW")
    assert tw["language"]["code"] == "zh-TW"  # type: ignore[index]
    assert ids(tw) == ["absolute-promise", "honorific-you"]
    mixed = lt(client, text="hello 你好", language="auto")
    assert mixed["language"]["detectedLanguage"]["confidence"] < 0.5  # type: ignore[index]
    assert lt(client, text=TEXT, language="zh-TW")["language"]["code"] == "zh-TW"  # type: ignore[index]


def test_categories_and_enabled_only(client: TestClient) -> None:
    assert ids(lt(client, text=TEXT, language="zh", disabledCategories="TONE")) == [
        "absolute-promise"
    ]
    only = lt(client, text=TEXT, language="zh", enabledCategories="TONE", enabledOnly="true")
    assert ids(only) == ["honorific-you"]
    rules_only = lt(
        client, text=TEXT, language="zh", enabledRules="absolute-promise", enabledOnly="yes"
    )
    assert ids(rules_only) == ["absolute-promise"]
    # ids LanguageTool has and replycoach has not are ignored, as LanguageTool ignores them
    nothing = lt(client, text=TEXT, language="zh", enabledRules="MORFOLOGIK", enabledOnly="true")
    assert ids(nothing) == []
    assert ids(
        lt(client, text=TEXT, language="zh", disabledRules="UPPERCASE_SENTENCE_START,honorific-you")
    ) == ["absolute-promise"]


def test_rules_that_ship_disabled_are_enabled_by_rule_or_category(client: TestClient) -> None:
    text = "加我微信abc12345聊"
    assert "off-platform-contact" not in ids(lt(client, text=text, language="zh"))
    by_rule = lt(client, text=text, language="zh", enabledRules="off-platform-contact")
    assert "off-platform-contact" in ids(by_rule)
    by_category = lt(client, text=text, language="zh", enabledCategories="COMPLIANCE")
    assert "off-platform-contact" in ids(by_category)


def test_level_picky_adds_info_findings(client: TestClient) -> None:
    text = "我我我好的" + "呢" * 80
    assert ids(lt(client, text=text, language="zh")) == []
    picky = lt(client, text=text, language="zh", level="picky")
    assert ids(picky) == ["long-sentence", "pronoun-balance"]
    assert {m["type"]["typeName"] for m in picky["matches"]} == {"Hint"}  # type: ignore[attr-defined]


# ------------------------------------------------------- clients no one here wrote, live


def test_language_tool_python_against_a_live_server(live_url: str) -> None:
    language_tool_python = pytest.importorskip("language_tool_python")
    tool = language_tool_python.LanguageTool("zh-CN", remote_server=live_url)
    try:
        matches = tool.check(TEXT)
        by_rule = {m.rule_id: m for m in matches}
        assert set(by_rule) == {"absolute-promise", "honorific-you"}
        you = by_rule["honorific-you"]
        assert TEXT[you.offset : you.offset + you.error_length] == "你"
        assert (you.category, you.rule_issue_type) == ("TONE", "register")
        # (the client reads offset_in_context as code points; LanguageTool's are UTF-16 too)
        assert "你放心" in you.context and you.sentence == TEXT
        assert tool.correct(TEXT) == "😀亲，我尽量明天发货，您放心"

        tool.disabled_categories.add("TONE")
        assert [m.rule_id for m in tool.check(TEXT)] == ["absolute-promise"]
        tool.disabled_categories.clear()

        tool.picky = True
        assert "long-sentence" in [m.rule_id for m in tool.check("好的" + "呢" * 80)]
        tool.picky = False

        tool.language = "auto"
        tool.preferred_variants.add("zh-TW")
        tool.enabled_categories.add("COMPLIANCE")
        tool.enabled_rules_only = True
        assert [m.rule_id for m in tool.check("我的手机号13812345678")] == ["privacy-leak"]
    finally:
        tool.close()


def test_npm_languagetool_api_against_a_live_server(live_url: str) -> None:
    """The npm package languagetool-api, run by node, installed by .ci/run (npm ci)."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (.ci/run installs Debian's nodejs)")
    if not (NODE_CLIENT / "node_modules" / "languagetool-api").is_dir():
        message = f"languagetool-api is not installed: npm ci --prefix {NODE_CLIENT}"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI installs it: its absence there is a failure
        pytest.skip(message)
    proc = subprocess.run(
        [node, str(NODE_CLIENT / "check.js"), live_url],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    plain = got["plain"]
    assert plain["rules"] == ["absolute-promise", "honorific-you"]
    assert plain["categories"] == ["ANSWERS", "TONE"]
    # JavaScript reads our offsets on the text it sent: UTF-16, past the emoji
    assert plain["excerpts"] == ["保证", "你"]
    # its showMistakes reads context.text.substr(context.offset, context.length)
    assert plain["mistakes"] == ["保证", "你"]
    assert plain["best"] == [
        {"mistake": "保证", "bestSuggestion": "尽量"},
        {"mistake": "你", "bestSuggestion": "您"},
    ]
    # language=auto, preferredVariants, enabledCategories + enabledOnly, as arrays
    assert got["toneOnly"] == {"rules": ["honorific-you"], "language": "zh-TW", "detected": "zh-TW"}
    assert got["withoutTone"] == ["absolute-promise"]
    assert got["picky"] == ["long-sentence", "pronoun-balance"] and got["notPicky"] == []
    assert got["languages"] == ["zh-CN", "zh-TW"]
