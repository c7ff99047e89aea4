"""Report renderers: one function each, ``render(report) -> str``."""

from __future__ import annotations

from collections.abc import Callable

from ..report import Report
from .json import render_json
from .text import render_text

RENDERERS: dict[str, Callable[[Report], str]] = {
    "text": render_text,
    "json": render_json,
}
