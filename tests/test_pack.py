"""Hygiene of the default pack: the contract ids, examples, sources that really exist."""

from __future__ import annotations

import re

import pytest

from replycoach import Engine
from replycoach.loader import AnyRule, PositionRule
from replycoach.normalize import normalize

from .conftest import DEFAULT_RULES, GUIDANCE

CONTRACT_IDS = {
    "pronoun-balance",
    "honorific-you",
    "absolute-promise",
    "flat-refusal",
    "vague-answer",
    "blame-shifting",
    "rude-language",
    "missing-greeting",
    "missing-closing",
    "privacy-leak",
}


def test_default_pack_has_exactly_the_contract_ids() -> None:
    ids = [r.id for r in DEFAULT_RULES]
    assert sorted(ids) == sorted(CONTRACT_IDS)
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("rule", DEFAULT_RULES, ids=lambda r: r.id)
def test_enough_examples(rule: AnyRule) -> None:
    assert len(rule.examples.flag) >= 8
    assert len(rule.examples.clean) >= 8


@pytest.mark.parametrize("rule", DEFAULT_RULES, ids=lambda r: r.id)
def test_has_a_traditional_script_example(rule: AnyRule) -> None:
    texts = [ex.text for ex in rule.examples.flag]
    assert any(normalize(t) != t and not t.isascii() for t in texts), rule.id


def _plain(text: str) -> str:
    """Guidance text made comparable: simplified, pinyin left by a bad conversion removed,
    punctuation and blanks dropped."""
    text = normalize(text)
    text = re.sub(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü ]+\)", "", text)
    return re.sub(r"[\s\W_]+", "", text)


@pytest.mark.skipif(not GUIDANCE.is_dir(), reason="../shared/guidance is not beside the repo")
@pytest.mark.parametrize("rule", DEFAULT_RULES, ids=lambda r: r.id)
def test_source_passage_is_quoted_from_the_guidance(rule: AnyRule) -> None:
    path = GUIDANCE / rule.source.file
    assert path.is_file(), rule.source.file
    document = _plain(path.read_text(encoding="utf-8"))
    for piece in re.split(r"……|\.\.\.", rule.source.passage):
        piece = _plain(piece)
        if piece:
            assert piece in document, f"{rule.id}: passage not found in {path.name}: {piece}"


@pytest.mark.parametrize("rule", DEFAULT_RULES, ids=lambda r: r.id)
def test_suggestions_are_not_flagged_by_other_rules(rule: AnyRule) -> None:
    """An approved rewrite must not itself break another rule of the pack."""
    engine = Engine.default()
    if isinstance(rule, PositionRule):
        return  # its suggestions are whole sentences with the reply inside
    suggestions = {
        s
        for f_list in (engine.check(ex.text, position=ex.position) for ex in rule.examples.flag)
        for f in f_list
        if f.rule == rule.id
        for s in f.suggestions
    }
    for text in sorted(suggestions):
        others = [f for f in engine.check(text) if f.rule != rule.id]
        assert others == [], (text, others)


@pytest.mark.parametrize("rule", DEFAULT_RULES, ids=lambda r: r.id)
def test_exceptions_and_words_are_plain_simplified(rule: AnyRule) -> None:
    """Rules are written in simplified script: input is normalised before matching."""
    for word in [
        *getattr(rule, "words", []),
        *getattr(rule, "swap", {}),
        *getattr(rule, "exceptions", []),
    ]:
        assert normalize(word) == word, (rule.id, word)
