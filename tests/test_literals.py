"""Trigger words of pattern rules: every match contains one of them (else a rule would be
skipped for a reply it flags)."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from replycoach.literals import required_groups, required_literals, top_branches
from replycoach.loader import PatternRule
from replycoach.normalize import normalize

from .conftest import DEFAULT_RULES, SHARED

PATTERNS = [
    "不(?:归|是|由)(?:我们|我)(?:这边|这里)?(?:管|负责)",
    "(?:是|属于)(?<!不是)(?:快递|物流)(?:那边)?的(?:问题|锅)",
    "(?:加|添加)(?:我|我的)?(?:微信|VX|vx)",
    "(?:QQ|qq)(?:号|群)?\\s*[:：是]?\\s*[1-9][0-9]{4,11}(?![0-9])",
    "(?<![0-9])1[3-9][0-9](?:[- ]?[0-9]{4}){2}",
    "(?:好评|五星)[^。！？]{0,10}?(?:返现|红包)|(?:返现|红包)[^。]{0,10}?好评",
    "a(?:b|c)?d+e",
]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("abc", {"abc"}),
        ("a(?:b|c)d", {"abd", "acd"}),
        ("ab?c", {"abc", "ac"}),
        ("x.y", None),  # nothing required: x or y alone is too weak, yet both are required
        ("(?i)abc", None),
        ("a(?i:b)c", None),
        ("[^a]+", None),
        ("", None),
    ],
)
def test_required_literals(pattern: str, expected: set[str] | None) -> None:
    found = required_literals(pattern)
    if pattern == "x.y":
        assert found in ({"x"}, {"y"})  # either is a valid requirement
        return
    assert found == (None if expected is None else frozenset(expected))


def rule_patterns() -> list[str]:
    return [normalize(r.regex) for r in DEFAULT_RULES if isinstance(r, PatternRule)]


def texts() -> list[str]:
    corpus = SHARED / "corpus" / "replies.jsonl"
    found = [ex.text for r in DEFAULT_RULES for ex in r.examples.flag]
    if corpus.is_file():
        found += [json.loads(line)["text"] for line in corpus.read_text("utf-8").splitlines()]
    return [normalize(t) for t in found]


@pytest.mark.parametrize("pattern", PATTERNS + rule_patterns())
def test_every_match_contains_a_required_literal(pattern: str) -> None:
    required = required_literals(pattern)
    if required is None:
        return
    regex = re.compile(pattern)
    for text in texts():
        for m in regex.finditer(text):
            assert any(word in m.group() for word in required), (pattern, m.group())


@given(st.text(alphabet="abcdexy不归是我们管这边-0123 ", max_size=30))
def test_matches_of_generated_text_contain_a_required_literal(text: str) -> None:
    for pattern in PATTERNS:
        required = required_literals(pattern)
        for m in re.finditer(pattern, text):
            assert required is not None and any(w in m.group() for w in required)


def _templates() -> list[str]:
    from replycoach.cues import expand_template
    from replycoach.loader import default_cues

    return [
        normalize(expand_template(t))
        for cue in default_cues().values()
        for t in cue.filled_templates
    ]


@pytest.mark.parametrize("pattern", PATTERNS + rule_patterns() + _templates()[::7])
def test_a_text_with_a_match_holds_a_string_of_every_required_group(pattern: str) -> None:
    groups = required_groups(pattern)
    if groups is None:
        return
    assert groups[0] == required_literals(pattern)
    regex = re.compile(pattern)
    for text in texts():
        if regex.search(text):
            assert all(any(w in text for w in group) for group in groups), (pattern, text)


@given(st.text(alphabet="abcdexy不归是我们管这边-0123 ", max_size=30))
def test_generated_text_with_a_match_holds_every_required_group(text: str) -> None:
    for pattern in PATTERNS:
        groups = required_groups(pattern)
        if groups is not None and re.search(pattern, text):
            assert all(any(w in text for w in group) for group in groups)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("a|b", ["a", "b"]),
        ("(?:a|b)", ["a", "b"]),
        ("(?:a)|(?:b)", ["(?:a)", "(?:b)"]),
        ("a[|]b|c\\|d|(?:e|f)", ["a[|]b", "c\\|d", "(?:e|f)"]),
        ("[]|]x|y", ["[]|]x", "y"]),
        ("[(|]a|(?:b)c|[^]|)]", ["[(|]a", "(?:b)c", "[^]|)]"]),
        ("(?:a|b)|(c)", ["(?:a|b)", "(c)"]),
        ("(?i)a|b", ["(?i)a|b"]),
        ("(?:a|b)c", ["(?:a|b)c"]),
    ],
)
def test_top_branches(pattern: str, expected: list[str]) -> None:
    assert top_branches(pattern) == expected
