"""Invariants that must hold for any input (hypothesis)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import replycoach
from replycoach import Engine
from replycoach.model import POSITIONS

ENGINE = Engine.default()

# Text built from the pack's own trigger pieces, so the rules actually fire, mixed with
# arbitrary characters (surrogates and control characters included).
PIECES = [
    "你",
    "您",
    "我",
    "保证",
    "肯定",
    "一定",
    "不行",
    "没办法",
    "不知道",
    "滚",
    "迷你",
    "自我",
    "你们",
    "保证金",
    "不一定",
    "13812345678",
    "11010519491231002X",
    "a@b.cn",
    "，",
    "。",
    "！",
    "?",
    "\n",
    " ",
    "亲",
    "您好",
    "谢谢",
    "我们",
    "SB",
    "USB",
    "妳",
    "保證",
    "１３８",
]
replies = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=3)), max_size=25).map(
    "".join
)
positions = st.sampled_from([None, *POSITIONS])


@settings(max_examples=400, deadline=None)
@given(text=st.one_of(st.text(), replies), position=positions)
def test_never_crashes_and_spans_are_inside(text: str, position: str | None) -> None:
    findings = ENGINE.check(text, position=position)
    for f in findings:
        assert 0 <= f.start <= f.end <= len(text)
        assert text[f.start : f.end] == f.excerpt
        json.dumps(f.to_dict())
    assert findings == sorted(findings, key=lambda f: (f.start, f.rule, f.end))


@settings(max_examples=300, deadline=None)
@given(text=replies, position=positions)
def test_fix_is_idempotent_and_leaves_nothing_fixable(text: str, position: str | None) -> None:
    once = ENGINE.fix(text, position=position)
    assert ENGINE.fix(once, position=position) == once
    assert not [f for f in ENGINE.check(once, position=position) if f.fixable]


@settings(max_examples=200, deadline=None)
@given(text=replies)
def test_fix_changes_only_fixable_spans(text: str) -> None:
    fixable = [f for f in ENGINE.check(text) if f.fixable]
    if not fixable:
        assert ENGINE.fix(text) == text


def test_big_and_odd_inputs() -> None:
    big = "我保证你会满意，" * 13_000  # ~100 KB
    findings = replycoach.check(big)
    assert len(findings) >= 26_000
    assert replycoach.check("") == []
    assert replycoach.check("", position="only")  # an empty only-reply greets no one
    for odd in ["\ud800", "\x00\x01\x7f", "\u2028你\u2029", "🙂你🙂", "\ufeff你"]:
        for f in replycoach.check(odd, position="only"):
            assert odd[f.start : f.end] == f.excerpt


@settings(max_examples=300, deadline=None)
@given(text=replies, position=positions)
def test_fix_never_adds_a_finding_of_the_rule_it_fixed(text: str, position: str | None) -> None:
    before = ENGINE.check(text, position=position)
    fixed_rules = {f.rule for f in before if f.fixable}
    after = ENGINE.check(ENGINE.fix(text, position=position), position=position)
    for rule in fixed_rules:
        left_before = [f for f in before if f.rule == rule and not f.fixable]
        assert len([f for f in after if f.rule == rule]) <= len(left_before)


def _word_sets(words: list[str], every: bool) -> tuple[Any, Any]:
    """The same words twice: one set answering by dictionary look-ups (its budget never
    runs out), one by its Aho-Corasick automaton (no budget)."""
    from replycoach.wordset import WordSet

    direct, automaton = WordSet(words, every=every), WordSet(words, every=every)
    direct._budget = 10**12
    automaton._budget = 0
    return direct, automaton


@settings(max_examples=300, deadline=None)
@given(
    words=st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=4)), max_size=12),
    text=st.one_of(replies, st.text(alphabet="ab您你好保证", max_size=30)),
)
def test_word_set_lookups_answer_as_its_automaton(words: list[str], text: str) -> None:
    words = [*words, "a", "ab", "aba", "ba", "您好", "保证"]
    direct, automaton = _word_sets(words, every=True)
    assert direct.occurrences(text) == automaton.occurrences(text)
    assert direct.search(text) == automaton.search(text)
    direct, automaton = _word_sets(words, every=False)
    assert direct.spans(text) == automaton.spans(text)
    assert direct.search(text) == automaton.search(text)


@settings(max_examples=200, deadline=None)
@given(
    words=st.lists(st.text(alphabet="ab您你好保证😀", min_size=1, max_size=4), max_size=12),
    text=st.text(alphabet="ab您你好保证😀", max_size=30),
)
def test_word_set_answers_as_a_regex_alternation(words: list[str], text: str) -> None:
    """Leftmost-longest spans are what ``re`` finds with the words longest first; every
    occurrence is every (start, end) where a word is."""
    from replycoach.wordset import WordSet

    longest = sorted(set(words), key=lambda w: (-len(w), w))
    regex = re.compile("|".join(map(re.escape, longest)) or "(?!)")
    assert WordSet(words).spans(text) == [m.span() for m in regex.finditer(text)]
    every = WordSet(words, every=True)
    found = {(s, e, every.words[i]) for s, e, i in every.occurrences(text)}
    assert found == {
        (s, s + len(w), w) for w in set(words) for s in range(len(text)) if text.startswith(w, s)
    }


def test_word_set_switches_to_its_automaton_with_the_same_answers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from replycoach import wordset
    from replycoach.wordset import WordSet

    monkeypatch.setattr(wordset, "_direct_left", 10**9)  # this process has looked up enough
    every = WordSet(["保证", "一定", "你", "您好", "你好"], every=True)
    longest = WordSet(every.words)
    texts = ["我保证明天一定发货，你放心", "你好你好您好", "保证一定你"] * 100
    expected = [(every.occurrences(t), longest.spans(t)) for t in texts]
    assert every._scan is not None and longest._scan is not None  # the automata took over
    assert (every._budget or 0) <= 0 and (longest._budget or 0) <= 0
    assert [(every.occurrences(t), longest.spans(t)) for t in texts] == expected
    fresh = WordSet(every.words, ordered=True, every=True)
    assert [fresh.occurrences(t) for t in texts[:3]] == [e for e, _ in expected[:3]]
    assert fresh._index is not None and fresh._scan is None  # answered by look-ups


def test_word_sets_stop_looking_up_once_the_process_has_looked_up_enough(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from replycoach import wordset
    from replycoach.wordset import WordSet

    monkeypatch.setattr(wordset, "_direct_left", 50)
    first, second = WordSet(["保证", "一定"]), WordSet(["你", "您好"])
    assert first.spans("我保证明天一定发货，你放心" * 5) == [(1, 3), (5, 7)] + [
        (k * 13 + a, k * 13 + b) for k in range(1, 5) for a, b in ((1, 3), (5, 7))
    ]
    assert wordset._direct_left <= 0  # that text used up what all sets may look up
    assert second.spans("你好") == [(0, 1)] and second._index is None  # built at once


def test_a_word_set_answers_only_the_question_it_was_made_for() -> None:
    from replycoach.wordset import WordSet

    with pytest.raises(ValueError, match="every=True"):
        WordSet(["你"]).occurrences("你好")
    with pytest.raises(ValueError, match="every=False"):
        WordSet(["你"], every=True).spans("你好")
    with pytest.raises(ValueError, match="distinct"):
        WordSet(["你", "你"], ordered=True)
    assert WordSet([], every=True).occurrences("你好") == [] and not WordSet([]).search("你")


def test_a_word_set_pickles_as_its_words_and_answers_the_same() -> None:
    import pickle

    from replycoach.wordset import WordSet

    words = WordSet(["保证", "一定", "你"], every=True)
    you, vow = words.words.index("你"), words.words.index("保证")
    assert words.occurrences("你保证") == [(0, 1, you), (1, 3, vow)]
    again = pickle.loads(pickle.dumps(words))
    assert again.words == words.words and again.every and again._scan is None
    assert again.occurrences("你保证") == words.occurrences("你保证")
    lone = "你\ud800保证"  # a lone surrogate: not for the automaton, answered by look-ups
    words._budget = 0
    assert words.occurrences(lone) == [(0, 1, you), (2, 4, vow)]


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@given(value=_JSON)
def test_json_report_text_is_the_json_modules(value: object) -> None:
    from replycoach.formats.machine import pretty

    assert pretty(value) == json.dumps(value, ensure_ascii=False, indent=2)


def test_a_big_input_has_word_sets_build_their_automata_at_once(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from replycoach import wordset
    from replycoach.report import MANY_BYTES, Report
    from replycoach.sources import SourceOptions

    monkeypatch.setattr(wordset, "_direct_left", 20_000)
    small = tmp_path / "small.txt"
    small.write_text("我保证明天一定发货\n", encoding="utf-8")
    Report().check_files(ENGINE, [(str(small), SourceOptions(), frozenset())])
    assert wordset._direct_left > 0  # a few replies: looked up
    big = tmp_path / "big.txt"
    big.write_text("我保证明天一定发货\n" * (MANY_BYTES // 20), encoding="utf-8")
    report = Report()
    report.check_files(ENGINE, [(str(big), SourceOptions(), frozenset())])
    assert wordset._direct_left == 0 and report.entries == MANY_BYTES // 20
    fresh = wordset.WordSet(["保证"])
    assert fresh.spans("我保证") == [(1, 3)] and fresh._index is None  # built at once
