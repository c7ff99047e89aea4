"""Draw the labelled recall sample of real text (issue 10, part 5).

    python bench/draw_sample.py [--seed 20261125] [--out DIR]

Writes three unlabelled files (``replies.jsonl``, ``pairs.jsonl``, ``positions.jsonl``) into
``--out`` (default ``bench/out/sample/``); the labels were then added by hand, by reading each
item against ``../shared/RULE-INTENT.md``, into ``tests/data/labelled/``. The cue lists below
are the labeller's own broad lists, written from the guidance and the issue, not taken from
the rule pack; they only choose what to read, they decide no label. One ``random.Random(seed)``
drives every draw, in the order written here, so the same seed gives the same sample.

Replies (``../shared/corpus/replies.jsonl``, 17,084 distinct agent lines, each line counted
once whatever its ``count``): the pool is every line of 2 to 200 characters (the 36 longer lines
are product copy and pasted notices; too long to label reliably). First ``random`` takes 100
lines uniformly from the pool (base rates). Then each cue family in ``REPLY_STRATA`` takes its
quota uniformly from the pool lines that contain one of its cues and were not drawn before.

Pairs (``../shared/corpus/transcripts.jsonl``, 994 JDDC conversations): within a conversation,
consecutive messages of one side are joined into one turn with a space (order-card lines such
as ``[订单编号:…]`` are dropped from customer turns; at most the last 3 customer messages and
the first 3 agent messages of a turn are kept). A pair is a customer turn and the agent turn
right after it. First ``random`` takes 100 pairs uniformly, then each family in
``PAIR_STRATA`` takes its quota from the pairs whose customer turn holds one of its cues.
Last, ``availability-no`` takes up to 30 further pairs whose customer turn asks about stock,
colour, size or model and whose agent turn says something is missing (``AVAILABILITY_NO`` and
``REPLY_NO``), because bare-unavailable positives are rare otherwise. Real bargaining is rare
in JD chats (fixed prices; the bargain stratum mostly holds price-protection questions).

Positions: conversations with at least two agent messages (single source rows, not joined
turns: the position rules judge one message). 60 conversations give their first agent
message, 60 other conversations their last one, both uniformly at random.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import re
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
SEED = 20261125

# Cue family -> (quota, cues). Cues are plain substrings, regular expressions (prefix "re:") or
# the count test "wo>you".
REPLY_STRATA: dict[str, tuple[int, list[str]]] = {
    "refusal": (
        70,
        [
            "不能",
            "无法",
            "没法",
            "不可以",
            "不支持",
            "不了",
            "不行",
            "没办法",
            "做不到",
            "不还价",
            "办不到",
            "不允许",
            "不予",
            "不接受",
            "不提供",
            "不给",
            "没有办法",
        ],
    ),
    "hedge": (
        55,
        [
            "可能",
            "应该",
            "估计",
            "大概",
            "不一定",
            "说不准",
            "说不好",
            "不清楚",
            "不知道",
            "不确定",
            "也许",
            "或许",
            "好像",
            "差不多吧",
            "不太了解",
            "看情况",
        ],
    ),
    "vow": (40, ["保证", "一定", "肯定", "绝对", "百分百", "百分之百", "必须", "必定", "确保"]),
    "ni": (40, ["你"]),
    "repeated-wo": (30, [r"re:我(?!们|司).*我(?!们|司)"]),
    "third-party": (
        45,
        [
            "快递",
            "厂家",
            "售后",
            "物流",
            "商家",
            "找",
            "第三方",
            "配送员",
            "客服",
            "部门",
            "卖家",
            "供应商",
            "品牌方",
            "联系",
        ],
    ),
    "contact": (
        25,
        [
            r"re:\d{7,}",
            "[电话x]",
            "电话",
            "手机",
            "邮箱",
            "@",
            "身份证",
            "卡号",
            "地址",
            "QQ",
            "微信",
        ],
    ),
    "rude": (
        30,
        [
            "说了",
            "到底",
            "自己看",
            "自己去",
            "随便",
            "爱买",
            "re:(?<!麻)烦",
            "怎么这么",
            "听不懂",
            "不懂",
            "早就",
            "没看到",
            "你自己",
            "别",
            "凭什么",
            "关我",
            "啥",
            "又",
            "吧",
            "啊",
            "不是跟您说",
            "我也没办法",
        ],
    ),
    # Added after the first pass showed how rare these are in the families above (drawn last,
    # so the draws before them are unchanged): replies where the agent speaks of itself more
    # than of the customer, and replies that hand the matter to someone else.
    "wo-heavy": (25, ["wo>you"]),
    "elsewhere": (
        20,
        [
            "自己",
            "不归",
            "不关",
            "没关系",
            "的问题",
            "找厂家",
            "找商家",
            "联系厂家",
            "联系商家",
            "找快递",
            "联系快递",
            "不负责",
            "管不了",
            "不是我们",
        ],
    ),
}

PAIR_STRATA: dict[str, tuple[int, list[str]]] = {
    "complaint": (
        110,
        [
            "坏",
            "碎",
            "裂",
            "破",
            "不通电",
            "开不了机",
            "开不了",
            "黑屏",
            "漏",
            "掉色",
            "质量",
            "还没到",
            "没收到",
            "还没发",
            "一直",
            "怎么还",
            "至今",
            "等了",
            "几天了",
            "太慢",
            "慢",
            "投诉",
            "差评",
            "太差",
            "垃圾",
            "骗",
            "生气",
            "态度",
            "发错",
            "少发",
            "漏发",
            "错了",
            "降价",
            "差价",
            "不能用",
            "用不了",
            "失望",
            "怎么回事",
            "为什么",
            "不满意",
            "划痕",
            "瑕疵",
            "假",
            "问题",
            "故障",
            "不好用",
            "退货",
            "退款",
            "再不",
            "到底",
        ],
    ),
    "bargain": (
        55,
        [
            "便宜",
            "优惠",
            "少点",
            "打折",
            "折扣",
            "太贵",
            "贵",
            "价格",
            "降价",
            "包邮",
            "送点",
            "赠品",
            "砍价",
            "还价",
            "少一点",
            "优惠券",
            "便宜点",
            "最低",
        ],
    ),
    "availability": (
        55,
        [
            "有货",
            "没货",
            "缺货",
            "现货",
            "库存",
            "有没有",
            "颜色",
            "尺码",
            "大小",
            "型号",
            "什么时候有",
            "到货",
            "补货",
            "断货",
            "还有吗",
            "有吗",
            "色",
            "码",
            "规格",
            "款",
        ],
    ),
}

# Drawn after PAIR_STRATA (so the draws above are unchanged), because the first pass held only
# 3 bare-unavailable positives: pairs whose customer turn asks about stock, colour, size or
# model AND whose agent turn says something is missing. The reply cue only chooses what to read.
AVAILABILITY_NO = re.compile(
    "有货|没货|缺货|现货|库存|有没有|颜色|尺码|码|型号|还有吗|有吗|补货|断货|款"
)
REPLY_NO = re.compile("没有|没货|缺货|无货|断货|暂无|售罄|卖完|下架|不做|停产")


def _matches(text: str, cues: list[str]) -> bool:
    for cue in cues:
        if cue == "wo>you":  # singular 我 at least twice and more often than 您 + 咱们
            wo = len(re.findall("我(?!们|司)", text))
            if wo >= 2 and wo > text.count("您") + text.count("咱们"):
                return True
        elif cue.startswith("re:"):
            if re.search(cue[3:], text):
                return True
        elif cue in text:
            return True
    return False


def _draw(
    rng: random.Random,
    pool: list[dict[str, object]],
    key: str,
    strata: dict[str, tuple[int, list[str]]],
    n_random: int,
) -> list[dict[str, object]]:
    taken: set[int] = set()
    out: list[dict[str, object]] = []
    for i in rng.sample(range(len(pool)), n_random):
        taken.add(i)
        out.append({**pool[i], "stratum": "random"})
    for name, (quota, cues) in strata.items():
        cands = [
            i for i, item in enumerate(pool) if i not in taken and _matches(str(item[key]), cues)
        ]
        for i in rng.sample(cands, min(quota, len(cands))):
            taken.add(i)
            out.append({**pool[i], "stratum": name})
    return out


def _turns(messages: list[dict[str, object]]) -> list[tuple[str, list[str]]]:
    turns: list[tuple[str, list[str]]] = []
    for m in messages:
        role, text = str(m["role"]), str(m["text"]).strip()
        if role == "customer" and text.startswith("[订单编号:"):
            continue
        if turns and turns[-1][0] == role:
            turns[-1][1].append(text)
        else:
            turns.append((role, [text]))
    return turns


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--out", default=str(Path(__file__).parent / "out" / "sample"))
    args = ap.parse_args()
    rng = random.Random(args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    replies = [json.loads(x) for x in open(CORPUS / "replies.jsonl", encoding="utf-8")]
    pool: list[dict[str, object]] = [
        {"text": r["text"], "source": r["source"]} for r in replies if 2 <= len(r["text"]) <= 200
    ]
    drawn = _draw(rng, pool, "text", REPLY_STRATA, 100)
    with open(out / "replies.jsonl", "w", encoding="utf-8") as fh:
        for n, item in enumerate(drawn):
            fh.write(json.dumps({"id": f"r{n:03d}", **item}, ensure_ascii=False) + "\n")

    convs: dict[str, list[dict[str, object]]] = {}
    for line in open(CORPUS / "transcripts.jsonl", encoding="utf-8"):
        m = json.loads(line)
        convs.setdefault(m["conversation"], []).append(m)
    pairs: list[dict[str, object]] = []
    for cid, msgs in convs.items():
        msgs.sort(key=lambda m: int(str(m["seq"])))
        turns = _turns(msgs)
        for (r1, t1), (r2, t2) in itertools.pairwise(turns):
            if r1 == "customer" and r2 == "agent":
                pairs.append(
                    {"conversation": cid, "customer": " ".join(t1[-3:]), "reply": " ".join(t2[:3])}
                )
    drawn = _draw(rng, pairs, "customer", PAIR_STRATA, 100)
    seen = {(str(p["conversation"]), str(p["customer"]), str(p["reply"])) for p in drawn}
    cands = [
        p
        for p in pairs
        if (str(p["conversation"]), str(p["customer"]), str(p["reply"])) not in seen
        and AVAILABILITY_NO.search(str(p["customer"]))
        and REPLY_NO.search(str(p["reply"]))
    ]
    drawn += [{**p, "stratum": "availability-no"} for p in rng.sample(cands, min(30, len(cands)))]
    with open(out / "pairs.jsonl", "w", encoding="utf-8") as fh:
        for n, item in enumerate(drawn):
            fh.write(json.dumps({"id": f"p{n:03d}", **item}, ensure_ascii=False) + "\n")

    eligible = sorted(
        cid for cid, msgs in convs.items() if sum(m["role"] == "agent" for m in msgs) >= 2
    )
    chosen = rng.sample(eligible, 120)
    with open(out / "positions.jsonl", "w", encoding="utf-8") as fh:
        for n, cid in enumerate(chosen):
            agent = [m for m in convs[cid] if m["role"] == "agent"]
            position, msg = ("first", agent[0]) if n < 60 else ("last", agent[-1])
            item = {"id": f"s{n:03d}", "conversation": cid, "position": position}
            fh.write(json.dumps({**item, "text": msg["text"]}, ensure_ascii=False) + "\n")
    print(f"wrote {out}/replies.jsonl, pairs.jsonl, positions.jsonl (seed {args.seed})")


if __name__ == "__main__":
    main()
