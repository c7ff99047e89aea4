"""The kit for teams' own rules: test-rules, the rule-file schema, the generated reference."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import yaml

from replycoach.cli import main
from replycoach.docs import render_default_rules
from replycoach.loader import default_rules_dir, rule_file_schema
from replycoach.ruletest import test_rules as run_test_rules

from .conftest import ROOT

PACKS = ROOT / "tests" / "data" / "packs"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_test_rules_catches_a_broken_pack() -> None:
    pack = PACKS / "broken"
    a, b = pack / "a.yaml", pack / "b.yaml"
    expected = [
        f"{a}:3: rule 'dear': id is used by another rule of the pack",
        f"{b}:3: rule 'dear': id is used by another rule of the pack",
        f"{b}:10: rule 'honorific-you': id is already used by the default pack",
        f"{a}:3: rule 'dear': flag example 2 ('宝宝在的'): not flagged",
        f"{a}:3: rule 'dear': clean example 2 ('亲爱哒'): flagged ['亲爱哒']",
        f"{b}:3: rule 'dear': pattern '宝贝儿' matches none of its flag examples",
    ]
    assert run_test_rules([pack]) == expected
    code, out, err = run("test-rules", str(pack))
    assert code == 1 and out.splitlines() == expected and "6 problems" in err


def test_a_duplicate_id_in_one_file_is_a_load_error(tmp_path: Path) -> None:
    path = tmp_path / "dup.yaml"
    one = (PACKS / "good.yaml").read_text(encoding="utf-8")
    path.write_text(one + one.replace("rules:\n", ""), encoding="utf-8")
    assert run_test_rules([path]) == [f"{path}:1: file: rule id 'dear' is used twice in this file"]


def test_shipped_rule_files_parse_with_the_strict_pure_python_yaml_parser() -> None:
    """libyaml accepts some plain scalars (a '?' inside a flow mapping) that PyYAML's own
    parser, and so some editors, reject: keep the shipped files parseable by both."""
    for path in sorted(default_rules_dir().glob("*.yaml")):
        yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)


def test_test_rules_reports_rewrites_flagged_by_other_rules(tmp_path: Path) -> None:
    text = (PACKS / "broken" / "a.yaml").read_text(encoding="utf-8")
    path = tmp_path / "one.yaml"
    path.write_text(text.replace("宝宝在的", "亲爱哒").replace(", 亲爱哒]", "]"), encoding="utf-8")
    assert run_test_rules([path]) == [
        f"{path}:3: rule 'dear': rewrite '你好' is flagged by honorific-you"
    ]


def test_test_rules_passes_good_packs_and_reports_load_errors(tmp_path: Path) -> None:
    assert run("test-rules", str(PACKS / "good.yaml"))[0] == 0
    assert run("test-rules", str(default_rules_dir()))[0] == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "rules:\n  - id: x\n    kind: existence\n    severity: fatal\n", encoding="utf-8"
    )
    code, out, _ = run("test-rules", str(bad))
    assert code == 1 and f"{bad}:4: rules[0].severity" in out


def test_schema_validates_every_shipped_rule_file() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    code, out, _ = run("schema")
    schema = json.loads(out)
    assert code == 0 and schema == rule_file_schema()
    for path in sorted(default_rules_dir().glob("*.yaml")):
        jsonschema.validate(yaml.safe_load(path.read_text(encoding="utf-8")), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(
            {"rules": [{"id": "x", "kind": "existence", "severity": "fatal"}]}, schema
        )


def test_rule_reference_in_docs_is_current() -> None:
    committed = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert committed == render_default_rules(), (
        "docs/rules.md is stale: replycoach docs -o docs/rules.md"
    )
