"""Draw the labelled sample of real Taobao text (ECD) for the recall sets.

    python bench/draw_sample_ecd.py [--seed 20261126] [--out DIR] [--ecd GIT_DIR]

Writes two unlabelled files (``ecd_replies.jsonl``, ``ecd_pairs.jsonl``) into ``--out``
(default ``bench/out/sample/``); the labels were then added by hand into
``tests/data/labelled/``. The cue lists are those of ``bench/draw_sample.py`` (the first
labeller's, broad on purpose); they choose what is read, never a label. One
``random.Random(seed)`` drives every draw, in the order written here.

Replies: the pool is every distinct text of 2 to 200 characters in
``../shared/corpus/dialogues_unlabeled.jsonl`` whose ``role_guess`` is ``agent`` (the ECD
negative candidates and the context turns guessed to be the agent's), minus the texts already
in ``tests/data/labelled/replies.jsonl``. ``random`` takes 95 uniformly, then each cue family
of ``REPLY_QUOTA`` (the cues of ``draw_sample.REPLY_STRATA``, smaller quotas) takes its quota
from the lines not drawn before.

Pairs: ``dialogues_unlabeled.jsonl`` has no conversation id or position field, only ``text``,
``kind``, ``role_guess`` and ``source``. Its context turns come in blocks (one per ECD context,
between runs of negative candidates), but the file was de-duplicated across all contexts: a
turn seen before is missing where it recurs, so in 95 places two neighbours of a block have the
same ``role_guess`` and neighbours are not always adjacent turns. The sequences are therefore
rebuilt from the ECD source the file was extracted from (``PROVENANCE.md`` section 4:
``cooelf/DeepUtteranceAggregation``, commit f2e15d6, ``ECD_sample/test`` and
``ECD_sample/train``; read with ``git show`` from ``--ecd``), with the segmentation removed the
same way (spaces dropped, one kept between two ASCII alphanumeric tokens). Every rebuilt context
turn is checked to occur in ``dialogues_unlabeled.jsonl``. Roles follow the corpus' assumption:
the last context turn is the customer's, strict alternation backwards; the label-1 response is
the agent's reply to the last turn. A pair is a customer turn and the agent turn right after it
(including last turn -> label-1 response); each distinct (customer, reply) once. ``random``
takes 30, then ``complaint``, ``bargain`` and ``availability`` (the cues of
``draw_sample.PAIR_STRATA``) take ``PAIR_QUOTA`` each from the pairs not drawn before, then
``availability-no`` takes up to 15 more whose customer turn asks about stock, colour, size or
model and whose reply says something is missing.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from draw_sample import (
    AVAILABILITY_NO,
    CORPUS,
    PAIR_STRATA,
    REPLY_NO,
    REPLY_STRATA,
    _draw,
)

SEED = 20261126
ROOT = Path(__file__).resolve().parents[1]
ECD_GIT = Path("/work/.mirror/cooelf+DeepUtteranceAggregation/repo/.git")
ECD_COMMIT = "f2e15d6600ccda0db32eee98b2ca67c322071964"
REPLY_QUOTA = {
    "refusal": 35,
    "hedge": 25,
    "vow": 20,
    "ni": 20,
    "repeated-wo": 10,
    "third-party": 15,
    "contact": 10,
    "rude": 15,
    "wo-heavy": 10,
    "elsewhere": 10,
}
PAIR_QUOTA = {"complaint": 50, "bargain": 45, "availability": 45}


def unsegment(text: str) -> str:
    """Join ECD's space-separated tokens as the corpus did (a space only between ASCII words)."""
    toks = text.split()
    out = ""
    for i, tok in enumerate(toks):
        if i and toks[i - 1][-1].isascii() and toks[i - 1][-1].isalnum():
            if tok[0].isascii() and tok[0].isalnum():
                out += " "
        out += tok
    return out


def ecd_contexts(git_dir: Path) -> list[tuple[str, list[str], list[str]]]:
    """(where, context turns, label-1 responses) per distinct ECD context, in file order."""
    found: dict[tuple[str, ...], tuple[str, list[str]]] = {}
    for name in ("test", "train"):
        blob = subprocess.run(
            ["git", "--git-dir", str(git_dir), "show", f"{ECD_COMMIT}:ECD_sample/{name}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for n, line in enumerate(blob.splitlines(), 1):
            parts = line.split("\t")
            ctx = tuple(unsegment(t) for t in parts[1:-1])
            pos = found.setdefault(ctx, (f"{name}:{n}", []))[1]
            if parts[0] == "1":
                pos.append(unsegment(parts[-1]))
    return [(where, list(ctx), pos) for ctx, (where, pos) in found.items()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--out", default=str(Path(__file__).parent / "out" / "sample"))
    ap.add_argument("--ecd", type=Path, default=ECD_GIT, help="git dir of the ECD repository")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    rows = [json.loads(x) for x in open(CORPUS / "dialogues_unlabeled.jsonl", encoding="utf-8")]
    labelled = ROOT / "tests" / "data" / "labelled" / "replies.jsonl"
    done = {json.loads(x)["text"] for x in open(labelled, encoding="utf-8")}
    seen: set[str] = set()
    pool: list[dict[str, object]] = []
    for r in rows:
        text = r["text"]
        if r["role_guess"] == "agent" and 2 <= len(text) <= 200 and text not in done | seen:
            seen.add(text)
            pool.append({"text": text, "source": r["source"], "kind": r["kind"]})
    strata = {k: (q, REPLY_STRATA[k][1]) for k, q in REPLY_QUOTA.items()}
    drawn = _draw(rng, pool, "text", strata, 95)
    with open(out / "ecd_replies.jsonl", "w", encoding="utf-8") as fh:
        for n, item in enumerate(drawn):
            fh.write(json.dumps({"id": f"e{n:03d}", **item}, ensure_ascii=False) + "\n")

    in_file = {r["text"] for r in rows if r["kind"] == "context"}
    contexts = ecd_contexts(args.ecd)
    missing = sum(t not in in_file for _, ctx, _ in contexts for t in ctx)
    pairs: list[dict[str, object]] = []
    keys: set[tuple[str, str]] = set()
    for where, ctx, positives in contexts:
        n = len(ctx)
        roles = ["customer" if (n - 1 - i) % 2 == 0 else "agent" for i in range(n)]
        steps = [(ctx[i], ctx[i + 1]) for i in range(n - 1) if roles[i] == "customer"]
        steps += [(ctx[-1], p) for p in positives]
        for cust, reply in steps:
            if (cust, reply) not in keys and cust.strip() and reply.strip():
                keys.add((cust, reply))
                pairs.append({"conversation": f"ecd:{where}", "customer": cust, "reply": reply})
    print(
        f"{len(contexts)} ECD contexts, {missing} turns not in dialogues_unlabeled.jsonl, "
        f"{len(pairs)} distinct customer->agent pairs, reply pool {len(pool)}",
        file=sys.stderr,
    )
    pstrata = {k: (q, PAIR_STRATA[k][1]) for k, q in PAIR_QUOTA.items()}
    drawn = _draw(rng, pairs, "customer", pstrata, 30)
    taken = {(str(p["customer"]), str(p["reply"])) for p in drawn}
    cands = [
        p
        for p in pairs
        if (str(p["customer"]), str(p["reply"])) not in taken
        and AVAILABILITY_NO.search(str(p["customer"]))
        and REPLY_NO.search(str(p["reply"]))
    ]
    drawn += [{**p, "stratum": "availability-no"} for p in rng.sample(cands, min(15, len(cands)))]
    with open(out / "ecd_pairs.jsonl", "w", encoding="utf-8") as fh:
        for n, item in enumerate(drawn):
            fh.write(json.dumps({"id": f"ep{n:03d}", **item}, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
