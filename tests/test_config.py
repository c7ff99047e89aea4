"""Configuration: found upward, validated with file:line:key errors, applied by the CLI."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from replycoach.cli import main
from replycoach.config import TEMPLATE, ConfigError, find_config, load_config


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_found_upward_yaml_first(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.replycoach]\nfail-on = 'error'\n")
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    assert find_config(sub).settings.fail_on == "error"
    (tmp_path / "a" / ".replycoach.yaml").write_text("fail-on: info\n")
    config = find_config(sub)
    assert config.settings.fail_on == "info" and config.path == tmp_path / "a" / ".replycoach.yaml"


def test_pyproject_without_our_table_is_passed_over(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    assert find_config(tmp_path).path is None


def test_a_pyproject_naming_replycoach_elsewhere_is_parsed_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whether a pyproject.toml that mentions replycoach (a dependency) has our table is
    kept in the private cache by the file's content: later starts parse no TOML."""
    from replycoach import cache, config

    monkeypatch.setenv("REPLYCOACH_CACHE_DIR", str(tmp_path / "cache"))
    cache.cache_dir.cache_clear()
    project = tmp_path / "p"
    project.mkdir()
    toml = project / "pyproject.toml"
    toml.write_text("[project]\nname = 'x'\ndependencies = ['replycoach>=1']\n")
    assert find_config(project).path is None  # parsed, and the answer kept
    parsed: list[str] = []
    loads = config._toml_loads

    def counted(text: str) -> dict[str, object]:
        parsed.append(text)
        return loads(text)

    monkeypatch.setattr(config, "_toml_loads", counted)
    assert find_config(project).path is None and parsed == []  # answered from the cache
    toml.write_text(toml.read_text() + "\n[tool.replycoach]\nfail-on = 'error'\n")
    assert find_config(project).settings.fail_on == "error" and parsed  # new content: parsed
    cache.cache_dir.cache_clear()


def test_errors_name_file_line_and_key(tmp_path: Path) -> None:
    path = tmp_path / ".replycoach.yaml"
    path.write_text("fail-on: warning\n\nfail_onn: error\nseverity:\n  honorific-you: fatal\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    lines = str(info.value).splitlines()
    assert f"{path}:3: key 'fail_onn': unknown key" in lines
    assert any(
        line.startswith(f"{path}:4: key 'severity.honorific-you': 'fatal' is not one of")
        for line in lines
    )
    toml = tmp_path / "pyproject.toml"
    toml.write_text("[project]\nname='x'\n\n[tool.replycoach]\nposition = 'sideways'\n")
    with pytest.raises(ConfigError) as info:
        load_config(toml)
    assert str(info.value).startswith(f"{toml}:5: key 'position': 'sideways' is not one of")
    toml.write_text("[tool.replycoach\n")
    with pytest.raises(ConfigError, match=r"pyproject.toml:1: not valid TOML"):
        load_config(toml)


def test_init_writes_a_template_that_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert run("init")[0] == 0
    assert (tmp_path / ".replycoach.yaml").read_text(encoding="utf-8") == TEMPLATE
    assert load_config(tmp_path / ".replycoach.yaml").settings.fail_on == "warning"
    assert run("init")[0] == 2  # exists
    assert run("init", "--force")[0] == 0


def test_cli_applies_the_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "team.yaml").write_text(
        "rules:\n  - id: no-dear\n    kind: existence\n    severity: error\n"
        "    message: 不说“{match}”\n    words: [亲爱哒]\n    source: {file: x, passage: y}\n"
        "    examples: {flag: [亲爱哒], clean: [亲]}\n",
        encoding="utf-8",
    )
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "a.csv").write_text(
        "内容,场景\n亲爱哒，你好,开场\n我保证,售中\n", encoding="utf-8"
    )
    (tmp_path / "lib" / "legacy.txt").write_text("你好\n", encoding="utf-8")
    (tmp_path / "archive").mkdir()
    (tmp_path / "archive" / "old.txt").write_text("滚\n", encoding="utf-8")
    (tmp_path / ".replycoach.yaml").write_text(
        "rule-files: [team.yaml]\ndisable: [absolute-promise]\n"
        "severity: {honorific-you: info}\nfail-on: error\nexclude: ['archive/*']\n"
        "per-path-ignores: {'lib/legacy.txt': ['*']}\nposition-map: {开场: only}\n",
        encoding="utf-8",
    )
    code, out, _ = run("check", ".", "--format", "json")
    import json

    found = json.loads(out)["findings"]
    assert {(f["path"], f["rule"], f["severity"]) for f in found} == {
        ("lib/a.csv", "no-dear", "error"),
        ("lib/a.csv", "honorific-you", "info"),
        ("lib/a.csv", "missing-closing", "warning"),  # 开场 → only → needs a closing
    }
    assert code == 1  # no-dear is an error; fail-on error
    assert run("check", ".", "--disable", "no-dear", "-q")[0] == 0
    assert run("check", ".", "--no-config", "-q")[0] == 1
    # Named explicitly (as pre-commit names every file): still excluded, unless overridden.
    assert run("check", "archive/old.txt", "-q")[0] == 0
    assert run("check", "archive/old.txt", "--no-force-exclude", "-q")[0] == 1


def test_settings_and_schema_have_the_same_keys_and_defaults() -> None:
    """Settings (no pydantic at start-up) and the file schema must not drift apart."""
    import dataclasses

    from replycoach.config import Settings
    from replycoach.configschema import ConfigModel

    defaults = dataclasses.asdict(Settings())
    assert defaults == ConfigModel.model_validate({}).model_dump()
    assert [f.name for f in dataclasses.fields(Settings)] == list(ConfigModel.model_fields)
