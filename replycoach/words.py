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
import importlib.util
import math
import re
import sys
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

from . import cache as disk_cache
from .rulecache import lazy_compile

_CLAUSE_BREAK = lazy_compile(r"[\s,.!?;:，。！？；：、~～…\"'“”‘’（）()【】\[\]<>《》]")


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


_SHARDS = 256


def _shard(word: str) -> int:
    return ord(word[0]) % _SHARDS


class Lexicon:
    """jieba's dictionary words and frequencies, sorted, in 256 shards by first character.
    All the words a clause's look-ups can meet start with one of its characters, so a clause
    loads only those shards, each a small entry of the private cache (loading the whole
    dictionary, 349k words, costs ~30 ms; a short run segments a clause or two)."""

    def __init__(self, key: str) -> None:
        self._key = key
        self._shards: dict[int, tuple[list[str], list[int]]] = {}
        self._total = 0

    @staticmethod
    def build(dictionary: str) -> tuple[int, list[tuple[list[str], list[int]]]]:
        """From jieba's ``dict.txt`` (``word freq tag`` lines): the total frequency jieba
        divides by, and each shard's words (in the order of the sorted lines) and
        frequencies."""
        lines = sorted(line for line in dictionary.split("\n") if line)
        shards: list[tuple[list[str], list[int]]] = [([], []) for _ in range(_SHARDS)]
        total = 0
        for line in lines:
            word, freq = line.split(" ")[:2]
            words, freqs = shards[_shard(word)]
            words.append(word)
            freqs.append(int(freq))
            total += int(freq)
        return total, shards

    def _load(self, shard: int) -> tuple[list[str], list[int]]:
        key = self._key and f"{self._key}|4|{shard}"
        stored = disk_cache.load("jieba-lexicon", key) if key else None
        if isinstance(stored, tuple) and len(stored) == 3:
            total, words, freqs = stored
        else:  # not cached yet (or damaged): build every shard, store them
            total, shards = self.build(_dictionary())
            for n, (words, freqs) in enumerate(shards):
                self._shards.setdefault(n, (words, freqs))
                if key:
                    disk_cache.store("jieba-lexicon", f"{self._key}|4|{n}", (total, words, freqs))
            words, freqs = shards[shard]
        self._total = total
        return self._shards.setdefault(shard, (words, freqs))

    @property
    def total(self) -> int:
        """The total frequency jieba divides by."""
        if not self._total:
            self._load(0)
        return self._total

    def lookup(self, key: str) -> int | None:
        """``key``'s frequency if it is a word, 0 if it only starts longer words, ``None``
        if no word starts with it (jieba's prefix dictionary)."""
        n = _shard(key)
        shard = self._shards.get(n) or self._load(n)
        words, freqs = shard
        i = bisect.bisect_left(words, key)
        if i == len(words) or not words[i].startswith(key):
            return None
        return freqs[i] if words[i] == key else 0


@cache
def _lexicon() -> Lexicon:
    """jieba's dictionary, sorted, its shards loaded on first use (cached on disk)."""
    return Lexicon(_dictionary_key())


@cache
def superstrings(words: tuple[str, ...]) -> dict[str, tuple[tuple[str, int], ...]]:
    """For each of ``words``: the dictionary words longer than it that contain it, each with
    every offset of it inside them. One pass over the dictionary for the whole set (cached on
    disk, keyed by the dictionary and the words)."""
    key = _dictionary_key()
    found = disk_cache.cached(
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
    lexicon = _lexicon()
    freq: dict[str, int] = {}
    for i in range(len(clause)):
        for j in range(i + 1, len(clause) + 1):
            sub = clause[i:j]
            if sub in freq:
                continue  # looked up already (a repeated substring)
            found = lexicon.lookup(sub)
            if found is None:
                break  # no word starts with sub, so none starts with a longer one
            freq[sub] = found
    return freq


# jieba's accurate mode without HMM (``Tokenizer.cut(sentence, HMM=False)`` of jieba 0.42),
# written out so that importing jieba (~0.1 s: its HMM tables, regexes and pkg_resources)
# is never needed: only its dictionary file is read. Tests compare the tokens with jieba's.
_RE_ENG = lazy_compile("[a-zA-Z0-9]")
_RE_HAN = lazy_compile(r"([\u4E00-\u9FD5a-zA-Z0-9+#&\._%\-]+)")
_RE_SKIP = lazy_compile(r"(\r\n|\s)")


def _cut_block(block: str, freq: dict[str, int], logtotal: float) -> Iterator[str]:
    """``Tokenizer.__cut_DAG_NO_HMM``: the maximum-probability route through the DAG of
    dictionary words, single ASCII letters and digits run together."""
    n = len(block)
    dag: dict[int, list[int]] = {}
    for k in range(n):
        ends = []
        i = k
        frag = block[k]
        while i < n and frag in freq:
            if freq[frag]:
                ends.append(i)
            i += 1
            frag = block[k : i + 1]
        dag[k] = ends or [k]
    route: dict[int, tuple[float, int]] = {n: (0.0, 0)}
    for idx in range(n - 1, -1, -1):
        route[idx] = max(
            (math.log(freq.get(block[idx : x + 1]) or 1) - logtotal + route[x + 1][0], x)
            for x in dag[idx]
        )
    x = 0
    buf = ""
    while x < n:
        y = route[x][1] + 1
        word = block[x:y]
        if _RE_ENG.match(word) and len(word) == 1:
            buf += word
        else:
            if buf:
                yield buf
                buf = ""
            yield word
        x = y
    if buf:
        yield buf


def _cut(sentence: str, freq: dict[str, int], total: int) -> Iterator[str]:
    """``Tokenizer.cut(sentence, HMM=False)`` with the prefix dictionary ``freq``."""
    logtotal = math.log(total)
    for block in _RE_HAN.split(sentence):
        if not block:
            continue
        if _RE_HAN.match(block):
            yield from _cut_block(block, freq, logtotal)
        else:
            for piece in _RE_SKIP.split(block):
                if _RE_SKIP.match(piece):
                    yield piece
                else:
                    yield from piece


class ByteBoundedCache:
    """A least-recently-used cache bounded by the (estimated) bytes it holds, not by its
    number of entries, so a few long values cannot hold gigabytes. Thread-safe."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._data: OrderedDict[str, tuple[tuple[str, ...], int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> tuple[str, ...] | None:
        with self._lock:
            hit = self._data.get(key)
            if hit is None:
                return None
            self._data.move_to_end(key)
            return hit[0]

    def put(self, key: str, value: tuple[str, ...]) -> None:
        size = sys.getsizeof(key) + sys.getsizeof(value) + sum(map(sys.getsizeof, value))
        if size > self.max_bytes // 8:
            return  # one entry may take at most an eighth of the budget
        with self._lock:
            old = self._data.pop(key, None)
            if old is not None:
                self.bytes -= old[1]
            self._data[key] = (value, size)
            self.bytes += size
            while self.bytes > self.max_bytes:
                _, (_, dropped) = self._data.popitem(last=False)
                self.bytes -= dropped

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self.bytes = 0

    def __len__(self) -> int:
        return len(self._data)


SEGMENT_CACHE = ByteBoundedCache(16 * 1024 * 1024)
"""Segmentations of recent clauses: at most 16 MiB, whatever the clauses' length."""


def segment(clause: str) -> tuple[str, ...]:
    """jieba's segmentation of ``clause`` without HMM, as ``jieba.lcut(clause, HMM=False)``."""
    hit = SEGMENT_CACHE.get(clause)
    if hit is not None:
        return hit
    tokens = tuple(_cut(clause, _clause_freq(clause), _lexicon().total))
    SEGMENT_CACHE.put(clause, tokens)
    return tokens


def _ascii_word_char(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


class Boundaries:
    """Word-boundary tests on one text. Each clause is segmented at most once and found by
    binary search, so testing every match of a long text stays linear in its length.

    >>> b = Boundaries("财源滚滚，你滚", ("滚",))
    >>> b.whole(2, 3), b.whole(6, 7)
    (False, True)
    """

    def __init__(self, text: str, vocabulary: tuple[str, ...]) -> None:
        self.text = text
        self.vocabulary = vocabulary
        self._superstrings: dict[str, tuple[tuple[str, int], ...]] | None = None
        self._breaks: list[int] | None = None
        self._starts: dict[int, list[int]] = {}  # clause start -> its tokens' starts

    def _clause(self, start: int, end: int) -> tuple[int, int]:
        if self._breaks is None:
            self._breaks = [m.start() for m in _CLAUSE_BREAK.finditer(self.text)]
        breaks = self._breaks
        i = bisect.bisect_left(breaks, start)
        left = breaks[i - 1] + 1 if i > 0 else 0
        j = bisect.bisect_left(breaks, end)
        right = breaks[j] if j < len(breaks) else len(self.text)
        return left, right

    def whole(self, start: int, end: int) -> bool:
        """True unless ``text[start:end]`` lies inside a longer word."""
        text = self.text
        word = text[start:end]
        if _ascii_word_char(word[:1]) and start > 0 and _ascii_word_char(text[start - 1]):
            return False
        if _ascii_word_char(word[-1:]) and end < len(text) and _ascii_word_char(text[end]):
            return False
        left, right = self._clause(start, end)
        starts = self._starts.get(left)
        if starts is None:  # not segmented yet: is it needed at all?
            if self._superstrings is None:
                self._superstrings = superstrings(self.vocabulary)
            sups = self._superstrings.get(word)
            if sups is None:
                sups = superstrings((word,)).get(word, ())
            if not any(
                start - offset >= 0 and text.startswith(sup, start - offset) for sup, offset in sups
            ):
                return True
            starts = []
            pos = left
            for token in segment(text[left:right]):
                starts.append(pos)
                pos += len(token)
            self._starts[left] = starts
        # Tokens partition the clause: only the one holding ``start`` can contain the match.
        i = bisect.bisect_right(starts, start) - 1
        a = starts[i]
        b = starts[i + 1] if i + 1 < len(starts) else right
        return not (a <= start and end <= b and b - a > end - start)


def is_whole_word(
    text: str, start: int, end: int, vocabulary: tuple[str, ...] | None = None
) -> bool:
    """True unless ``text[start:end]`` lies inside a longer word (jieba's segmentation).

    ``vocabulary`` is the set of words the caller matches, so the dictionary is scanned once
    for all of them (default: just this word). To test many matches of one text, use one
    :class:`Boundaries`.
    """
    return Boundaries(text, vocabulary or (text[start:end],)).whole(start, end)


def trie_pattern(words: Iterable[str]) -> str:
    """One regex that finds any of ``words`` (literal), written as a prefix tree
    (``傻(?:逼|子)|你(?:懂不懂|是不是傻)``): Python's ``re`` tries the alternatives of an
    alternation one by one, so sharing prefixes makes a screen of hundreds of words cheaper.
    Longer words are still preferred to their prefixes.

    >>> trie_pattern(["傻逼", "傻子", "滚"])
    '傻(?:子|逼)|滚'
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
