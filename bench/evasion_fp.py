"""False-positive check of the evasion-aware rules (issue 14): per rule, how many replies of
the real corpus and of the control text are flagged before and after, and which findings
are new, to be judged by hand.

    python bench/evasion_fp.py [--before main] [--show 40] [--json out.json]

"Before" is the package and rules of a git revision (default: ``main``; its commit is
printed), exported with ``git archive`` into a temporary directory and run in a subprocess;
"after" is this working tree. Both run with the compliance pack on and no context.
Rates are flagged lines / all lines; a line of the control text (travel dialogues, food
reviews) is never e-commerce customer service, so there every finding counts against the
rule unless a person judges it a real instance (the food reviews hold real insults).
Not a test: nothing here asserts a threshold.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
RULES = ("off-platform-contact", "rude-language", "privacy-leak")

_RUN = """
import json, sys
import replycoach
engine = replycoach.Engine.from_paths(packs=["compliance"])
rules = set(sys.argv[2].split(","))
out = []
for line in open(sys.argv[1], encoding="utf-8"):
    text = json.loads(line)["text"]
    out.append([[f.rule, f.start, f.end, f.excerpt] for f in engine.check(text) if f.rule in rules])
json.dump(out, sys.stdout, ensure_ascii=False)
"""


def findings(root: Path, corpus: Path) -> list[list[list[object]]]:
    """Per line of ``corpus``: the findings of the three rules, run from ``root``."""
    result = subprocess.run(
        [sys.executable, "-c", _RUN, str(corpus), ",".join(RULES)],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        check=True,
        capture_output=True,
        text=True,
    )
    found: list[list[list[object]]] = json.loads(result.stdout)
    return found


def export(revision: str, into: Path) -> Path:
    """The package and rules of ``revision``, unpacked into ``into``."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", revision, "replycoach", "rules"],
        check=True,
        capture_output=True,
    ).stdout
    tar_path = into / "src.tar"
    tar_path.write_bytes(archive)
    with tarfile.open(tar_path) as tar:
        tar.extractall(into, filter="data")
    return into


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--before", default="main", help="git revision to compare with")
    ap.add_argument("--show", type=int, default=40, help="new findings to print per corpus")
    ap.add_argument("--json", help="write every new finding here, for judging")
    args = ap.parse_args()
    report: dict[str, list[dict[str, object]]] = {}
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", args.before],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    print(f"before: {args.before} ({commit}); after: this working tree")
    with tempfile.TemporaryDirectory() as tmp:
        before_root = export(args.before, Path(tmp))
        for name in ("control.jsonl", "replies.jsonl"):
            corpus = CORPUS / name
            texts = [json.loads(line)["text"] for line in open(corpus, encoding="utf-8")]
            before = findings(before_root, corpus)
            after = findings(ROOT, corpus)
            print(f"\n{name}: {len(texts)} lines (compliance pack on)")
            print(f"{'rule':22} {'before':>14} {'after':>14} {'new':>5} {'gone':>5}")
            new_all: list[dict[str, object]] = []
            for rule in RULES:
                lines_before = {i for i, fs in enumerate(before) if any(f[0] == rule for f in fs)}
                lines_after = {i for i, fs in enumerate(after) if any(f[0] == rule for f in fs)}
                new = sorted(lines_after - lines_before)
                gone = sorted(lines_before - lines_after)
                print(
                    f"{rule:22} {len(lines_before):6} {len(lines_before) / len(texts):7.3%} "
                    f"{len(lines_after):6} {len(lines_after) / len(texts):7.3%} "
                    f"{len(new):5} {len(gone):5}"
                )
                for i in new:
                    excerpts = [f[3] for f in after[i] if f[0] == rule]
                    new_all.append(
                        {"rule": rule, "line": i + 1, "text": texts[i], "found": excerpts}
                    )
                for i in gone:
                    excerpts = [f[3] for f in before[i] if f[0] == rule]
                    new_all.append(
                        {"rule": rule, "line": i + 1, "text": texts[i], "gone": excerpts}
                    )
            for item in new_all[: args.show]:
                what = "new " if "found" in item else "gone"
                shown = item.get("found") or item.get("gone")
                print(
                    f"  {what} {item['rule']} line {item['line']}: {shown} in {item['text'][:80]!r}"
                )
            report[name] = new_all
    if args.json:
        Path(args.json).write_text(json.dumps(report, ensure_ascii=False, indent=1), "utf-8")


if __name__ == "__main__":
    main()
