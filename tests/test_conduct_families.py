"""blame-shifting, rude-language and complaint-without-apology on the families of their misses on
written4 (issue 10): tests/data/paraphrases_gen_conduct.jsonl, written by hand for this test (not
corpus text) before the rules were changed, 5-8 flagged paraphrases per family in other words,
other products and registers (亲/小妹/咱家, no punctuation, 哦/哈/呢, [微笑], traditional
characters) and clean look-alikes for each (您反映的问题, 可能是水温没调好, 连衣裙都不会起球,
我正忙着帮您查, 敏感肌用了会过敏吗, 怎么成为会员).

Batch 1 (the families of the written4 misses), first reading before any change:
blame-shifting 4/34 flagged lines found, rude-language 13/25, complaint-without-apology 0/11, no
clean line fired (0/46); after the first fixes 34/34, 24/25, 11/11, 0/46. Batch 2 (``"batch": 2``,
other wordings of the same families and a new one, the reproach 签收前怎么不先验货), written after
those fixes and read once before any further change: 11/23, 8/18, 4/9, 0/31 fired, which is the
honest figure for how far the first fixes reached; after the second fixes 22/23, 16/18, 9/9, 0/31.
Batch 3 (``"batch": 3``, three reproaches and two look-alikes written after the second fixes, to
give that family five flagged lines): 2/3 found at first reading, 3/3 after.
Batch 4 (``"batch": 4``, families no written set had shown: only a middleman, can-you-blame-us,
the customer omitted it; sarcasm, dare-you, rushing; overcharged, shown as done but not), read
once before any change: blame 3/14, rude 0/14, complaint 1/7, 0/23 clean fired; after 14/14,
14/14, 7/7, 0/23.
Batch 5 (``"batch": 5``, eight more flagged lines to give every family at least five): 5/8
found at first reading; after 8/8.
Batch 6 (``"batch": 6``, fresh wordings across the families in mixed registers, written after
all the fixes above): blame 6/10, rude 3/10, complaint 4/7 at first reading, 0/11 clean fired;
after 10/10, 10/10, 7/7.
Batch 7 (``"batch": 7``, spot checks on other products: tickets, pets, flowers, car film):
blame 3/8, rude 5/8, complaint 3/5 at first reading, 0/8 clean fired; after 6/8, 8/8, 5/5.
Batch ``"w5-families"`` (the families of written5's misses, written before any change): blame
0/15, rude 0/10, complaint 2/25 at first reading, 0/25 clean fired; after 15/15, 9/10, 25/25.
A line with ``known_miss`` is one the rules still miss, and why."""

from __future__ import annotations

import collections

import pytest

from replycoach import Engine

from .families import load, params

CASES = load("paraphrases_gen_conduct.jsonl")


@pytest.mark.parametrize("case", params(CASES, "rule", "family", "label"))
def test_family(case: dict[str, str]) -> None:
    found = {f.rule for f in Engine.default().check(case["text"], customer=case.get("customer"))}
    assert (case["rule"] in found) == (case["label"] == "flag"), case


def test_every_family_has_flagged_lines_and_clean_look_alikes() -> None:
    kinds: dict[tuple[str, str], collections.Counter[str]] = collections.defaultdict(
        collections.Counter
    )
    for c in CASES:
        batch = c.get("batch", 1)
        # batch 6 and later, and the named batches (w5-families: the written5 misses), are spot
        # checks with fewer lines a family
        if isinstance(batch, int) and batch < 6:
            kinds[c["rule"], c["family"]][c["label"]] += 1
    assert {rule for rule, _ in kinds} == {
        "blame-shifting",
        "rude-language",
        "complaint-without-apology",
    }
    for family, count in kinds.items():
        assert count["flag"] >= 5 and count["clean"] >= 3, (family, dict(count))
