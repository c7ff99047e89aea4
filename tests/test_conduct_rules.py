"""The conduct rules restated as shapes (blame-shifting, rude-language) and the fixes to
privacy-leak, honorific-you, pronoun-balance, missing-greeting and missing-closing; and the
mechanism they use: an existence rule's ``words`` may name cue sets (``"@impatience"``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import replycoach
from replycoach import Engine
from replycoach.errors import RuleFileError
from replycoach.loader import load_paths
from replycoach.ruletest import test_rules as run_test_rules

TEAM = """\
rules:
  - id: no-nagging
    kind: existence
    severity: warning
    message: 别催顾客：“{match}”
    words: [快点, "@nagging"]
    suggest: [您方便时处理即可]
    source: {file: team.md, passage: 不催促顾客}
    examples:
      flag:
        - {text: 快点付款, span: 快点}
        - {text: 都提醒三遍了, span: 提醒三遍, suggest: [您方便时处理即可]}
      clean: [提醒您一下]

cues:
  - name: nagging
    templates: ['(?:提醒|通知)(?:了|过)?{num}遍']
    examples: {match: [通知过两遍], no_match: [提醒您一下]}
"""


def fired(text: str, rule: str, position: str | None = None) -> list[str]:
    return [f.excerpt for f in replycoach.check(text, position=position) if f.rule == rule]


def test_existence_words_may_name_cue_sets(tmp_path: Path) -> None:
    path = tmp_path / "team.yaml"
    path.write_text(TEAM, encoding="utf-8")
    assert run_test_rules([path]) == []
    engine = Engine.from_paths(path)
    found = [f for f in engine.check("都通知五遍了，快点") if f.rule == "no-nagging"]
    assert [f.excerpt for f in found] == ["通知五遍", "快点"]
    assert found[0].suggestions == ("您方便时处理即可",)
    # the engine's screen knows the cue set's literal triggers: no word, no finding
    assert not [f for f in engine.check("提醒您一下") if f.rule == "no-nagging"]


def test_an_unknown_cue_set_in_words_is_a_file_line_error(tmp_path: Path) -> None:
    text = TEAM.replace('"@nagging"]', '"@nag"]')
    path = tmp_path / "team.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RuleFileError) as err:
        load_paths([path])
    (problem,) = err.value.problems
    assert problem.startswith(f"{path}:6: rules[0].words[1]")
    assert "unknown cue set '@nag'" in problem


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("退换的事不归店里管", True),  # disowning
        ("丢件是物流那边弄丢的", True),  # fault put elsewhere
        ("这事让厂家负责", True),  # pushed away
        ("您当时自己没看尺码吧", True),  # the customer blamed
        ("厂家审核需要两天，审核完第一时间通知您", False),  # a neutral account
        ("可以联系厂家售后，电话400-800-1234", False),  # a redirection that helps
        ("如果是快递的问题，我们负责处理", False),  # a condition
        ("这不是仓库的错，是我们疏忽了，抱歉", False),  # negated
    ],
)
def test_blame_shifting_intent(text: str, expected: bool) -> None:
    assert bool(fired(text, "blame-shifting")) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("同样的话我讲过四遍了", True),  # impatience
        ("嫌慢就别拍", True),  # dismissal
        ("这么简单的步骤都不会吗", True),  # condescension
        ("我再跟您说一遍具体步骤", False),
        ("如果不想等，可以先申请取消，我帮您操作", False),
        ("这款不会掉色，您放心", False),
    ],
)
def test_rude_language_shapes(text: str, expected: bool) -> None:
    assert bool(fired(text, "rude-language")) is expected


def test_rude_language_keeps_its_word_list_and_evasion() -> None:
    assert fired("你是不是 s b 啊", "rude-language")
    assert not fired("这款滚筒洗衣机支持上门安装", "rude-language")


def test_honorific_you_flags_plural_you_but_never_rewrites_it() -> None:
    assert fired("麻烦你们单位开一下证明", "honorific-you") == ["你们"]
    assert replycoach.fix("麻烦你们单位开一下证明") == "麻烦你们单位开一下证明"
    assert replycoach.fix("你看这样可以吗") == "您看这样可以吗"
    assert not fired("杯身印着“有你真好”四个字", "honorific-you")  # quoted copy
    assert not fired("这款迷你风扇很受欢迎", "honorific-you")


def test_privacy_leak_addresses_and_bare_card_numbers() -> None:
    assert fired("寄到杭州市西湖区文三路90号5幢2单元301", "privacy-leak") == [
        "杭州市西湖区文三路90号5幢2单元301"
    ]
    assert fired("已退回您的卡6217000010001234567", "privacy-leak")
    assert fired("已退回6222021234567890128", "privacy-leak")  # Luhn-valid, card prefix
    assert not fired("快递单号6222021234567890128", "privacy-leak")
    assert not fired("退货地址：上海市青浦区华志路1号3号楼", "privacy-leak")  # a business


def test_pronoun_balance_does_not_count_qin_as_you() -> None:
    assert fired("亲亲，我看了下，我给您再补一件吧", "pronoun-balance")
    assert not fired("您好，我帮您看一下，您稍等", "pronoun-balance")


def test_greeting_and_closing_need_more_than_a_reflex() -> None:
    assert fired("在的", "missing-greeting", position="first")
    assert not fired("亲，在的", "missing-greeting", position="first")
    assert fired("您客气了", "missing-closing", position="last")
    assert fired("不客气哈", "missing-closing", position="last")
    assert not fired("不客气，祝您生活愉快", "missing-closing", position="last")


def test_a_cue_sets_literal_screen_changes_no_match() -> None:
    """Each cue set searches its literal triggers first (speed): the matches are the same."""
    from replycoach.cues import CueMatcher
    from replycoach.loader import default_cues
    from replycoach.normalize import normalize

    data = Path(__file__).parent / "data"
    texts = [
        normalize(json.loads(line)["text"])
        for name in ("paraphrases.jsonl", "paraphrases_conduct.jsonl")
        for line in (data / name).read_text(encoding="utf-8").splitlines()
    ]
    for cue in default_cues().values():
        screened = CueMatcher(cue.phrases, cue.filled_templates, cue.exceptions)
        plain = CueMatcher(cue.phrases, cue.filled_templates, cue.exceptions)
        plain.screen = None
        assert screened.screen is not None or not screened.triggers, cue.name
        for text in texts:
            assert screened.find(text) == plain.find(text), (cue.name, text)
