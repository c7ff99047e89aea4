"""Soak test of `replycoach serve`: mixed valid and hostile requests for a few minutes.

Starts the service on a free port of 127.0.0.1 (and only there), then N client threads send,
until the time or the request budget runs out:

- valid: /v1/check (real replies from ../shared/corpus when present), /v1/fix, a batch of 20,
  /v2/check (form), /healthz;
- hostile: invalid JSON, wrong types, an unknown rule, a 70 KB body, a foreign Host (DNS
  rebinding), a foreign Origin (cross-site post), a malformed `data=` annotation, a bad
  Content-Length, a 100 KB URL, a 1 MB header, a request head that never ends, a body that
  never comes, a 20,000-character reply ("滚" x 20,000) and a 20,000-finding /v2/check.

Every answer must have the status that request type expects (4xx for hostile ones); any other
status, a 5xx or a transport error counts as an error. While each 20,000-character request
runs, another thread times /healthz. Reports requests, errors, p50/p99 per kind and the
server's RSS before and after.

    python bench/soak_server.py --seconds 180 --clients 4
"""

from __future__ import annotations

import argparse
import json
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import httpx

HOST = "127.0.0.1"  # never anything else
ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "replies.jsonl"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def raw(port: int, data: bytes, *, read_timeout: float = 20) -> int:
    """Send raw bytes; the answer's status (0: closed without one)."""
    with socket.create_connection((HOST, port), timeout=read_timeout) as s:
        try:
            s.sendall(data)
        except OSError:
            pass
        answer = b""
        try:
            while b"\r\n" not in answer:
                chunk = s.recv(4096)
                if not chunk:
                    break
                answer += chunk
        except OSError:
            pass
    parts = answer.split(b" ", 2)
    return int(parts[1]) if answer.startswith(b"HTTP/") and len(parts) > 1 else 0


def replies() -> list[str]:
    if CORPUS.is_file():
        lines = CORPUS.read_text(encoding="utf-8").splitlines()
        return [json.loads(line)["text"] for line in lines[:5000]]
    return ["您好，我保证明天发货", "你好，你的快递到了", "不知道，爱买不买", "亲，在的"]


class Soak:
    def __init__(self, port: int, seconds: float, budget: int) -> None:
        self.url = f"http://{HOST}:{port}"
        self.port = port
        self.deadline = time.monotonic() + seconds
        self.budget = budget
        self.sent = 0
        self.lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.samples: dict[str, list[str]] = defaultdict(list)
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.long_checks: list[float] = []
        self.health_during_long: list[float] = []
        self.texts = replies()

    def more(self) -> bool:
        with self.lock:
            if time.monotonic() > self.deadline or self.sent >= self.budget:
                return False
            self.sent += 1
            return True

    def record(self, kind: str, status: int, expected: set[int], took: float) -> None:
        with self.lock:
            self.counts[kind] += 1
            self.latency[kind].append(took)
            if status not in expected:
                self.errors[kind] += 1
                if len(self.samples[kind]) < 3:
                    self.samples[kind].append(f"status {status}, expected {sorted(expected)}")

    # ----------------------------------------------------------------------- request kinds

    def http(self, c: httpx.Client, kind: str, expected: set[int], **request: Any) -> None:
        started = time.perf_counter()
        try:
            status = c.request(**request).status_code
        except httpx.HTTPError as exc:
            status = 0
            with self.lock:
                if len(self.samples[kind]) < 3:
                    self.samples[kind].append(repr(exc))
        self.record(kind, status, expected, time.perf_counter() - started)

    def one(self, c: httpx.Client, rng: random.Random) -> None:
        text = rng.choice(self.texts)
        u = self.url
        kind = rng.choices(
            [
                "check", "fix", "batch", "v2", "healthz",
                "bad-json", "bad-type", "unknown-rule", "big-body", "foreign-host",
                "foreign-origin", "bad-annotation", "bad-length", "long-url", "big-header",
                "long-reply", "v2-20k-findings",
            ],
            weights=[30, 8, 5, 8, 5, 3, 3, 3, 2, 3, 3, 3, 2, 2, 1, 0.4, 0.2],
        )[0]  # fmt: skip
        if kind == "check":
            self.http(c, kind, {200}, method="POST", url=u + "/v1/check", json={"text": text})
        elif kind == "fix":
            self.http(c, kind, {200}, method="POST", url=u + "/v1/fix", json={"text": text})
        elif kind == "batch":
            items = [{"text": rng.choice(self.texts)} for _ in range(20)]
            self.http(
                c, kind, {200}, method="POST", url=u + "/v1/check/batch", json={"items": items}
            )
        elif kind == "v2":
            form = {"text": text[:2000], "language": "zh-CN"}
            self.http(c, kind, {200}, method="POST", url=u + "/v2/check", data=form)
        elif kind == "healthz":
            self.http(c, kind, {200}, method="GET", url=u + "/healthz")
        elif kind == "bad-json":
            self.http(c, kind, {400}, method="POST", url=u + "/v1/check", content=b"{nope",
                      headers={"content-type": "application/json"})  # fmt: skip
        elif kind == "bad-type":
            self.http(c, kind, {422}, method="POST", url=u + "/v1/check", json={"text": 5})
        elif kind == "unknown-rule":
            self.http(c, kind, {400}, method="POST", url=u + "/v1/check",
                      json={"text": text, "rules": ["nope"]})  # fmt: skip
        elif kind == "big-body":
            self.http(c, kind, {413}, method="POST", url=u + "/v1/check",
                      content=b'{"text": "' + b"a" * 70_000 + b'"}',
                      headers={"content-type": "application/json"})  # fmt: skip
        elif kind == "foreign-host":
            self.http(c, kind, {421}, method="POST", url=u + "/v1/check", json={"text": text},
                      headers={"Host": "rebind.evil.example"})  # fmt: skip
        elif kind == "foreign-origin":
            evil = {"Origin": "https://evil.example"}
            self.http(c, kind, {403}, method="POST", url=u + "/v2/check",
                      data={"text": text[:500]}, headers=evil)  # fmt: skip
        elif kind == "bad-annotation":
            data = rng.choice(['{"annotation": 5}', "[", '{"annotation": [{"text": 1}]}'])
            self.http(c, kind, {400}, method="POST", url=u + "/v2/check", data={"data": data})
        elif kind in ("bad-length", "long-url", "big-header"):
            request, expected = {
                "bad-length": (b"POST /v1/check HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                               b"Content-Length: 12abc\r\n\r\n{}", {400}),
                "long-url": (b"GET /v2/check?text=" + b"a" * 100_000 + b" HTTP/1.1\r\n\r\n", {414}),
                "big-header": (b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: "
                               + b"a" * 1_000_000 + b"\r\n\r\n", {431}),
            }[kind]  # fmt: skip
            started = time.perf_counter()
            self.record(kind, raw(self.port, request), expected, time.perf_counter() - started)
        elif kind == "long-reply":
            self.long_reply(c)
        elif kind == "v2-20k-findings":
            files = {"text": (None, "你" * 20_000), "language": (None, "zh-CN")}
            self.http(c, kind, {200}, method="POST", url=u + "/v2/check", files=files)

    def long_reply(self, c: httpx.Client) -> None:
        """ "滚" x 20,000 while another client times /healthz."""
        done = threading.Event()

        def poll() -> None:
            with httpx.Client(timeout=30) as h:
                while not done.is_set():
                    started = time.perf_counter()
                    h.get(self.url + "/healthz")
                    with self.lock:
                        self.health_during_long.append(time.perf_counter() - started)
                    time.sleep(0.005)

        poller = threading.Thread(target=poll)
        poller.start()
        started = time.perf_counter()
        try:
            status = c.post(self.url + "/v1/check", json={"text": "滚" * 20_000}).status_code
        except httpx.HTTPError:
            status = 0
        took = time.perf_counter() - started
        done.set()
        poller.join()
        with self.lock:
            self.long_checks.append(took)
        self.record("long-reply", status, {200}, took)

    def slow_clients(self) -> None:
        """Now and then a head that never ends and a body that never comes (408 / closed)."""
        while time.monotonic() < self.deadline - 12:
            started = time.perf_counter()
            status = raw(self.port, b"POST /v1/check HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            self.record("slow-head", status, {408}, time.perf_counter() - started)
            started = time.perf_counter()
            status = raw(
                self.port,
                b"POST /v1/check HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json"
                b"\r\nContent-Length: 100\r\n\r\n{",
            )
            self.record("slow-body", status, {0}, time.perf_counter() - started)

    def client(self, seed: int) -> None:
        rng = random.Random(seed)
        with httpx.Client(timeout=60) as c:
            while self.more():
                self.one(c, rng)


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=180)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--max-requests", type=int, default=500_000)
    args = parser.parse_args()

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "replycoach.cli", "serve", "--host", HOST, "--port", str(port),
         "--no-config"],
        cwd=ROOT, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        for _ in range(300):
            try:
                httpx.get(f"http://{HOST}:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        with httpx.Client() as c:  # warm: jieba's dictionary, every endpoint once
            c.post(f"http://{HOST}:{port}/v1/check", json={"text": "你滚，财源滚滚" * 50})
            c.post(f"http://{HOST}:{port}/v2/check", data={"text": "你好"})
        rss_before = rss_mib(server.pid)
        soak = Soak(port, args.seconds, args.max_requests)
        threads = [threading.Thread(target=soak.client, args=(n,)) for n in range(args.clients)]
        threads.append(threading.Thread(target=soak.slow_clients))
        started = time.monotonic()
        timeline: list[tuple[float, float]] = []
        finished = threading.Event()

        def sample() -> None:
            while not finished.wait(15):
                timeline.append((time.monotonic() - started, rss_mib(server.pid)))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        finished.set()
        elapsed = time.monotonic() - started
        rss_after = rss_mib(server.pid)
        alive = server.poll() is None
        health = httpx.get(f"http://{HOST}:{port}/healthz", timeout=5).status_code
    finally:
        server.terminate()
        try:
            _, err = server.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            _, err = server.communicate()

    total = sum(soak.counts.values())
    errors = sum(soak.errors.values())
    valid = [x for k in ("check", "fix", "batch", "v2", "healthz") for x in soak.latency[k]]
    print(f"soak: {elapsed:.0f} s, {args.clients} clients + 1 slow client, 127.0.0.1 only")
    print(f"requests {total:,} ({total / elapsed:,.0f}/s), errors {errors}")
    print(
        f"valid requests p50 {pct(valid, 0.5) * 1000:.1f} ms, p99 {pct(valid, 0.99) * 1000:.1f} ms"
    )
    print(f"server RSS before {rss_before:.0f} MiB, after {rss_after:.0f} MiB; "
          f"alive after: {alive}, /healthz {health}")  # fmt: skip
    print("server RSS every 15 s (MiB): " + " ".join(f"{r:.0f}" for _, r in timeline))
    if soak.long_checks:
        print(
            f"'滚' x 20,000: {len(soak.long_checks)} requests, median "
            f"{statistics.median(soak.long_checks):.2f} s, max {max(soak.long_checks):.2f} s; "
            f"/healthz meanwhile: {len(soak.health_during_long)} probes, p99 "
            f"{pct(soak.health_during_long, 0.99) * 1000:.1f} ms, max "
            f"{max(soak.health_during_long, default=0) * 1000:.1f} ms"
        )
    print(f"{'kind':<18}{'count':>9}{'errors':>8}{'p50 ms':>9}{'p99 ms':>9}")
    for kind in sorted(soak.counts):
        lat = soak.latency[kind]
        print(
            f"{kind:<18}{soak.counts[kind]:>9}{soak.errors[kind]:>8}"
            f"{pct(lat, 0.5) * 1000:>9.1f}{pct(lat, 0.99) * 1000:>9.1f}"
        )
        for sample in soak.samples[kind]:
            print(f"    e.g. {sample}")
    if "internal error" in err or "Traceback" in err:
        print("server stderr:\n" + err[-3000:])
        return 1
    return 0 if errors == 0 and alive else 1


if __name__ == "__main__":
    sys.exit(main())
