"""The compiled-rule cache makes starts faster and never changes a finding: an entry from
other rule files, options or code is never used, and a damaged or planted one is rebuilt."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from replycoach import Engine, cache, rulecache

TEXTS = [
    "我保证明天一定发货，你放心",
    "这款滚筒洗衣机支持上门安装",
    "亲，这个我们不负责的，你去找快递",
    "您好，请问还有什么可以帮您",
]

RULE = """\
rules:
  - id: house-word
    kind: substitution
    severity: warning
    message: 别说“{match}”
    swap: {WORD: [您好]}
    source: {file: x.txt, passage: y}
    examples: {flag: [WORD呀], clean: [您好]}
"""


@pytest.fixture()
def private_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("REPLYCOACH_CACHE_DIR", str(tmp_path / "cache"))
    cache.cache_dir.cache_clear()
    yield tmp_path / "cache"
    cache.cache_dir.cache_clear()


def findings(engine: Engine) -> list[object]:
    return [engine.check(t, position="last") for t in TEXTS]


def reference() -> list[object]:
    from replycoach.loader import default_rules_dir, load_rules

    return findings(Engine(load_rules(default_rules_dir())))


def entries(directory: Path) -> list[Path]:
    return sorted(directory.glob("engine-*.bin"))


def test_second_load_comes_from_the_cache_and_finds_the_same(private_dir: Path) -> None:
    first = Engine.from_paths()
    assert first._rules is not None and len(entries(private_dir)) == 1
    second = Engine.from_paths()
    assert second._rules is None  # not validated again: unpickled
    assert findings(second) == findings(first) == reference()
    assert [r.id for r in second.rules] == [r.id for r in first.rules]  # reloaded on demand


def test_changed_rule_file_or_options_are_never_served_stale(
    private_dir: Path, tmp_path: Path
) -> None:
    rules = tmp_path / "house.yaml"
    rules.write_text(RULE.replace("WORD", "哈喽"), encoding="utf-8")
    assert [f.excerpt for f in Engine.from_paths(rules).check("哈喽呀")] == ["哈喽"]
    rules.write_text(RULE.replace("WORD", "嗨"), encoding="utf-8")
    engine = Engine.from_paths(rules)
    assert engine.check("哈喽呀") == []
    assert [f.excerpt for f in engine.check("嗨呀")] == ["嗨"]
    assert Engine.from_paths(rules, disable=["house-word"]).check("嗨呀") == []
    assert [
        f.severity.value
        for f in Engine.from_paths(rules, severity={"house-word": "error"}).check("嗨呀")
    ] == ["error"]


def test_damaged_entry_is_rebuilt(private_dir: Path) -> None:
    Engine.from_paths()
    (entry,) = entries(private_dir)
    data = bytearray(entry.read_bytes())
    data[len(data) // 2] ^= 0xFF
    entry.write_bytes(bytes(data))
    engine = Engine.from_paths()
    assert engine._rules is not None  # rebuilt, not loaded
    assert findings(engine) == reference()
    assert Engine.from_paths()._rules is None  # and stored again


@pytest.mark.parametrize("payload", [b"not a pickle", pickle.dumps(["an", "engine?"])])
def test_entry_that_is_not_an_engine_is_rebuilt(private_dir: Path, payload: bytes) -> None:
    engine = Engine.from_paths()
    key = rulecache._FORMAT + engine.cache_key
    cache.store(rulecache._NAME, key, payload)  # checksummed, right key, wrong content
    rebuilt = Engine.from_paths()
    assert rebuilt._rules is not None
    assert findings(rebuilt) == reference()


def test_engine_stored_under_another_key_is_not_trusted(private_dir: Path, tmp_path: Path) -> None:
    rules = tmp_path / "house.yaml"
    rules.write_text(RULE.replace("WORD", "哈喽"), encoding="utf-8")
    other = Engine.from_paths(rules)
    default = Engine.from_paths()
    # Plant the engine with the extra rule where the default engine's entry is.
    cache.store(rulecache._NAME, rulecache._FORMAT + default.cache_key, rulecache.dumps(other))
    engine = Engine.from_paths()
    assert "house-word" not in engine.rule_ids()
    assert findings(engine) == reference()


def test_a_cached_start_imports_no_pydantic_yaml_opencc_or_jieba(private_dir: Path) -> None:
    code = (
        "import sys, replycoach\n"
        "found = replycoach.check('我保证明天一定发货，你放心')\n"
        "print(len(found), sorted(m for m in ('pydantic', 'yaml', 'opencc', 'jieba')"
        " if m in sys.modules))\n"
    )
    env = {**os.environ, "REPLYCOACH_CACHE_DIR": str(private_dir)}
    first = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    second = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert second.stdout.strip() == "3 []"
    assert first.stdout.split()[0] == "3"


def test_cli_version_and_help_import_no_engine() -> None:
    code = (
        "import sys\n"
        "from replycoach.cli import main, POSITIONS\n"
        "from replycoach.model import POSITIONS as MODEL_POSITIONS\n"
        "assert POSITIONS == MODEL_POSITIONS\n"
    )
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
    code = (
        "import sys, io\n"
        "from replycoach.cli import main\n"
        "sys.stdout = io.StringIO()\n"
        "try:\n"
        "    main(['--help'], out=sys.stdout, err=io.StringIO())\n"
        "except SystemExit:\n"
        "    pass\n"
        "assert 'check' in sys.stdout.getvalue()\n"
        "heavy = [m for m in ('replycoach.engine', 'pydantic', 'yaml', 'dataclasses')"
        " if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "print('ok', file=sys.stderr)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0 and run.stderr == "ok\n", run.stderr


def test_configuration_is_validated_once_and_never_served_stale(
    private_dir: Path, tmp_path: Path
) -> None:
    from replycoach.config import ConfigError, load_config

    path = tmp_path / ".replycoach.yaml"
    path.write_text("disable: [honorific-you]\n", encoding="utf-8")
    assert load_config(path).settings.disable == ["honorific-you"]
    assert list(private_dir.glob("config-*.bin"))
    assert load_config(path).settings.disable == ["honorific-you"]  # from the cache
    path.write_text("disable: [absolute-promise]\n", encoding="utf-8")
    assert load_config(path).settings.disable == ["absolute-promise"]
    path.write_text("disable: 3\n", encoding="utf-8")
    with pytest.raises(ConfigError):
        load_config(path)


def test_a_cached_start_with_a_configuration_file_imports_no_pydantic(
    private_dir: Path, tmp_path: Path
) -> None:
    (tmp_path / ".replycoach.yaml").write_text(
        "disable: [honorific-you]\nseverity: {absolute-promise: error}\n", encoding="utf-8"
    )
    code = (
        "import io, sys\n"
        "from replycoach.cli import main\n"
        "out = io.StringIO()\n"
        "code = main(['check', '-q', '-f', 'json', '--text', '我保证明天一定发货，你放心'],"
        " out=out, err=io.StringIO())\n"
        "import json\n"
        "found = json.loads(out.getvalue())['findings']\n"
        "print(code, sorted({(f['rule'], f['severity']) for f in found}),"
        " [m for m in ('pydantic', 'yaml') if m in sys.modules])\n"
    )
    env = {**os.environ, "REPLYCOACH_CACHE_DIR": str(private_dir)}
    runs = [
        subprocess.run(
            [sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True
        )
        for _ in range(2)
    ]
    assert all(r.returncode == 0 for r in runs), runs[0].stderr + runs[1].stderr
    first, second = (r.stdout.strip() for r in runs)
    assert first.startswith("1 [('absolute-promise', 'error')]") and "pydantic" in first
    assert second == "1 [('absolute-promise', 'error')] []"


def test_a_changed_cue_set_of_the_default_pack_changes_the_key(tmp_path: Path) -> None:
    pack = tmp_path / "rules"
    (pack / "cues").mkdir(parents=True)
    (pack / "house.yaml").write_text(RULE.replace("WORD", "嗨"), encoding="utf-8")
    (pack / "cues" / "c.yaml").write_text("cues: []\n", encoding="utf-8")
    first = rulecache.cache_key([str(pack)], {})
    (pack / "cues" / "c.yaml").write_text("cues: [] # changed\n", encoding="utf-8")
    assert first and rulecache.cache_key([str(pack)], {}) != first


def test_an_entry_from_other_code_is_not_used(
    private_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = Engine.from_paths()
    monkeypatch.setattr(rulecache, "_CODE", "another version of replycoach's modules")
    second = Engine.from_paths()
    assert second.cache_key != first.cache_key
    assert second._rules is not None  # compiled afresh, not unpickled
    assert findings(second) == reference()


def test_a_cached_check_of_a_txt_file_imports_only_its_reader(
    private_dir: Path, tmp_path: Path
) -> None:
    replies = tmp_path / "replies.txt"
    replies.write_text("我保证明天一定发货，你放心\n您好\n", encoding="utf-8")
    code = (
        "import sys\n"
        "from replycoach.cli import main\n"
        f"code = main(['check', '-q', '--jobs', '1', {str(replies)!r}])\n"
        "print(code, sorted(m for m in ('pydantic', 'yaml', 'opencc', 'jieba',"
        " 'daachorse', 'replycoach.sources.yamldoc', 'replycoach.sources.jsondoc',"
        " 'replycoach.sources.table', 'replycoach.sources.excel') if m in sys.modules),"
        " file=sys.stderr)\n"
    )
    env = {**os.environ, "REPLYCOACH_CACHE_DIR": str(private_dir)}
    for _ in range(2):  # the first run fills the cache
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.stderr.strip().splitlines()[-1] == "1 []", done.stderr
    assert "absolute-promise" in done.stdout


def test_compile_cached_keeps_a_patterns_program_and_matches_as_re(private_dir: Path) -> None:
    import re

    pattern = "[" + "".join(chr(c) for c in range(0x4E00, 0x4E00 + 3000, 3)) + "]+|(?P<d>[0-9]{3})"
    first = rulecache.compile_cached(pattern)
    assert len(list(private_dir.glob("re-program-*.bin"))) == 1
    second = rulecache.compile_cached(pattern)  # from the stored program
    expected = re.compile(pattern)
    for text in ["一丁七万丈 123", "abc", "456一"]:
        assert [m.span() for m in second.finditer(text)] == [
            m.span() for m in expected.finditer(text)
        ]
        assert [m.groupdict() for m in first.finditer(text)] == [
            m.groupdict() for m in second.finditer(text)
        ]
    assert (second.flags, second.groups, second.groupindex) == (
        expected.flags,
        expected.groups,
        expected.groupindex,
    )
    for entry in private_dir.glob("re-program-*.bin"):  # damaged: compiled again, same answer
        entry.write_bytes(entry.read_bytes()[:-3] + b"xyz")
    assert rulecache.compile_cached(pattern).findall("一丁 999") == expected.findall("一丁 999")


def test_stored_patterns_carry_the_programs_re_makes(private_dir: Path) -> None:
    """The programs kept while an engine is built are those a fresh compile makes, and a
    pattern from one answers as ``re.compile``'s."""
    import gc
    import re
    import zlib

    Engine.from_paths()  # built: its programs kept while compiling, then stored
    assert not rulecache._CAPTURED
    engine = Engine.from_paths()  # unpickled
    lazy = [o for o in gc.get_objects() if isinstance(o, rulecache.LazyPattern) and o.program]
    assert len(lazy) > 50
    try:
        from re import _compiler, _parser  # type: ignore[attr-defined]
    except ImportError:  # pragma: no cover - another Python
        pytest.skip("no re._compiler")
    for pattern in lazy:
        assert pattern.program is not None
        code = memoryview(zlib.decompress(pattern.program[1])).cast("I").tolist()
        assert code == _compiler._code(_parser.parse(pattern.pattern, pattern.flags), pattern.flags)
        expected = re.compile(pattern.pattern, pattern.flags)
        assert pattern.groupindex == expected.groupindex
    assert findings(engine) == reference()


def test_edited_cue_sets_are_read_again_by_a_running_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process that read the default cue sets at its start must not build (and cache
    under the new contents' key) an engine with the old sets after they are edited."""
    import shutil

    from replycoach import loader

    rules = tmp_path / "rules"
    shutil.copytree(loader.default_rules_dir(), rules)
    monkeypatch.setattr(loader, "default_rules_dir", lambda: rules)
    before = loader.default_cues()["apology"]
    cue_file = next(f for f in (rules / "cues").glob("*.yaml") if "name: apology" in f.read_text())
    text = cue_file.read_text(encoding="utf-8")
    cue_file.write_text(text.replace("name: apology", "name: apology-renamed"), encoding="utf-8")
    after = loader.default_cues()
    assert "apology-renamed" in after and "apology" not in after
    assert after["apology-renamed"].phrases == before.phrases
