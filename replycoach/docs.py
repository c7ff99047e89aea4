"""The rule reference (``docs/rules.md``), generated from the rules themselves:
``replycoach docs -o docs/rules.md``. A test fails when the committed file is stale."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import yaml

from .cues import CueSet
from .engine import Engine
from .loader import AnyRule, SubstitutionRule, default_cues, default_rules_dir


@cache
def _titles() -> dict[str, str]:
    try:
        path = default_rules_dir() / "sources" / "titles.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return {}
    return {str(k): str(v) for k, v in (data or {}).items()}


def source_title(file: str) -> str:
    """The title of the document a rule cites (``rules/sources/titles.yaml``), for people;
    the file name itself when it has no title (citations such as 《广告法》 are titles).

    >>> source_title("002_a357f8f2c1f849a2.txt")
    '《淘宝客服日常工作安排表》'
    """
    return _titles().get(file, file)


def _fix(rule: AnyRule) -> str:
    if isinstance(rule, SubstitutionRule) and rule.fix == "safe":
        return "safe: `replycoach fix` applies it (words with one rewrite)"
    return "no automatic fix: the suggestions are for a person to choose"


def _example(rule: AnyRule) -> list[str]:
    engine = Engine([rule], enable=[rule.id])
    ex = rule.examples.flag[0]
    found = engine.check(ex.text, position=ex.position, customer=ex.customer)
    context = []
    if ex.customer:
        context.append(f"顾客：{ex.customer}")
    if ex.position:
        context.append(f"位置：{ex.position}")
    lines = [f"- Flagged: `{ex.text}`" + (f" ({'；'.join(context)})" if context else "")]
    if found:
        f = found[0]
        lines.append(f"- Finding: “{f.excerpt}” — {f.message}")
        if f.suggestions:
            lines.append("- Rewrite: " + " / ".join(f"`{s}`" for s in f.suggestions))
    clean = rule.examples.clean[0]
    lines.append(f"- Not flagged: `{clean.text}`")
    return lines


def _cue_sets(rules: Sequence[AnyRule]) -> list[tuple[CueSet, list[str]]]:
    """Every cue set of the default pack and those the rules reference, with their users."""
    cues: dict[str, CueSet] = dict(default_cues())
    users: dict[str, list[str]] = {}
    for rule in rules:
        for name, cue in rule.cues.items():
            cues.setdefault(name, cue)
            users.setdefault(name, []).append(rule.id)
    return [(cues[n], sorted(set(users.get(n, [])))) for n in sorted(cues)]


def _render_cues(rules: Sequence[AnyRule]) -> list[str]:
    out = [
        "",
        "## Cue sets",
        "",
        "Named sets of phrases and templates that rules reference as `@name` in a condition "
        '(`none: ["@apology"]`). A template is a regular expression over the normalised '
        "text with slots (`{verb}`: any verb). `not in` lists the contexts in which a match "
        "does not count. Defined in `rules/cues/*.yaml`; a team's rule file may add its own "
        "under `cues:`.",
        "",
        "| cue set | what it finds | not in | used by |",
        "|---|---|---|---|",
    ]
    for cue, users in _cue_sets(rules):
        used = ", ".join(f"[`{u}`](#{u})" for u in users) or "-"
        out.append(
            f"| [`@{cue.name}`](#cue-{cue.name}) | {cue.description} | "
            f"{', '.join(cue.not_in) or '-'} | {used} |"
        )
    for cue, _ in _cue_sets(rules):
        out += ["", f'<a id="cue-{cue.name}"></a>', "", f"### @{cue.name}", ""]
        if cue.description:
            out += [cue.description, ""]
        if cue.phrases:
            out.append("- Phrases: " + "、".join(cue.phrases))
        for template in cue.templates:
            out.append(f"- Template: `{template}`")
        if cue.exceptions:
            out.append("- Not inside: " + "、".join(cue.exceptions))
        if cue.not_in:
            out.append("- Not in: " + ", ".join(cue.not_in))
        if cue.examples.match:
            out.append("- Finds: " + " · ".join(f"`{t}`" for t in cue.examples.match))
        if cue.examples.no_match:
            out.append("- Does not find: " + " · ".join(f"`{t}`" for t in cue.examples.no_match))
    return out


def render_rules(rules: Sequence[AnyRule]) -> str:
    """Markdown: a table of the rules, then a section per rule."""
    out = [
        "# Rule reference",
        "",
        "Generated from `rules/*.yaml` by `replycoach docs -o docs/rules.md`; do not edit by "
        "hand. `replycoach explain RULE` shows the same on a terminal.",
        "",
        "| rule | kind | severity | on by default | pack |",
        "|---|---|---|---|---|",
    ]
    rules = sorted(rules, key=lambda r: (not r.enabled, r.pack if not r.enabled else "", r.id))
    for rule in rules:
        pack = "default" if rule.enabled else rule.pack
        out.append(
            f"| [`{rule.id}`](#{rule.id}) | {rule.kind} | {rule.severity.value} | "
            f"{'yes' if rule.enabled else 'no'} | {pack} |"
        )
    for rule in rules:
        out += [
            "",
            f"## {rule.id}",
            "",
            f"{rule.kind}, {rule.severity.value}, "
            + ("on by default" if rule.enabled else f"opt-in (`--pack {rule.pack}`)"),
            "",
            f"**What it does.** {rule.description or rule.message}",
            "",
            f"**Why.** {source_title(rule.source.file)}: “{rule.source.passage}”",
            "",
            f"**Fix.** {_fix(rule)}",
            "",
            *_example(rule),
        ]
    out += _render_cues(rules)
    return "\n".join(out) + "\n"


def render_default_rules() -> str:
    """The reference of every rule shipped with replycoach (opt-in packs included)."""
    return render_rules(Engine.from_paths().rules)
