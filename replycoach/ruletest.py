"""Testing a rule pack: every example, and the hygiene a pack needs to be trusted.

``replycoach test-rules PATH...`` reports each problem as ``file:line: rule 'id': what``:

- a ``flag`` example that does not fire (or not with the expected span, suggestions, fix);
- a ``clean`` example that fires; a ``fix`` example that does not give its output;
- a rule id used twice (in the pack, or already in the default pack);
- an approved rewrite that another rule flags;
- a pattern alternative that matches none of its rule's own flag examples;
- a pattern with a shape that backtracks catastrophically (``(a+)+$``; see
  :mod:`replycoach.regex`);
- a cue set's ``match`` example it does not find, or ``no_match`` example it finds (the cue
  sets defined in the tested files, and the default pack's when it is tested).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from .cues import check_cue_examples
from .engine import Engine
from .errors import RuleFileError
from .loader import (
    AnyRule,
    CombinationRule,
    PatternRule,
    PositionRule,
    default_rules_dir,
    load_cues,
    load_rules,
)
from .normalize import normalize
from .regex import backtracking, compile_regex


def _problem(rule: AnyRule, what: str) -> str:
    return f"{rule.origin or '<rule>'}: rule '{rule.id}': {what}"


def _short(text: str) -> str:
    return text if len(text) <= 30 else text[:29] + "…"


def check_examples(rule: AnyRule) -> list[str]:
    """Problems with the rule's own examples."""
    engine = Engine([rule], enable=[rule.id])
    problems = []
    for n, ex in enumerate(rule.examples.flag, 1):
        found = engine.check(ex.text, position=ex.position, customer=ex.customer)
        label = f"flag example {n} ({_short(ex.text)!r})"
        if not found:
            problems.append(_problem(rule, f"{label}: not flagged"))
            continue
        excerpts = [f.excerpt for f in found]
        if ex.span is not None and ex.span not in excerpts:
            problems.append(_problem(rule, f"{label}: flagged {excerpts}, expected {ex.span!r}"))
        if ex.suggest is not None and not any(list(f.suggestions) == ex.suggest for f in found):
            got = [list(f.suggestions) for f in found]
            problems.append(_problem(rule, f"{label}: suggestions {got}, expected {ex.suggest}"))
        if ex.fixed is not None:
            fixed = engine.fix(ex.text, position=ex.position, customer=ex.customer)
            if fixed != ex.fixed:
                problems.append(
                    _problem(rule, f"{label}: fixed to {fixed!r}, expected {ex.fixed!r}")
                )
    for n, clean in enumerate(rule.examples.clean, 1):
        found = engine.check(clean.text, position=clean.position, customer=clean.customer)
        if found:
            problems.append(
                _problem(
                    rule,
                    f"clean example {n} ({_short(clean.text)!r}): "
                    f"flagged {[f.excerpt for f in found]}",
                )
            )
    for n, fix in enumerate(rule.examples.fix, 1):
        fixed = engine.fix(fix.text, position=fix.position, customer=fix.customer)
        if fixed != fix.fixed:
            problems.append(
                _problem(rule, f"fix example {n}: gave {fixed!r}, expected {fix.fixed!r}")
            )
    return problems


def check_patterns(rule: AnyRule) -> list[str]:
    """Pattern alternatives that match none of the rule's flag examples, and patterns with
    a shape that backtracks catastrophically."""
    if isinstance(rule, PatternRule):
        pieces = [rule.pattern] if isinstance(rule.pattern, str) else rule.pattern
    elif isinstance(rule, CombinationRule):
        pieces = [c.pattern for c in rule.conditions if c.pattern and c.in_ == "reply"]
    else:
        return []
    texts = [normalize(ex.text) for ex in rule.examples.flag]
    problems = [
        _problem(rule, f"pattern {_short(piece)!r} matches none of its flag examples")
        for piece in pieces
        if not any(compile_regex(piece).search(text) for text in texts)
    ]
    every = list(pieces)
    if isinstance(rule, PatternRule) and rule.prefilter:
        every.append(rule.prefilter)
    if isinstance(rule, CombinationRule):
        conditions = [*rule.conditions, *([rule.mark] if rule.mark else [])]
        every += [c.pattern for c in conditions if c.pattern and c.pattern not in every]
    for piece in every:
        why = backtracking(piece)
        if why:
            problems.append(
                _problem(rule, f"pattern {_short(piece)!r} can backtrack catastrophically: {why}")
            )
    return problems


def check_rewrites(rule: AnyRule, everyone: Engine) -> list[str]:
    """Approved rewrites that another rule flags."""
    if isinstance(rule, (PositionRule, CombinationRule)) and getattr(rule, "add", None):
        return []  # those suggestions hold the reply itself, flaws included
    problems = []
    seen: set[str] = set()
    for ex in rule.examples.flag:
        for f in everyone.check(ex.text, position=ex.position, customer=ex.customer):
            if f.rule != rule.id:
                continue
            for suggestion in f.suggestions:
                if suggestion in seen:
                    continue
                seen.add(suggestion)
                others = sorted({g.rule for g in everyone.check(suggestion) if g.rule != rule.id})
                if others:
                    problems.append(
                        _problem(
                            rule,
                            f"rewrite {_short(suggestion)!r} is flagged by {', '.join(others)}",
                        )
                    )
    return problems


def test_rules(paths: Sequence[str | Path], *, with_defaults: bool = True) -> list[str]:
    """Every problem of the rule packs at ``paths`` (files or directories)."""
    try:
        rules = [rule for path in paths for rule in load_rules(path)]
    except RuleFileError as exc:
        return exc.problems
    problems: list[str] = []
    defaults: list[AnyRule] = []
    if with_defaults:
        tested = {Path(p).resolve() for p in paths}
        if default_rules_dir().resolve() not in tested:
            defaults = load_rules(default_rules_dir())
    counts = Counter(r.id for r in rules)
    default_ids = {r.id for r in defaults}
    for rule in rules:
        if counts[rule.id] > 1:
            problems.append(_problem(rule, "id is used by another rule of the pack"))
        if rule.id in default_ids:
            problems.append(_problem(rule, "id is already used by the default pack"))
    everyone = (
        Engine([*defaults, *rules], enable=[r.id for r in [*defaults, *rules]])
        if not problems
        else None
    )
    for rule in rules:
        problems.extend(check_examples(rule))
        problems.extend(check_patterns(rule))
        if everyone is not None:
            problems.extend(check_rewrites(rule, everyone))
    problems.extend(check_cues(paths))
    return problems


def check_cues(paths: Sequence[str | Path]) -> list[str]:
    """Problems with the examples of the cue sets defined at ``paths`` (a directory's
    ``cues/`` folder included: the default pack keeps its cue sets there)."""
    folders = [Path(p) for p in paths]
    folders += [p / "cues" for p in folders if p.is_dir() and (p / "cues").is_dir()]
    problems = []
    for folder in folders:
        try:
            cues = load_cues(folder)
        except RuleFileError as exc:
            problems.extend(exc.problems)
            continue
        for cue in cues.values():
            problems.extend(f"{cue.origin}: {p}" for p in check_cue_examples(cue))
    return problems


def summary(paths: Iterable[str | Path]) -> int:
    """How many rules the packs hold (for the command's last line)."""
    return sum(len(load_rules(p)) for p in paths)
