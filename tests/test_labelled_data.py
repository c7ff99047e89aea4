"""The hand-labelled recall sets (tests/data/labelled/): well-formed, and the rules hold the floor.

The floors are the baseline measured before the rules were rewritten for issue 10
(tests/data/labelled/README.md): recall may not fall below it for any rule with at least 10
positives, and the false-positive rate may not rise above the larger of the baseline and
0.5 %. Raise them as the rules improve.
"""

from __future__ import annotations

import functools
import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import replycoach

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "labelled"
REPLY_FIELDS = {"id", "text", "source", "stratum", "labels", "note"}
PAIR_FIELDS = {"id", "conversation", "customer", "reply", "source", "stratum", "labels", "note"}
FILES = {
    "replies.jsonl": REPLY_FIELDS,
    "pairs.jsonl": PAIR_FIELDS,
    "positions.jsonl": {"id", "conversation", "position", "text", "source", "labels", "note"},
    "ecd_replies.jsonl": REPLY_FIELDS,
    "ecd_pairs.jsonl": PAIR_FIELDS,
}
# rule -> (recall floor, false-positive ceiling) on the real files. Raised after the rules
# were restated with cue sets, templates and context guards (issue 10); before, flat-refusal
# held 0.26, vague-answer 0.06, complaint-without-apology 0.06 and absolute-promise's
# false-positive rate was 0.009.
FLOORS = {
    "honorific-you": (1.0, 0.005),
    "pronoun-balance": (1.0, 0.005),
    "missing-greeting": (1.0, 0.005),
    "missing-closing": (1.0, 0.005),
    "flat-refusal": (1.0, 0.005),
    "vague-answer": (1.0, 0.005),
    "complaint-without-apology": (0.93, 0.005),
    "absolute-promise": (None, 0.005),
}

pytestmark = pytest.mark.skipif(
    not (DATA / "replies.jsonl").exists(), reason="labelled real excerpts are not in the sdist"
)


def _load(name: str) -> list[dict[str, Any]]:
    with open(DATA / name, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _recall_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("recall", ROOT / "bench" / "recall.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", sorted(FILES))
def test_labelled_file_is_well_formed(name: str) -> None:
    items = _load(name)
    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids))
    known = set(replycoach.Engine.default().rule_ids())
    for item in items:
        assert set(item) == FILES[name], item["id"]
        assert item["labels"], item["id"]
        assert set(item["labels"]) <= known, item["id"]
        assert set(item["labels"].values()) <= {"flag", "clean", "unsure"}, item["id"]
        if "unsure" in item["labels"].values():
            assert item["note"], f"{item['id']}: an unsure label needs a note"


@pytest.mark.parametrize(
    "name",
    ["written.jsonl", "written2.jsonl", "written3.jsonl", "written4.jsonl", "written5.jsonl"],
)
def test_written_set_is_well_formed(name: str) -> None:
    items = _load(name)
    assert len({item["id"] for item in items}) == len(items)
    known = set(replycoach.Engine.default().rule_ids())
    for item in items:
        assert "text" in item or {"customer", "reply"} <= set(item), item["id"]
        assert item["labels"] and set(item["labels"]) <= known, item["id"]
        assert set(item["labels"].values()) <= {"flag", "clean", "unsure"}, item["id"]
        if item.get("position") is not None:
            assert item["position"] in {"first", "last"}, item["id"]
        if "unsure" in item["labels"].values():
            assert item["note"], f"{item['id']}: an unsure label needs a note"


def test_sample_sizes() -> None:
    assert len(_load("replies.jsonl")) >= 400
    assert len(_load("pairs.jsonl")) >= 300
    assert len(_load("positions.jsonl")) >= 120
    assert len(_load("ecd_replies.jsonl")) >= 240
    assert len(_load("ecd_pairs.jsonl")) >= 120
    assert len(_load("written2.jsonl")) >= 250
    assert len(_load("written3.jsonl")) >= 250
    assert len(_load("written4.jsonl")) >= 240
    assert len(_load("written5.jsonl")) >= 290


def test_ecd_files_hold_only_their_rules() -> None:
    """ECD replies are judged on the eight reply rules, ECD pairs on the three context rules."""
    reply_rules = {
        "pronoun-balance",
        "honorific-you",
        "absolute-promise",
        "flat-refusal",
        "vague-answer",
        "blame-shifting",
        "rude-language",
        "privacy-leak",
    }
    pair_rules = {"complaint-without-apology", "bare-unavailable", "blunt-bargain-refusal"}
    for item in _load("ecd_replies.jsonl"):
        assert set(item["labels"]) == reply_rules and item["source"] == "ecd_sample", item["id"]
    for item in _load("ecd_pairs.jsonl"):
        assert set(item["labels"]) == pair_rules and item["source"] == "ecd_sample", item["id"]


@pytest.fixture(scope="module")
def real_scores() -> dict[str, dict[str, Any]]:
    recall = _recall_module()
    files = [DATA / name for name in recall.REAL]
    scores: dict[str, dict[str, Any]] = recall.score(replycoach.Engine.default(), files)
    return scores


# rule -> (recall floor, false-positive ceiling) on the labelled files of issue 10 (real JD and
# Taobao, the first two written held-out sets: ``ISSUE10_FILES``), for the rules with few real
# positives; the third written set has floors of its own (``WRITTEN3_FLOORS``). Raised when
# blame-shifting and rude-language were restated as shapes (cue sets blame, impatience);
# before, on every file: blame-shifting 0.389, rude-language 0.238, privacy-leak 0.75,
# honorific-you 0.947, pronoun-balance 0.893, missing-closing 0.867, missing-greeting 0.963.
ALL_FLOORS = {
    # restated by shape after the first ECD and written2 readings (branch rules): before, on
    # these files, bare-unavailable 0.682, blunt-bargain-refusal 0.857, flat-refusal 0.974
    # with 4 false positives, vague-answer 0.929 with 4, absolute-promise 0.976
    # (tests/data/labelled/README.md)
    "bare-unavailable": (0.95, 0.005),
    "blunt-bargain-refusal": (1.0, 0.005),
    "flat-refusal": (0.98, 0.005),
    "vague-answer": (0.98, 0.005),
    "complaint-without-apology": (0.95, 0.005),
    "absolute-promise": (1.0, 0.005),
    "blame-shifting": (1.0, 0.005),
    "rude-language": (1.0, 0.005),
    "privacy-leak": (1.0, 0.005),
    "honorific-you": (1.0, 0.005),
    "pronoun-balance": (1.0, 0.005),
    "missing-greeting": (1.0, 0.005),
    "missing-closing": (1.0, 0.005),
}


ISSUE10_FILES = ("real", "written", "written2", "ecd")


@pytest.fixture(scope="module")
def all_scores() -> dict[str, dict[str, Any]]:
    recall = _recall_module()
    files = [DATA / name for s in ISSUE10_FILES for name in recall.SETS[s]]
    scores: dict[str, dict[str, Any]] = recall.score(replycoach.Engine.default(), files)
    return scores


@pytest.mark.parametrize("rule", sorted(ALL_FLOORS))
def test_rule_holds_the_floor_on_every_file(
    rule: str, all_scores: dict[str, dict[str, Any]]
) -> None:
    floor, ceiling = ALL_FLOORS[rule]
    s = all_scores[rule]
    assert s["recall"] >= floor, [m["text"] for m in s["misses"]]
    assert s["fp_rate"] <= ceiling, [m["text"] for m in s["false_positives"]]


@pytest.mark.parametrize("rule", sorted(FLOORS))
def test_rule_holds_the_floor(rule: str, real_scores: dict[str, dict[str, Any]]) -> None:
    floor, ceiling = FLOORS[rule]
    s = real_scores[rule]
    if floor is not None:
        assert s["recall"] >= floor, [m["text"] for m in s["misses"]]
    assert s["fp_rate"] <= ceiling, [m["text"] for m in s["false_positives"]]


# rule -> (recall floor, false-positive ceiling) on written3.jsonl, the third written held-out
# set. Its first reading, before any rule was changed with it in view, is in
# tests/data/labelled/README.md (e.g. vague-answer 0.188, absolute-promise 0.333,
# blunt-bargain-refusal 0.333, bare-unavailable 0.286, flat-refusal 0.70 with 7 false
# positives); these floors are the figures after the rules were reworked on it.
WRITTEN3_FLOORS = {
    "absolute-promise": (1.0, 0.005),
    "bare-unavailable": (1.0, 0.005),
    "blame-shifting": (1.0, 0.005),
    "blunt-bargain-refusal": (1.0, 0.005),
    "complaint-without-apology": (1.0, 0.005),
    "flat-refusal": (1.0, 0.007),
    "honorific-you": (1.0, 0.005),
    "missing-closing": (1.0, 0.005),
    "missing-greeting": (1.0, 0.005),
    "privacy-leak": (1.0, 0.005),
    "pronoun-balance": (1.0, 0.005),
    "rude-language": (1.0, 0.005),
    "vague-answer": (1.0, 0.005),
}


# rule -> (recall floor, false-positive ceiling) on written4.jsonl, the fourth written set,
# kept held out: it was read once, on the final pack of the session that received it, and no
# rule has been changed with it in view. The floors are that first reading (so they guard
# against losing ground, not a target); see tests/data/labelled/README.md. Since then it may be
# tuned on (its first reading stays recorded there): a rule tuned on it holds its new figure.
WRITTEN4_FLOORS = {
    "absolute-promise": (1.0, 0.0),  # tuned on it since (gen-b); first reading 0.769 / 0.007
    "bare-unavailable": (1.0, 0.0),  # tuned on it since (gen-a); first reading 0.636 / 0.0
    "blame-shifting": (1.0, 0.0),  # tuned on it since (gen-c); first reading 0.545 / 0.0
    "blunt-bargain-refusal": (1.0, 0.0),  # tuned on it since (gen-a); first reading 0.818 / 0.0
    "complaint-without-apology": (1.0, 0.0),  # tuned on it since (gen-c); first reading 0.846
    "flat-refusal": (1.0, 0.0),  # tuned on it since (gen-a); first reading 0.786 / 0.021
    "honorific-you": (1.0, 0.0),
    "privacy-leak": (1.0, 0.0),
    "pronoun-balance": (1.0, 0.0),
    "rude-language": (1.0, 0.0),  # first reading 0.667
    "vague-answer": (1.0, 0.0),  # tuned on it since (gen-b); first reading 0.692 / 0.007
}


# rule -> (recall floor, false-positive ceiling) on written5.jsonl, a fifth set by a fifth
# writer (other categories again), kept away from everyone tuning rules until the pack of this
# session was final, then tuned on by family: its first reading on that pack (and on the
# session's starting pack, 5964c23) stays in tests/data/labelled/README.md and in the comments.
WRITTEN5_FLOORS = {
    "absolute-promise": (1.0, 0.0),  # tuned on its misses since (gen-e); first reading 0.824 / 1 fp
    "bare-unavailable": (1.0, 0.0),  # tuned since (gen-e); first reading 0.929 / 1 fp
    "blame-shifting": (1.0, 0.0),  # tuned by family (gen-d); first reading 0.8
    "blunt-bargain-refusal": (1.0, 0.0),  # tuned since (gen-e); first reading 0.933
    "complaint-without-apology": (1.0, 0.0),  # tuned by family (gen-d); first reading 0.68
    "flat-refusal": (1.0, 0.0),  # tuned since (gen-e); first reading 1.0 / 2 fp
    "honorific-you": (1.0, 0.0),
    "privacy-leak": (1.0, 0.0),  # tuned since (gen-e); first reading 0.846
    "pronoun-balance": (1.0, 0.0),
    "rude-language": (1.0, 0.0),  # tuned by family (gen-d); first reading 0.86
    "vague-answer": (1.0, 0.0),  # tuned since (gen-e); first reading 0.929 / 1 fp
}


HELD_FLOORS = {
    "written3": WRITTEN3_FLOORS,
    "written4": WRITTEN4_FLOORS,
    "written5": WRITTEN5_FLOORS,
}


@functools.cache
def _set_scores(name: str) -> dict[str, dict[str, Any]]:
    recall = _recall_module()
    files = [DATA / file for file in recall.SETS[name]]
    scores: dict[str, dict[str, Any]] = recall.score(replycoach.Engine.default(), files)
    return scores


@pytest.mark.parametrize(
    ("name", "rule"), [(name, rule) for name, floors in HELD_FLOORS.items() for rule in floors]
)
def test_rule_holds_the_floor_on_a_written_set(name: str, rule: str) -> None:
    floor, ceiling = HELD_FLOORS[name][rule]
    s = _set_scores(name)[rule]
    assert s["recall"] >= floor, [m["text"] for m in s["misses"]]
    assert s["fp_rate"] <= ceiling, [m["text"] for m in s["false_positives"]]
