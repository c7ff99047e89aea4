"""Per-rule recall and false-positive rate on the paraphrase set: replies in the guidance's
style written by hand in other words than the rules' own (tests/data/paraphrases.jsonl).

    python bench/paraphrase_recall.py [--file tests/data/paraphrases.jsonl] [--misses]

Each line: {"rule", "label": flag|clean, "text", "customer"?}. A flag line counts as found
when the rule fires on it; a clean line as a false positive when it does.
"""

from __future__ import annotations

import argparse
import collections
import json
from pathlib import Path

import replycoach

DEFAULT = Path(__file__).resolve().parents[1] / "tests" / "data" / "paraphrases.jsonl"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--file", default=str(DEFAULT))
    ap.add_argument("--misses", action="store_true", help="print every wrong call")
    args = ap.parse_args()
    engine = replycoach.Engine.from_paths()
    tally: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for line in Path(args.file).read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        fired = case["rule"] in {
            f.rule for f in engine.check(case["text"], customer=case.get("customer"))
        }
        label = case["label"]
        tally[case["rule"]][label] += 1
        if (label == "flag") == fired:
            tally[case["rule"]][label + "_ok"] += 1
        elif args.misses:
            print(
                f"  {'missed' if label == 'flag' else 'false positive'} [{case['rule']}] "
                f"{case.get('customer') or ''} → {case['text']}"
            )
    print(f"{'rule':28} {'recall':>14} {'false positives':>18}")
    for rule, c in sorted(tally.items()):
        fp = c["clean"] - c["clean_ok"]
        print(
            f"{rule:28} {c['flag_ok']:>4}/{c['flag']:<4} {c['flag_ok'] / max(c['flag'], 1):5.0%}"
            f" {fp:>6}/{c['clean']:<4} {fp / max(c['clean'], 1):5.0%}"
        )


if __name__ == "__main__":
    main()
