"""Matching that survives evasion (issue 14): the evasion view (folding, filler skipping,
variant tables), its exact spans on the original text, the rule field that switches it on,
and the adversarial cases of tests/data/evasion.yaml for the three rules that use it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from replycoach import Engine
from replycoach.errors import RuleFileError
from replycoach.loader import parse_rules
from replycoach.normalize import (
    CLAUSE_BREAKS,
    Evasion,
    VariantTableError,
    fillers,
    fold_text,
    load_variant_table,
    merge_spans,
    normalize,
    normalize_and_fold,
    variant_tables,
)
from replycoach.words import trie_pattern

CASES = yaml.safe_load((Path(__file__).parent / "data" / "evasion.yaml").read_text("utf-8"))
RULES = ("off-platform-contact", "rude-language", "privacy-leak")


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.from_paths(packs=["compliance"])


def test_at_least_sixty_cases_per_rule() -> None:
    for rule in RULES:
        flag, clean = CASES[rule]["flag"], CASES[rule]["clean"]
        assert len(flag) + len(clean) >= 60, rule
        assert len(flag) >= 30 and len(clean) >= 30, rule


@pytest.mark.parametrize(
    ("rule", "text", "span"),
    [(rule, text, span) for rule in RULES for text, span in CASES[rule]["flag"]],
)
def test_evasive_spelling_is_flagged_with_its_exact_span(
    engine: Engine, rule: str, text: str, span: str
) -> None:
    found = [f for f in engine.check(text) if f.rule == rule]
    assert span in [f.excerpt for f in found], (text, found)
    for f in found:
        assert text[f.start : f.end] == f.excerpt


@pytest.mark.parametrize(
    ("rule", "text"), [(rule, text) for rule in RULES for text in CASES[rule]["clean"]]
)
def test_look_alike_text_stays_clean(engine: Engine, rule: str, text: str) -> None:
    assert [f for f in engine.check(text) if f.rule == rule] == []


# ------------------------------------------------------------------ the view itself


def test_fold_text_lowers_case_and_skips_fillers_but_not_clause_breaks() -> None:
    assert fold_text(normalize("加 微❤信，ＶＸ")) == "加微信，vx"
    assert fold_text("A\u200bB\ufe0f-C") == "abc"
    assert fold_text("a b", skip=False) == "a b"
    for ch in CLAUSE_BREAKS:
        assert ch not in fillers()
        assert ch in fold_text(f"a{ch}b")


def test_normalize_folds_styled_digits_and_letters_keeping_length() -> None:
    assert normalize("①③⑧ ❶➀ Ⓢ𝐁 ²") == "138 11 SB 2"
    assert normalize("傻×") == "傻x"
    assert len(normalize("İ")) == 1


def test_view_spans_point_into_the_original() -> None:
    evasion = Evasion(["contact"])
    text = "您好，加 微❤信 详聊"
    view = evasion.view(normalize(text))
    assert view.text == "您好，加微信详聊"
    start = view.text.index("加微信")
    assert view.span(start, start + 3) == (3, 8)
    assert text[3:8] == "加 微❤信"


def test_variant_replacement_maps_back_to_the_whole_variant() -> None:
    evasion = Evasion(["contact"])
    view = evasion.view(normalize("加威信"))
    assert view.text == "加微信"
    assert view.span(1, 2) == (1, 3)  # 微 came from 威信
    assert view.span(0, 3) == (0, 3)


def test_latin_variants_count_only_as_words_of_their_own() -> None:
    evasion = Evasion(["rude"])
    assert evasion.view("usb").text == "usb"
    assert evasion.view("你是sb").text == "你是傻逼"
    assert evasion.view("u s b").text == "u傻逼"  # spaced out letters are a word again


def test_a_match_over_a_long_gap_is_dropped() -> None:
    evasion = Evasion(["contact"], gap=2)
    view = evasion.view("加 - - 微信")
    assert view.text == "加微信"
    assert view.span(0, 3) is None
    assert Evasion(["contact"], gap=5).view("加 - - 微信").span(0, 3) == (0, 8)


def test_no_skip_keeps_fillers() -> None:
    evasion = Evasion(["contact"], skip=False)
    assert evasion.view("加 微信").text == "加 微信"
    assert evasion.view("加VX").text == "加微信"


def test_merge_spans_prefers_a_longer_evasive_match() -> None:
    assert merge_spans([(0, 1)], [(0, 3)]) == [(0, 3)]
    assert merge_spans([(0, 3)], [(0, 3)]) == [(0, 3)]
    assert merge_spans([(0, 2), (3, 5)], [(1, 4)]) == [(0, 2), (3, 5)]
    assert merge_spans([], [(2, 4), (0, 1)]) == [(0, 1), (2, 4)]


fillers_st = st.sampled_from(sorted(fillers() - set(CLAUSE_BREAKS))[:400])


@given(
    prefix=st.text(alphabet="您好请问，。亲", max_size=6),
    gaps=st.lists(st.text(alphabet=fillers_st, max_size=3), min_size=2, max_size=2),
    suffix=st.text(alphabet="您好请问，。亲", max_size=6),
)
def test_any_spacing_of_a_contact_is_found_with_its_exact_span(
    prefix: str, gaps: list[str], suffix: str
) -> None:
    text = f"{prefix}加{gaps[0]}微{gaps[1]}信{suffix}"
    found = [f for f in _compliance().check(text) if f.rule == "off-platform-contact"]
    assert [f.excerpt for f in found] == [f"加{gaps[0]}微{gaps[1]}信"]
    assert all(text[f.start : f.end] == f.excerpt for f in found)


@given(st.text(max_size=40))
def test_view_of_any_text_maps_every_span_inside_it(text: str) -> None:
    norm = normalize(text)
    for names in (["contact", "rude"], ["digits"]):
        view = Evasion(names).view(norm)
        for start in range(len(view.text)):
            for end in range(start + 1, min(len(view.text), start + 4) + 1):
                span = view.span(start, end)
                if span is not None:
                    assert 0 <= span[0] < span[1] <= len(text)


def _compliance() -> Engine:
    return _COMPLIANCE


_COMPLIANCE = Engine.from_paths(packs=["compliance"])


# ------------------------------------------------------------------ rules and tables


def test_masked_suggestion_keeps_the_fillers_of_a_spaced_number(engine: Engine) -> None:
    found = [f for f in engine.check("电话1 3 8 1 2 3 4 5 6 7 8") if f.rule == "privacy-leak"]
    assert found[0].suggestions[0] == "1 3 8 * * * * 5 6 7 8"


def test_warning_against_private_trading_is_clean_but_an_offer_is_not(engine: Engine) -> None:
    def rule_hits(text: str) -> list[str]:
        return [f.excerpt for f in engine.check(text) if f.rule == "off-platform-contact"]

    assert rule_hits("请不要相信私下交易") == []
    assert rule_hits("请不要相信别人，我们私下交易") == ["私下交易"]


def test_evasive_findings_are_not_fixable() -> None:
    rules = parse_rules(
        """
rules:
  - id: demo
    kind: substitution
    severity: info
    message: m
    fix: safe
    swap: {微信: [旺旺]}
    evasion: {variants: [contact]}
    source: {file: x, passage: y}
    examples: {flag: [微信], clean: [您好]}
"""
    )
    engine = Engine(rules)
    assert [(f.excerpt, f.fixable) for f in engine.check("微信 和 威信")] == [
        ("微信", True),
        ("威信", False),
    ]
    assert engine.fix("微信 和 威信") == "旺旺 和 威信"


def _rule_with(evasion: str) -> str:
    return f"""
rules:
  - id: demo
    kind: existence
    severity: info
    message: m
    words: [微信]
    evasion: {evasion}
    source: {{file: x, passage: y}}
    examples: {{flag: [微信], clean: [您好]}}
"""


def test_unknown_variant_table_is_a_rule_file_error() -> None:
    with pytest.raises(RuleFileError) as err:
        parse_rules(_rule_with("{variants: [nosuch]}"), "r.yaml")
    assert "r.yaml:8:" in str(err.value)
    assert "unknown variant table(s) nosuch" in str(err.value)


@pytest.mark.parametrize(
    ("evasion", "message"),
    [
        ("{gap: 11}", "less than or equal to 10"),
        ("{skip: maybe}", "valid boolean"),
        ("{screen: '('}", "not a valid regular expression"),
        ("{fold: true}", "unknown field"),
    ],
)
def test_bad_evasion_settings_are_reported_at_the_field(evasion: str, message: str) -> None:
    with pytest.raises(RuleFileError) as err:
        parse_rules(_rule_with(evasion), "r.yaml")
    assert message in str(err.value)
    assert "rules[0].evasion" in str(err.value)


def test_shipped_variant_tables_are_valid_and_documented() -> None:
    tables = variant_tables()
    assert set(tables) == {"contact", "digits", "rude"}
    folder = Path(__file__).parents[1] / "rules" / "variants"
    for name in tables:
        data, folded = load_variant_table(folder / f"{name}.yaml")
        assert data["description"] and data["source"]
        assert folded  # every variant folded to its canonical spelling
    assert tables["contact"]["威信"] == "微信"
    assert tables["contact"]["扣扣"] == "qq"
    assert tables["rude"]["sb"] == "傻逼"
    assert tables["digits"]["幺"] == "1"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("description: d\nsource: s\nvariants: {微信: [微 信]}\n", "is the canonical spelling"),
        ("description: d\nsource: s\nvariants: {微信: ['❤ ']}\n", "only filler characters"),
        ("description: d\nsource: s\nvariants: {a: [x], b: [x]}\n", "already a variant of"),
        ("description: d\nsource: s\nvariants: {a: x}\n", "non-empty list"),
        ("description: d\nvariants: {a: [x]}\n", "source: a non-empty text"),
        ("description: d\nsource: s\nvariants: {}\nextra: 1\n", "extra: unknown field"),
        ("description: d\nsource: s\nvariants: {a: [x]\n", "not valid YAML"),
        ("- a\n", "a variant table is a mapping"),
    ],
)
def test_bad_variant_table_is_reported_with_file_and_line(
    tmp_path: Path, body: str, message: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(VariantTableError) as err:
        load_variant_table(path)
    assert str(err.value).startswith(f"{path}:")
    assert message in str(err.value)


def test_variant_tables_of_another_folder(tmp_path: Path) -> None:
    (tmp_path / "mine.yaml").write_text(
        "description: d\nsource: s\nvariants: {旺旺: [汪汪]}\n", encoding="utf-8"
    )
    assert variant_tables(str(tmp_path)) == {"mine": {"汪汪": "旺旺"}}


def test_trie_pattern_finds_what_the_plain_alternation_finds() -> None:
    words = ["傻逼", "傻子", "傻", "滚", "滚蛋", "a.b", "ab", "你是不是傻"]
    trie = re.compile(trie_pattern(words))
    plain = re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)))
    for text in ["滚蛋吧", "傻子", "傻", "你是不是傻逼", "a.b", "axb", "ab", "无"]:
        assert [m.group() for m in trie.finditer(text)] == [m.group() for m in plain.finditer(text)]


def test_screen_still_skips_most_replies_and_lets_evasions_through(engine: Engine) -> None:
    screen = engine._screens[1].words  # the trigger words, as one Aho-Corasick automaton
    assert screen.words
    folded = [fold_text(normalize(t)) for t in ("您好，请问有什么可以帮您", "已经发货了")]
    assert not any(screen.search(t) for t in folded)
    for text in ("傻 逼", "ＳＢ", "加 威 信", "扣扣"):
        assert screen.search(fold_text(normalize(text)))


def test_a_cue_set_switches_evasion_on_for_the_rules_that_use_it(tmp_path: Path) -> None:
    path = tmp_path / "team.yaml"
    path.write_text(
        """
cues:
  - name: contact-app
    phrases: [加微信, 加QQ]
    templates: ['微信号[:：]?[a-z0-9_]{6,}']
    evasion: {variants: [contact]}
    examples: {match: [加 威 信], no_match: [微信支付]}
  - name: contact-app-plain
    phrases: [加微信, 加QQ]
    examples: {match: [加微信], no_match: [加 威 信]}
rules:
  - id: team-contact
    kind: combination
    severity: error
    message: 站外联系“{match}”
    conditions: [{any: ["@contact-app"]}]
    mark: {any: ["@contact-app"]}
    source: {file: x, passage: y}
    examples: {flag: [加 威 信], clean: [微信支付]}
  - id: team-contact-plain
    kind: combination
    severity: error
    message: 站外联系“{match}”
    conditions: [{any: ["@contact-app-plain"]}]
    mark: {any: ["@contact-app-plain"]}
    source: {file: x, passage: y}
    examples: {flag: [加微信], clean: [微信支付]}
""",
        encoding="utf-8",
    )
    engine = Engine.from_paths(path, defaults=False)

    def hits(text: str) -> list[tuple[str, str]]:
        return [(f.rule, f.excerpt) for f in engine.check(text)]

    assert hits("您好，加 威 信 吧") == [("team-contact", "加 威 信")]
    assert hits("加扣扣") == [("team-contact", "加扣扣")]
    assert hits("微信号：Shop_2024") == [("team-contact", "微信号：Shop_2024")]
    assert hits("加微信") == [("team-contact", "加微信"), ("team-contact-plain", "加微信")]
    assert hits("微信支付") == []


def test_cue_set_evasion_is_validated(tmp_path: Path) -> None:
    path = tmp_path / "team.yaml"
    path.write_text(
        "cues:\n  - name: c\n    phrases: [加微信]\n    evasion: {variants: [nosuch]}\n",
        encoding="utf-8",
    )
    with pytest.raises(RuleFileError) as err:
        Engine.from_paths(path, defaults=False)
    assert "unknown variant table(s) nosuch" in str(err.value)
    assert "team.yaml:4" in str(err.value)


def test_checking_a_folder_skips_variant_tables() -> None:
    from replycoach.cli import main

    folder = Path(__file__).parents[1] / "rules" / "variants"
    assert main(["check", str(folder)]) == 0


_SAMPLES = st.text(
    alphabet=st.sampled_from(
        "加微信VXvx 　❤🙂①ＱＱ號碼電話１３８壹贰-_[]【】，。?!İß\u200b好的亲您"
    ),
    max_size=30,
) | st.text(max_size=30)


@given(st.lists(_SAMPLES, min_size=1, max_size=5), st.booleans())
def test_normalize_and_fold_after_its_screens_are_built_equals_the_two_steps(
    texts: list[str], fold: bool
) -> None:
    # The screens are built after a few hundred replies: check before and after.
    import replycoach.normalize as normalize_module

    for warm in (True, False):
        if warm:
            normalize_module._screens()
        saved = normalize_module._until_screens
        normalize_module._until_screens = 0 if warm else 10**9
        try:
            for text in texts:
                norm = normalize(text)
                assert normalize_and_fold(text, fold) == (norm, fold_text(norm) if fold else None)
        finally:
            normalize_module._until_screens = saved
