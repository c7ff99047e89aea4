"""Phrase libraries at scale, and the per-rule counts on the real phrase files.

    python bench/bench_phrases.py [--rows 100000] [--runs 3]

1. A 100,000-entry CSV built from the real corpus replies (columns 分组,快捷编码,话术,场景;
   replies repeated in order, numbered so they stay distinct) is checked by
   ``replycoach check`` as a whole process. Anchor in the same run: the standard library's
   ``csv`` reading the same file in a fresh process (parsing only, no checking).
2. ``--jobs 1`` against ``--jobs 2`` on the same rows split over 4 files, and on the one
   big file (cut into pieces inside the file), runs alternated so both see the same load;
   the two outputs are compared (same findings, same order). The load average is printed.
3. Findings per rule on ``../shared/corpus/phrases/`` (the JDDC frequent agent lines, as
   TSV and as JSONL).
The corpus is test data only (see its PROVENANCE.md); the generated files stay in bench/out.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parents[1] / "shared" / "corpus"
SCENES = ["欢迎语", "售前", "售中", "售后", "物流", "结束语"]


def timed(cmd: list[str], runs: int) -> tuple[float, subprocess.CompletedProcess[str]]:
    times = []
    proc = None
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        times.append(time.perf_counter() - t0)
    assert proc is not None
    return statistics.median(times), proc


def _spin(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i
    return total


def machine_speedup(n: int = 10_000_000) -> float:
    """The anchor for --jobs: how much faster two processes run a pure-CPU loop than one,
    right now on this machine (2.0 on two idle cores; less when others use them)."""
    from concurrent.futures import ProcessPoolExecutor

    t0 = time.perf_counter()
    _spin(n)
    one = time.perf_counter() - t0
    t0 = time.perf_counter()
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(_spin, [n // 2, n // 2]))
    return one / (time.perf_counter() - t0)


def cpu_children() -> float:
    """User + system CPU seconds of the finished child processes (and theirs)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def write_csv(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["分组", "快捷编码", "话术", "场景"])
        writer.writerows(rows)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    texts = [json.loads(line)["text"] for line in open(CORPUS / "replies.jsonl", encoding="utf-8")]
    rows = []
    for i in range(args.rows):
        text = texts[i % len(texts)]
        if i >= len(texts):
            text = f"{text}（{i // len(texts)}）"
        rows.append([f"组{i % 50}", f"k{i}", text, SCENES[i % len(SCENES)]])
    big = out / "phrases-100k.csv"
    write_csv(big, rows)
    quarter = len(rows) // 4
    parts = []
    for k in range(4):
        part = out / f"phrases-part{k}.csv"
        write_csv(part, rows[k * quarter : (k + 1) * quarter])
        parts.append(str(part))
    size = big.stat().st_size / 1e6
    print(f"{big.name}: {len(rows):,} entries, {size:.1f} MB")

    check = [
        sys.executable,
        "-m",
        "replycoach.cli",
        "check",
        "--no-config",
        "--fail-on",
        "never",
        "-q",
    ]
    ours, proc = timed([*check, str(big)], args.runs)
    findings = proc.stdout.count("\n")
    anchor, _ = timed(
        [
            sys.executable,
            "-c",
            f"import csv\nfor row in csv.reader(open({str(big)!r}, encoding='utf-8')): pass",
        ],
        args.runs,
    )
    print(
        f"replycoach check, 1 file of {len(rows):,}: {ours:.2f} s ({len(rows) / ours:,.0f} "
        f"entries/s, {findings:,} findings)"
    )
    print(
        f"anchor, csv.reader over the same file:  {anchor:.2f} s "
        f"(replycoach = {ours / anchor:.1f}x the bare parse)"
    )
    for label, files in (
        (f"4 files of {quarter:,}", parts),
        (f"1 file of {len(rows):,}", [str(big)]),
    ):
        load = os.getloadavg()[0]
        ones, twos = [], []
        same = True
        cpu1, cpu2 = [], []
        for _ in range(args.runs):
            c0 = cpu_children()
            t1, p1 = timed([*check, "-f", "json", "--jobs", "1", *files], 1)
            c1 = cpu_children()
            t2, p2 = timed([*check, "-f", "json", "--jobs", "2", *files], 1)
            c2 = cpu_children()
            ones.append(t1)
            twos.append(t2)
            cpu1.append(c1 - c0)
            cpu2.append(c2 - c1)
            same = same and p1.stdout == p2.stdout
        one, two = statistics.median(ones), statistics.median(twos)
        ratios = sorted(a / b for a, b in zip(ones, twos, strict=True))
        anchor = statistics.median(machine_speedup() for _ in range(3))
        print(
            f"{label}: --jobs 1 {one:.2f} s, --jobs 2 {two:.2f} s (median speed-up "
            f"{one / two:.2f}x, per pair {', '.join(f'{r:.2f}' for r in ratios)}; "
            f"same output: {same}; load average {load:.1f} -> {os.getloadavg()[0]:.1f}); "
            f"CPU time --jobs 1 {statistics.median(cpu1):.2f} s, --jobs 2 "
            f"{statistics.median(cpu2):.2f} s (all processes); anchor: 2 processes of a pure "
            f"CPU loop run {anchor:.2f}x faster than 1 on this machine right now"
        )

    for name in ["jddc_frequent_agent_lines.tsv", "phrases.jsonl"]:
        path = CORPUS / "phrases" / name
        proc = subprocess.run(
            [*check, "--format", "json", str(path)], capture_output=True, text=True
        )
        data = json.loads(proc.stdout)
        counts = Counter(f["rule"] for f in data["findings"])
        print(
            f"{name}: {data['replies']} replies, {len(data['errors'])} input errors, "
            f"findings by rule: {dict(sorted(counts.items()))}"
        )


if __name__ == "__main__":
    main()
