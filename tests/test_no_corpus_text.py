"""Nothing shipped quotes the unlicensed corpus (issue 11, point 8).

The real replies in ../shared/corpus/replies.jsonl have no licence: no rule example, cue
phrase, docstring or generated document may be one of them verbatim. Lines of the guidance
(which the rules cite) and short stock words (不知道, 拒收: under 6 characters) are allowed.
Skipped when the corpus is not on this machine.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus" / "replies.jsonl"
MIN_CHARS = 6

pytestmark = pytest.mark.skipif(not CORPUS.is_file(), reason="the real corpus is not here")


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _shipped_strings() -> Iterator[tuple[Path, str]]:
    for path in sorted((ROOT / "rules").rglob("*.y*ml")):
        for s in _strings(yaml.safe_load(path.read_text(encoding="utf-8"))):
            yield path, s
    quoted = re.compile(r"[`'\"“‘]([^`'\"”’\n]{" + str(MIN_CHARS) + r",})[`'\"”’]")
    for folder, pattern in (("replycoach", "*.py"), ("docs", "*.md"), ("replycoach", "*.html")):
        for path in sorted((ROOT / folder).rglob(pattern)):
            for s in quoted.findall(path.read_text(encoding="utf-8")):
                yield path, s


def test_no_shipped_text_is_a_corpus_line() -> None:
    lines = set()
    with open(CORPUS, encoding="utf-8") as fh:
        for line in fh:
            text = json.loads(line)["text"].strip()
            if len(text) >= MIN_CHARS:
                lines.add(text)
    guidance = "".join(
        p.read_text(encoding="utf-8", errors="replace") for p in (SHARED / "guidance").glob("*.txt")
    )
    found = sorted(
        f"{path.relative_to(ROOT)}: {s.strip()!r}"
        for path, s in _shipped_strings()
        if s.strip() in lines and s.strip() not in guidance
    )
    assert not found, "corpus lines in shipped files:\n" + "\n".join(found)
