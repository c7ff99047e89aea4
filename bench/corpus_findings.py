"""Per-rule finding counts on the real corpus, with samples to read by hand.

    python bench/corpus_findings.py [--corpus ../shared/corpus/replies.jsonl] [--samples 10]
        [--position first|middle|last|only] [--seed 1]

Reads JSONL with a "text" field. The corpus is test data only (see its PROVENANCE.md).
"""

from __future__ import annotations

import argparse
import collections
import json
import random
from pathlib import Path

import replycoach

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "replies.jsonl"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=str(DEFAULT))
    ap.add_argument("--samples", type=int, default=10)
    ap.add_argument("--position", default=None)
    ap.add_argument("--rule", default=None, help="only show samples of this rule")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    texts = [json.loads(line)["text"] for line in open(args.corpus, encoding="utf-8")]
    engine = replycoach.Engine.default()
    by_rule: dict[str, list[tuple[str, replycoach.Finding]]] = collections.defaultdict(list)
    replies_with = collections.Counter()
    for text in texts:
        found = engine.check(text, position=args.position)
        for f in found:
            by_rule[f.rule].append((text, f))
        for rule in {f.rule for f in found}:
            replies_with[rule] += 1
    print(f"{len(texts)} replies, position={args.position}")
    print(f"{'rule':<20} {'findings':>8} {'replies':>8}")
    for rule in engine.rule_ids():
        print(f"{rule:<20} {len(by_rule[rule]):>8} {replies_with[rule]:>8}")
    rng = random.Random(args.seed)
    for rule, items in sorted(by_rule.items()):
        if args.rule and rule != args.rule:
            continue
        print(f"\n== {rule}")
        for text, f in rng.sample(items, min(args.samples, len(items))):
            print(f"  [{f.excerpt}] {text[:90]}")


if __name__ == "__main__":
    main()
