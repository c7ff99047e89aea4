"""The split alternation (replycoach/alternation.py) matches exactly as the whole regex:
same spans, same groups, on every cue set and list pattern of the default and compliance
packs, on their examples, the paraphrases and any mix of their literals (hypothesis)."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from replycoach import Engine
from replycoach.alternation import Alternation
from replycoach.cues import compile_cue
from replycoach.kinds import PatternChecker
from replycoach.loader import default_cues
from replycoach.normalize import normalize

ROOT = Path(__file__).resolve().parents[1]


@cache
def _splits() -> tuple[tuple[re.Pattern[str], Alternation], ...]:
    """(the whole regex, its split) for every usable cue set and list pattern."""
    found = []
    for cue in default_cues().values():
        matcher = compile_cue(cue)
        if matcher.branches.usable:
            found.append(matcher.branches)
    engine = Engine.from_paths(packs=["compliance"])
    for checker in engine.checkers:
        if isinstance(checker, PatternChecker):
            found += [a for a in (checker._pieces, checker._view_pieces) if a is not None]
    return tuple((_whole(a.pieces), a) for a in found)


def _whole(pieces: tuple[str, ...]) -> re.Pattern[str]:
    """The alternation as one regex (a case-insensitive piece's flag moved to the front)."""
    flag = "(?i)" if all(p.startswith("(?i)") for p in pieces) else ""
    return re.compile(flag + "|".join(f"(?:{p.removeprefix(flag)})" for p in pieces))


@cache
def _texts() -> tuple[str, ...]:
    path = ROOT / "tests" / "data" / "paraphrases.jsonl"
    texts = [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines()]
    for cue in default_cues().values():
        texts += [*cue.examples.match, *cue.examples.no_match]
    for rule in Engine.from_paths(packs=["compliance"]).rules:
        texts += [ex.text for ex in rule.examples.flag]
        texts += [ex if isinstance(ex, str) else ex.text for ex in rule.examples.clean]
    return tuple(texts)


def _same(whole: re.Pattern[str], split: Alternation, text: str) -> None:
    if split.pieces[0].startswith("(?i)") and text != text.lower():
        return  # a view's split is made for the view's text, which is in lower case
    expected = [(m.span(), m.groupdict()) for m in whole.finditer(text)]
    got = [(m.span(), m.groupdict()) for m in split.matches(text)]
    # a piece alone knows only its own groups: compare the groups that matched
    assert [(s, {k: v for k, v in g.items() if v is not None}) for s, g in got] == [
        (s, {k: v for k, v in g.items() if v is not None}) for s, g in expected
    ], (text, whole.pattern[:60])


def test_the_default_packs_split_their_alternations() -> None:
    splits = _splits()
    assert len(splits) > 20
    assert any(len(a.pieces) > 5 for _, a in splits)
    assert any(a.pieces[0].startswith("(?i)") for _, a in splits)  # an evasion view's


def test_split_alternation_matches_as_the_whole_one() -> None:
    for text in _texts():
        norm = normalize(text)
        for whole, split in _splits():
            _same(whole, split, norm)
            _same(whole, split, norm.lower())  # the evasion view is in lower case


def _pieces() -> list[str]:
    literals = {w for _, a in _splits() for w in a.literals.words}
    return sorted(literals | set("，。吗的话您我你了不没是有这那个0123456789 -"))


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_pieces()), max_size=12))
def test_split_alternation_matches_as_the_whole_one_on_any_mix(pieces: list[str]) -> None:
    norm = normalize("".join(pieces))
    for whole, split in _splits():
        _same(whole, split, norm)
        _same(whole, split, norm.lower())


def test_ties_go_to_the_earlier_alternative_and_matches_do_not_overlap() -> None:
    split = Alternation(["快递(?:的问题)?", "快递的问题"])
    assert split.spans("这是快递的问题，快递") == [(2, 7), (8, 10)]
    split = Alternation(["的问题", "快递的"])
    assert split.spans("快递的问题") == [(0, 3)]  # leftmost wins, then on from its end
    assert Alternation(["a*"]).usable is False  # may match empty: the caller keeps the whole


def test_told_which_strings_occur_it_finds_the_same() -> None:
    matchers = [compile_cue(cue) for cue in default_cues().values()]
    for text in _texts():
        norm = normalize(text)
        for matcher in matchers:
            if matcher.screen is None or not matcher.branches.usable:
                continue
            present = {w for w in matcher.primes if w in norm}
            owners = matcher.branches.owners()
            mask = 0
            for word in present:
                mask |= owners.get(word, 0)
            given = [m.span() for m in matcher.branches.matches_given(norm, mask)]
            assert given == matcher.branches.spans(norm)
            fresh = normalize(text + "。")[:-1]  # a new object: the matcher's cache is by identity
            assert matcher.spans_of(fresh, present) == matcher._candidates(norm)


def test_cue_sets_primed_together_find_the_same() -> None:
    from replycoach.kinds import _Primer

    matchers = [compile_cue(cue) for cue in default_cues().values()]
    primer = _Primer(matchers)
    primer.prime("")
    assert primer.words is not None and len(primer.parts) > 5
    for text in _texts():
        norm = normalize(text + "。")[:-1]
        primer.prime(norm)
        for matcher in primer.cues:
            assert matcher.spans_of(norm) == matcher._candidates(normalize(text))


def test_each_alternative_runs_only_where_all_its_requirements_occur() -> None:
    split = Alternation(["(?:找|问)(?:快递|物流)[^，]{0,4}(?:问题|责任)|怪[你您]"])
    assert split.pieces == ("(?:找|问)(?:快递|物流)[^，]{0,4}(?:问题|责任)", "怪[你您]")
    assert [bin(n).count("1") for n in split.needs] == [2, 1]
    assert split.spans("找快递，问题") == []
    assert split.spans("您去找快递解决问题吧，怪你") == [(2, 9), (11, 13)]
    assert split.matches_given("找快递解决问题", 0) == []  # told nothing occurs: nothing tried
