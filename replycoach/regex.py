"""Rule regexes that cannot hang the engine.

Patterns run on Python's ``re``, except those in which :func:`backtracking` finds a shape
that makes a backtracking engine take exponential or polynomial time. Those run on RE2
(``google-re2``, linear time whatever the input) when RE2 means the same by them: no
look-around or back-references (RE2 has none), and no ``\\d \\w \\s \\b`` (RE2's are
ASCII-only; and under RE2 ``$`` matches only at the very end). A slow-shaped pattern RE2
cannot run is refused at load. The shapes:

- a repetition whose body can end with an unbounded repetition of what the body can
  start with: ``(a+)+``, ``(\\d+\\s?)*``;
- a repetition of alternatives that can start with the same character: ``(a|ab)*``;
- a repetition of something that can match the empty string: ``(a?)*``;
- two unbounded repetitions of overlapping characters with nothing required between them
  and something that can fail after them: ``\\s*:?\\s*x``.

``replycoach test-rules`` reports these shapes for every pattern, as they make a rule slow
on any engine but RE2.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from typing import Any

try:  # Python 3.11+; before, the same modules were top-level (and are deprecated since)
    sre_c: Any = importlib.import_module("re._constants")
    sre_parse: Any = importlib.import_module("re._parser")
except ImportError:  # pragma: no cover - Python 3.10
    sre_c = importlib.import_module("sre_constants")
    sre_parse = importlib.import_module("sre_parse")

_UNBOUNDED = sre_c.MAXREPEAT
_REPEATS = {sre_c.MAX_REPEAT, sre_c.MIN_REPEAT, getattr(sre_c, "POSSESSIVE_REPEAT", None)}
_ASSERTS = {sre_c.ASSERT, sre_c.ASSERT_NOT}
_PROBES = "a0 _\n中.-A9z:,@x"
"""Characters tried, with every literal of the pattern, to tell whether two sets overlap."""


class _Re2Match:
    """A match of an RE2 pattern, answering ``span``/``group`` by group name too."""

    __slots__ = ("_m", "_names")

    def __init__(self, m: Any, names: dict[str, int]) -> None:
        self._m, self._names = m, names

    def _index(self, group: int | str) -> int:
        return self._names[group] if isinstance(group, str) else group

    def span(self, group: int | str = 0) -> tuple[int, int]:
        start, end = self._m.span(self._index(group))
        return int(start), int(end)

    def start(self, group: int | str = 0) -> int:
        return int(self._m.start(self._index(group)))

    def end(self, group: int | str = 0) -> int:
        return int(self._m.end(self._index(group)))

    def group(self, group: int | str = 0) -> str | None:
        value = self._m.group(self._index(group))
        return None if value is None else str(value)


class _Re2Pattern:
    """The part of ``re.Pattern`` the rule kinds use, run by RE2."""

    engine = "re2"

    def __init__(self, compiled: Any, pattern: str) -> None:
        self._r = compiled
        self.pattern = pattern
        self.groupindex: dict[str, int] = dict(compiled.groupindex)

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return compile_regex, (self.pattern,)  # for the compiled-rule cache (pickle)

    def search(self, text: str, pos: int = 0) -> _Re2Match | None:
        m = self._r.search(text, pos)
        return None if m is None else _Re2Match(m, self.groupindex)

    def finditer(self, text: str) -> Iterator[_Re2Match]:
        for m in self._r.finditer(text):
            yield _Re2Match(m, self.groupindex)


def _re2_options() -> Any:
    import re2

    options = re2.Options()
    options.log_errors = False
    return options


def _walk(items: Any) -> Iterator[tuple[Any, Any]]:
    for op, av in items:
        yield op, av
        if op in _REPEATS:
            yield from _walk(av[2])
        elif op == sre_c.SUBPATTERN:
            yield from _walk(av[-1])
        elif op == sre_c.BRANCH:
            for branch in av[1]:
                yield from _walk(branch)
        elif op in _ASSERTS:
            yield from _walk(av[1])
        elif op == getattr(sre_c, "ATOMIC_GROUP", None):
            yield from _walk(av)


def _same_in_re2(parsed: Any) -> bool:
    for op, av in _walk(parsed):
        if op == sre_c.CATEGORY or (op == sre_c.IN and any(o == sre_c.CATEGORY for o, _ in av)):
            return False  # \d \w \s: Unicode in re, ASCII in RE2
        if op == sre_c.AT and av in (sre_c.AT_BOUNDARY, sre_c.AT_NON_BOUNDARY):
            return False  # \b \B: ASCII in RE2
    return True


@lru_cache(maxsize=1024)
def compile_regex(pattern: str) -> Any:
    """``pattern`` compiled by ``re``, or by RE2 when :func:`backtracking` finds a slow
    shape in it and RE2 means the same by it. (RE2's Python binding costs a few
    microseconds a call, so the patterns that are safe on ``re`` stay there.)

    >>> compile_regex("(a+)+x").engine, compile_regex("(?<!b)a").pattern
    ('re2', '(?<!b)a')
    """
    if backtracking(pattern) is None:
        return re.compile(pattern)
    try:
        import re2
    except ImportError:  # pragma: no cover - google-re2 is a dependency
        return re.compile(pattern)
    if _same_in_re2(sre_parse.parse(pattern)):
        try:
            return _Re2Pattern(re2.compile(pattern, _re2_options()), pattern)
        except Exception:  # re2.error, or a pattern RE2 refuses (too big, \u escapes)
            pass
    return re.compile(pattern)


def runs_linear(pattern: str) -> bool:
    """Whether ``pattern`` runs on RE2 (linear time); only patterns with a slow shape do."""
    return getattr(compile_regex(pattern), "engine", "re") == "re2"


# ------------------------------------------------------------------- backtracking shapes

Test = Callable[[str], bool]


def _char_test(op: Any, av: Any) -> Test | None:
    """What one character-consuming item accepts; None if it consumes no character."""
    if op == sre_c.LITERAL:
        return chr(av).__eq__
    if op == sre_c.NOT_LITERAL:
        return chr(av).__ne__
    if op == sre_c.ANY:
        return lambda ch: ch != "\n"
    if op == sre_c.IN:
        probe = re.compile(_unparse_in(av))
        return lambda ch: probe.fullmatch(ch) is not None
    return None


def _unparse_in(items: Any) -> str:
    out = []
    negate = False
    for op, av in items:
        if op == sre_c.NEGATE:
            negate = True
        elif op == sre_c.LITERAL:
            out.append(re.escape(chr(av)))
        elif op == sre_c.RANGE:
            out.append(f"{re.escape(chr(av[0]))}-{re.escape(chr(av[1]))}")
        elif op == sre_c.CATEGORY:
            out.append(
                {
                    sre_c.CATEGORY_DIGIT: r"\d",
                    sre_c.CATEGORY_NOT_DIGIT: r"\D",
                    sre_c.CATEGORY_SPACE: r"\s",
                    sre_c.CATEGORY_NOT_SPACE: r"\S",
                    sre_c.CATEGORY_WORD: r"\w",
                    sre_c.CATEGORY_NOT_WORD: r"\W",
                }.get(av, r"\s\S")
            )
    return "[" + ("^" if negate else "") + "".join(out) + "]"


def _first(items: Sequence[Any]) -> tuple[list[Test], bool]:
    """Tests for the characters a sequence can start with, and whether it can be empty."""
    tests: list[Test] = []
    for op, av in items:
        own, nullable = _first_item(op, av)
        tests += own
        if not nullable:
            return tests, False
    return tests, True


def _first_item(op: Any, av: Any) -> tuple[list[Test], bool]:
    test = _char_test(op, av)
    if test is not None:
        return [test], False
    if op in _REPEATS:
        tests, nullable = _first(av[2])
        return tests, nullable or av[0] == 0
    if op == sre_c.SUBPATTERN:
        return _first(av[-1])
    if op == sre_c.BRANCH:
        tests, nullable = [], False
        for branch in av[1]:
            t, n = _first(branch)
            tests += t
            nullable = nullable or n
        return tests, nullable
    if op == getattr(sre_c, "ATOMIC_GROUP", None):
        return _first(av)
    return [], True  # assertions, anchors, group references: treated as empty


def _can_fail(items: Sequence[Any]) -> bool:
    """Whether a sequence can fail to match (something required, or an assertion)."""
    for op, av in items:
        if op in _ASSERTS or op == sre_c.AT or op == sre_c.GROUPREF:
            return True
        if not _first_item(op, av)[1]:
            return True
    return False


def _overlap(a: list[Test], b: list[Test], probes: str) -> bool:
    return any(any(t(ch) for t in a) and any(t(ch) for t in b) for ch in probes)


def _tail_starts(items: Sequence[Any]) -> Iterator[list[Test]]:
    """What the variable-length pieces that can end the sequence start with: optional or
    repeated items after its last required one, and that one if it repeats."""
    for i in range(len(items) - 1, -1, -1):
        op, av = items[i]
        nullable = _first_item(op, av)[1]
        if op in _REPEATS:
            if av[1] != av[0]:  # a variable count: the body can be given back
                yield _first(av[2])[0]
            yield from _tail_starts(av[2])
        elif op == sre_c.SUBPATTERN:
            yield from _tail_starts(av[-1])
        elif op == sre_c.BRANCH:
            for branch in av[1]:
                if not branch:
                    continue
                if any(not b for b in av[1]):
                    yield _first(branch)[0]  # an optional alternative
                yield from _tail_starts(branch)
        if not nullable:
            return


def backtracking(pattern: str) -> str | None:
    """Why ``pattern`` may backtrack catastrophically on a backtracking engine, or None.

    >>> backtracking("(a+)+$")
    'nested repetition: (a+)+ can split the same text in exponentially many ways'
    >>> backtracking(r"[A-Za-z0-9.]+@[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)*") is None
    True
    """
    try:
        parsed = sre_parse.parse(pattern)
    except (re.error, RecursionError, OverflowError):
        return None  # reported as not a valid regex elsewhere
    probes = _PROBES + "".join(
        {chr(av) for op, av in _walk(parsed) if op in (sre_c.LITERAL, sre_c.NOT_LITERAL)}
    )
    return _scan(list(parsed), probes, pattern)


def _scan(items: list[Any], probes: str, pattern: str) -> str | None:
    for i, (op, av) in enumerate(items):
        if op in _REPEATS and av[1] == _UNBOUNDED:
            body = list(av[2])
            starts, empty = _first(body)
            if empty:
                return "a repetition of something that can be empty"
            for tail in _tail_starts(body):
                if _overlap(tail, starts, probes):
                    return (
                        f"nested repetition: {_shown(pattern)} can split the same text "
                        "in exponentially many ways"
                    )
            if len(body) == 1 and body[0][0] == sre_c.SUBPATTERN:
                body = list(body[0][1][-1])
            if len(body) == 1 and body[0][0] == sre_c.BRANCH:
                branches = [_first(b)[0] for b in body[0][1][1]]
                for x in range(len(branches)):
                    for y in range(x + 1, len(branches)):
                        if _overlap(branches[x], branches[y], probes):
                            return "a repetition of alternatives that can start alike"
            # an unbounded repetition, then (past optional items) another of the same
            # characters, and something that can fail after: polynomial time
            own = _first(body)[0]
            for j in range(i + 1, len(items)):
                op2, av2 = items[j]
                if op2 in _REPEATS and av2[1] == _UNBOUNDED:
                    if _overlap(own, _first(av2[2])[0], probes) and _can_fail(items[j + 1 :]):
                        return (
                            "two repetitions of the same characters in a row, then "
                            "something that can fail"
                        )
                    break
                if not _first_item(op2, av2)[1]:
                    break
        nested: list[list[Any]] = []
        if op in _REPEATS:
            nested = [list(av[2])]
        elif op == sre_c.SUBPATTERN:
            nested = [list(av[-1])]
        elif op == sre_c.BRANCH:
            nested = [list(b) for b in av[1]]
        elif op in _ASSERTS:
            nested = [list(av[1])]
        for sub in nested:
            found = _scan(sub, probes, pattern)
            if found:
                return found
    return None


def _shown(pattern: str) -> str:
    m = re.search(r"\([^()]*\)[+*]|\([^()]*\)\{\d*,\}", pattern)
    return m.group() if m else pattern[:40]
