"""Hygiene of the default pack: the contract ids, examples, sources that really exist."""

from __future__ import annotations

import re

import pytest

from replycoach import Engine
from replycoach.loader import AnyRule, CombinationRule, PositionRule
from replycoach.normalize import normalize

from .conftest import DEFAULT_RULES, GUIDANCE

CONTRACT_IDS = {  # issue 3: the default pack
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
CONTEXT_IDS = {  # issue 6: context rules and short sentences, on by default
    "complaint-without-apology",
    "bare-unavailable",
    "blunt-bargain-refusal",
    "long-sentence",
}
COMPLIANCE_IDS = {  # issue 6: the opt-in compliance pack
    "off-platform-contact",
    "advertising-absolute",
    "compensation-promise",
    "review-inducement",
}


def test_default_pack_has_exactly_the_contract_ids() -> None:
    ids = [r.id for r in DEFAULT_RULES]
    assert len(ids) == len(set(ids))
    assert {r.id for r in DEFAULT_RULES if r.enabled} == CONTRACT_IDS | CONTEXT_IDS
    assert {r.id for r in DEFAULT_RULES if not r.enabled} == COMPLIANCE_IDS
    assert {r.pack for r in DEFAULT_RULES if r.id in COMPLIANCE_IDS} == {"compliance"}
    assert set(Engine.default().rule_ids()) == CONTRACT_IDS | CONTEXT_IDS
    with_pack = Engine.from_paths(packs=["compliance"]).rule_ids()
    assert set(with_pack) == CONTRACT_IDS | CONTEXT_IDS | COMPLIANCE_IDS


def test_every_default_pack_rule_outside_the_guidance_names_a_public_source() -> None:
    for rule in DEFAULT_RULES:
        if not GUIDANCE_FILE.match(rule.source.file):
            assert rule.id in COMPLIANCE_IDS, rule.id
            assert rule.source.file.startswith("《"), rule.source.file


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


GUIDANCE_FILE = re.compile(r"^\d{3}_[0-9a-f]+\.txt$")


@pytest.mark.skipif(not GUIDANCE.is_dir(), reason="../shared/guidance is not beside the repo")
@pytest.mark.parametrize(
    "rule", [r for r in DEFAULT_RULES if GUIDANCE_FILE.match(r.source.file)], ids=lambda r: r.id
)
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
    engine = Engine.from_paths(packs=["compliance"])
    if isinstance(rule, (PositionRule, CombinationRule)) and getattr(rule, "add", None):
        return  # its suggestions are whole sentences with the reply inside
    suggestions = {
        s
        for ex in rule.examples.flag
        for f in engine.check(ex.text, position=ex.position, customer=ex.customer)
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
