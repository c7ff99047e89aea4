"""The on-disk cache is private and verified: a bad entry is recomputed, never trusted."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest

from replycoach import cache


@pytest.fixture()
def private_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("REPLYCOACH_CACHE_DIR", str(tmp_path / "c"))
    cache.cache_dir.cache_clear()
    yield tmp_path / "c"
    cache.cache_dir.cache_clear()


def test_directory_is_created_private(private_dir: Path) -> None:
    assert cache.cache_dir() == private_dir
    assert stat.S_IMODE(private_dir.stat().st_mode) == 0o700


def test_round_trip_and_key_mismatch(private_dir: Path) -> None:
    assert cache.cached("t", "k1", lambda: ("a", 1)) == ("a", 1)
    assert cache.load("t", "k1") == ("a", 1)
    assert cache.load("t", "k2") is None


def test_damaged_or_planted_entry_is_recomputed(private_dir: Path) -> None:
    cache.store("t", "k", ["real"])
    (entry,) = private_dir.glob("t-*.bin")
    data = bytearray(entry.read_bytes())
    data[-1] ^= 0xFF  # a flipped byte: the checksum no longer matches
    entry.write_bytes(bytes(data))
    assert cache.load("t", "k") is None
    assert cache.cached("t", "k", lambda: ["recomputed"]) == ["recomputed"]
    entry.write_bytes(b"garbage")
    assert cache.load("t", "k") is None


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_at_the_entry_is_never_opened_for_long(private_dir: Path) -> None:
    cache.store("t", "k", 1)
    (entry,) = private_dir.glob("t-*.bin")
    entry.unlink()
    os.mkfifo(entry)
    assert cache.load("t", "k") is None  # would hang forever if opened blocking
    assert cache.cached("t", "k", lambda: 2) == 2


def test_symlinked_entry_is_not_followed(private_dir: Path, tmp_path: Path) -> None:
    cache.store("t", "k", 1)
    (entry,) = private_dir.glob("t-*.bin")
    target = tmp_path / "elsewhere.bin"
    target.write_bytes(entry.read_bytes())
    entry.unlink()
    entry.symlink_to(target)
    assert cache.load("t", "k") is None


def test_open_directory_is_closed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    os.chmod(shared, 0o777)
    monkeypatch.setenv("REPLYCOACH_CACHE_DIR", str(shared))
    cache.cache_dir.cache_clear()
    try:
        assert cache.cache_dir() == shared
        assert stat.S_IMODE(shared.stat().st_mode) == 0o700
    finally:
        cache.cache_dir.cache_clear()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_planted_files_in_the_shared_temp_dir_change_nothing(tmp_path: Path) -> None:
    """Issue 12: a planted cache in $TMPDIR hid 你滚 and a FIFO there hung every check."""
    import subprocess
    import sys

    shared = tmp_path / "tmp"
    shared.mkdir()
    os.mkfifo(shared / "jieba.cache")
    for name in ("jieba-lexicon", "jieba-superstrings"):
        os.mkfifo(shared / f"replycoach-{name}-0.cache")
        (shared / f"replycoach-{name}-1.cache").write_bytes(b"planted")
    env = {**os.environ, "TMPDIR": str(shared), "REPLYCOACH_CACHE_DIR": str(tmp_path / "own")}
    code = "import replycoach; print([f.rule for f in replycoach.check('你滚，财源滚滚')])"
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert "rude-language" in proc.stdout


@pytest.mark.skipif(getattr(os, "geteuid", lambda: 1)() != 0, reason="needs root to chown")
def test_entries_and_directories_of_another_user_are_not_trusted(
    private_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache.store("t", "k", 1)
    (entry,) = private_dir.glob("t-*.bin")
    os.chown(entry, 65534, 65534)  # nobody planted it
    assert cache.load("t", "k") is None
    foreign = tmp_path / "foreign"
    foreign.mkdir(mode=0o700)
    os.chown(foreign, 65534, 65534)
    monkeypatch.setenv("REPLYCOACH_CACHE_DIR", str(foreign))
    cache.cache_dir.cache_clear()
    assert cache.cache_dir() is None
    assert cache.cached("t", "k", lambda: 2) == 2  # computed, not read from there


def test_a_full_cache_drops_its_least_recently_used_entries(
    private_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache, "_BUDGET", 4000)
    monkeypatch.setattr(cache, "_pruned", True)  # one pruning per process: not yet
    for n in range(8):
        cache.store("thing", str(n), "x" * 1000)
    entries = sorted(private_dir.glob("thing-*.bin"))
    assert len(entries) == 8
    day, now = 86_400 * 10**9, time.time_ns()
    for n in range(8):  # entry n last used n days ago... except entry 7, loaded just now
        path = cache._entry("thing", str(n))
        assert path is not None
        os.utime(path, ns=(now - n * day, now - n * day))
    assert cache.load("thing", "7") == "x" * 1000  # an old entry in use is touched
    monkeypatch.setattr(cache, "_pruned", False)
    cache.store("other", "k", "y")  # the first store of a process prunes
    kept = {n for n in range(8) if cache.load("thing", str(n)) is not None}
    assert kept == {0, 7}  # the least recently used went, down to 3/4 of the budget
    assert cache.load("other", "k") == "y"
    cache.store("other", "k2", "z" * 5000)  # once per process only
    assert cache.load("thing", "0") is not None
