"""``replycoach fix`` on every format: only the fixed replies change, byte for byte."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from replycoach.cli import main

from .conftest import ROOT

PHRASES = ROOT / "tests" / "data" / "phrases"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def lib(tmp_path: Path) -> Path:
    for f in PHRASES.iterdir():
        shutil.copy(f, tmp_path / f.name)
    return tmp_path


@pytest.mark.parametrize(
    ("name", "old", "new"),
    [
        ("library.csv", "我保证明天一定发货，你放心", "我保证明天一定发货，您放心"),
        ("library-gbk.csv", "我保证明天一定发货，你放心", "我保证明天一定发货，您放心"),
        ("library.json", '"你自己去找快递吧"', '"您自己去找快递吧"'),
        ("library.jsonl", '"你好，在的"', '"您好，在的"'),
        ("library.yaml", '"我保证明天一定发货，你放心"', '"我保证明天一定发货，您放心"'),
    ],
)
def test_only_the_reply_changes(lib: Path, name: str, old: str, new: str) -> None:
    path = lib / name
    before = path.read_bytes()
    encoding = "gbk" if "gbk" in name else "utf-8"
    code, out, _ = run("fix", str(path), "--diff")
    assert code == 1 and "+" in out  # 1: something would change, as ruff and black say
    assert path.read_bytes() == before  # --diff writes nothing
    code, _, err = run("fix", str(path))
    assert code == 0 and "fixed" in err
    after = path.read_bytes()
    expected = before.decode(encoding).replace(old, new, 1)
    if name == "library.yaml":  # the inline-disabled 你 stays, the plain 你好 is rewritten
        expected = expected.replace("话术: 你好", "话术: 您好")
    assert after.decode(encoding) == expected
    assert sorted(p.name for p in lib.iterdir()) == sorted(p.name for p in PHRASES.iterdir())
    assert run("fix", str(path))[2] == ""  # idempotent: nothing left to fix


def test_json_keeps_ascii_escapes(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text('{"replies": ["\\u4f60\\u597d", "ok"]}\n', encoding="utf-8")
    run("fix", str(path))
    assert path.read_text(encoding="utf-8") == '{"replies": ["\\u60a8\\u597d", "ok"]}\n'


def test_csv_keeps_quoting_and_quotes_when_needed(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text('回复,备注\r\n"你好",a\r\n你好,"b,c"\r\n', encoding="utf-8")
    run("fix", str(path))
    assert path.read_bytes() == '回复,备注\r\n"您好",a\r\n您好,"b,c"\r\n'.encode()


def test_yaml_block_scalar_refuses_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    text = "- 你好\n- |\n  你放心\n"
    path.write_text(text, encoding="utf-8")
    code, _, err = run("fix", str(path))
    assert code == 2 and "left as it is" in err
    assert path.read_text(encoding="utf-8") == text


def test_damaged_files_are_left_untouched(tmp_path: Path) -> None:
    cases = {
        "a.csv": '回复\n你好\n"你好\n'.encode(),
        "b.json": '["你好",]'.encode(),
        "c.txt": "你好\n".encode() + b"\xff\xfe\n",
        "d.jsonl": '{"text": "你好"}\n{bad\n'.encode(),
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
    code, _, err = run("fix", *(str(tmp_path / n) for n in cases))
    assert code == 2
    for name, data in cases.items():
        assert (tmp_path / name).read_bytes() == data, name
        assert name in err


def test_tsv_fix_never_adds_a_tab(tmp_path: Path) -> None:
    path = tmp_path / "a.tsv"
    path.write_text("text\tcount\n你好\t3\n", encoding="utf-8")
    run("fix", str(path))
    assert path.read_text(encoding="utf-8") == "text\tcount\n您好\t3\n"


def test_xlsx_fix_keeps_other_cells_formulas_and_sheets(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "售前"
    sheet.append(["编号", "话术"])
    sheet.append([1, "你放心"])
    sheet["C2"] = "=A2*2"
    other = book.create_sheet("说明")
    other.append(["说明", "你好，这一页不是话术"])
    path = tmp_path / "lib.xlsx"
    book.save(path)
    code, _, err = run("fix", str(path))
    assert code == 0 and "fixed 1 reply" in err
    book = openpyxl.load_workbook(path)
    assert [[c.value for c in row] for row in book["售前"].iter_rows()] == [
        ["编号", "话术", None],
        [1, "您放心", "=A2*2"],
    ]
    assert book["说明"]["B1"].value == "你好，这一页不是话术"


def test_stdin_with_filename_picks_the_format(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    data = "回复,备注\n你好,x\n".encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    _, out, _ = run("fix", "-", "--stdin-filename", "lib.csv")
    assert out == "回复,备注\n您好,x\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    code, out, _ = run("check", "--stdin-filename", "lib.csv", "--format", "json")
    assert code == 1 and '"path": "lib.csv"' in out and '"line": 2' in out
