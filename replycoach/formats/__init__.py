"""Report renderers, one module each: ``render(report, rules, *, color=False) -> str``.

A renderer's module is imported only when its format is asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up time)
if TYPE_CHECKING:
    from ..loader import AnyRule
    from ..report import Report

Renderer = Callable[..., str]

FORMATS: dict[str, str] = {
    "text": "text",
    "json": "machine",
    "sarif": "sarif",
    "github": "github",
    "junit": "junit",
}
"""Format name -> the module in this package that renders it."""

NEEDS_RULES = frozenset({"sarif"})
"""Formats that describe the rules themselves (the others need only the findings)."""


def renderer(name: str) -> Renderer:
    """The render function of the format ``name``."""
    import importlib

    module = importlib.import_module(f".{FORMATS[name]}", __name__)
    function: Renderer = module.render
    return function


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
        return renderer(name)(report, rules, color=color, fail_on=fail_on)
    return renderer(name)(report, rules, color=color)
