"""Word boundaries from jieba, paid for only where they matter.

A rule with ``boundary: jieba`` drops a match that lies inside a longer word of jieba's
segmentation (滚 in 滚筒, 不行 in 行不行). Segmenting every reply costs ~75 µs and loading
jieba's dictionary ~1 s, so we first ask a cheaper question: does any dictionary word that
contains the match occur around it? Only then is the clause segmented (without HMM, so a
token longer than the match is always such a dictionary word: the shortcut is exact).
"""

from __future__ import annotations

import importlib.util
import re
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

_CLAUSE_BREAK = re.compile(r"[\s,.!?;:，。！？；：、~～…\"'“”‘’（）()【】\[\]<>《》]")


@cache
def _dictionary() -> str:
    spec = importlib.util.find_spec("jieba")
    if spec is None or not spec.submodule_search_locations:
        return ""
    path = Path(next(iter(spec.submodule_search_locations))) / "dict.txt"
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return ""


@cache
def superstrings(word: str) -> tuple[tuple[str, int], ...]:
    """Dictionary words longer than ``word`` that contain it, each with every offset of
    ``word`` inside it."""
    found: list[tuple[str, int]] = []
    pattern = re.compile(r"^(\S*" + re.escape(word) + r"\S*) ", re.M)
    for entry in pattern.findall(_dictionary()):
        if entry == word:
            continue
        start = entry.find(word)
        while start != -1:
            found.append((entry, start))
            start = entry.find(word, start + 1)
    return tuple(found)


@cache
def _tokenizer() -> Any:
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba.Tokenizer()


@lru_cache(maxsize=8192)
def _token_spans(clause: str) -> tuple[tuple[int, int], ...]:
    spans = []
    pos = 0
    for token in _tokenizer().cut(clause, HMM=False):
        spans.append((pos, pos + len(token)))
        pos += len(token)
    return tuple(spans)


def _ascii_word_char(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def is_whole_word(text: str, start: int, end: int) -> bool:
    """True unless ``text[start:end]`` lies inside a longer word (jieba's segmentation)."""
    word = text[start:end]
    if _ascii_word_char(word[:1]) and start > 0 and _ascii_word_char(text[start - 1]):
        return False
    if _ascii_word_char(word[-1:]) and end < len(text) and _ascii_word_char(text[end]):
        return False
    if not any(
        start - offset >= 0 and text.startswith(sup, start - offset)
        for sup, offset in superstrings(word)
    ):
        return True
    left = start
    while left > 0 and not _CLAUSE_BREAK.match(text, left - 1):
        left -= 1
    right = end
    while right < len(text) and not _CLAUSE_BREAK.match(text, right):
        right += 1
    s, e = start - left, end - left
    return not any(
        a <= s and e <= b and b - a > e - s for a, b in _token_spans(text[left:right])
    )
