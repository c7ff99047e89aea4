"""Word boundaries from jieba, paid for only where they matter.

A rule with ``boundary: jieba`` drops a match that lies inside a longer word of jieba's
segmentation (滚 in 滚筒, 不行 in 行不行). Two economies make that cheap:

1. Most matches need no segmentation at all. Without HMM, a jieba token longer than the
   match is always a dictionary word, so if no dictionary word containing the match occurs
   around it, the match is whole. Only when one does is the clause segmented.
2. jieba's own segmenter (``get_DAG`` and the max-probability route) only ever looks up
   substrings of the sentence it cuts. So instead of loading the whole prefix dictionary
   (~0.85 s), a jieba ``Tokenizer`` is given just the entries of the clause's substrings,
   found by binary search in jieba's ``dict.txt`` sorted once, and the real total.
   The tokens are the ones jieba's full tokenizer gives (tests compare them).
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import importlib.util
import marshal
import os
import re
import tempfile
from collections.abc import Callable, Iterable
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

_CLAUSE_BREAK = re.compile(r"[\s,.!?;:，。！？；：、~～…\"'“”‘’（）()【】\[\]<>《》]")


def _dictionary_path() -> Path | None:
    spec = importlib.util.find_spec("jieba")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "dict.txt"


@cache
def _dictionary() -> str:
    """jieba's bundled dictionary (``word freq tag`` lines), read without importing jieba."""
    path = _dictionary_path()
    try:
        return path.read_text(encoding="utf-8") if path else ""
    except OSError:
        return ""


def _dictionary_key() -> str:
    path = _dictionary_path()
    if path is None:
        return ""
    try:
        stat = path.stat()
    except OSError:
        return ""
    return f"{path}|{stat.st_size}|{stat.st_mtime_ns}|2"


def _disk_cached(name: str, key: str, compute: Callable[[], Any]) -> Any:
    """``compute()``, cached in the temporary directory (beside jieba's own cache) under a
    file named for ``name`` and ``key``; any problem with the cache just recomputes."""
    if not key:
        return compute()
    digest = hashlib.sha1(f"{name}|{key}".encode()).hexdigest()[:16]
    cache_file = Path(tempfile.gettempdir()) / f"replycoach-{name}-{digest}.cache"
    with contextlib.suppress(OSError, ValueError, EOFError, TypeError):
        cached_key, value = marshal.loads(cache_file.read_bytes())
        if cached_key == key:
            return value
    value = compute()
    with contextlib.suppress(OSError, ValueError):
        fd, tmp = tempfile.mkstemp(dir=cache_file.parent, prefix=".replycoach-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(marshal.dumps((key, value)))
        os.replace(tmp, cache_file)
    return value


@cache
def _lexicon() -> tuple[list[str], int]:
    """jieba's dictionary lines, sorted, and the total frequency jieba divides by (sorting
    349k lines takes ~0.2 s, so the result is cached on disk)."""

    def compute() -> tuple[str, int]:
        lines = sorted(line for line in _dictionary().split("\n") if line)
        return "\n".join(lines), sum(int(line.split(" ")[1]) for line in lines)

    joined, total = _disk_cached("jieba-lexicon", _dictionary_key(), compute)
    return joined.split("\n"), total


@cache
def superstrings(words: tuple[str, ...]) -> dict[str, tuple[tuple[str, int], ...]]:
    """For each of ``words``: the dictionary words longer than it that contain it, each with
    every offset of it inside them. One pass over the dictionary for the whole set (cached on
    disk, keyed by the dictionary and the words)."""
    key = _dictionary_key()
    found = _disk_cached(
        "jieba-superstrings",
        key and f"{key}|{'|'.join(sorted(words))}",
        lambda: _scan_superstrings(words),
    )
    return {w: tuple((str(a), int(b)) for a, b in v) for w, v in found.items()}


def _scan_superstrings(words: tuple[str, ...]) -> dict[str, list[tuple[str, int]]]:
    data = _dictionary()
    found: dict[str, set[tuple[str, int]]] = {w: set() for w in words}
    if not words or not data:
        return {w: [] for w in words}
    alternation = re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)))
    for m in alternation.finditer(data):
        line_start = data.rfind("\n", 0, m.start()) + 1
        word_end = data.find(" ", line_start)
        if word_end == -1 or m.end() > word_end:
            continue  # inside the frequency or tag column
        entry = data[line_start:word_end]
        for word in words:
            at = entry.find(word)
            while at != -1:
                if entry != word:
                    found[word].add((entry, at))
                at = entry.find(word, at + 1)
    return {w: sorted(v) for w, v in found.items()}


def _clause_freq(clause: str) -> dict[str, int]:
    """jieba's prefix dictionary restricted to the substrings of ``clause``: a word's
    frequency, 0 for a prefix of longer words (found by binary search in the sorted lines)."""
    lines, _ = _lexicon()
    freq: dict[str, int] = {}
    for i in range(len(clause)):
        for j in range(i + 1, len(clause) + 1):
            sub = clause[i:j]
            at = bisect.bisect_left(lines, sub)
            if at == len(lines) or not lines[at].startswith(sub):
                break  # no word starts with sub, so none starts with a longer one
            line = lines[at]
            freq[sub] = int(line.split(" ")[1]) if line.startswith(sub + " ") else 0
    return freq


@cache
def _jieba() -> Any:
    import logging
    import sys

    # jieba._compat imports pkg_resources only to find its data files, and falls back to a
    # plain path when that import fails; pkg_resources costs ~0.1 s to import. Hide it for
    # this one import (unless the host application has already loaded it), then restore.
    hidden = "pkg_resources" not in sys.modules
    if hidden:
        sys.modules["pkg_resources"] = None  # type: ignore[assignment]
    try:
        import jieba
    finally:
        if hidden:
            del sys.modules["pkg_resources"]
    jieba.setLogLevel(logging.WARNING)
    return jieba


@lru_cache(maxsize=8192)
def segment(clause: str) -> tuple[str, ...]:
    """jieba's segmentation of ``clause`` without HMM, as ``jieba.lcut(clause, HMM=False)``."""
    tokenizer = _jieba().Tokenizer()
    tokenizer.FREQ = _clause_freq(clause)
    tokenizer.total = _lexicon()[1]
    tokenizer.initialized = True
    return tuple(tokenizer.cut(clause, HMM=False))


def _token_spans(clause: str) -> list[tuple[int, int]]:
    spans = []
    pos = 0
    for token in segment(clause):
        spans.append((pos, pos + len(token)))
        pos += len(token)
    return spans


def _ascii_word_char(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def is_whole_word(
    text: str, start: int, end: int, vocabulary: tuple[str, ...] | None = None
) -> bool:
    """True unless ``text[start:end]`` lies inside a longer word (jieba's segmentation).

    ``vocabulary`` is the set of words the caller matches, so the dictionary is scanned once
    for all of them (default: just this word).
    """
    word = text[start:end]
    if _ascii_word_char(word[:1]) and start > 0 and _ascii_word_char(text[start - 1]):
        return False
    if _ascii_word_char(word[-1:]) and end < len(text) and _ascii_word_char(text[end]):
        return False
    if not any(
        start - offset >= 0 and text.startswith(sup, start - offset)
        for sup, offset in superstrings(vocabulary or (word,)).get(word, ())
    ):
        return True
    left = start
    while left > 0 and not _CLAUSE_BREAK.match(text, left - 1):
        left -= 1
    right = end
    while right < len(text) and not _CLAUSE_BREAK.match(text, right):
        right += 1
    s, e = start - left, end - left
    return not any(a <= s and e <= b and b - a > e - s for a, b in _token_spans(text[left:right]))


def trie_pattern(words: Iterable[str]) -> str:
    """One regex that finds any of ``words`` (literal), written as a prefix tree
    (``傻(?:逼|子)|你(?:懂不懂|是不是傻)``): Python's ``re`` tries the alternatives of an
    alternation one by one, so sharing prefixes makes a screen of hundreds of words cheaper.
    Longer words are still preferred to their prefixes.

    >>> trie_pattern(["傻逼", "傻子", "滚"])
    '傻(?:逼|子)|滚'
    """
    trie: dict[str, Any] = {}
    for word in words:
        if not word:
            continue
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def render(node: dict[str, Any]) -> str:
        branches = []
        for ch in sorted(k for k in node if k):
            child = node[ch]
            rest = render(child)
            if rest and "" in child:
                rest = f"(?:{rest})?"  # greedy: the longer word first
            elif len(child) > 1:
                rest = f"(?:{rest})"
            branches.append(re.escape(ch) + rest)
        return "|".join(branches)

    return render(trie)
