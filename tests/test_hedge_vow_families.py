"""vague-answer and absolute-promise on hedges and vows in words no list of theirs holds
(issue 10): tests/data/paraphrases_hedge_vow.jsonl, written for this test by hand (not corpus
text). ``"written": "before"`` lines were written before the hedge and vow families were
restated as templates (13/25 and 9/25 then right), ``"after"`` lines afterwards, each batch
measured once before any change (26/30 and 28/30; then 6/12 and 7/12; then 16/22 and 18/22;
then 15/18 and 18/18 right). Later batches, each measured once before its change (flags
caught, false positives on clean; vague-answer, then absolute-promise):

- ``w4-families``, from the families of written4's misses (差不离…吧, 没个准, 没多大把握,
  没留意过, 懂不懂 asked of the customer, 您再等等 as no next step; 必然, 指定能, 稳稳能,
  一点都不会, 保用, 您签收时一定当面验货 as an instruction): before 5/24 and 2/17, 3/17 and
  5/15; after 24/24 and 0/17, 11/17 and 1/15 (12/17 once the ``other`` guard went).
- ``own-words-2`` (两眼一抹黑, 不好下定论, 不太有底, 未知数, 印象中, 寻思着; 保您, 打赌,
  千真万确, 有把握, 准定, 用个三五年没问题): before 2/18 and 0/8, 4/15 and 0/8; after 17/18
  and 0/8, 13/15 and 0/8.
- ``own-words-3``, registers (traditional, 亲亲, 嘞/滴, emoji) and look-alikes (一点也不会麻烦,
  我猜您是想问, 您有把握的话, 累得够呛): before 10/14 and 1/11, 7/10 and 3/9; after 14/14 and
  0/11, 9/10 and 0/9.
- ``own-words-4``, vows on behalf of the courier or the fitter (快递肯定明天到, 师傅一定准时上门),
  跑不了, 铁板钉钉; hedges 外行, 没搞明白, 怕不是, 听天由命: before 3/9 and 0/4, 1/8 and 0/5;
  after 6/9 and 0/4, 8/8 and 0/5.
- ``own-words-5``, hedges with a basis or a check in other words (我确认下再回您, 帮您瞅一眼物流,
  快递小哥说, 从系统上看, 按以往): vague-answer 4/4 and 5/16 before, 4/4 and 0/16 after.
- ``own-words-6``, 保证 as ensure, 一定 as must, and a guess at what went wrong
  (快递员肯定是送错楼了, 一定是仓库漏发了): absolute-promise 6/6 and 2/11 before,
  6/6 and 0/11 after (百分百纯棉 flags, as written2 labels it).
- ``own-words-7``, a forecast left as a guess by 吧 with no hedging word (周三会到吧, 下个月才发吧),
  and suggestions or decisions with 吧 (您先试试重启吧, 能退的，放心吧): vague-answer 0/6 and 0/7
  before, 6/6 and 0/7 after.
- ``own-words-8``, JD's formal register (暂无法给出准确答复, 无法获知, 尚不明确, 没有确切的到货信息,
  是否兼容暂不明确): vague-answer 0/7 and 0/4 before, 6/7 and 0/4 after.
- ``own-words-9``, written after all the above as a last check (稀里糊涂, 拿不定, 不好一概而论,
  估不出来, 不敢打保票; 拽一百年也断不了, 妥妥滴没跑, 保准): 5/8 and 0/3, 5/6 and 0/4 before;
  8/8 and 0/3, 5/6 and 0/4 after (a topic such as 规则 or 政策 no longer counts as a reason:
  vague-answer reads @doubt-reason, the causes of a doubt, not @reason).
- ``own-words-10``, other goods (toys, books, medicine, tours): 做不了准, 没法打包票, 还两说,
  不确切知道; 包到, 一定带好 as an instruction: 6/10 and 0/4, 5/6 and 1/4 before; 10/10 and 0/4,
  5/6 and 0/4 after.
- ``w5-families``, from the families of written5's misses (大概下个月？ as an answer, a hedge inside
  《》; 不可能丢件, 丢不了, 测得绝对准, 看照片肯定是…压坏了 as an inference): 0/4 and 1/3,
  0/8 and 2/5 before; 4/4 and 0/3, 8/8 and 0/5 after.

A line with ``known_miss`` is one the rules still miss (or wrongly flag), and why.
Each family also has a clean look-alike: a hedge with a basis or an offer to verify, 保证 as
"ensure", 一定 as "must", 保管 as "keep", 八成新, 必须, 标准."""

from __future__ import annotations

import pytest

from replycoach import Engine

from .families import load, params

CASES = load("paraphrases_hedge_vow.jsonl")


@pytest.mark.parametrize("case", params(CASES, "rule", "label"))
def test_family(case: dict[str, str]) -> None:
    found = {f.rule for f in Engine.default().check(case["text"])}
    assert (case["rule"] in found) == (case["label"] == "flag"), case


def test_the_set_covers_both_rules_both_ways() -> None:
    kinds = {(c["rule"], c["label"]) for c in CASES}
    assert kinds == {
        (rule, label)
        for rule in ("vague-answer", "absolute-promise")
        for label in ("flag", "clean")
    }


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("保管您满意", "保管"),
        ("明早准到", "准到"),
        ("下单后必能当天发出", "必能"),
        ("这款铁定不起球", "铁定"),
    ],
)
def test_vow_span(text: str, span: str) -> None:
    found = [f for f in Engine.default().check(text) if f.rule == "absolute-promise"]
    assert [text[f.start : f.end] for f in found] == [span]


@pytest.mark.parametrize(
    "text",
    ["发票请您妥善保管好", "标准能高一点", "尺码准不准", "必胜客", "请您签收时一定当面检查"],
)
def test_vow_look_alikes(text: str) -> None:
    assert "absolute-promise" not in {f.rule for f in Engine.default().check(text)}
