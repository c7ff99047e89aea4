"""Cue sets, templates and context guards (issue 10): the rule language that states the
guidance's intent instead of word lists."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import replycoach
from replycoach import Engine
from replycoach.cues import expand_template, in_context, required_literals
from replycoach.errors import RuleFileError
from replycoach.kinds import Context
from replycoach.loader import default_cues, load_paths, parse_rules
from replycoach.normalize import normalize
from replycoach.ruletest import test_rules as run_test_rules

ROOT = Path(__file__).resolve().parents[1]


def fired(text: str, rule: str, customer: str | None = None) -> bool:
    return rule in {f.rule for f in replycoach.check(text, customer=customer)}


# ---------------------------------------------------------------- the issue's examples

ISSUE_FLAGS = [
    ("flat-refusal", "这款的包装拆不了", None),
    ("flat-refusal", "那个尺码订不了", None),
    ("flat-refusal", "无法开专票", None),
    ("flat-refusal", "积分不可以抵扣", None),
    ("flat-refusal", "这个时间约不上", None),
    ("vague-answer", "今天应该发不了", None),
    ("vague-answer", "不一定能送到", None),
    ("vague-answer", "可能会晚点吧", None),
    ("complaint-without-apology", "请问订单号是多少", "屏幕裂了"),
    ("complaint-without-apology", "您按说明书操作一下", "刚用两天就充不进电"),
    ("bare-unavailable", "无货", "白色还有吗"),
    ("bare-unavailable", "缺货", "38码有货吗"),
    ("bare-unavailable", "断码了", "这款有42码吗"),
    ("bare-unavailable", "暂时没有", "有没有大一号的"),
    ("blunt-bargain-refusal", "现在就是最低价", "能便宜点吗"),
    ("absolute-promise", "保证正品", None),
    ("absolute-promise", "正品保证", None),
]
ISSUE_CLEAN = [
    ("flat-refusal", "这个真的没办法，非常抱歉，我帮您申请一张优惠券补偿您", None),
    ("absolute-promise", "请保证配件完好", None),
    ("absolute-promise", "为了保证您的账户安全，请不要泄露验证码", None),
]


@pytest.mark.parametrize(("rule", "text", "customer"), ISSUE_FLAGS)
def test_issue_example_is_flagged(rule: str, text: str, customer: str | None) -> None:
    assert fired(text, rule, customer)


@pytest.mark.parametrize(("rule", "text", "customer"), ISSUE_CLEAN)
def test_issue_example_is_clean(rule: str, text: str, customer: str | None) -> None:
    assert not fired(text, rule, customer)


# ---------------------------------------------------------------- intent, in other words


@pytest.mark.parametrize(
    "text",
    [
        "很抱歉，已经出库了改不了，您可以拒收后重新下单",  # all three elements
        "还没有发货呢",  # a state of things, not a refusal
        "如果联系不上一般是无法送货的",  # a condition
        "是改不了吗",  # a question
        "您取消不了的话我帮您取消",  # the customer's own inability
    ],
)
def test_rule_intent_refusals_that_are_clean(text: str) -> None:
    assert not fired(text, "flat-refusal")


def test_a_refusal_counts_its_elements() -> None:
    assert fired("这张券叠加不了", "flat-refusal")  # none
    assert not fired("不好意思，这张券叠加不了", "flat-refusal")  # an apology
    assert not fired("活动规则限制，这张券叠加不了", "flat-refusal")  # a reason
    assert not fired("这张券叠加不了，您可以换一张满减券", "flat-refusal")  # an alternative


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("这个我真说不准", True),
        ("估计后天才能到吧", True),
        ("系统显示预计周三到，以实际为准", False),  # a basis
        ("我帮您核实后回复您", False),  # an offer to verify
        ("这是我们应该做的", False),  # duty, not a hedge
        ("不知道您方便吗", False),  # a polite question
    ],
)
def test_rule_intent_hedges(text: str, expected: bool) -> None:
    assert fired(text, "vague-answer") is expected


# ---------------------------------------------------------------- templates and guards


def test_templates_have_slots_and_literal_triggers() -> None:
    assert re.fullmatch(expand_template("{verb}不了"), "拆不了")
    assert not re.fullmatch(expand_template("{verb}不了"), "的不了")  # a particle is no verb
    assert required_literals(expand_template("(?:不能|无法){verb}")) == {"不能", "无法"}
    assert required_literals(expand_template("{verb}不(?:了|上)")) == {"不了", "不上"}


@pytest.mark.parametrize(
    ("guard", "text", "word", "expected"),
    [
        ("conditional", "如果改不了，您可以拒收", "改不了", True),
        ("conditional", "改不了的话我帮您取消", "改不了", True),
        ("conditional", "这个改不了", "改不了", False),
        ("question", "是不是登不上了", "登不上", True),
        ("question", "这个登不上", "登不上", False),
        ("customer", "您取消不了的话", "取消不了", True),
        ("customer", "订单取消不了", "取消不了", False),
        ("negated", "到货时间无法保证", "保证", True),
        ("request", "请保证配件完好", "保证", True),
        ("request", "我保证明天到", "保证", False),
    ],
)
def test_guards(guard: str, text: str, word: str, expected: bool) -> None:
    start = text.index(word)
    assert in_context(guard, text, start, start + len(word)) is expected


def test_every_default_cue_set_keeps_its_examples() -> None:
    from replycoach.cues import check_cue_examples

    problems = [p for cue in default_cues().values() for p in check_cue_examples(cue)]
    assert not problems


# ---------------------------------------------------------------- a team's own words


def _readme_team_example() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- team-cue-example -->")[1].split("<!-- /team-cue-example -->")[0]
    return block.split("```yaml\n")[1].split("```")[0]


def test_readme_team_example_works(tmp_path: Path) -> None:
    path = tmp_path / "team.yaml"
    path.write_text(_readme_team_example(), encoding="utf-8")
    assert run_test_rules([path]) == []
    engine = Engine.from_paths(path)
    assert "refusal-without-sorry" in {f.rule for f in engine.check("运费险退不了")}
    assert not engine.check("实在抱歉，运费险退不了", ignore=["flat-refusal"])
    assert not engine.check("多多包涵，运费险退不了", ignore=["flat-refusal"])


def test_unknown_cue_set_is_a_file_line_error(tmp_path: Path) -> None:
    text = _readme_team_example().replace('"@sorry-words"]', '"@sorry-word"]')
    path = tmp_path / "team.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RuleFileError) as err:
        load_paths([path])
    (problem,) = err.value.problems
    line = text.splitlines().index('      - none: ["@apology", "@sorry-word"]') + 1
    assert problem.startswith(f"{path}:{line}: rules[0].conditions[1].none[1]")
    assert "unknown cue set '@sorry-word'" in problem


def test_cue_sets_are_validated() -> None:
    with pytest.raises(RuleFileError, match="unknown slot"):
        parse_rules("cues:\n  - name: x\n    templates: ['{noun}不了']\n")
    with pytest.raises(RuleFileError, match="already defined"):
        parse_rules("cues:\n  - name: apology\n    phrases: [抱歉]\n")
    with pytest.raises(RuleFileError, match="not_in"):
        parse_rules("cues:\n  - name: x\n    phrases: [a]\n    not_in: [maybe]\n")


def test_cue_examples_are_checked_by_test_rules(tmp_path: Path) -> None:
    path = tmp_path / "cues.yaml"
    path.write_text(
        "cues:\n  - name: thanks\n    phrases: [谢谢]\n"
        "    examples: {match: [多谢], no_match: [谢谢您]}\n",
        encoding="utf-8",
    )
    problems = run_test_rules([path])
    assert any("match example '多谢' is not found" in p for p in problems)
    assert any("no_match example '谢谢您' found" in p for p in problems)
    assert all(p.startswith(f"{path}:2: ") for p in problems)


# ---------------------------------------------------------------- the screen is exact


def test_screen_never_skips_a_rule_that_fires() -> None:
    engine = Engine.default()
    texts = [case["text"] for case in _paraphrases()]
    texts += [ex.text for rule in engine.rules for ex in rule.examples.flag]
    for text in texts:
        ctx = Context(text, normalize(text))
        everything = sorted(f.rule for c in engine.checkers for f in c.check(ctx))
        assert sorted(f.rule for f in engine.check(text)) == everything, text


def _paraphrases() -> list[dict[str, str]]:
    path = ROOT / "tests" / "data" / "paraphrases.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_a_cue_set_as_an_antipattern(tmp_path: Path) -> None:
    path = tmp_path / "team.yaml"
    path.write_text(
        """rules:
  - id: no-sure
    kind: existence
    severity: info
    message: 别说“{match}”
    words: [肯定]
    exceptions: ["@praise", "@sure-noun"]
    source: {file: x.md, passage: y}
    examples: {flag: [肯定到], clean: [感谢您的肯定, 这是肯定句]}
cues:
  - name: sure-noun
    phrases: [肯定句]
""",
        encoding="utf-8",
    )
    assert run_test_rules([path]) == []
    bad = path.read_text(encoding="utf-8").replace('"@sure-noun"', '"@sure-nouns"')
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(RuleFileError, match=r"team.yaml:7: rules\[0\].exceptions\[1\]"):
        load_paths([path])


def test_a_cue_set_as_a_substitution_key(tmp_path: Path) -> None:
    path = tmp_path / "team.yaml"
    text = """rules:
  - id: no-vow
    kind: substitution
    severity: warning
    message: 别打包票：“{match}”
    fix: safe
    swap:
      保证: [尽量]
      "@any-way": [一般不会]
    not_in: [conditional]
    source: {file: x.md, passage: y}
    examples:
      flag:
        - {text: 我保证, span: 保证}
        - {text: 怎么摔都不会坏, span: 怎么摔都不会, suggest: [一般不会]}
      clean: [如果怎么摔都不会坏就好了]
cues:
  - name: any-way
    templates: ['(?:怎么|随便){verb}{1,2}都不会']
"""
    path.write_text(text, encoding="utf-8")
    assert run_test_rules([path]) == []
    engine = Engine.from_paths(path, defaults=False)
    found = engine.check("随便用都不会坏，我保证")
    assert [(f.excerpt, f.suggestions, f.fixable) for f in found] == [
        ("随便用都不会", ("一般不会",), False),  # a cue set's match: for a person to choose
        ("保证", ("尽量",), True),
    ]
    assert engine.fix("随便用都不会坏，我保证") == "随便用都不会坏，我尽量"
    path.write_text(text.replace('"@any-way": [', '"@any-ways": ['), encoding="utf-8")
    with pytest.raises(RuleFileError, match=r"team.yaml:9: rules\[0\].swap.@any-ways"):
        load_paths([path])
