"""Throughput of two rule packs on the same engine, interleaved in one process.

    git archive 4bdcc9c rules | tar -x -C /tmp/old      # the rule pack before a change
    python bench/compare_packs.py /tmp/old/rules [rules] [--rounds 20]

A rule change moves throughput by a few per cent, less than the noise between two processes
on a shared machine; here both packs are loaded into one process and timed in alternating
rounds (CPU time over the whole corpus), and the ratio is taken per round. Each pack is loaded
with its own ``cues/`` as the default cue sets and slots (rules resolve ``@name`` and
``{slot}`` against them; before, both packs used the working tree's ``rules/cues``). Prints
each pack's best and median replies/s and the median and quartiles of the paired ratio
(new / old). Not a test: nothing here asserts a threshold.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from replycoach import Engine

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT.parent / "shared" / "corpus" / "replies.jsonl"


def _pack(folder: Path) -> Engine:
    """The engine of ``folder``'s rules with ``folder/cues`` as the default cue sets and slots:
    rules resolve ``@name`` and ``{slot}`` against the default pack's cue files, so without
    this both packs would use the working tree's ``rules/cues``. Not cached."""
    from replycoach import loader

    saved = loader.default_rules_dir
    loader.default_rules_dir = lambda: folder.resolve()
    try:
        engine = Engine(loader.load_paths([folder]))
    finally:
        loader.default_rules_dir = saved
    return engine


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("old", type=Path, help="the rule folder before the change")
    ap.add_argument("new", type=Path, nargs="?", default=ROOT / "rules", help="after (rules/)")
    ap.add_argument("--corpus", type=Path, default=DEFAULT)
    ap.add_argument("--rounds", type=int, default=20)
    args = ap.parse_args()
    with open(args.corpus, encoding="utf-8") as fh:
        texts = [json.loads(line)["text"] for line in fh if line.strip()]
    packs = {"old": _pack(args.old), "new": _pack(args.new)}
    for engine in packs.values():
        for text in texts[:3000]:
            engine.check(text)
    rates: dict[str, list[float]] = {"old": [], "new": []}
    for r in range(args.rounds):
        order = ("old", "new") if r % 2 == 0 else ("new", "old")
        for name in order:
            engine = packs[name]
            t0 = time.process_time()
            for text in texts:
                engine.check(text)
            rates[name].append(len(texts) / (time.process_time() - t0))
    for name, values in rates.items():
        s = sorted(values)
        print(f"{name}: best {s[-1]:,.0f} replies/s, median {s[len(s) // 2]:,.0f} (CPU time)")
    ratios = sorted(b / a for a, b in zip(rates["old"], rates["new"], strict=True))
    n = len(ratios)
    print(
        f"new/old per round: median {ratios[n // 2]:.3f}, "
        f"quartiles {ratios[n // 4]:.3f}-{ratios[(3 * n) // 4]:.3f}"
    )


if __name__ == "__main__":
    main()
