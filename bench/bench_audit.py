"""The audit at scale: 1,000,000 messages made by replicating the 994 real JDDC
conversations (with synthetic times and agent names), audited as a whole process.

    python bench/bench_audit.py [--messages 1000000] [--jobs 1 2]

Reports wall time and peak memory (the process and its workers) per --jobs value. Anchor
in the same run: reading and grouping the same file without checking anything.
The corpus is test data only (see its PROVENANCE.md); the file stays in bench/out.
"""

from __future__ import annotations

import argparse
import collections
import json
import random
import resource
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parents[1] / "shared" / "corpus" / "transcripts.jsonl"


def build(target: int, path: Path) -> int:
    conv: dict[str, list[dict[str, object]]] = collections.defaultdict(list)
    for line in open(CORPUS, encoding="utf-8"):
        m = json.loads(line)
        conv[m["conversation"]].append(m)
    rng = random.Random(1)
    start = datetime(2024, 6, 8, 9, tzinfo=timezone(timedelta(hours=8)))
    written = 0
    copy = 0
    with path.open("w", encoding="utf-8") as out:
        while written < target:
            for k, (cid, messages) in enumerate(conv.items()):
                t = start + timedelta(minutes=copy * 7 + k % 600)
                agent = f"客服{(k + copy) % 40:02d}"
                for m in sorted(messages, key=lambda m: int(m["seq"])):  # type: ignore[arg-type]
                    t += timedelta(seconds=rng.choice([3, 8, 15, 25, 40, 70]))
                    out.write(
                        json.dumps(
                            {
                                "conversation": f"{cid}-{copy}",
                                "role": m["role"],
                                "agent": agent if m["role"] == "agent" else None,
                                "time": t.isoformat(),
                                "text": m["text"],
                            },
                            ensure_ascii=False,
                        )
                        + "\n"
                    )
                    written += 1
                if written >= target:
                    break
            copy += 1
    return written


def measure(cmd: list[str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    elapsed = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, max(peak, before) / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=1_000_000)
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args()
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    path = out / "transcripts-1m.jsonl"
    n = build(args.messages, path)
    print(f"{path.name}: {n:,} messages, {path.stat().st_size / 1e6:.0f} MB")
    anchor, anchor_mem = measure(
        [
            sys.executable,
            "-c",
            "import sys\nfrom replycoach.audit.transcripts import read_messages, conversations\n"
            f"e=[]\nn=sum(1 for _ in conversations(read_messages({str(path)!r}), e))\n"
            "print(n)",
        ]
    )
    print(f"anchor: read and group only: {anchor:.1f} s, peak {anchor_mem:.0f} MiB")
    for jobs in args.jobs:
        elapsed, peak = measure(
            [
                sys.executable,
                "-m",
                "replycoach.cli",
                "audit",
                str(path),
                "--jobs",
                str(jobs),
                "-q",
                "--fail-on",
                "never",
                "--json",
                str(out / f"audit-{jobs}.json"),
            ]
        )
        print(
            f"replycoach audit --jobs {jobs}: {elapsed:.1f} s ({n / elapsed:,.0f} messages/s), "
            f"peak memory of one process {peak:.0f} MiB"
        )
    cards = json.loads((out / f"audit-{args.jobs[0]}.json").read_text(encoding="utf-8"))
    print("findings by rule:", cards["findings_by_rule"])


if __name__ == "__main__":
    main()
