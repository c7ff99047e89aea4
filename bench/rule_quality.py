"""Per-rule finding counts on the real corpus and the control text, and samples for judging
precision by hand (issue 6).

    python bench/rule_quality.py [--samples 30] [--seed 6] [--out bench/out/samples.jsonl]

Counts: every rule (the compliance pack switched on) on ../shared/corpus/replies.jsonl with
no context; the context rules on the real customer → agent pairs of transcripts.jsonl; the
greeting and closing rules on the first and last agent message of each conversation; and
the rate of findings on control.jsonl (text that is not e-commerce customer service).
The samples file lists, per rule, up to --samples findings drawn at random, to be judged.
"""

from __future__ import annotations

import argparse
import collections
import itertools
import json
import random
from pathlib import Path

import replycoach

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
CONTEXT = {"complaint-without-apology", "bare-unavailable", "blunt-bargain-refusal"}
POSITION = {"missing-greeting", "missing-closing"}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=30)
    ap.add_argument("--seed", type=int, default=6)
    ap.add_argument("--out", default=str(Path(__file__).parent / "out" / "samples.jsonl"))
    args = ap.parse_args()
    engine = replycoach.Engine.from_paths(packs=["compliance"])
    found: dict[str, list[dict[str, object]]] = collections.defaultdict(list)

    def record(
        rule: str,
        text: str,
        excerpt: str,
        source: str,
        customer: str | None = None,
        position: str | None = None,
    ) -> None:
        found[rule].append(
            {
                "rule": rule,
                "text": text,
                "excerpt": excerpt,
                "source": source,
                "customer": customer,
                "position": position,
            }
        )

    replies = [json.loads(line) for line in open(CORPUS / "replies.jsonl", encoding="utf-8")]
    for r in replies:
        for f in engine.check(r["text"]):
            record(f.rule, r["text"], f.excerpt, r["source"])

    conversations: dict[str, list[dict[str, object]]] = collections.defaultdict(list)
    for line in open(CORPUS / "transcripts.jsonl", encoding="utf-8"):
        m = json.loads(line)
        conversations[m["conversation"]].append(m)
    pairs = 0
    context_only = engine.configure(only=sorted(CONTEXT))
    position_only = engine.configure(only=sorted(POSITION))
    for messages in conversations.values():
        messages.sort(key=lambda m: int(m["seq"]))  # type: ignore[arg-type]
        for a, b in itertools.pairwise(messages):
            if a["role"] == "customer" and b["role"] == "agent":
                pairs += 1
                for f in context_only.check(str(b["text"]), customer=str(a["text"])):
                    record(
                        f.rule,
                        str(b["text"]),
                        f.excerpt,
                        "jddc_chat_sample (pair)",
                        customer=str(a["text"]),
                    )
        agent = [str(m["text"]) for m in messages if m["role"] == "agent"]
        if not agent:
            continue
        ends = (
            [("only", agent[0])] if len(agent) == 1 else [("first", agent[0]), ("last", agent[-1])]
        )
        for position, text in ends:
            for f in position_only.check(text, position=position):
                record(
                    f.rule,
                    text,
                    f.excerpt,
                    f"jddc_chat_sample ({position} agent message)",
                    position=position,
                )

    control = [json.loads(line) for line in open(CORPUS / "control.jsonl", encoding="utf-8")]
    control_hits: collections.Counter[str] = collections.Counter()
    control_by: dict[str, int] = collections.Counter()
    control_found: dict[str, list[dict[str, object]]] = collections.defaultdict(list)
    for c in control:
        findings = engine.check(c["text"])
        rules = {f.rule for f in findings}
        for rule in rules:
            control_hits[rule] += 1
        for f in findings:
            control_found[f.rule].append(
                {
                    "rule": f.rule,
                    "text": c["text"],
                    "excerpt": f.excerpt,
                    "source": f"control: {c['source']}/{c['role']}",
                    "customer": None,
                    "position": None,
                }
            )
        key = f"{c['source']}/{c['role']}"
        control_by[key] += 1 if rules else 0

    print(
        f"replies: {len(replies)}; customer→agent pairs: {pairs}; conversations: "
        f"{len(conversations)}; control texts: {len(control)}"
    )
    print(f"{'rule':<28}{'findings':>9}   where counted            {'control %':>10}")
    for rule in sorted({*engine.rule_ids()}):
        where = (
            "customer→agent pairs"
            if rule in CONTEXT
            else "first/last agent msgs"
            if rule in POSITION
            else "replies.jsonl"
        )
        print(
            f"{rule:<28}{len(found[rule]):>9}   {where:<24} "
            f"{100 * control_hits[rule] / len(control):>9.2f}%"
        )
    rng = random.Random(args.seed)
    out = Path(args.out)
    out.parent.mkdir(exist_ok=True)
    with out.open("w", encoding="utf-8") as handle:
        for rule in sorted({*found, *control_found}):
            items = found[rule]
            chosen = rng.sample(items, min(args.samples, len(items)))
            if len(chosen) < args.samples:  # too few real findings: add control-text hits
                extra = control_found[rule]
                chosen += rng.sample(extra, min(args.samples - len(chosen), len(extra)))
            for item in chosen:
                handle.write(json.dumps(item, ensure_ascii=False) + "\n")
    print(f"samples: {out}")


if __name__ == "__main__":
    main()
