"""An alternation of regular expressions, matched as one but trying only the alternatives
that can match the text at hand.

Python's ``re`` tries every alternative of ``a|b|c…`` at every position: a cue set of
twenty templates, or a pattern rule of seven pieces each behind a row of lookbehinds, costs
that many tries per character. Here each alternative is compiled alone with its requirements:
sets of strings, one of each of which every text it matches in must hold
(:func:`~replycoach.literals.required_groups`), and one Aho-Corasick pass over the text finds
which alternatives can match at all. Leaving
out one that cannot match anywhere changes nothing; the others are merged as the
alternation would merge them: the leftmost match, the earlier alternative on a tie, then on
from the match's end. Lookbehinds see the text before a search's start, as they do inside
the whole alternation, so the matches are the same, groups included.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from .literals import required_groups, top_branches, with_first_lookahead
from .wordset import WordSet


class Alternation:
    """``(?:p0)|(?:p1)|…`` over ``pieces``: :meth:`matches` and :meth:`spans` give what
    ``finditer`` of the whole would. :attr:`usable` is false when a piece has no required
    strings (it could match anywhere, or be empty): the caller then keeps the whole regex.
    ``literals`` gives a piece's strings where the caller knows them better (a piece that
    is an alternation of plain words); ``None`` for a piece: read them from it.

    A piece read here is split into its top-level alternatives (without capturing groups,
    matching them in order is matching the piece), and each alternative is tried only
    where every one of its requirements (:func:`~replycoach.literals.required_groups`:
    快递 *and* 问题 for ``快递[^，]{0,4}问题``) occurs in the text."""

    def __init__(
        self,
        pieces: Sequence[str],
        literals: Sequence[frozenset[str] | None] | None = None,
    ) -> None:
        given = list(literals) if literals is not None else [None] * len(pieces)
        flat: list[str] = []
        groups: list[tuple[frozenset[str], ...] | None] = []
        for piece, lits in zip(pieces, given, strict=True):
            if lits is not None:
                flat.append(piece)
                groups.append((lits,))
                continue
            branches = top_branches(piece) if _groupless(piece) else [piece]
            for branch in branches:
                flat.append(branch)
                groups.append(required_groups(branch))
        self.pieces = tuple(flat)
        self.usable = bool(flat) and all(
            g and all(lits and "" not in lits for lits in g) for g in groups
        )
        self.regexes = tuple(_compiled(p) for p in flat) if self.usable else ()
        # One bit per requirement of each piece; a piece is tried where all its bits are hit.
        owners: dict[str, int] = {}
        needs: list[int] = []
        bit = 0
        for found in groups:
            need = 0
            for lits in found or ():
                for lit in lits:
                    owners[lit] = owners.get(lit, 0) | 1 << bit
                need |= 1 << bit
                bit += 1
            needs.append(need)
        self.literals = WordSet(owners if self.usable else {}, ordered=True, every=True)
        self.masks = tuple(owners.values())
        self.needs = tuple(needs)
        self.bits = bit
        """How many bits the requirements take: a caller may use higher ones for itself."""
        self._chosen: dict[int, tuple[re.Pattern[str], ...]] = {}
        self._owners: dict[str, int] | None = None

    def __getstate__(self) -> dict[str, object]:
        state = dict(self.__dict__)
        state["_chosen"], state["_owners"] = {}, None  # made again on use
        return state

    def matches(self, text: str) -> list[re.Match[str]]:
        """Every match of the whole alternation in ``text``, in order, as ``finditer``."""
        mask = 0
        masks = self.masks
        for _, _, i in self.literals.occurrences(text):
            mask |= masks[i]
        return self.matches_given(text, mask)

    def owners(self) -> dict[str, int]:
        """Each required string with the bits of the requirements it meets."""
        owners = self._owners
        if owners is None:
            owners = self._owners = dict(zip(self.literals.words, self.masks, strict=True))
        return owners

    def matches_given(self, text: str, mask: int) -> list[re.Match[str]]:
        """:meth:`matches`, told the requirements met in ``text`` (the bits of
        :meth:`owners` of the strings that occur in it, or'ed; more bits are ignored)."""
        chosen = self._chosen.get(mask)
        if chosen is None:
            chosen = tuple(
                rx for rx, need in zip(self.regexes, self.needs, strict=True) if mask & need == need
            )
            if len(self._chosen) < 4096:
                self._chosen[mask] = chosen
        if not chosen:
            return []
        if len(chosen) == 1:
            return list(chosen[0].finditer(text))
        nexts = [rx.search(text) for rx in chosen]
        found: list[re.Match[str]] = []
        pos = 0
        while True:
            best = None
            for k, m in enumerate(nexts):
                if m is not None and m.start() < pos:
                    m = nexts[k] = chosen[k].search(text, pos)
                if m is not None and (best is None or m.start() < best.start()):
                    best = m
            if best is None:
                return found
            found.append(best)
            pos = best.end()

    def spans(self, text: str) -> list[tuple[int, int]]:
        """``(start, end)`` of every match of the whole alternation in ``text``."""
        return [m.span() for m in self.matches(text)]


@lru_cache(maxsize=8192)
def _compiled(piece: str) -> re.Pattern[str]:
    """A piece compiled (once per process: the same templates recur in many cue matchers,
    and ``re``'s own cache holds 512)."""
    return re.compile(with_first_lookahead(piece))


@lru_cache(maxsize=8192)
def _groupless(pattern: str) -> bool:
    """Whether ``pattern`` compiles with no capturing group (then its matches are told by
    their spans alone, and it may be split into its alternatives)."""
    try:
        return re.compile(pattern).groups == 0
    except re.error:
        return False
