"""The rule reference (``docs/rules.md``), generated from the rules themselves:
``replycoach docs -o docs/rules.md``. A test fails when the committed file is stale."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path

import yaml

from .cues import SLOT_HELP
from .engine import Engine
from .loader import (
    AnyRule,
    CueSet,
    Slot,
    SubstitutionRule,
    default_cues,
    default_rules_dir,
    default_slots,
)


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
        '(`none: ["@apology"]`), in `exceptions`, among an existence rule\'s `words` '
        '(`words: [滚, "@impatience"]`) or as a key of a substitution rule\'s `swap` '
        '(`"@vow-shape": [尽量]`: its matches get those rewrites, never applied by `fix`). '
        "A template is a regular expression over the normalised "
        "text with [slots](#slots) (`{verb}`: any verb; `{party}`: a slot of the pack). "
        "`not in` lists the contexts in which a match does not count. Defined in "
        "`rules/cues/*.yaml`; a team's rule file may add its own under `cues:`.",
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


def _where(origin: str) -> str:
    """A slot's file, relative to the default pack's folder when it is there."""
    path = Path(origin.rsplit(":", 1)[0])
    try:
        return str(path.resolve().relative_to(default_rules_dir().parent))
    except ValueError:
        return path.name


def _render_slots(rules: Sequence[AnyRule]) -> list[str]:
    """The built-in slots, then the pack's own (the default pack's and those the rules' cue
    sets use), with the cue sets that use them."""
    slots: dict[str, Slot] = dict(default_slots())
    users: dict[str, list[str]] = {}
    for cue, _ in _cue_sets(rules):
        for name, slot in cue.slots.items():
            slots.setdefault(name, slot)
            users.setdefault(name, []).append(cue.name)
    out = [
        "",
        "## Slots",
        "",
        "A template names a slot as `{name}`; it stands for any text the slot matches. Built in:",
        "",
        "| slot | stands for |",
        "|---|---|",
        *(f"| `{{{name}}}` | {help} |" for name, help in SLOT_HELP.items()),
        "",
        "A pack declares its own slots under `slots:` at the top of a cue file or a rule "
        "file: a name and its phrases (an alternation, longest first) and/or a `pattern` "
        "(a regular expression, which may use the built-in slots). Every template of the "
        "pack may use them, a team's pack the default pack's too. The pack's slots:",
        "",
        "| slot | stands for | declared in | used by |",
        "|---|---|---|---|",
    ]
    for name in sorted(slots):
        slot = slots[name]
        what = [slot.description] if slot.description else []
        if slot.phrases:
            what.append("、".join(slot.phrases))
        if slot.pattern:
            what.append(f"`{slot.pattern}`")
        used = ", ".join(f"[`@{u}`](#cue-{u})" for u in sorted(set(users.get(name, [])))) or "-"
        out.append(f"| `{{{name}}}` | {' — '.join(what)} | `{_where(slot.origin)}` | {used} |")
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
            *_evasion(rule),
            *_example(rule),
        ]
    out += _render_cues(rules)
    out += _render_slots(rules)
    out += _normalisation(rules)
    return "\n".join(out) + "\n"


def _evasion(rule: AnyRule) -> list[str]:
    setting = getattr(rule, "evasion", None)
    if setting is None:
        return []
    tables = ", ".join(f"[`{n}`](#variant-table-{n})" for n in setting.variants) or "none"
    skip = f"fillers skipped, at most {setting.gap} in a row" if setting.skip else "no skipping"
    return [
        f"**Evasion.** Also matched on the [evasion view](#normalisation): case folded, "
        f"{skip}; variant tables: {tables}.",
        "",
    ]


def _normalisation(rules: Sequence[AnyRule]) -> list[str]:
    """The section on normalisation and every variant table a rule names."""
    from .normalize import CLAUSE_BREAKS, variant_tables

    breaks = " ".join(f"`{c}`" for c in CLAUSE_BREAKS if c.isprintable())
    out = [
        "",
        "## Normalisation",
        "",
        "Every rule matches on the reply **normalised character for character**, so every "
        "span is exact on the text as written: traditional → simplified script (OpenCC, one "
        "character at a time), full-width letters and digits → ASCII, letters and digits in "
        "another style → ASCII (`①` → `1`, `❶` → `1`, `Ⓢ` → `S`, `𝐒` → `S`), `×` → `x`.",
        "",
        "A rule or a cue set with `evasion:` also matches on the reply's **evasion view**, "
        "the way sensitive-word filters see through spellings written to get past them:",
        "",
        "1. Case folded (`SB`, `Sb` → `sb`).",
        "2. Filler characters skipped: spaces, zero-width and other format characters, "
        "symbols and emoji, dashes, dots, brackets, quotes (`加 微 信`, `微❤信`, "
        "`138-1234-5678`). Clause punctuation is never skipped, so a match never runs from "
        f"one clause into the next: {breaks}, newlines. A match may skip at most `gap` "
        "(default 3) filler characters in a row.",
        "3. The spellings of the rule's variant tables replaced by their canonical ones. A "
        "variant written in Latin letters counts only as a word of its own (`sb` in `USB` "
        "is not one).",
        "",
        "The finding reports the stretch of the original text the match came from "
        "(`加 微 信`, `V❤X：shop8888`); a finding also found on the plain text is reported "
        "once, a longer one found on the view replaces the shorter plain one (`滚 蛋`, not "
        "`滚`). Evasive findings are never fixed automatically.",
        "",
        "```yaml",
        "evasion:",
        "  variants: [contact]   # tables in rules/variants/",
        "  skip: true            # skip filler characters inside a match (default)",
        "  gap: 3                # at most this many in a row (default)",
        "  screen: '...'         # speed only, pattern rules without literal trigger words",
        "```",
        "",
        "A cue set with `evasion:` brings it to every rule that names it (`@name`); such a "
        "cue set cannot be screened by plain trigger words, so its rules run on every reply.",
        "",
        "Pattern rules also take `not_after`: cue words that cancel a match standing after "
        "them in the same clause (`不要` in `请不要相信私下交易`).",
        "",
        "Variant tables are data: `rules/variants/NAME.yaml` with `description`, `source` "
        "and `variants` (canonical spelling → variants), validated when loaded (a variant "
        "that is its canonical spelling once folded, is only filler characters, or belongs "
        "to two canonical spellings is an error naming the file and line).",
    ]
    used = sorted(
        {name for r in rules for name in getattr(getattr(r, "evasion", None), "variants", [])}
    )
    tables = variant_tables()
    from .loader import default_rules_dir
    from .normalize import load_variant_table

    for name in used:
        data, _ = load_variant_table(default_rules_dir() / "variants" / f"{name}.yaml")
        users = ", ".join(
            f"`{r.id}`"
            for r in rules
            if name in getattr(getattr(r, "evasion", None), "variants", [])
        )
        out += [
            "",
            f"### Variant table `{name}`",
            "",
            f"{data['description']} — used by {users}; {len(tables[name])} variants.",
            "",
            f"**Source.** {data['source']}",
            "",
            "| canonical | variants |",
            "|---|---|",
        ]
        for canonical, spellings in data["variants"].items():
            shown = ", ".join(f"`{v}`" for v in spellings)
            out.append(f"| `{canonical}` | {shown} |")
    return out


def render_default_rules() -> str:
    """The reference of every rule shipped with replycoach (opt-in packs included)."""
    return render_rules(Engine.from_paths().rules)
