"""Dump every finding of the default and default + compliance engines, to compare before and
after a speed change (any difference is a bug in the change).

    python bench/findings_dump.py OUT.jsonl   # then: cmp before.jsonl after.jsonl

Input: every line of ../shared/corpus/replies.jsonl and control.jsonl, and every item of
tests/data/labelled/*.jsonl (checked as bench/recall.py checks them). One JSON line per
finding: engine, item number, rule, start, end, suggestions.
"""

from __future__ import annotations

import glob
import json
import sys
from pathlib import Path

import replycoach

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"


def main() -> None:
    out = open(sys.argv[1], "w", encoding="utf-8")
    engines = [
        ("default", replycoach.Engine.default()),
        ("compliance", replycoach.Engine.from_paths(packs=["compliance"])),
    ]
    items: list[tuple[str, str, str | None, str | None]] = []
    for p in [CORPUS / "replies.jsonl", CORPUS / "control.jsonl"]:
        for line in open(p, encoding="utf-8"):
            if line.strip():
                items.append(("text", json.loads(line)["text"], None, None))
    for p in sorted(glob.glob(str(ROOT / "tests" / "data" / "labelled" / "*.jsonl"))):
        for line in open(p, encoding="utf-8"):
            if line.strip():
                it = json.loads(line)
                if "reply" in it:
                    items.append(("pair", it["reply"], it["customer"], None))
                else:
                    items.append(("text", it["text"], None, it.get("position")))
    n = 0
    for name, eng in engines:
        for i, (kind, text, customer, position) in enumerate(items):
            if kind == "pair":
                found = eng.check(text, customer=customer)
            else:
                found = eng.check(text, position=position)
            for f in found:
                n += 1
                row = [name, i, f.rule, f.start, f.end, list(f.suggestions)]
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
    print("items", len(items), "findings", n)


if __name__ == "__main__":
    main()
