"""Word boundaries: our lazily-fed jieba gives the tokens of jieba's full tokenizer."""

from __future__ import annotations

import re

import jieba
import pytest

from replycoach.words import is_whole_word, segment

CLAUSES = [
    "我保证明天一定发货",
    "保证金已经原路退回到您的账户了",
    "商品附带质量保证书",
    "祝您身体健康财源滚滚心想事成",
    "这款滚筒洗衣机支持上门安装",
    "行不行您先试一下",
    "截图看不清楚麻烦手动复制一下订单号",
    "电脑有病毒的话建议先杀毒",
    "南京市长江大桥",
    "iPhone6的USB接口",
    "[订单x]还请您稍等正在为您查询",
    "有什么问题我可以帮您处理或解决呢",
    "工信处女干事每月经过下属科室都要亲口交代24口交换机等技术性器件的安装工作",
]


@pytest.fixture(scope="module")
def full() -> jieba.Tokenizer:
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


@pytest.mark.parametrize("clause", CLAUSES)
def test_segment_equals_jieba_full_tokenizer(full: jieba.Tokenizer, clause: str) -> None:
    assert list(segment(clause)) == full.lcut(clause, HMM=False)


def test_segment_equals_jieba_on_real_replies(full: jieba.Tokenizer) -> None:
    from .conftest import SHARED

    corpus = SHARED / "corpus" / "replies.jsonl"
    if not corpus.is_file():
        pytest.skip("../shared/corpus is not beside the repo")
    import json

    lines = corpus.read_text(encoding="utf-8").splitlines()[::40]
    clauses = {c for line in lines for c in re.split(r"[\s，。！？,.!?]", json.loads(line)["text"])}
    clauses = {c for c in clauses if 0 < len(c) <= 40}
    assert len(clauses) > 300
    for clause in sorted(clauses):
        assert list(segment(clause)) == full.lcut(clause, HMM=False), clause


@pytest.mark.parametrize(
    ("text", "word", "whole"),
    [
        ("你滚吧", "滚", True),
        ("财源滚滚", "滚", False),
        ("滚筒洗衣机", "滚", False),
        ("你是SB吗", "SB", True),
        ("USB接口", "SB", False),
        ("行不行", "不行", False),
        ("那不行", "不行", True),
    ],
)
def test_is_whole_word(text: str, word: str, whole: bool) -> None:
    start = text.index(word)
    assert is_whole_word(text, start, start + len(word)) is whole


def test_boundary_check_is_linear_in_the_text() -> None:
    """Each clause is segmented once, not once per match (issue 12: 滚 x 20,000 took 82 s)."""
    import time

    from replycoach import check

    check("你滚")  # warm: jieba's dictionary and the superstring scan
    started = time.perf_counter()
    check("滚" * 20_000)
    assert time.perf_counter() - started < 1.5
    started = time.perf_counter()
    found = check("你滚，" * 6_000)
    assert time.perf_counter() - started < 1.5
    assert sum(f.rule == "rude-language" for f in found) == 6_000


def test_boundaries_agree_with_is_whole_word() -> None:
    from replycoach.words import Boundaries

    text = "财源滚滚，你滚吧，滚筒洗衣机，行不行，那不行"
    vocabulary = ("滚", "不行")
    bounds = Boundaries(text, vocabulary)
    for word in vocabulary:
        for m in re.finditer(word, text):
            expected = is_whole_word(text, m.start(), m.end(), vocabulary)
            assert bounds.whole(m.start(), m.end()) is expected


def test_segmentation_cache_is_bounded_by_bytes() -> None:
    """1,600 unique 20,000-character clauses took RSS to 2.9 GB with a count-bounded cache."""
    from replycoach.words import SEGMENT_CACHE, ByteBoundedCache

    small = ByteBoundedCache(1_000_000)
    for n in range(200):
        small.put(f"{n}" + "滚" * 2_000, ("滚",) * 1_000)
    assert small.bytes <= 1_000_000
    assert 0 < len(small) < 200
    small.put("huge", ("x" * 200_000,))  # over an eighth of the budget: not kept
    assert small.get("huge") is None
    for n in range(20):
        segment("滚" * (2_000 + n))
    assert SEGMENT_CACHE.bytes <= SEGMENT_CACHE.max_bytes
