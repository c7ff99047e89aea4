"""Every phrase-file format: entries located precisely, bad parts reported, the rest read."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from replycoach.sources import Entry, InputError, SourceOptions, read_file

from .conftest import ROOT, SHARED

PHRASES = ROOT / "tests" / "data" / "phrases"


def entries(path: Path | str, options: SourceOptions | None = None, **kw: object) -> list[Entry]:
    return [i for i in read_file(path, options, **kw).items if isinstance(i, Entry)]  # type: ignore[arg-type]


def errors(path: Path | str, **kw: object) -> list[InputError]:
    return [i for i in read_file(path, **kw).items if isinstance(i, InputError)]  # type: ignore[arg-type]


def test_csv_by_header_with_positions_context_and_quoting() -> None:
    found = entries(PHRASES / "library.csv")
    assert [(e.line, e.column, e.position) for e in found] == [
        (2, 8, "first"),
        (3, 9, "first"),
        (4, 8, None),
        (5, 9, None),
        (6, 9, None),
        (8, 8, "last"),
    ]
    assert found[3].text == "那是快递的问题,跟我们没关系"
    assert found[4].text == '他说"不行"，我们再想办法\r\n换个方案给您'
    assert dict(found[0].context) == {"分组": "欢迎", "快捷编码": "hy1", "场景": "欢迎语"}
    assert found[0].where == "话术"


def test_gbk_and_utf16_are_detected() -> None:
    assert read_file(PHRASES / "library-gbk.csv").encoding == "gb18030"
    assert [e.text for e in entries(PHRASES / "library-gbk.csv")] == [
        e.text for e in entries(PHRASES / "library.csv")
    ]
    data = (PHRASES / "library.csv").read_text(encoding="utf-8").encode("utf-16")
    parsed = read_file("x.csv", data=data)
    assert parsed.encoding == "utf-16-le" and len(parsed.items) == 6


def test_csv_column_option_and_position_map() -> None:
    options = SourceOptions(
        column="快捷编码", position_column="分组", position_map={"欢迎": "first", "结束": "last"}
    )
    found = entries(PHRASES / "library.csv", options)
    assert [e.text for e in found][:2] == ["hy1", "hy2"]
    assert found[0].position == "first" and found[-1].position == "last"
    by_number = entries(PHRASES / "library.csv", SourceOptions(column="2"))
    assert by_number[0].text == "hy1"  # the header row is still recognised by its names


def test_csv_unbalanced_quotes_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "damaged.csv"
    path.write_text('话术\n您好\n"你好\n我保证\n"x"y\n谢谢\n', encoding="utf-8")
    items = read_file(path).items
    assert [(type(i).__name__, i.line) for i in items] == [
        ("Entry", 2),
        ("InputError", 3),
        ("Entry", 4),
        ("InputError", 5),
        ("Entry", 6),
    ]
    assert "after a closing quote" in items[1].message  # type: ignore[union-attr]
    path.write_text('话术\n您好\n"你好\n我保证\n', encoding="utf-8")
    items = read_file(path).items
    assert [(type(i).__name__, i.line) for i in items] == [
        ("Entry", 2),
        ("InputError", 3),
        ("Entry", 4),
    ]
    assert "unbalanced quotes" in items[1].message  # type: ignore[union-attr]


def test_csv_without_a_recognisable_reply_column(tmp_path: Path) -> None:
    path = tmp_path / "two.csv"
    path.write_text("a,b\nc,d\n", encoding="utf-8")
    (error,) = errors(path)
    assert error.line == 1 and "--column" in error.message


def test_tsv_real_excerpt() -> None:
    """12 lines of ../shared/corpus/phrases/jddc_frequent_agent_lines.tsv (JDDC, see
    tests/data/README.md): header ``count<TAB>text``."""
    found = entries(PHRASES / "jddc-frequent-excerpt.tsv")
    assert len(found) == 12
    assert found[0].text == "请问还有其他还可以帮到您的吗?"
    assert found[0].line == 2 and found[0].column == 6
    assert dict(found[0].context) == {"count": "1598"}


def test_json_groups_objects_and_pointers() -> None:
    found = entries(PHRASES / "library.json")
    assert [(e.where, e.position) for e in found] == [
        ("/欢迎语/0", "first"),
        ("/欢迎语/1", "first"),
        ("/售后/0/话术", None),
        ("/售后/1/话术", None),
        ("/结束语/0", "last"),
        ("/结束语/1", "last"),
    ]
    assert (found[2].line, found[2].column) == (8, 14)
    assert dict(found[2].context) == {"编码": "sh1"}


def test_json_shapes() -> None:
    data = b'["\\u4f60\\u597d", {"reply": "x", "position": "last"}, 3, null]'
    found = entries("a.json", data=data)
    assert [(e.text, e.where, e.position) for e in found] == [
        ("你好", "/0", None),
        ("x", "/1/reply", "last"),
    ]
    assert [e.text for e in entries("a.json", data='"一条"'.encode())] == ["一条"]


def test_json_syntax_error_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('[\n  "您好",\n  "你好"\n  "保证"\n]\n', encoding="utf-8")
    (error,) = errors(path)
    assert error.line == 4 and error.message.startswith("not valid JSON")


def test_jsonl_bad_line_only_skips_that_line() -> None:
    data = '{"text": "你好"}\n{"text": \n"保证"\n\n{"text": "不行"}\n'.encode()
    items = read_file("a.jsonl", data=data).items
    assert [(type(i).__name__, i.line) for i in items] == [
        ("Entry", 1),
        ("InputError", 2),
        ("Entry", 3),
        ("Entry", 5),
    ]


def test_yaml_entries_directives_and_positions() -> None:
    found = entries(PHRASES / "library.yaml")
    assert [(e.line, e.column, e.position, sorted(e.disabled)) for e in found] == [
        (3, 5, "first", []),
        (4, 5, "first", ["missing-greeting"]),
        (6, 6, None, []),
        (7, 6, None, []),
        (9, 5, None, ["honorific-you"]),
        (10, 9, "last", []),
    ]


def test_yaml_syntax_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("- a\n- [b\n- c\n", encoding="utf-8")
    (error,) = errors(path)
    assert error.message.startswith("not valid YAML")


def test_txt_directives_and_comments(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text(
        "# 注释\n你好  # replycoach: disable=honorific-you\n"
        "# replycoach: disable=absolute-promise,honorific-you\n我保证你满意\n#E-s01\n",
        encoding="utf-8",
    )
    found = entries(path)
    assert [(e.line, e.text, sorted(e.disabled)) for e in found] == [
        (2, "你好", ["honorific-you"]),
        (4, "我保证你满意", ["absolute-promise", "honorific-you"]),
        (5, "#E-s01", []),
    ]


def _workbook() -> bytes:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "售前"
    sheet.append(["编号", "话术", "场景"])
    sheet.append([1, "您好，欢迎光临", "欢迎语"])
    sheet.append([2, "你放心，我保证明天发货", "售中"])
    sheet["D2"] = "=A2*2"
    other = book.create_sheet("售后")
    other.append(["", ""])
    other.append(["回复", "备注"])
    other.append(["你好，退款已处理", "x"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_every_sheet_located_by_cell() -> None:
    found = entries("lib.xlsx", data=_workbook())
    assert [(e.cell, e.position, e.text) for e in found] == [
        ("售前!B2", "first", "您好，欢迎光临"),
        ("售前!B3", None, "你放心，我保证明天发货"),
        ("售后!A3", None, "你好，退款已处理"),
    ]
    assert found[1].location(3) == "lib.xlsx:售前!B3:4"


def test_xlsx_damaged_file_is_an_input_error() -> None:
    pytest.importorskip("openpyxl")
    (error,) = errors("lib.xlsx", data=b"PK\x03\x04 not really a zip")
    assert error.message.startswith("not a readable .xlsx workbook")


@pytest.mark.skipif(not (SHARED / "corpus" / "phrases").is_dir(), reason="no ../shared corpus")
@pytest.mark.parametrize("name", ["jddc_frequent_agent_lines.tsv", "phrases.jsonl"])
def test_real_phrase_files_read_without_input_errors(name: str) -> None:
    parsed = read_file(SHARED / "corpus" / "phrases" / name)
    assert not [i for i in parsed.items if isinstance(i, InputError)]
    assert len(parsed.items) == 748


def test_damaged_copies_of_real_files_lose_nothing(tmp_path: Path) -> None:
    """The real JDDC excerpt with invalid bytes injected into one line, and a real JSONL
    line cut short: the damaged line is reported, every other entry is still read."""
    good = (PHRASES / "jddc-frequent-excerpt.tsv").read_bytes().split(b"\n")
    damaged = [*good[:4], good[4][:3] + b"\xff\xfe\xfd" + good[4][3:], *good[5:]]
    path = tmp_path / "damaged.tsv"
    path.write_bytes(b"\n".join(damaged))
    items = read_file(path).items
    assert [i.line for i in items if isinstance(i, InputError)] == [5]
    assert len([i for i in items if isinstance(i, Entry)]) == 11

    lines = [
        '{"text": "请问还有其他还可以帮到您的吗?", "source": "jddc_frequent_agent_lines"}',
        '{"text": "有什么问题我可以帮您处理或解决呢?", "sour',
        '{"text": "还请您稍等，马上为您查询~", "source": "jddc_frequent_agent_lines"}',
    ]
    path = tmp_path / "damaged.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    items = read_file(path).items
    assert [(type(i).__name__, i.line) for i in items] == [
        ("Entry", 1),
        ("InputError", 2),
        ("Entry", 3),
    ]


def test_unreadable_files_are_input_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (error,) = errors(tmp_path / "missing.csv")
    assert error.message.startswith("cannot read file")
    locked = tmp_path / "locked.txt"
    locked.write_text("你好\n", encoding="utf-8")
    real_read = Path.read_bytes

    def deny(self: Path) -> bytes:
        if self == locked:
            raise PermissionError(13, "Permission denied")
        return real_read(self)

    monkeypatch.setattr(Path, "read_bytes", deny)
    (error,) = errors(locked)
    assert error.message == "cannot read file: Permission denied"


def _lines_one_by_one(data: bytes, codec: str = "utf-8") -> list[tuple[object, ...]]:
    """The reference: a binary stream read line by line, each line decoded on its own."""
    from replycoach.sources.decode import Sniffed, decode_line

    out: list[tuple[object, ...]] = []
    for number, raw in enumerate(io.BytesIO(data), 1):
        end = "\r\n" if raw.endswith(b"\r\n") else "\n" if raw.endswith(b"\n") else ""
        text, problem = decode_line(raw[: len(raw) - len(end)], Sniffed(codec))
        out.append((number, text, end, problem))
    return out


@pytest.mark.parametrize("chunk", [1, 3, 7, 64, 1 << 20])
def test_utf8_streams_are_decoded_in_chunks_as_line_by_line(
    chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from replycoach.sources import decode

    monkeypatch.setattr(decode, "_CHUNK", chunk)
    pieces = st.sampled_from(["你好", "保证", "\n", "\r\n", "\r", " ", "a", "😀", "\xff", "\u3000"])

    @settings(max_examples=150, deadline=None)
    @given(st.lists(pieces, max_size=30), st.booleans())
    def same(parts: list[str], damaged: bool) -> None:
        data = "".join(parts).encode("utf-8")
        if damaged and data:
            data = data[: len(data) // 2] + b"\xff" + data[len(data) // 2 :]
        lines = list(decode.stream_lines(io.BytesIO(data), decode.Sniffed("utf-8")))
        assert lines == _lines_one_by_one(data)

    same()
