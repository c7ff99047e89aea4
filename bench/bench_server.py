"""The HTTP service under load, from a second process (wrk, Debian's package).

    python bench/bench_server.py [--seconds 10] [--million]

Starts ``replycoach serve`` (one uvicorn worker) and drives ``POST /v1/check`` with real
corpus replies at 1, 8 and 64 concurrent connections: throughput and p50/p99 latency.
Anchor in the same run: ``GET /healthz`` (the HTTP stack with no checking) at 8 connections.
``--million`` also sends 1,000,000 checks at 8 connections and reports the server's memory
(RSS) along the way, to show it does not grow. Not a test: nothing asserts a threshold.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parents[1] / "shared" / "corpus" / "replies.jsonl"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def lua_script(path: Path, replies: list[str]) -> None:
    bodies = [json.dumps({"text": t}, ensure_ascii=False) for t in replies]
    items = ",\n".join(f"[==[{b}]==]" for b in bodies if "]==]" not in b)
    path.write_text(
        "local bodies = {\n" + items + "\n}\n"
        "local i = 0\n"
        "request = function()\n"
        "  i = i % #bodies + 1\n"
        "  local headers = {['Content-Type']='application/json'}\n"
        "  return wrk.format('POST', '/v1/check', headers, bodies[i])\n"
        "end\n",
        encoding="utf-8",
    )


def wrk(url: str, connections: int, seconds: int, script: Path | None) -> dict[str, float]:
    threads = 1 if connections == 1 else 2
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--latency"]
    if script:
        cmd += ["-s", str(script)]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout

    def ms(label: str) -> float:
        m = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        assert m, out
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rate": rate,
        "p50": ms("50"),
        "p99": ms("99"),
        "total": total,
        "non2xx": int(errors.group(1)) if errors else 0,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--million", action="store_true")
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    replies = [json.loads(line)["text"] for line in open(CORPUS, encoding="utf-8")][:5000]
    script = out / "check.lua"
    lua_script(script, replies)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "replycoach.cli", "serve", "--port", str(port), "--no-config"],
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        wrk(base + "/v1/check", 8, 3, script)  # warm-up
        print(
            f"server: one uvicorn worker, pid {server.pid}; load: wrk in a second process; "
            f"bodies: {len(replies)} real replies"
        )
        anchor = wrk(base + "/healthz", 8, args.seconds, None)
        print(
            f"anchor GET /healthz, 8 connections: {anchor['rate']:,.0f} req/s, "
            f"p50 {anchor['p50']:.2f} ms, p99 {anchor['p99']:.2f} ms"
        )
        for connections in (1, 8, 64):
            r = wrk(base + "/v1/check", connections, args.seconds, script)
            print(
                f"POST /v1/check, {connections:>2} connections: {r['rate']:,.0f} checks/s, "
                f"p50 {r['p50']:.2f} ms, p99 {r['p99']:.2f} ms, non-2xx {r['non2xx']}"
                + (
                    f"  ({r['rate'] / anchor['rate']:.0%} of the /healthz rate)"
                    if connections == 8
                    else ""
                )
            )
        if args.million:
            sent = 0
            start_rss = rss_kib(server.pid)
            print(f"memory before: {start_rss / 1024:.1f} MiB")
            while sent < 1_000_000:
                r = wrk(base + "/v1/check", 8, 20, script)
                sent += int(r["total"])
                print(
                    f"  after {sent:>9,} checks: RSS {rss_kib(server.pid) / 1024:.1f} MiB "
                    f"({r['rate']:,.0f}/s, p99 {r['p99']:.2f} ms, non-2xx {r['non2xx']})"
                )
            end = rss_kib(server.pid)
            print(
                f"memory after {sent:,} checks: {end / 1024:.1f} MiB "
                f"(change {(end - start_rss) / 1024:+.1f} MiB)"
            )
    finally:
        server.terminate()
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
