"""Hand-judged findings on real replies stay judged: true positives keep firing with the same
excerpt, false positives that were fixed stay fixed (``fp-known``: still there, on record)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import replycoach

CASES = [
    json.loads(line)
    for line in (Path(__file__).parent / "data" / "corpus_verdicts.jsonl")
    .read_text(encoding="utf-8")
    .splitlines()
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['rule']}-{c['verdict']}")
def test_verdict_holds(case: dict[str, str]) -> None:
    found = [
        f.excerpt
        for f in replycoach.check(case["text"], position=case["position"])
        if f.rule == case["rule"]
    ]
    if case["verdict"] == "tp":
        assert case["excerpt"] in found
    elif case["verdict"] == "fp-known":
        pytest.xfail(f"known false positive: {case['note']}")
    else:
        assert case["excerpt"] not in found, case["note"]
