"""The language server's document model: an edit re-reads only what it touched, and the
result is always what reading the whole file again gives."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from replycoach.engine import Engine
from replycoach.service.lsp.document import PhraseDocument, from_units, split_lines, to_units
from replycoach.sources import Entry

PHRASES = Path(__file__).parent / "data" / "phrases"
SAMPLES = {
    "a.txt": "您好，欢迎光临\n# replycoach: disable=honorific-you\n你好\n我保证明天发货\n\n"
    "你看呢  # replycoach: disable=all\n",
    "a.jsonl": '{"话术": "你好", "场景": "欢迎语"}\n"我保证"\n{"text": "他说\\"你\\"好"}\n',
    "a.csv": (PHRASES / "library.csv").read_text(encoding="utf-8"),
    "a.tsv": "话术\t场景\n你好\t欢迎语\n我保证发货\t售中\n",
    "a.json": (PHRASES / "library.json").read_text(encoding="utf-8"),
    "a.yaml": (PHRASES / "library.yaml").read_text(encoding="utf-8"),
    "b.yaml": "售中: [你好, '我保证', {话术: 你看呢}]\n售后:\n  - 不行, 你等等\n",
    "crlf.csv": (PHRASES / "library.csv").read_text(encoding="utf-8").replace("\n", "\r\n"),
    "crlf.txt": "你好\r\n# replycoach: disable=honorific-you\r\n你好\r\n",
    "list.json": '{\n  "欢迎语": [\n    "您好",\n    "你好呀",\n\n    "亲"\n  ],\n'
    '  "售后": [\n    "我保证",\n    "不行"\n  ]\n}\n',
    "list.yaml": "欢迎语:\n  - 您好\n  # replycoach: disable=honorific-you\n  - 你好呀\n\n"
    "  - '亲'\n售后:\n- 我保证  # replycoach: disable=absolute-promise\n- \"不行\"\n-\n",
    "c.yaml": "\"售中\": [你好, '我保证']\n欢迎语:\n  - &a [你看, 您好]\n  - '关于: [订单x]你'\n",
    "b.json": '{"售中": ["你好", "\\u6211\\u4fdd\\u8bc1"], '
    '"x": [{"text": "你看", "场景": "欢迎语"}]}',
}
PIECES = ["你", "您", "保证", '"', "'", ",", "\t", "\n", "#", " ", ":", "\\", "a", "😀", "{", "}"]
PIECES += ["[", "]", "- ", "# replycoach: disable=honorific-you", '""', "话术", "\r\n", "不行"]


def snapshot(doc: PhraseDocument) -> list[tuple[object, ...]]:
    out: list[tuple[object, ...]] = []
    for line, unit in doc.units():
        item = unit.item
        if isinstance(item, Entry):
            fields = (item.text, item.column, item.position, item.customer, item.disabled)
            # JSON pointers are not renumbered when list items are added or removed
            where = None if doc.suffix in (".json", ".yaml") else item.where
            out.append((line, *fields, where, item.context, unit.findings))
        else:
            out.append((line, item.message))
    return out


def fresh(doc: PhraseDocument) -> PhraseDocument:
    other = PhraseDocument(doc.name, doc.engine, doc.options)
    other.set_text(doc.text)
    return other


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.default()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_edits_match_a_whole_read(engine: Engine, name: str, data: st.DataObject) -> None:
    doc = PhraseDocument(name, engine)
    doc.set_text(SAMPLES[name])
    for _ in range(data.draw(st.integers(1, 4))):
        line = data.draw(st.integers(0, len(doc.lines) - 1))
        col = data.draw(st.integers(0, len(doc.lines[line])))
        end_line = data.draw(st.integers(line, min(line + 2, len(doc.lines) - 1)))
        end_col = data.draw(st.integers(0, len(doc.lines[end_line])))
        if end_line == line:
            end_col = max(end_col, col)
        new = "".join(data.draw(st.lists(st.sampled_from(PIECES), max_size=3)))
        before = doc.text
        doc.replace((line, col), (end_line, end_col), new)
        lines = split_lines(before)
        sc = min(col, len(lines[line].rstrip("\r\n")))
        ec = min(end_col, len(lines[end_line].rstrip("\r\n")))
        offset = sum(map(len, lines[:line])) + sc
        offset_end = sum(map(len, lines[:end_line])) + ec
        assert doc.text == before[:offset] + new + before[offset_end:]
        assert snapshot(doc) == snapshot(fresh(doc)), (doc.stats, doc.text)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
@pytest.mark.parametrize("name", ["a.json", "b.json", "a.yaml", "b.yaml", "c.yaml"])
def test_edits_inside_strings_match_a_whole_read(
    engine: Engine, name: str, data: st.DataObject
) -> None:
    doc = PhraseDocument(name, engine)
    doc.set_text(SAMPLES[name])
    for _ in range(data.draw(st.integers(1, 4))):
        spans = [(line, u.span) for line, u in doc.units() if u.span]
        if not spans:
            break
        line, (a, b) = data.draw(st.sampled_from(spans))
        col = data.draw(st.integers(a, b))
        end = data.draw(st.integers(col, min(b, col + 2)))
        new = "".join(data.draw(st.lists(st.sampled_from(PIECES), max_size=2)))
        doc.replace((line, col), (line, end), new)
        assert snapshot(doc) == snapshot(fresh(doc)), (doc.stats, doc.text)


ITEMS = ['    "你好",', '    "我保证"', "  - 你好", "  - '不行'", '- "你看"', "-", "  -", "  # x"]
ITEMS += ["  - 你: 好", '    "a": "b",', "  - [你]", "  - 你 # replycoach: disable=honorific-you"]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
@pytest.mark.parametrize("name", ["list.json", "list.yaml", "a.json", "a.yaml", "c.yaml"])
def test_list_items_added_and_removed_match_a_whole_read(
    engine: Engine, name: str, data: st.DataObject
) -> None:
    doc = PhraseDocument(name, engine)
    doc.set_text(SAMPLES[name])
    for _ in range(data.draw(st.integers(1, 5))):
        line = data.draw(st.integers(0, len(doc.lines) - 1))
        kind = data.draw(st.sampled_from(["insert", "delete", "type", "replace"]))
        if kind == "insert":
            doc.replace((line, 0), (line, 0), data.draw(st.sampled_from(ITEMS)) + "\n")
        elif kind == "delete" and line + 1 < len(doc.lines):
            doc.replace((line, 0), (line + 1, 0), "")
        elif kind == "type":
            col = len(doc.lines[line].rstrip("\r\n"))
            doc.replace((line, col), (line, col), data.draw(st.sampled_from(PIECES)))
        else:
            end = len(doc.lines[line].rstrip("\r\n"))
            doc.replace((line, 0), (line, end), data.draw(st.sampled_from(ITEMS)))
        assert snapshot(doc) == snapshot(fresh(doc)), (doc.stats, doc.text)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
@pytest.mark.parametrize("name", ["a.json", "b.json", "a.yaml", "b.yaml", "c.yaml"])
def test_blank_lines_match_a_whole_read(engine: Engine, name: str, data: st.DataObject) -> None:
    doc = PhraseDocument(name, engine)
    doc.set_text(SAMPLES[name])
    for _ in range(data.draw(st.integers(1, 4))):
        line = data.draw(st.integers(0, len(doc.lines) - 1))
        text = doc.lines[line].rstrip("\n")
        col = data.draw(st.sampled_from([len(text), len(text.rstrip()), 0]))
        if data.draw(st.booleans()):
            new = data.draw(st.sampled_from(["\n", "\n  ", "\n\n", " \n", "\n# x\n"]))
            doc.replace((line, col), (line, col), new)
        else:
            below = min(line + 1, len(doc.lines) - 1)
            indent = len(doc.lines[below]) - len(doc.lines[below].lstrip())
            doc.replace((line, col), (below, data.draw(st.sampled_from([0, indent]))), "")
        assert snapshot(doc) == snapshot(fresh(doc)), (doc.stats, doc.text)


@pytest.mark.parametrize(
    ("name", "edit", "mode"),
    [
        ("a.txt", ((2, 1), (2, 1), "保证"), "window"),
        ("a.jsonl", ((1, 2), (1, 2), "保证"), "window"),
        ("a.csv", ((3, 10), (3, 10), "保证"), "window"),
        ("a.tsv", ((2, 1), (2, 1), "保证"), "window"),
        ("a.json", ((3, 8), (3, 8), "保证"), "token"),
        ("a.yaml", ((3, 6), (3, 6), "保证"), "token"),
        ("a.json", ((1, 11), (1, 11), "\n  "), "blank"),
        ("a.yaml", ((1, 11), (1, 11), "\n"), "blank"),
        ("list.json", ((3, 0), (3, 0), '    "你们好",\n'), "splice"),
        ("list.yaml", ((3, 0), (4, 0), ""), "splice"),
    ],
)
def test_typing_in_a_reply_rereads_little(
    engine: Engine, name: str, edit: tuple[tuple[int, int], tuple[int, int], str], mode: str
) -> None:
    doc = PhraseDocument(name, engine)
    doc.set_text(SAMPLES[name])
    doc.replace(*edit)
    assert doc.stats.mode == mode, doc.lines[edit[0][0]]
    assert doc.stats.checked <= 1
    assert snapshot(doc) == snapshot(fresh(doc))


def test_yaml_flow_collections_are_found() -> None:
    from replycoach.service.lsp.tree import FLOW_START

    flows = ["a: [x]", "- [x]", "  - - {a: b}", '"k": [x]', "- &a [x]", "[x]"]
    texts = ["- 订单[数字x]", "- '关于: [订单x]'", "- 稍等[数字x]-[数字x]分钟", "a: b [c]"]
    assert all(FLOW_START.search(t) for t in flows)
    assert not any(FLOW_START.search(t) for t in texts)


def test_units_convert_utf16_utf8_utf32() -> None:
    line = "😀你好"
    assert to_units(line, 1) == 2 and to_units(line, 2) == 3
    assert to_units(line, 2, "utf-8") == 7 and to_units(line, 2, "utf-32") == 2
    assert from_units(line, 3) == 2 and from_units(line, 7, "utf-8") == 2


@pytest.mark.parametrize(
    ("name", "text", "excerpt"),
    [
        ("a.json", '["他说\\"好\\"，我保证"]', "保证"),
        ("a.json", '["\\u6211\\u4fdd\\u8bc1"]', "\\u4fdd\\u8bc1"),
        ("a.csv", '话术\n"他说""好""，\n我保证"\n', "保证"),
        ("a.yaml", "- 'it''s 我保证'\n", "保证"),
        ("a.yaml", "- 我们\n  保证发货\n", "保证"),
    ],
)
def test_places_follow_escapes_and_quotes(
    engine: Engine, name: str, text: str, excerpt: str
) -> None:
    doc = PhraseDocument(name, engine)
    doc.set_text(text)
    [(line, unit)] = [(n, u) for n, u in doc.units() if u.findings]
    f = next(f for f in unit.findings if f.rule == "absolute-promise")
    places = doc.places(line, unit)
    (l1, c1), (l2, c2) = places[f.start], places[f.end]
    assert l1 == l2
    assert doc.lines[l1][c1:c2] == excerpt
