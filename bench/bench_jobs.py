"""Where ``--jobs auto`` should start a second process: ``replycoach check`` on .txt files
of the corpus' replies of growing size, ``--jobs 1`` against ``--jobs 2`` (whole
processes, start-up included, runs interleaved), with the CPU time of all processes and an
anchor measured in the same run: how much faster two processes run a pure-CPU loop than
one (2.0 on two idle cores, less when others use them).

    python bench/bench_jobs.py [--runs 7] [--sizes 128,256,512,768,1024,2048,4096]

Sizes are KiB; a file is the corpus' replies repeated or cut to that size.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parents[1] / "shared" / "corpus" / "replies.jsonl"
sys.path.insert(0, str(HERE))

from bench_phrases import machine_speedup  # noqa: E402


def cpu_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(cmd: list[str]) -> tuple[float, float, str]:
    cpu = cpu_children()
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return time.perf_counter() - t0, cpu_children() - cpu, done.stdout


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--sizes", default="128,256,512,768,1024,2048,4096")
    ap.add_argument("--corpus", default=str(CORPUS))
    args = ap.parse_args()
    texts = [json.loads(line)["text"] for line in open(args.corpus, encoding="utf-8")]
    body = "".join(t.replace("\n", " ") + "\n" for t in texts).encode("utf-8")
    work = Path(tempfile.mkdtemp(prefix="rc-jobs-"))
    check = [sys.executable, "-m", "replycoach.cli", "check", "--fail-on", "never", "--quiet"]
    print(f"cores usable: {len(os.sched_getaffinity(0))}; load {os.getloadavg()[0]:.2f}")
    print(f"anchor: two CPU-loop processes vs one: {machine_speedup():.2f}x")
    print("   KiB   lines    jobs 1   jobs 2  ratio   CPU 1  CPU 2")
    newline = b"\n"
    for size in (int(s) for s in args.sizes.split(",")):
        want = size * 1024
        data = body * (want // len(body)) + body[: want % len(body)]
        data = data[: data.rfind(b"\n") + 1]
        path = work / f"replies-{size}k.txt"
        path.write_bytes(data)
        one: list[tuple[float, float]] = []
        two: list[tuple[float, float]] = []
        for _ in range(args.runs):
            w1, c1, out1 = run([*check, "--jobs", "1", str(path)])
            w2, c2, out2 = run([*check, "--jobs", "2", str(path)])
            assert out1 == out2, "--jobs 2 must report the same findings"
            one.append((w1, c1))
            two.append((w2, c2))
        m1 = statistics.median(w for w, _ in one)
        m2 = statistics.median(w for w, _ in two)
        cpu1 = statistics.median(c for _, c in one)
        cpu2 = statistics.median(c for _, c in two)
        print(
            f"{size:>6} {data.count(newline):>7}  {m1:7.3f}s {m2:7.3f}s {m1 / m2:5.2f}x  "
            f"{cpu1:5.2f}s {cpu2:5.2f}s"
        )
    print(f"anchor again: {machine_speedup():.2f}x; load {os.getloadavg()[0]:.2f}")
    for path in work.iterdir():
        path.unlink()
    work.rmdir()


if __name__ == "__main__":
    main()
