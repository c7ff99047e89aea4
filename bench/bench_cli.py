"""`replycoach check` on the whole corpus as one .txt file, against textlint with
textlint-rule-prh carrying the same substitution words, measured in the same run.

    python bench/bench_cli.py [--corpus ../shared/corpus/replies.jsonl] [--runs 3]

Needs node and npm (installs textlint into bench/node_modules on first use). Both tools
run as whole processes, start-up included; the median of ``--runs`` runs is reported.
``replycoach check`` runs with its default ``--jobs auto`` (which depends on the idle cores:
the CPU-loop anchor tells how idle they were), and with ``--jobs 1`` and ``--jobs 2``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT = HERE.parents[1] / "shared" / "corpus" / "replies.jsonl"


def timed(cmd: list[str], runs: int, cwd: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    times = []
    proc = None
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
        times.append(time.perf_counter() - t0)
    assert proc is not None
    return statistics.median(times), proc


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=str(DEFAULT))
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    texts = [json.loads(line)["text"] for line in open(args.corpus, encoding="utf-8")]
    corpus = out / "replies.txt"
    corpus.write_text("".join(t.replace("\n", " ") + "\n" for t in texts), encoding="utf-8")

    import replycoach
    from replycoach.loader import SubstitutionRule

    prh = ["version: 1", "rules:"]
    words = 0
    for rule in replycoach.Engine.default().rules:
        if isinstance(rule, SubstitutionRule):
            for word, suggestions in rule.swap.items():
                if word.startswith("@"):
                    continue  # a cue set: no word prh could hold
                prh += [f"  - expected: {suggestions[0]}", f"    pattern: {word}"]
                words += 1
    (out / "prh.yml").write_text("\n".join(prh) + "\n", encoding="utf-8")
    (out / ".textlintrc.json").write_text(
        json.dumps({"rules": {"prh": {"rulePaths": ["prh.yml"]}}}), encoding="utf-8"
    )
    textlint = HERE / "node_modules" / ".bin" / "textlint"
    if not textlint.exists():
        if shutil.which("npm") is None:
            sys.exit("npm is needed for the textlint anchor")
        subprocess.run(["npm", "install", "--no-audit", "--no-fund"], cwd=HERE, check=True)

    check = [
        sys.executable,
        "-m",
        "replycoach.cli",
        "check",
        str(corpus),
        "--fail-on",
        "never",
        "--quiet",
    ]
    from replycoach.cli import _workers

    sys.path.insert(0, str(HERE))
    from bench_phrases import machine_speedup

    anchor = machine_speedup()
    auto = _workers(None, [str(corpus)])  # what --jobs auto would choose now
    ours, proc = timed(check, args.runs, out)
    ours_findings = proc.stdout.count("\n")
    ours_one, proc_one = timed([*check, "--jobs", "1"], args.runs, out)
    assert proc_one.stdout == proc.stdout, "--jobs 1 must report the same findings"
    ours_jobs, proc_jobs = timed([*check, "--jobs", "2"], args.runs, out)
    assert proc_jobs.stdout == proc.stdout, "--jobs 2 must report the same findings"
    ours_sub, proc_sub = timed(
        [*check, "--select", "absolute-promise", "--select", "honorific-you"], args.runs, out
    )
    theirs, tproc = timed(
        [str(textlint), "-c", ".textlintrc.json", "--format", "unix", "replies.txt"],
        args.runs,
        out,
    )
    theirs_findings = sum(1 for line in tproc.stdout.splitlines() if "replies.txt:" in line)
    print(f"corpus file: {len(texts)} lines; prh dictionary: {words} substitution words")
    print(
        f"anchor: two CPU-loop processes vs one {anchor:.2f}x (2.0: two idle cores); "
        f"--jobs auto would start {auto} now"
    )
    print(
        f"replycoach check, all default rules (--jobs auto): {ours:6.2f} s  "
        f"({ours_findings} findings)"
    )
    print(f"replycoach check --jobs 1 (same output):  {ours_one:6.2f} s")
    print(f"replycoach check --jobs 2 (same output):  {ours_jobs:6.2f} s")
    print(
        f"replycoach check, 2 substitution rules: {ours_sub:6.2f} s  "
        f"({proc_sub.stdout.count(chr(10))} findings)"
    )
    print(f"textlint + textlint-rule-prh:          {theirs:6.2f} s  ({theirs_findings} findings)")
    print(f"ratio: replycoach (all rules) is {theirs / ours:.1f}x faster than textlint+prh")
    print(f"ratio with --jobs 1: {theirs / ours_one:.1f}x")
    print(f"ratio with --jobs 2: {theirs / ours_jobs:.1f}x (load average {os.getloadavg()[0]:.1f})")
    print(
        f"ratio, the same work (only the substitution rules whose words prh has): "
        f"{theirs / ours_sub:.1f}x"
    )


if __name__ == "__main__":
    main()
