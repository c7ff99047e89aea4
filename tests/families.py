"""Paraphrase families written by hand (tests/data/paraphrases_*.jsonl): one JSON object a line
with ``rule``, ``label`` (flag or clean), ``text``, optionally ``customer`` and ``known_miss``
(a line the rules still get wrong, and why: a strict xfail)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).parent / "data"


def load(name: str) -> list[dict[str, Any]]:
    """The lines of ``tests/data/<name>``."""
    text = (DATA / name).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def params(cases: list[dict[str, Any]], *keys: str) -> list[Any]:
    """One test parameter a line, named by ``keys`` and its index, a strict xfail where the
    line has a ``known_miss``."""
    return [
        pytest.param(
            c,
            id="-".join([*(str(c[k]) for k in keys), str(i)]),
            marks=[pytest.mark.xfail(reason=c["known_miss"], strict=True)]
            if "known_miss" in c
            else [],
        )
        for i, c in enumerate(cases)
    ]
