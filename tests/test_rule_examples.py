"""Every rule's own examples, straight from its YAML: flagged, clean and fixed."""

from __future__ import annotations

import pytest

from replycoach import Engine
from replycoach.loader import AnyRule

from .conftest import DEFAULT_RULES

CASES = [
    pytest.param(rule, kind, i, id=f"{rule.id}-{kind}-{i}")
    for rule in DEFAULT_RULES
    for kind, items in (
        ("flag", rule.examples.flag),
        ("clean", rule.examples.clean),
        ("fix", rule.examples.fix),
    )
    for i in range(len(items))
]


def _one(rule: AnyRule) -> Engine:
    return Engine([rule], enable=[rule.id])


@pytest.mark.parametrize(("rule", "kind", "index"), CASES)
def test_example(rule: AnyRule, kind: str, index: int) -> None:
    engine = _one(rule)
    if kind == "flag":
        ex = rule.examples.flag[index]
        found = engine.check(ex.text, position=ex.position, customer=ex.customer)
        assert found, f"{rule.id} should flag {ex.text!r}"
        assert all(f.rule == rule.id for f in found)
        if ex.span is not None:
            assert ex.span in [f.excerpt for f in found], (ex.text, found)
        if ex.suggest is not None:
            matching = [f for f in found if ex.span is None or f.excerpt == ex.span]
            assert any(list(f.suggestions) == ex.suggest for f in matching), found
        if ex.fixed is not None:
            assert engine.fix(ex.text, position=ex.position, customer=ex.customer) == ex.fixed
        else:
            # Without an expected fix, the rule must not rewrite this example.
            assert not any(f.fixable for f in found) or ex.fixed is not None
    elif kind == "clean":
        ex_clean = rule.examples.clean[index]
        found = engine.check(ex_clean.text, position=ex_clean.position, customer=ex_clean.customer)
        assert found == [], f"{rule.id} should not flag {ex_clean.text!r}: {found}"
    else:
        ex_fix = rule.examples.fix[index]
        assert (
            engine.fix(ex_fix.text, position=ex_fix.position, customer=ex_fix.customer)
            == ex_fix.fixed
        )


@pytest.mark.parametrize("rule", DEFAULT_RULES, ids=lambda r: r.id)
def test_fixed_examples_are_clean(rule: AnyRule) -> None:
    """Fixing a flagged example leaves nothing of that rule that could be fixed again."""
    engine = _one(rule)
    for ex in rule.examples.flag:
        if ex.fixed is None:
            continue
        found = engine.check(ex.fixed, position=ex.position, customer=ex.customer)
        assert not [f for f in found if f.fixable], (ex.fixed, found)
