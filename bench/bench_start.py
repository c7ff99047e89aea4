"""Whole-process start-up of the ``replycoach`` command, timed by hyperfine, against
``python -c pass`` measured in the same run (the ratio is the figure; the machine is shared).

    python bench/bench_start.py [--runs 30]

Needs hyperfine (``apt-get install hyperfine``). Bytecode is compiled first, as a pip
install does (this environment may set PYTHONDONTWRITEBYTECODE). Measured with the
compiled-rule cache warm (every start after the first) and, separately, empty (the first
start after an install or a rule change: ``--prepare`` empties a private cache directory).
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PLAIN = "我保证明天一定发货，你放心"
JIEBA = "这款滚筒洗衣机支持上门安装，你有病吧"  # 滚 needs a word-boundary check


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=30)
    args = ap.parse_args()
    if shutil.which("hyperfine") is None:
        sys.exit("hyperfine is needed: apt-get install hyperfine")
    import replycoach

    compileall.compile_dir(str(Path(replycoach.__file__).parent), quiet=1)
    exe = str(Path(sys.executable).parent / "replycoach")
    py = sys.executable
    work = Path(tempfile.mkdtemp(prefix="rc-bench-"))  # no configuration file up from here
    fresh = Path(tempfile.mkdtemp(prefix="rc-bench-cache-"))
    check = f"{exe} check --fail-on never --text"
    commands = {
        "python -c pass": f"{py} -c pass",
        "replycoach --version": f"{exe} --version",
        "replycoach --help": f"{exe} --help",
        "check --text (plain)": f"{check} {PLAIN}",
        "check --text (needs jieba)": f"{check} {JIEBA}",
    }
    subprocess.run(commands["check --text (plain)"].split(), cwd=work, capture_output=True)
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    result = out / "start.json"
    load = os.getloadavg()
    cmd = ["hyperfine", "-N", "-w", "3", "-r", str(args.runs), "--export-json", str(result)]
    for name, command in commands.items():
        cmd += ["-n", name, command]
    subprocess.run(cmd, cwd=work, check=True, capture_output=True)
    times = {r["command"]: r for r in json.loads(result.read_text())["results"]}
    # The first start after an install or a rule change: empty compiled-rule cache.
    env = {**os.environ, "REPLYCOACH_CACHE_DIR": str(fresh / "c")}
    first = out / "start-first.json"
    subprocess.run(
        [
            "hyperfine", "-N", "-w", "1", "-r", str(max(5, args.runs // 5)),
            "--prepare", f"rm -rf {fresh / 'c'}", "--export-json", str(first),
            "-n", "check --text, empty cache", f"{check} {PLAIN}",
        ],
        cwd=work, env=env, check=True, capture_output=True,
    )  # fmt: skip
    times.update({r["command"]: r for r in json.loads(first.read_text())["results"]})
    after = os.getloadavg()
    base = times["python -c pass"]["median"]
    print(f"load average before {load[0]:.2f}, after {after[0]:.2f} (2 cores, shared)")
    for name, r in times.items():
        print(
            f"{name:<30} median {r['median'] * 1000:7.1f} ms  mean {r['mean'] * 1000:7.1f} "
            f"± {r['stddev'] * 1000:5.1f} ms  user {r['user'] * 1000:6.1f} ms  "
            f"= {r['median'] / base:4.1f}x python -c pass"
        )
    plain = times["check --text (plain)"]["median"]
    jieba = times["check --text (needs jieba)"]["median"]
    print(f"first check needing jieba: +{(jieba - plain) * 1000:.0f} ms over a plain check")
    shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree(fresh, ignore_errors=True)


if __name__ == "__main__":
    main()
