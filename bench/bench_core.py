"""Throughput, latency, cold start and memory of ``replycoach.check`` on the real corpus.

    python bench/bench_core.py [--corpus ../shared/corpus/replies.jsonl] [--rounds 5]

Anchors measured in the same run (the machines are shared and noisy, so ratios matter):
- ``regex``: one regex alternation of every trigger word of the default pack, scanned over
  each reply (a lower bound for any matcher);
- ``jieba``: a full jieba segmentation of each reply (what segmenting everything would cost);
- ``python -c pass``: interpreter start-up, for the cold start.
Not a test: nothing here asserts a threshold.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "replies.jsonl"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def cold_start(code: str, runs: int = 7) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=str(DEFAULT))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--jieba-sample", type=int, default=3000)
    args = ap.parse_args()
    texts = [json.loads(line)["text"] for line in open(args.corpus, encoding="utf-8")]
    chars = sum(map(len, texts))
    print(f"corpus: {len(texts)} replies, {chars / len(texts):.1f} characters on average")

    # Cold start first, before this process warms any cache.
    base = cold_start("pass")
    cold = cold_start("import replycoach; replycoach.check('我保证明天一定发货，你放心')")
    cold_jieba = cold_start(
        "import replycoach; replycoach.check('这款滚筒洗衣机支持上门安装，你有病吧')"
    )
    print(
        f"cold start, import + first check:     {cold * 1000:7.1f} ms "
        f"(python -c pass: {base * 1000:.1f} ms)"
    )
    print(f"cold start, first check needing jieba: {cold_jieba * 1000:7.1f} ms")

    import replycoach
    from replycoach.loader import ExistenceRule, SubstitutionRule

    def timed(engine: replycoach.Engine) -> tuple[float, float]:
        """Best wall-clock and CPU seconds for the whole corpus over the rounds, after a
        warm-up pass (compile, caches, lazy loads)."""
        for text in texts:
            engine.check(text)
        best = cpu = float("inf")
        for _ in range(args.rounds):
            t0, c0 = time.perf_counter(), time.process_time()
            for text in texts:
                engine.check(text)
            best = min(best, time.perf_counter() - t0)
            cpu = min(cpu, time.process_time() - c0)
        return best, cpu

    # Throughput: whole corpus, several rounds, best round.
    engine = replycoach.Engine.default()
    best, cpu = timed(engine)
    rate = len(texts) / best
    print(
        f"throughput (1 core, all default rules): {rate:,.0f} replies/s "
        f"({best * 1e6 / len(texts):.1f} µs/reply)"
    )
    # CPU time of this process: what one core does, whatever else the machine is running.
    print(
        f"throughput in CPU time (1 core):        {len(texts) / cpu:,.0f} replies/s "
        f"({cpu * 1e6 / len(texts):.1f} µs/reply)"
    )

    # The same with the opt-in compliance pack on (issue 14: ≥ 80,000 replies/s).
    compliance = replycoach.Engine.from_paths(packs=["compliance"])
    best_pack, cpu_pack = timed(compliance)
    print(
        f"throughput (1 core, default + compliance pack): {len(texts) / best_pack:,.0f} "
        f"replies/s ({best_pack * 1e6 / len(texts):.1f} µs/reply); in CPU time "
        f"{len(texts) / cpu_pack:,.0f} replies/s ({cpu_pack * 1e6 / len(texts):.1f} µs/reply)"
    )
    from replycoach.normalize import fold_text, normalize

    for name, eng in (("default", engine), ("default + compliance", compliance)):
        screen = eng._screens_unplaced[1]  # used when the customer and position are unknown
        fold = eng._fold
        norms = [normalize(t) for t in texts]
        chosen = [screen.select(fold_text(n) if fold else n, n) for n in norms]
        always = set(screen.always)
        skipped = sum(1 for c in chosen if always.issuperset(c))
        print(
            f"trigger screen ({name}): {skipped / len(texts):.1%} of replies hold no trigger "
            f"word and run only the {len(screen.always)} unscreened of "
            f"{len(screen.checkers)} rules; {sum(map(len, chosen)) / len(texts):.1f} rules "
            "run per reply on average"
        )

    # Latency per reply, warm.
    lat = []
    clock = time.perf_counter_ns
    for text in texts:
        t0 = clock()
        engine.check(text)
        lat.append((clock() - t0) / 1000)
    print(
        f"latency per reply, warm: p50 {percentile(lat, 0.5):.1f} µs, "
        f"p99 {percentile(lat, 0.99):.1f} µs, max {max(lat):.0f} µs"
    )

    # Anchor 1: one regex alternation of every trigger word.
    words: set[str] = set()
    for rule in engine.rules:
        if isinstance(rule, ExistenceRule):
            words.update(w for w in rule.words if not w.startswith("@"))
        elif isinstance(rule, SubstitutionRule):
            words.update(w for w in rule.swap if not w.startswith("@"))
    alternation = re.compile("|".join(sorted(map(re.escape, words), key=len, reverse=True)))
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(args.rounds):
        for text in texts:
            alternation.findall(text)
    regex_us = (time.perf_counter() - t0) * 1e6 / (len(texts) * args.rounds)
    regex_cpu_us = (time.process_time() - c0) * 1e6 / (len(texts) * args.rounds)

    # Anchor 2: full jieba segmentation (sample).
    import jieba

    jieba.setLogLevel(60)
    jieba.initialize()
    sample = texts[: args.jieba_sample]
    t0 = time.perf_counter()
    for text in sample:
        jieba.lcut(text)
    jieba_us = (time.perf_counter() - t0) * 1e6 / len(sample)
    ours_us = best * 1e6 / len(texts)
    print(
        f"anchor regex alternation ({len(words)} words): {regex_us:.2f} µs/reply "
        f"-> replycoach = {ours_us / regex_us:.1f}x the regex scan "
        f"(in CPU time: {regex_cpu_us:.2f} µs/reply, {cpu * 1e6 / len(texts) / regex_cpu_us:.1f}x)"
    )
    print(
        f"anchor full jieba segmentation: {jieba_us:.1f} µs/reply "
        f"-> replycoach is {jieba_us / ours_us:.1f}x faster than segmenting everything"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (this process, incl. jieba loaded for the anchor): {peak:.0f} MiB")
    peak_check = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json,resource,replycoach,sys\n"
            f"texts=[json.loads(l)['text'] for l in open({args.corpus!r}, encoding='utf-8')]\n"
            "for t in texts: replycoach.check(t)\n"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024)",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    print(f"peak memory, checking the corpus alone: {float(peak_check):.0f} MiB")


if __name__ == "__main__":
    main()
