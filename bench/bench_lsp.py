"""Latency of ``replycoach lsp``: from an edit sent to its diagnostics received, on a
5,000-line phrase library, measured by a bare JSON-RPC client over the server's stdio.

    python bench/bench_lsp.py [--lines 5000] [--edits 40] [--formats txt csv json yaml jsonl]

For each format the file is built from the first ``--lines`` real agent replies of the
corpus (../shared/corpus/replies.jsonl; synthetic replies when it is absent), opened, then
edited ``--edits`` times: one character typed into a reply in the middle of the file (the
typical edit), and a new entry inserted (a structural edit). Reported: median, p95 and max
milliseconds from ``didChange`` sent to ``publishDiagnostics`` of that version received.
Anchors in the same run: the server's ``didOpen`` (a whole read and check of the file) and
an in-process full check of the same file (``report.check_file``, fresh engine, no cache).
Not a test: nothing here asserts a threshold.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import queue
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parents[1] / "shared" / "corpus" / "replies.jsonl"


def replies(n: int) -> list[str]:
    out: list[str] = []
    if CORPUS.exists():
        for line in CORPUS.open(encoding="utf-8"):
            text = " ".join(json.loads(line)["text"].split())
            if text:
                out.append(text)
            if len(out) == n:
                return out
    base = ["您好，欢迎光临！", "我保证明天一定发货，你放心", "亲，这边帮您查一下物流哦", "不行"]
    while len(out) < n:
        out.append(f"{base[len(out) % len(base)]}（{len(out)}）")
    return out


def build(fmt: str, texts: list[str]) -> tuple[str, int]:
    """The file's text, and the line of the middle reply."""
    import yaml

    middle = len(texts) // 2
    if fmt == "txt":
        return "\n".join(texts) + "\n", middle
    if fmt == "jsonl":
        return "\n".join(json.dumps({"话术": t}, ensure_ascii=False) for t in texts) + "\n", middle
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(["话术", "场景"])
        for t in texts:
            writer.writerow([t, "售中"])
        return buf.getvalue(), middle + 1
    if fmt == "json":
        body = ",\n".join("  " + json.dumps(t, ensure_ascii=False) for t in texts)
        return "[\n" + body + "\n]\n", middle + 1
    data = yaml.safe_dump({"售中": texts}, allow_unicode=True, width=10_000, sort_keys=False)
    return data, middle + 1


def inside_reply(fmt: str, line: str) -> int:
    """A column one character into the reply on ``line`` (in UTF-16 units)."""
    start = {"txt": 0, "jsonl": len('{"话术": "'), "json": 3}.get(fmt, 0)
    if fmt == "yaml":
        start = 2 + (line[2:3] in "'\"")
    if fmt == "csv":
        start = 1 if line.startswith('"') else 0
    return len(line[: start + 1].encode("utf-16-le")) // 2


def new_entry(fmt: str) -> str:
    return {
        "txt": "你好，我保证明天发货\n",
        "jsonl": '{"话术": "你好，我保证明天发货"}\n',
        "csv": "你好，我保证明天发货,售中\n",
        "json": '  "你好，我保证明天发货",\n',
        "yaml": "- 你好，我保证明天发货\n",
    }[fmt]


class Client:
    """A bare LSP client: Content-Length frames over the server's pipes."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "replycoach.cli", "lsp"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.inbox: queue.Queue[dict[str, Any]] = queue.Queue()
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            length = 0
            while True:
                header = out.readline()
                if not header:
                    return
                if header in (b"\r\n", b"\n"):
                    break
                if header.lower().startswith(b"content-length:"):
                    length = int(header.split(b":")[1])
            self.inbox.put(json.loads(out.read(length)))

    def send(self, method: str, params: Any, request: bool = False) -> int | None:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": params}
        if request:
            self.next_id += 1
            message["id"] = self.next_id
        body = json.dumps(message, ensure_ascii=False).encode("utf-8")
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()
        return message.get("id")

    def wait(self, match: Any, timeout: float = 120) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            message = self.inbox.get(timeout=max(0.01, deadline - time.monotonic()))
            if message.get("method") == "client/registerCapability":
                self.inbox.put({"jsonrpc": "2.0", "id": message["id"], "result": None})
                self._reply(message["id"])
                continue
            if match(message):
                return message

    def _reply(self, msg_id: Any) -> None:
        body = json.dumps({"jsonrpc": "2.0", "id": msg_id, "result": None}).encode()
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def close(self) -> None:
        ident = self.send("shutdown", None, request=True)
        self.wait(lambda m: m.get("id") == ident)
        self.send("exit", None)
        self.proc.wait(timeout=10)


def diagnostics_of(uri: str, version: int) -> Any:
    def match(m: dict[str, Any]) -> bool:
        p = m.get("params") or {}
        return bool(
            m.get("method") == "textDocument/publishDiagnostics"
            and p.get("uri") == uri
            and p.get("version") == version
        )

    return match


def anchor(fmt: str, text: str) -> float:
    """An in-process full check of the file: read + check every entry, fresh engine."""
    from replycoach.engine import Engine
    from replycoach.report import check_file
    from replycoach.sources import SourceOptions

    engine = Engine.from_paths()
    engine.check("你好")
    t0 = time.perf_counter()
    check_file(engine, f"bench.{fmt}", SourceOptions(), data=text.encode("utf-8"))
    return (time.perf_counter() - t0) * 1000


def run(fmt: str, text: str, line: int, edits: int) -> dict[str, Any]:
    client = Client()
    init = client.send(
        "initialize",
        {"processId": None, "rootUri": None, "capabilities": {}},
        request=True,
    )
    client.wait(lambda m: m.get("id") == init)
    client.send("initialized", {})
    uri = f"file:///tmp/replycoach-bench/bench.{fmt}"
    t0 = time.perf_counter()
    client.send(
        "textDocument/didOpen",
        {"textDocument": {"uri": uri, "languageId": fmt, "version": 1, "text": text}},
    )
    opened = client.wait(diagnostics_of(uri, 1))
    open_ms = (time.perf_counter() - t0) * 1000
    version = 1
    lines = text.split("\n")
    typing: list[float] = []
    for k in range(edits):
        version += 1
        number = line + (k % 50) * 7
        at = {"line": number, "character": inside_reply(fmt, lines[number])}
        change = {"range": {"start": at, "end": at}, "text": "你"}
        t0 = time.perf_counter()
        client.send(
            "textDocument/didChange",
            {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]},
        )
        client.wait(diagnostics_of(uri, version))
        typing.append((time.perf_counter() - t0) * 1000)
    typed: list[float] = []  # Enter at the end of a line, then a new entry key by key
    for k in reversed(range(max(2, edits // 20))):  # below the lines typed into above
        row = line + 400 + k * 13
        col = len(lines[row].encode("utf-16-le")) // 2
        for key in ["\n", *new_entry(fmt).rstrip("\n")]:
            version += 1
            at = {"line": row, "character": col}
            change = {"range": {"start": at, "end": at}, "text": key}
            t0 = time.perf_counter()
            client.send(
                "textDocument/didChange",
                {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]},
            )
            client.wait(diagnostics_of(uri, version))
            typed.append((time.perf_counter() - t0) * 1000)
            row, col = (
                (row + 1, 0) if key == "\n" else (row, col + len(key.encode("utf-16-le")) // 2)
            )
    structural: list[float] = []
    for k in range(max(3, edits // 8)):
        version += 1
        at = {"line": line + 3 + k * 11, "character": 0}
        change = {"range": {"start": at, "end": at}, "text": new_entry(fmt)}
        t0 = time.perf_counter()
        client.send(
            "textDocument/didChange",
            {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]},
        )
        client.wait(diagnostics_of(uri, version))
        structural.append((time.perf_counter() - t0) * 1000)
    client.close()
    return {
        "open_ms": open_ms,
        "findings": len(opened["params"]["diagnostics"]),
        "typing": typing,
        "structural": structural,
        "typed": typed,
    }


def summary(values: list[float]) -> str:
    values = sorted(values)
    p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
    return f"{statistics.median(values):7.1f} {p95:7.1f} {values[-1]:7.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=5000)
    parser.add_argument("--edits", type=int, default=40)
    parser.add_argument("--formats", nargs="+", default=["txt", "csv", "json", "yaml", "jsonl"])
    args = parser.parse_args()
    texts = replies(args.lines)
    print(f"{args.lines} replies per file ({'corpus' if CORPUS.exists() else 'synthetic'})")
    print(
        "format  findings  full-check  didOpen |  typing: median    p95     max"
        " | entry typed: median    p95     max | entry pasted: median    p95     max   (ms)"
    )
    for fmt in args.formats:
        text, line = build(fmt, texts)
        full = anchor(fmt, text)
        result = run(fmt, text, line, args.edits)
        print(
            f"{fmt:<6}  {result['findings']:>8}  {full:>10.1f}  {result['open_ms']:>7.1f} |"
            f"         {summary(result['typing'])} |"
            f"              {summary(result['typed'])} |"
            f"               {summary(result['structural'])}"
        )


if __name__ == "__main__":
    main()
