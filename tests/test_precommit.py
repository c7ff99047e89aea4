"""The pre-commit hook, run by pre-commit itself (``pre-commit try-repo``) against a temporary
git repository holding a phrase file: it fails, ``replycoach fix`` repairs it, it passes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.skipif(
    shutil.which("git") is None or not (ROOT / ".git").exists(),
    reason="needs git and a git checkout of replycoach",
)


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def test_try_repo_fails_then_passes_after_fix(tmp_path: Path) -> None:
    pytest.importorskip("pre_commit")
    repo = tmp_path / "shop"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "快捷短语.txt").write_text(
        "您好，请问有什么可以帮您？\n你放心，马上发货\n", encoding="utf-8"
    )
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "phrases")
    env = {**os.environ, "PRE_COMMIT_HOME": str(ROOT / ".pytest_cache" / "pre-commit")}

    def try_repo() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "pre_commit",
                "try-repo",
                str(ROOT),
                "replycoach",
                "--all-files",
                "--color",
                "never",
            ],
            cwd=repo,
            capture_output=True,
            text=True,
            env=env,
            timeout=900,
        )

    first = try_repo()
    assert first.returncode == 1, first.stdout + first.stderr
    assert "honorific-you" in first.stdout

    subprocess.run(
        [sys.executable, "-m", "replycoach.cli", "fix", "快捷短语.txt"],
        cwd=repo,
        check=True,
        capture_output=True,
    )
    assert (repo / "快捷短语.txt").read_text(encoding="utf-8").endswith("您放心，马上发货\n")
    second = try_repo()
    assert second.returncode == 0, second.stdout + second.stderr
