"""Per-rule recall and false-positive rate of the default rules on the hand-labelled sets.

    python bench/recall.py [-v] [--json] [--data tests/data/labelled]
                           [--set real|written|written2|written3|written4|written5|ecd|all]

The labelled files (see ``tests/data/labelled/README.md``) give, per item and rule, ``flag``,
``clean`` or ``unsure``. For each rule this prints:

- ``positives``: items labelled ``flag``; ``recall``: the share of them on which the rule fires;
- ``clean``: items labelled ``clean``; ``fp rate``: the share of them on which it fires;
- ``unsure`` items are not scored.

How each file is checked: ``replies.jsonl`` with ``engine.check(text)`` (no position, no
customer); ``pairs.jsonl`` with ``engine.check(reply, customer=customer)``; ``positions.jsonl``
with ``engine.check(text, position=first|last)``; ``written.jsonl``, ``written2.jsonl`` and
``written3.jsonl`` (the held-out sets written by hand, by three writers) and ``ecd_replies.jsonl`` /
``ecd_pairs.jsonl`` (real Taobao text) item by item in the same way, by the fields each item
has. A rule counts as firing when ``check`` returns at least one finding with its id. ``-v``
lists the misses and the false positives; ``--json`` prints the figures as one JSON object
instead of the table.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import replycoach

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "labelled"
REAL = ("replies.jsonl", "pairs.jsonl", "positions.jsonl")
WRITTEN = ("written.jsonl",)
WRITTEN2 = ("written2.jsonl",)
WRITTEN3 = ("written3.jsonl",)
WRITTEN4 = ("written4.jsonl",)
WRITTEN5 = ("written5.jsonl",)
ECD = ("ecd_replies.jsonl", "ecd_pairs.jsonl")
SETS = {
    "real": REAL,
    "written": WRITTEN,
    "written2": WRITTEN2,
    "written3": WRITTEN3,
    "written4": WRITTEN4,
    "written5": WRITTEN5,
    "ecd": ECD,
    "all": REAL + WRITTEN + WRITTEN2 + WRITTEN3 + WRITTEN4 + ECD,
}


def _items(path: Path) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if line.strip():
                item = json.loads(line)
                item.setdefault("id", f"{path.stem}:{n}")
                yield item


def _fired(engine: replycoach.Engine, item: dict[str, Any]) -> tuple[str, set[str]]:
    """The text shown for ``item`` and the ids of the rules that fire on it."""
    if "reply" in item:
        found = engine.check(item["reply"], customer=item["customer"])
        shown = f"{item['customer']} → {item['reply']}"
    else:
        found = engine.check(item["text"], position=item.get("position"))
        shown = item["text"]
    return shown, {f.rule for f in found}


def score(engine: replycoach.Engine, files: list[Path]) -> dict[str, dict[str, Any]]:
    """Per rule: positives, hits, clean, false positives, unsure, and the items missed/hit."""
    out: dict[str, dict[str, Any]] = {}
    for path in files:
        for item in _items(path):
            shown, fired = _fired(engine, item)
            where = f"{path.name}:{item['id']}"
            for rule, label in item["labels"].items():
                s = out.setdefault(
                    rule,
                    {"positives": 0, "hits": 0, "clean": 0, "fp": 0, "unsure": 0,
                     "misses": [], "false_positives": []},
                )  # fmt: skip
                if label == "flag":
                    s["positives"] += 1
                    if rule in fired:
                        s["hits"] += 1
                    else:
                        s["misses"].append({"item": where, "text": shown})
                elif label == "clean":
                    s["clean"] += 1
                    if rule in fired:
                        s["fp"] += 1
                        s["false_positives"].append({"item": where, "text": shown})
                else:
                    s["unsure"] += 1
    for s in out.values():
        s["recall"] = s["hits"] / s["positives"] if s["positives"] else None
        s["fp_rate"] = s["fp"] / s["clean"] if s["clean"] else None
    return dict(sorted(out.items()))


def _pct(x: float | None) -> str:
    return "   -  " if x is None else f"{100 * x:5.1f}%"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-v", "--verbose", action="store_true", help="list misses and false positives")
    ap.add_argument("--json", action="store_true", help="print JSON instead of a table")
    ap.add_argument("--data", type=Path, default=DATA, help="folder of the labelled files")
    ap.add_argument(
        "--set",
        choices=tuple(SETS),
        default="real",
        help=(
            "real: JD replies/pairs/positions (default); written, written2, written3: the "
            "sets written by hand (written5: held out); ecd: real Taobao replies and pairs; "
            "all: every file but written5"
        ),
    )
    args = ap.parse_args(argv)
    names = SETS[args.set]
    files = [args.data / n for n in names]
    missing = [str(f) for f in files if not f.exists()]
    if missing:
        print(f"错误：找不到标注文件：{', '.join(missing)}", file=sys.stderr)
        return 2
    results = score(replycoach.Engine.default(), files)
    if args.json:
        if not args.verbose:
            for s in results.values():
                s.pop("misses")
                s.pop("false_positives")
        print(json.dumps(results, ensure_ascii=False, indent=2))
        return 0
    head = ("rule", "pos", "recall", "clean", "fp", "fp rate", "unsure")
    print("{:28} {:>4} {:>7} {:>6} {:>4} {:>7} {:>6}".format(*head))
    for rule, s in results.items():
        print(
            f"{rule:28} {s['positives']:4d} {_pct(s['recall']):>7} {s['clean']:6d} "
            f"{s['fp']:4d} {_pct(s['fp_rate']):>7} {s['unsure']:6d}"
        )
    if args.verbose:
        for rule, s in results.items():
            for kind in ("misses", "false_positives"):
                tag = "miss" if kind == "misses" else "fp"
                for m in s[kind]:
                    print(f"{rule}\t{tag}\t{m['item']}\t{m['text']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
