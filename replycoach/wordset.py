"""Literal words found in a text at once: trigger words, phrase lists, required strings.

A :class:`WordSet` answers one of two questions, fixed when it is made:

- ``every=False``: the leftmost match, and the longest of those starting there, without
  overlaps (:meth:`~WordSet.spans`, :meth:`~WordSet.search`): exactly what a regex
  alternation of the words sorted longest first finds;
- ``every=True``: every occurrence of every word, overlapping ones too
  (:meth:`~WordSet.occurrences`): which rules a reply may concern.

Both are answered by a character-wise Aho-Corasick automaton (daachorse, a compact double
array: offsets in characters, built in ~0.1 ms and ~0.15 µs a character of the words, far
faster than a regex alternation is compiled, and faster to scan). A set is pickled as its
words and builds its automaton on first use. Until it has looked at as much text as
building would cost, each substring of a word's length is looked up in a dictionary instead
(a short process, a ``check --text``, never builds automata; the answers are the same).

(Pickling the automata too was measured: it spares ~5 ms of a batch run's building but
doubles the cached engine, ~3 MB, whose reading and checksum then cost every start ~6 ms.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

Match = tuple[int, int, int]
"""``(start, end, index)``: a word's span in the text (characters) and its index in
:attr:`WordSet.words`."""

_direct_left = 20_000
"""Look-ups all word sets together may make before they all build their automata (~1 ms):
enough for a few replies, while a process that checks many stops looking up early.
"""


def expect_many() -> None:
    """This process is about to check many texts (a big file): word sets build their
    automata at their first text, with no look-ups first (~5 ms of a batch run)."""
    global _direct_left
    _direct_left = 0


def _nothing(text: str) -> list[Match]:
    return []


def _longest(word: str) -> tuple[int, str]:
    return (-len(word), word)


class WordSet:
    """Literal words to find in texts (see the module's text). ``ordered``: keep the words in
    the order given (their indexes mean something to the caller; they must be distinct and not
    empty), else they are deduplicated and sorted longest first, empty ones dropped."""

    def __init__(self, words: Iterable[str], ordered: bool = False, every: bool = False) -> None:
        self.words = (
            tuple(words) if ordered else tuple(sorted({w for w in words if w}, key=_longest))
        )
        if ordered and (len(set(self.words)) != len(self.words) or "" in self.words):
            raise ValueError("a WordSet's words must be distinct and not empty")
        self.every = every
        self._scan: Callable[[str], list[Match]] | None = None  # the automaton's search
        self._index: dict[str, int] | None = None
        self._lengths: tuple[int, ...] = ()
        self._budget: int | None = None  # counted on first use

    def _direct(self, text: str) -> bool:
        """Whether to look ``text`` up in the dictionary rather than use the automaton."""
        global _direct_left
        if self._budget is None:
            # Look-ups (~0.06 µs each) that cost about what building the automaton does
            # (~0.1 ms to set one up, ~0.15 µs a character of the words).
            self._budget = 2 * sum(map(len, self.words)) + 1500
        if self._budget <= 0 or _direct_left <= 0:
            return False
        cost = len(text) * len(self._lengths or self._indexed()[1]) + 1
        self._budget -= cost
        _direct_left -= cost
        return True

    def _indexed(self) -> tuple[dict[str, int], tuple[int, ...]]:
        """Each word's index, and the words' lengths, longest first (made on first use)."""
        if self._index is None:
            self._index = {w: i for i, w in enumerate(self.words)}
            self._lengths = tuple(sorted({len(w) for w in self.words}, reverse=True))
        return self._index, self._lengths

    def _built(self) -> Callable[[str], list[Match]]:
        """The automaton's search, built now."""
        if not self.words:
            self._scan = _nothing
            return _nothing
        from daachorse import (
            MATCH_KIND_LEFTMOST_LONGEST,
            MATCH_KIND_STANDARD,
            CharwiseDoubleArrayAhoCorasick,
        )

        kind = MATCH_KIND_STANDARD if self.every else MATCH_KIND_LEFTMOST_LONGEST
        automaton = CharwiseDoubleArrayAhoCorasick(list(self.words), match_kind=kind)
        scan = self._scan = automaton.find_overlapping if self.every else automaton.find
        return scan

    def _longest_direct(self, text: str) -> list[Match]:
        index, lengths = self._indexed()
        found = []
        at, size = 0, len(text)
        while at < size:
            for length in lengths:  # longest first
                if length <= size - at:
                    i = index.get(text[at : at + length])
                    if i is not None:
                        found.append((at, at + length, i))
                        at += length
                        break
            else:
                at += 1
        return found

    def _every_direct(self, text: str) -> list[Match]:
        index, lengths = self._indexed()
        size = len(text)
        found = [
            (at, at + length, i)
            for at in range(size)
            for length in lengths
            if length <= size - at and (i := index.get(text[at : at + length])) is not None
        ]
        found.sort(key=lambda m: (m[1], m[0]))  # by end, longest first, as the automaton
        return found

    def occurrences(self, text: str) -> list[Match]:
        """Every occurrence of every word in ``text``, overlapping ones too, by their end
        (longest first at one end); a set made with ``every=True`` only."""
        scan = self._scan
        if scan is None:
            if not self.every:
                raise ValueError("occurrences() needs a WordSet made with every=True")
            if self._direct(text):
                return self._every_direct(text)
            scan = self._built()
        try:
            return scan(text)
        except UnicodeEncodeError:  # a lone surrogate: not UTF-8, so not for the automaton
            return self._every_direct(text)

    def spans(self, text: str) -> list[tuple[int, int]]:
        """``(start, end)`` of every leftmost-longest match; a set made with ``every=False``
        only."""
        if self.every:
            raise ValueError("spans() needs a WordSet made with every=False")
        scan = self._scan
        if scan is None:
            if self._direct(text):
                return [(start, end) for start, end, _ in self._longest_direct(text)]
            scan = self._built()
        try:
            found = scan(text)
        except UnicodeEncodeError:
            found = self._longest_direct(text)
        return [(start, end) for start, end, _ in found]

    def search(self, text: str) -> bool:
        """Whether any word occurs in ``text``."""
        scan = self._scan
        if scan is None:
            if self._direct(text):
                return bool(self._every_direct(text))
            scan = self._built()
        try:
            return bool(scan(text))
        except UnicodeEncodeError:
            return bool(self._every_direct(text))

    def __reduce__(self) -> tuple[Callable[..., WordSet], tuple[tuple[str, ...], bool]]:
        return _restored, (self.words, self.every)  # pickled as its words


def _restored(words: tuple[str, ...], every: bool) -> WordSet:
    """A pickled set made again without checking its words anew (an engine loaded from the
    cache holds some seventy, thousands of words each)."""
    made = WordSet.__new__(WordSet)
    made.words, made.every = words, every
    made._scan, made._index, made._lengths, made._budget = None, None, (), None
    return made
