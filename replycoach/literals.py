"""Strings a regular expression cannot match without: the trigger words of pattern rules.

``required_literals(pattern)`` reads the expression's syntax tree and returns a set of
strings such that every match of the pattern contains at least one of them (or has it
right beside it, in a lookahead or lookbehind: a text the pattern matches in always
contains one of them), or ``None``
when no such set can be told (a wildcard, a case-insensitive flag, too many strings). The
engine then skips the rule for a reply that contains none of them, as it does for phrase
rules. Conservative by construction: an unknown node means "no requirement".

>>> sorted(required_literals("不(?:归|是)(?:我们|我)管"))
['不归我们管', '不归我管', '不是我们管', '不是我管']
>>> sorted(required_literals("(?:电话|手机)[:：]?[0-9]{11}"))
['手机', '电话']
>>> required_literals("[^0-9]+[a-z]{3}") is None
True
>>> sorted(required_literals("(?:(?<=卡号)|(?<=账号))[0-9]{16}"))
['卡号', '账号']
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

_LIMIT = 128
"""Most strings a concatenation may give; beyond that a run of literals is cut."""
_UNION_LIMIT = 1024
"""Most strings the alternatives of a choice may give together; beyond that: no requirement."""

_parser: Any = importlib.import_module("re._parser" if hasattr(re, "_parser") else "sre_parse")
_c: Any = importlib.import_module("re._constants" if hasattr(re, "_constants") else "sre_constants")

_REPEATS = {
    _c.MAX_REPEAT,
    _c.MIN_REPEAT,
    *([_c.POSSESSIVE_REPEAT] if hasattr(_c, "POSSESSIVE_REPEAT") else []),
}
_ZERO_WIDTH = {_c.AT, _c.ASSERT, _c.ASSERT_NOT}

Strings = frozenset[str]


class _Unknown(Exception):
    """The expression uses something this reader does not follow (e.g. ignore-case)."""


def _product(a: Strings, b: Strings) -> Strings | None:
    if len(a) * len(b) > _LIMIT:
        return None
    return frozenset(x + y for x in a for y in b)


def _minimal(strings: Strings) -> Strings:
    """``strings`` without those that contain another of them (a text holding 卡号 holds
    卡: {卡, 卡号, 卡上} asks no more than {卡})."""
    if len(strings) < 2:
        return strings
    return frozenset(s for s in strings if not _holds_one(s, strings, proper=True))


def _holds_one(s: str, strings: Strings, proper: bool = False) -> bool:
    """Whether ``s`` contains one of ``strings`` (other than itself when ``proper``), told
    by looking its substrings up: linear in the set, not quadratic."""
    size = len(s)
    return any(
        s[i:j] in strings
        for i in range(size)
        for j in range(i + 1, size + 1)
        if not (proper and j - i == size)
    )


def _best(candidates: list[Strings]) -> Strings | None:
    """The most selective requirement: longest shortest string, then fewest strings."""
    usable = [_minimal(c) for c in candidates if c and "" not in c]
    if not usable:
        return None
    return max(usable, key=lambda c: (min(map(len, c)), -len(c)))


def _node(op: Any, av: Any) -> tuple[Strings | None, Strings | None]:
    """(exact, required): the strings the node matches exactly (if a small finite set) and
    strings one of which each of its matches contains (if known)."""
    if op == _c.LITERAL:
        s = frozenset({chr(av)})
        return s, s
    if op == _c.IN:
        chars: set[str] = set()
        for item_op, item_av in av:
            if item_op == _c.LITERAL:
                chars.add(chr(item_av))
            elif item_op == _c.RANGE and item_av[1] - item_av[0] < 16:
                chars.update(chr(c) for c in range(item_av[0], item_av[1] + 1))
            else:
                return None, None  # NEGATE, CATEGORY, wide ranges
        s = frozenset(chars)
        return (s, s) if len(s) <= _LIMIT else (None, None)
    if op == _c.SUBPATTERN:
        add_flags = av[1]
        if add_flags & re.IGNORECASE:
            raise _Unknown
        return _sequence(av[3])
    if op == _c.BRANCH:
        results = [_sequence(branch) for branch in av[1]]
        exact: Strings | None = None
        if all(e is not None for e, _ in results):
            union = frozenset().union(*(e for e, _ in results if e is not None))
            exact = union if len(union) <= _LIMIT else None
        required: Strings | None = None
        if all(r is not None for _, r in results):
            union = frozenset().union(*(r for _, r in results if r is not None))
            required = union if len(union) <= _UNION_LIMIT else None
        return exact, required
    if op in _REPEATS:
        low, high, inner = av
        exact_inner, required_inner = _sequence(inner)
        if low == 0:
            if high == 1 and exact_inner is not None:
                return exact_inner | {""}, None
            return None, None
        if low == high == 1:
            return exact_inner, required_inner
        return None, required_inner
    if op == _c.ASSERT:
        # A lookahead or lookbehind consumes nothing, but what it asserts is in the text.
        return frozenset({""}), _sequence(av[1])[1]
    if op in _ZERO_WIDTH:
        return frozenset({""}), None  # anchors and negative lookarounds consume no text
    return None, None


def _sequence(items: Any) -> tuple[Strings | None, Strings | None]:
    whole, candidates = _requirements(items)
    return whole, _best(candidates)


def _requirements(items: Any) -> tuple[Strings | None, list[Strings]]:
    """(exact strings of the whole sequence if a small finite set, every requirement:
    each a set of strings one of which each match contains; all of them hold at once)."""
    candidates: list[Strings] = []
    run: Strings | None = frozenset({""})  # exact strings of the current run of exact nodes
    whole: Strings | None = frozenset({""})
    for op, av in items:
        if op == _c.SUBPATTERN and av[1] & re.IGNORECASE:
            raise _Unknown
        exact, required = _node(op, av)
        if required is not None:
            candidates.append(required)
        if exact is None:
            if run is not None:
                candidates.append(run)
            run = frozenset({""})
            whole = None
            continue
        joined = _product(run, exact) if run is not None else None
        if joined is None:
            if run is not None:
                candidates.append(run)
            run = exact
        else:
            run = joined
        whole = _product(whole, exact) if whole is not None else None
    if run is not None:
        candidates.append(run)
    return whole, candidates


@lru_cache(maxsize=8192)  # the same templates recur in many cue matchers
def required_literals(pattern: str, *, lower_text: bool = False) -> frozenset[str] | None:
    """Strings one of which every match of ``pattern`` contains, or ``None``.

    ``lower_text``: the pattern is searched in lower-case text only (the evasion view), so
    a case-insensitive pattern's strings are told in lower case; only ASCII letters count
    as cased there (other cased letters: ``None``).

    >>> sorted(required_literals("(?i)(?:VX|QQ)号", lower_text=True))
    ['qq号', 'vx号']
    """
    try:
        parsed = _parser.parse(pattern)
        ignore_case = bool(parsed.state.flags & re.IGNORECASE)
        if ignore_case and not lower_text:
            return None
        _, required = _sequence(list(parsed))
    except (_Unknown, re.error, RecursionError):
        return None
    if not ignore_case or required is None:
        return required
    if any(c.lower() != c.upper() and not c.isascii() for s in required for c in s):
        return None
    return _minimal(frozenset(s.lower() for s in required))


_GROUPS = 3
"""Most requirements :func:`required_groups` gives (the most selective ones)."""


@lru_cache(maxsize=8192)  # the same templates recur in many cue matchers
def required_groups(pattern: str) -> tuple[frozenset[str], ...] | None:
    """Sets of strings such that every match of ``pattern`` contains one string of each
    set: all of them at once (``required_literals`` gives the most selective one alone).
    ``None`` when not even one can be told. The first is :func:`required_literals`'.

    >>> [sorted(g) for g in required_groups("(?:快递|物流)[^，]{0,4}(?:问题|责任)")]
    [['快递', '物流'], ['责任', '问题']]
    """
    best = required_literals(pattern)
    if best is None:
        return None
    try:
        parsed = _parser.parse(pattern)
        if parsed.state.flags & re.IGNORECASE:
            return (best,)
        _, found = _requirements(list(parsed))
    except (_Unknown, re.error, RecursionError):
        return (best,)
    groups = [best]
    for group in sorted(
        (_minimal(c) for c in found if c and "" not in c),
        key=lambda c: (-min(map(len, c)), len(c), sorted(c)),
    ):
        # a requirement that one already kept implies adds nothing (every string of the
        # kept one holds a string of it: {快递的问题} implies {问题, 责任})
        if any(all(_holds_one(s, group) for s in kept) for kept in groups):
            continue
        groups.append(group)
        if len(groups) == _GROUPS:
            break
    return tuple(groups)


@lru_cache(maxsize=8192)  # the same templates recur in many cue matchers
def top_branches(pattern: str) -> list[str]:
    """The alternatives of ``pattern`` at its top level (``a|b(?:c|d)`` → ``a``,
    ``b(?:c|d)``), a whole ``(?:…)`` around it unwrapped first; ``[pattern]`` when it has
    none or uses global flags. Matching the alternatives in order, the earlier on a tie, is
    matching the pattern.

    >>> top_branches("(?:是(?:快递|物流)的问题|怪[你您])")
    ['是(?:快递|物流)的问题', '怪[你您]']
    """
    if pattern.startswith("(?") and not pattern.startswith(("(?:", "(?=", "(?!", "(?<")):
        return [pattern]  # global flags
    while pattern.startswith("(?:") and _closing(pattern) == len(pattern) - 1:
        pattern = pattern[3:-1]
    pieces, start = [], 0
    for i, c, depth in _syntax(pattern):
        if c == "|" and depth == 0:
            pieces.append(pattern[start:i])
            start = i + 1
    pieces.append(pattern[start:])
    try:
        for piece in pieces:
            re.compile(piece)
    except re.error:
        return [pattern]
    return pieces


def _closing(pattern: str) -> int:
    """Index of the parenthesis that closes the one ``pattern`` starts with (-1 if none)."""
    for i, c, depth in _syntax(pattern):
        if c == ")" and depth == 0:
            return i
    return -1


def _syntax(pattern: str) -> Iterator[tuple[int, str, int]]:
    """``(index, character, depth)`` of each parenthesis and ``|`` of ``pattern`` outside
    character classes and escapes (depth: of the parentheses, after the character)."""
    depth, i, in_class = 0, 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
            if pattern[i + 1 : i + 2] == "^":
                i += 1
            if pattern[i + 1 : i + 2] == "]":
                i += 1  # a leading ] is a character of the class
        elif c in "()|":
            depth += {"(": 1, ")": -1, "|": 0}[c]
            yield i, c, depth
        i += 1


_FIRST_LIMIT = 256
"""Most characters a pattern's first-character set may hold to be worth a lookahead."""


def _first(items: Any) -> tuple[frozenset[str], bool]:
    """(characters a match of the sequence may start with, whether it may be empty)."""
    chars: set[str] = set()
    for op, av in items:
        if op == _c.LITERAL:
            return frozenset(chars | {chr(av)}), False
        if op == _c.IN:
            node, _ = _node(op, av)
            if node is None:
                raise _Unknown
            return frozenset(chars | node), False
        if op in _ZERO_WIDTH:
            continue  # anchors and lookarounds: the next item starts the match
        if op == _c.SUBPATTERN:
            if av[1] & re.IGNORECASE:
                raise _Unknown
            inner, empty = _first(av[3])
        elif op == _c.BRANCH:
            firsts = [_first(branch) for branch in av[1]]
            inner = frozenset().union(*(f for f, _ in firsts))
            empty = any(e for _, e in firsts)
        elif op in _REPEATS:
            low, _, sub = av
            inner, empty = _first(sub)
            empty = empty or low == 0
        else:
            raise _Unknown  # any character, a category, a group reference…
        chars |= inner
        if len(chars) > _FIRST_LIMIT:
            raise _Unknown
        if not empty:
            return frozenset(chars), False
    return frozenset(chars), True


@lru_cache(maxsize=8192)  # the same templates recur in many cue matchers
def with_first_lookahead(pattern: str) -> str:
    """``pattern`` led by a lookahead of the characters its matches can start with, when
    ``re`` cannot skip ahead on its own: the pattern starts with an optional part, a
    lookaround or alternatives that do not all start with a plain character (``re`` skips
    ahead only on a leading literal or character class). The matches are the same; trying
    a position that cannot start one costs one character test instead of every branch.

    >>> with_first_lookahead("(?:这个|这)?是快递的问题")
    '(?=[是这])(?:(?:这个|这)?是快递的问题)'
    >>> with_first_lookahead("快递(?:的)?问题")
    '快递(?:的)?问题'
    """
    try:
        parsed = _parser.parse(pattern)
        if parsed.state.flags & ~re.UNICODE:
            return pattern  # global flags must lead the pattern
        items = list(parsed)
        if not items or not _needs_lookahead(items[0]):
            return pattern
        chars, empty = _first(items)
    except (_Unknown, re.error, RecursionError):
        return pattern
    if empty or not chars:
        return pattern
    body = "".join(re.escape(c) for c in sorted(chars))
    return f"(?=[{body}])(?:{pattern})"


def _needs_lookahead(item: Any) -> bool:
    """Whether ``re`` finds no prefix or first-character set to skip ahead on."""
    op, av = item
    if op in (_c.LITERAL, _c.IN):
        return False
    if op == _c.SUBPATTERN:
        inner = list(av[3])
        return not inner or _needs_lookahead(inner[0])
    if op == _c.BRANCH:
        return not all(branch and branch[0][0] == _c.LITERAL for branch in av[1])
    return True
