"""Report renderers, one module each: ``render(report, rules, *, color=False) -> str``."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..loader import AnyRule
from ..report import Report
from . import github, junit, machine, sarif, text

Renderer = Callable[..., str]

RENDERERS: dict[str, Renderer] = {
    "text": text.render,
    "json": machine.render,
    "sarif": sarif.render,
    "github": github.render,
    "junit": junit.render,
}


def render(
    name: str,
    report: Report,
    rules: Sequence[AnyRule],
    *,
    color: bool = False,
    fail_on: str = "warning",
) -> str:
    """Render ``report`` in the format ``name`` (``fail_on``: which findings a format that
    tells failures from passes, JUnit, counts as failures)."""
    if name == "junit":
        return junit.render(report, rules, color=color, fail_on=fail_on)
    return RENDERERS[name](report, rules, color=color)
