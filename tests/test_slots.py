"""A pack's own template slots (``slots:`` → ``{party}``): declared once, used by any template
of the pack, validated at their line, listed in the rule reference, covered by the cache key,
and as cheap as the alternation they replace."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from replycoach import Engine, rulecache
from replycoach.cues import compile_cue, expand_template, required_literals
from replycoach.docs import render_default_rules
from replycoach.errors import RuleFileError
from replycoach.loader import default_cues, default_slots, load_cues, load_paths, parse_rules
from replycoach.ruletest import test_rules as run_test_rules

ROOT = Path(__file__).resolve().parents[1]

CUE = """\
slots:
  outsider: [快递, 快递员, 驿站]
cues:
  - name: outsider-fault
    templates: ['{outsider}的锅', '是{outsider}{verb}丢的']
"""


def _readme_slot_example() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- slot-example -->")[1].split("<!-- /slot-example -->")[0]
    return block.split("```yaml\n")[1].split("```")[0]


def _problems(text: str, path: str = "team.yaml") -> list[str]:
    with pytest.raises(RuleFileError) as err:
        parse_rules(text, path)
    return err.value.problems


def test_readme_slot_example_works(tmp_path: Path) -> None:
    path = tmp_path / "team.yaml"
    path.write_text(_readme_slot_example(), encoding="utf-8")
    assert run_test_rules([path]) == []
    cue = load_cues(path)["blame-party"]
    matcher = compile_cue(cue)
    assert [("都是快递员的锅"[a:b]) for a, b in matcher.find("都是快递员的锅")] == [
        "都是快递员的锅"
    ]
    assert matcher.find("是别家的问题") and not matcher.find("是我们的问题")


def test_a_slot_stands_for_its_phrases_longest_first_and_its_pattern() -> None:
    (rule,) = parse_rules(
        CUE.replace(
            "  outsider: [快递, 快递员, 驿站]",
            "  outsider: {phrases: [快递, 快递员], pattern: '{han}站'}",
        )
        + """rules:
  - id: outsider-blame
    kind: combination
    severity: info
    message: 别推给别人：{match}
    conditions: [{any: ["@outsider-fault"]}]
    mark: {any: ["@outsider-fault"]}
    source: {file: x.md, passage: y}
    examples: {flag: [快递员的锅, 是驿站弄丢的], clean: [我的锅]}
"""
    )
    engine = Engine([rule])
    assert [f.excerpt for f in engine.check("这是快递员的锅")] == ["快递员的锅"]
    assert [f.excerpt for f in engine.check("是驿站弄丢的")] == ["是驿站弄丢的"]
    assert [f.excerpt for f in engine.check("是网站弄丢的")] == ["是网站弄丢的"]
    assert not engine.check("是我弄丢的")


def test_slot_of_phrases_keeps_the_literal_screen() -> None:
    """The trigger screen sees the slot's words, as it saw the hand-written alternation."""
    slots = {"p": "快递员|快递|物流"}
    assert required_literals(expand_template("{p}的锅", slots)) == {
        "快递员的锅",
        "快递的锅",
        "物流的锅",
    }
    for name in ("fault-elsewhere", "push-away"):
        cue = default_cues()[name]
        assert "party" in cue.slots
        matcher = compile_cue(cue)
        assert matcher.screenable and matcher.screen is not None, name
        assert "菜鸟" in matcher.triggers and "驿站" in matcher.triggers, name


def test_the_default_pack_declares_party_once_and_uses_it() -> None:
    slots = default_slots()
    assert {"party", "we"} <= set(slots)
    assert "快递" in slots["party"].phrases
    assert slots["party"].origin.startswith(str(ROOT / "rules" / "cues" / "blame.yaml"))
    text = (ROOT / "rules" / "cues" / "blame.yaml").read_text(encoding="utf-8")
    assert "京东物流|" not in text  # the list is written once, as the slot's phrases
    assert text.count("{party}") > 10


def test_slots_are_shared_across_the_files_of_a_pack(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    _write(pack / "a.yaml", "slots:\n  outsider: [快递, 驿站]\n")
    _write(pack / "b.yaml", "cues:\n" + CUE.split("cues:\n")[1])
    assert compile_cue(load_cues(pack)["outsider-fault"]).find("驿站的锅")
    assert load_paths([pack]) == []  # slots and cue sets only: no rule, no problem
    # the default pack's slots serve a team's templates too
    team = _write(
        tmp_path / "team.yaml",
        "cues:\n  - name: blames-party\n    templates: ['{party}的锅']\n"
        + _RULE.format(cue="blames-party"),
    )
    engine = Engine(load_paths([team]))
    assert [f.excerpt for f in engine.check("这是菜鸟的锅")] == ["菜鸟的锅"]


_RULE = """rules:
  - id: team-blame
    kind: combination
    severity: info
    message: 别推给别人：{{match}}
    conditions: [{{any: ["@{cue}"]}}]
    mark: {{any: ["@{cue}"]}}
    source: {{file: x.md, passage: y}}
    examples: {{flag: [菜鸟的锅], clean: [我的锅]}}
"""


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "line", "field", "says"),
    [
        (
            CUE.replace("'{outsider}的锅'", "'{outsidr}的锅'"),
            5,
            "cues[0].templates[0]",
            "unknown slot {outsidr}",
        ),
        (CUE.replace("  outsider:", "  verb:"), 2, "slots.verb", "{verb} is a built-in slot"),
        (CUE.replace("  outsider:", "  Outsider:"), 2, "slots.Outsider", "lower-case letters"),
        (
            CUE.replace("[快递, 快递员, 驿站]", "{pattern: '(快递'}"),
            2,
            "slots.outsider.pattern",
            "not a valid regular expression",
        ),
        (
            CUE.replace("[快递, 快递员, 驿站]", "{pattern: '{party}员'}"),
            2,
            "slots.outsider.pattern",
            "built-in slots only",
        ),
        (
            CUE.replace("[快递, 快递员, 驿站]", "[]"),
            2,
            "slots.outsider",
            "needs phrases or a pattern",
        ),
        (
            CUE.replace("[快递, 快递员, 驿站]", "{pattern: '快?'}"),
            2,
            "slots.outsider",
            "empty string",
        ),
        (
            CUE.replace("[快递, 快递员, 驿站]", "{phrases: [快递], words: [x]}"),
            2,
            "slots.outsider.words",
            "unknown field",
        ),
        (
            CUE.replace("'{outsider}的锅'", "'{outsider}?'"),
            5,
            "cues[0].templates[0]",
            "matches the empty string",
        ),
        (
            CUE.replace("  outsider:", "  party:").replace("{outsider}", "{party}"),
            2,
            "slots.party",
            "already defined",
        ),
    ],
)
def test_slot_problems_name_file_line_and_field(
    text: str, line: int, field: str, says: str
) -> None:
    problems = _problems(text)
    assert any(p.startswith(f"team.yaml:{line}: {field}") and says in p for p in problems), problems


def test_a_slot_declared_in_two_files_is_an_error(tmp_path: Path) -> None:
    _write(tmp_path / "a.yaml", CUE)
    _write(tmp_path / "b.yaml", "slots:\n  outsider: [物流]\n")
    with pytest.raises(RuleFileError) as err:
        load_paths([tmp_path])
    (problem,) = err.value.problems
    assert problem.startswith(f"{tmp_path / 'b.yaml'}:2: slots.outsider")
    assert f"already defined ({tmp_path / 'a.yaml'}:2)" in problem


def test_a_file_may_hold_only_slots() -> None:
    assert parse_rules("slots:\n  outsider: [快递]\n") == []
    assert "needs 'rules'" in _problems("slots: {}\n")[0]


def test_the_rule_reference_lists_the_slots() -> None:
    text = render_default_rules()
    section = text.split("\n## Slots\n")[1].split("\n## ")[0]
    assert "| `{verb}` |" in section and "| `{party}` |" in section
    assert (
        "`rules/cues/blame.yaml`" in section
        and "[`@fault-elsewhere`](#cue-fault-elsewhere)" in section
    )
    assert (ROOT / "docs" / "rules.md").read_text(encoding="utf-8") == text


def test_the_cache_key_covers_the_default_packs_slots(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A team pack loaded without the default rules still uses the default pack's slots:
    changing one must change the key."""
    from replycoach import loader

    rules = tmp_path / "rules"
    _write(rules / "cues" / "c.yaml", "slots:\n  outsider: [快递]\n")
    monkeypatch.setattr(rulecache, "default_rules_dir", lambda: rules)
    monkeypatch.setattr(loader, "default_rules_dir", lambda: rules)
    team = _write(tmp_path / "team.yaml", "cues:\n  - name: x\n    templates: ['{outsider}的锅']\n")
    first = rulecache.cache_key([str(team)], {})
    _write(rules / "cues" / "c.yaml", "slots:\n  outsider: [快递, 驿站]\n")
    assert first and rulecache.cache_key([str(team)], {}) != first
    assert compile_cue(load_cues(team)["x"]).find("驿站的锅")


def test_refactor_kept_the_hand_written_alternation() -> None:
    """{party} is the list the templates held before, in an order that matches the same."""
    party = default_slots()["party"]
    assert re.fullmatch(f"(?:{party.regex})", "快递员") and len(party.phrases) == len(
        set(party.phrases)
    )
