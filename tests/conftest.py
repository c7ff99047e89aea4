from __future__ import annotations

from pathlib import Path

import pytest

from replycoach import Engine
from replycoach.loader import AnyRule, default_rules_dir, load_rules

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
GUIDANCE = SHARED / "guidance"
DEFAULT_RULES: list[AnyRule] = load_rules(default_rules_dir())


@pytest.fixture(scope="session")
def engine() -> Engine:
    return Engine.default()
