"""Cue sets, templates and context guards: the parts of the rule language that say what a
reply *means* rather than which strings it holds.

- A **cue set** is a named, reusable set of phrases and templates (``apology``, ``refusal``,
  ``hedge``…), defined once in YAML (``rules/cues/*.yaml`` for the default pack, or under
  ``cues:`` in a team's rule file) and referenced from any condition as ``"@name"``.
- A **template** is a regular expression over the normalised text with named slots:
  ``(?:不能|无法|没法){verb}`` or ``{verb}不了`` holds for any verb, so no verb is listed.
  Slots: see :data:`SLOTS`; a pack declares its own (``{party}``) under ``slots:``.
- A **context guard** drops a match that stands inside a conditional (如果…, …的话), a
  question (…吗, 能不能), after the customer as subject (您取消不了), after a negation
  (无法保证) or after a request or purpose (请保证, 为了保证). A cue set or a rule declares
  the guards once, in ``not_in``, and they apply to every phrase and template.

The model is LanguageTool's pattern rules (a token pattern, its ``<antipattern>``s and an
``<exception scope="previous">``) and Vale's ``sequence`` check, cut down to what Chinese
service replies need.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping, Sequence, Set
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

from .alternation import Alternation
from .literals import required_literals
from .normalize import Evasion as EvasionView
from .normalize import fold_text, merge_spans, normalize
from .rulecache import lazy_compile

if TYPE_CHECKING:
    from .loader import CueSet, Evasion


Guard = Literal["conditional", "if-clause", "question", "customer", "other", "negated", "request"]
"""Contexts in which a match does not count:

- ``conditional``: 如果/要是/假如/万一/一旦… earlier in the clause or the clause before,
  or …的话 around it (如果改不了, 改不了的话, 否则没办法查询, 没有的话是无法延迟的);
- ``if-clause``: narrower, only the if-clause itself (如果不清楚尺码…), not its consequence
  (如果是换新的话，应该会冻结 is still a guess) nor a threat (否则我就差评了);
- ``question``: the clause is a question (…吗, …？, 能不能, 是不是, 是否, 请问);
- ``customer``: the customer is the subject right before it (您取消不了, 你不知道);
- ``other``: someone else than the agent is the subject right before it (配送员都不知道);
- ``negated``: a negation right before it (无法保证, 不一定, 没办法给您保证);
- ``request``: a request or a purpose right before it (请保证, 为了保证, 务必保证).
"""

GUARDS: tuple[str, ...] = (
    "conditional",
    "if-clause",
    "question",
    "customer",
    "other",
    "negated",
    "request",
)

CUE_PREFIX = "@"
"""How a rule names a cue set among its phrases: ``"@refusal"``."""

_HAN = "\u4e00-\u9fff"
_PARTICLES = "的了吗呢吧啊哦呀哈啦嘛么哟噢喔哇咯呐"
_EMOJI_CODE = r"\[(?![数订电邮地姓金链站])[^\[\]\n]{1,6}\]"  # [微笑], not the corpus's [数字x]
SLOTS: dict[str, str] = {
    "verb": f"[{_HAN}](?<![{_PARTICLES}是很太也都就还才又再])",
    "han": f"[{_HAN}]",
    "num": "[0-9零一二两三四五六七八九十百千万几半]+",
    "gap": r"[^，,。！!？?；;：:\n \t~～…]{0,8}?",
    "end": rf"(?=[{_PARTICLES}亲～~哒滴嘞呗咧]*(?:$|[，,。.！!？?；;：:\n \t~～…]|{_EMOJI_CODE}))",
}
"""Template slots: ``{verb}`` a Chinese character that is not a particle or an adverb
(the verb after 不能, before 不了); ``{han}`` any Chinese character; ``{num}`` a number;
``{gap}`` up to eight characters within the clause; ``{end}`` the end of the clause, after
any sentence-final particles (不可以的哦。, 不支持哒); an emoji code such as ``[微笑]`` ends a
clause too (not the source's anonymisation tokens, ``[数字x]``)."""

SLOT_HELP: dict[str, str] = {
    "verb": "a Chinese character that is not a particle or an adverb (the verb after 不能, "
    "before 不了)",
    "han": "any Chinese character",
    "num": "a number (digits, 一二三…, 几, 半)",
    "gap": "up to eight characters within the clause",
    "end": "the end of the clause, after any sentence-final particles (不可以的哦。), or before "
    "an emoji code (不支持哈[抱拳])",
}
"""What each built-in slot stands for, for the rule reference."""

_SLOT = re.compile(r"\{([a-z_]+)\}")

SLOT_NAME = r"^[a-z][a-z_]*$"
"""How a slot's name is written (a pack declares its own under ``slots:``)."""

_UNRESOLVED = "\\x00"
"""Stands for a pack's slot while a template is checked before the pack's slots are known."""


def slot_pattern(phrases: Sequence[str] = (), pattern: str | None = None) -> str:
    """The regular expression of a pack's slot: its phrases as one alternation (longest
    first, as a phrase list matches; their characters literal) and its ``pattern``, whose
    built-in slots are expanded.

    >>> slot_pattern(["快递", "快递员", "物流"])
    '快递员|快递|物流'
    >>> slot_pattern(["厂家"], "[a-z]+厂")
    '厂家|(?:[a-z]+厂)'
    """
    words = sorted(dict.fromkeys(phrases), key=lambda w: (-len(w), w))
    pieces = [re.escape(w) for w in words]
    if pattern is not None:
        pieces.append("(?:" + expand_template(pattern) + ")")
    return "|".join(pieces)


def slot_names(template: str) -> list[str]:
    """The slots a template names (``{party}的问题`` → ``['party']``), built-in ones too."""
    return _SLOT.findall(template)


def expand_template(template: str, slots: Mapping[str, str] | None = None) -> str:
    """The regular expression of a template: each ``{slot}`` replaced by its pattern, from
    :data:`SLOTS` or ``slots`` (a pack's own: name → regular expression).

    >>> expand_template("{verb}不了")[-2:]
    '不了'
    >>> expand_template("{party}的锅", {"party": "快递|物流"})
    '(?:快递|物流)的锅'
    """
    extra = slots or {}

    def slot(m: re.Match[str]) -> str:
        name = m.group(1)
        if name in SLOTS:
            return "(?:" + SLOTS[name] + ")"
        if name in extra:
            return "(?:" + extra[name] + ")"
        known = ", ".join(f"{{{n}}}" for n in [*SLOTS, *sorted(extra)])
        raise ValueError(f"unknown slot {{{name}}}; slots are {known}")

    return _SLOT.sub(slot, template)


def fill_slots(template: str, slots: Mapping[str, str]) -> str:
    """``template`` with the pack's ``slots`` put in, the built-in slots left as they are
    (the matcher treats a template led by ``{verb}`` specially)."""
    if not slots:
        return template
    return _SLOT.sub(
        lambda m: "(?:" + slots[m.group(1)] + ")" if m.group(1) in slots else m.group(0),
        template,
    )


def check_template(template: str, slots: Mapping[str, str] | None = None) -> None:
    """Raise ValueError unless ``template`` is a usable template (an unknown slot, a pattern
    that does not compile, a match of the empty string). ``slots``: the pack's own slots
    (name → regular expression); ``None`` while they are not known yet (then a slot that is
    not built in is checked again once they are)."""
    if not template:
        raise ValueError("a template must not be empty")
    deferred = False
    if slots is None:
        names = [n for n in slot_names(template) if n not in SLOTS]
        deferred = bool(names)
        slots = dict.fromkeys(names, _UNRESOLVED)
    pattern = expand_template(template, slots)
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"template {template!r} is not a valid pattern: {exc}") from None
    if not deferred and compiled.match(""):
        raise ValueError(f"template {template!r} matches the empty string")


# ---------------------------------------------------------------- context guards

_CLAUSE_BREAKS = "，,。！!？?；;：:\n\t ~～…、/"
_SENTENCE_BREAKS = "。！!？?\n~～"
_CONDITIONAL_BEFORE = lazy_compile(
    r"如果|假如|假若|倘若|若是|如若|万一|一旦|即使|即便|就算|哪怕|除非|否则|不然|"
    r"(?<![主需只想还总就不])要是|(?<![主只就])若(?!干)|(?<![有没])如有|如需|如遇|只要"
)
_IF_BEFORE = lazy_compile(
    r"如果|假如|假若|倘若|若是|如若|万一|一旦|即使|即便|就算|哪怕|除非|"
    r"(?<![主需只想还总就不])要是|(?<![主只就])若(?!干)|(?<![有没])如有|如需|如遇|只要"
)
_QUESTION_IN_CLAUSE = lazy_compile(
    r"能不能|是不是|可不可以|可以不|行不行|会不会|有没有|要不要|对不对|好不好|能否|是否|可否|"
    r"请问|为什么|为啥|难道|怎么回事|多少|怎么(?:退|换|弄|处理|申请|操作|用|查|算)"
)
_QUESTION_TAIL = lazy_compile(rf"[^，,。！!；;]*[吗嘛][{_PARTICLES}亲]*")
_QUESTION_WORD = lazy_compile(r"多(?:远|少|久|大|长|重|高)|哪(?!怕)|什么|几(?:天|个|号|点|时)")
_QUESTION_END = lazy_compile(
    rf"(?:[^，,。！!]*[吗么嘛][{_PARTICLES}亲]*|[^{_PARTICLES}]*)?[?？]|[吗嘛][{_PARTICLES}亲]*$"
)
_CUSTOMER_BEFORE = lazy_compile(
    r"(?<![向给为帮跟对和与让替请祝陪谢])(?:您|你|顾客|客户|买家)(?:这边|那边|那里|这里|自己|本人|也|都|还|就|暂时|目前|现在|一直|"
    rf"如果|要是|是不是|是|又|再|可能|应该|肯定|一定|会|如|若)*[{_HAN}]?$"
)
_RHETORICAL = lazy_compile(r"(?:不是|难道)[^，,。！!]*[吗么][?？]?")
_OTHER_BEFORE = lazy_compile(
    r"(?:他|她|它|他们|她们|对方|配送员|快递员|快递公司|快递|物流|师傅|商家|厂家|司机|别人|客户)"
    r"(?:说|讲|反馈|回复|那边)?(?:也|都|还|就|可能)*$"
)
_NEGATED_SCOPE = lazy_compile(
    r"(?:无法|不能|不敢|没法|没办法|很难|难以|不好)[^，,。！!？?]{0,4}(?:保证|肯定|确定|承诺)"
)
_VOW_GOES_ON = "是会能要可不没都也就给让"
_REQUEST_AFTER = lazy_compile(r"完好|齐全|完整|无损|不影响|畅通|干净|未使用|没有使用|正确")
_NEGATED_BEFORE = lazy_compile(
    r"(?:不|没|无|难以|很难|未必|别|并非)(?:能|可以|敢|好|太|大|是|法|办法|有办法|能够|会|要)?(?:有)?"
    r"(?:先|为您|给您|向您|跟您|帮您|对您|和您|给|跟|对)?$"
)
_REQUEST_BEFORE = lazy_compile(
    r"(?:请|务必|必须|需要|需|须|要|得|为了|为(?!您|你)|(?<![可所予难加给])以|以便|并|最好|尽量|记得|确保|用来|用于|才能|才可以)"
    r"(?:您|你|亲|买家)?(?:能|要|一定|尽量|务必|先|都)?$"
)


_BREAK = re.compile("[" + re.escape(_CLAUSE_BREAKS) + "]")


@lru_cache(maxsize=64)
def _breaks(norm: str) -> list[int]:
    """Positions of the clause breaks in ``norm`` (cached: a text's matches share them)."""
    return [m.start() for m in _BREAK.finditer(norm)]


def _clause(norm: str, start: int, end: int) -> tuple[int, int]:
    breaks = _breaks(norm)
    i = bisect_left(breaks, start)
    left = breaks[i - 1] + 1 if i else 0
    j = bisect_left(breaks, end)
    right = breaks[j] if j < len(breaks) else len(norm)
    return left, right


def clause_end(norm: str, at: int) -> int:
    """Where the clause that holds ``norm[at - 1]`` ends (its break, or the end)."""
    breaks = _breaks(norm)
    j = bisect_left(breaks, at)
    return breaks[j] if j < len(breaks) else len(norm)


def _previous_clause_start(norm: str, clause_start: int) -> int:
    """Start of the clause before the one starting at ``clause_start`` (within a sentence)."""
    at = clause_start - 1
    if at < 0 or norm[at] in _SENTENCE_BREAKS:
        return clause_start
    breaks = _breaks(norm)
    i = bisect_left(breaks, at)
    return breaks[i - 1] + 1 if i else 0


def in_context(guard: str, norm: str, start: int, end: int) -> bool:
    """Whether the match ``norm[start:end]`` stands in the context ``guard``.

    >>> in_context("conditional", "如果改不了，您可以拒收", 2, 5)
    True
    >>> in_context("customer", "您取消不了的话我帮您取消", 2, 5)
    True
    >>> in_context("question", "是改不了吗", 1, 4)
    True
    >>> in_context("question", "这个改不了", 2, 5)
    False
    """
    return _in_context(guard, norm, start, end, *_clause(norm, start, end))


def guarded(guards: Sequence[str], norm: str, start: int, end: int) -> bool:
    """Whether the match stands in any of the contexts ``guards``."""
    left, right = _clause(norm, start, end)
    return any(_in_context(g, norm, start, end, left, right) for g in guards)


def _in_context(guard: str, norm: str, start: int, end: int, left: int, right: int) -> bool:
    if guard == "conditional":
        before = _previous_clause_start(norm, left)
        return (
            _CONDITIONAL_BEFORE.search(norm, before, start) is not None
            or "的话" in norm[end : right + 2]
            or "的话" in norm[_previous_clause_start(norm, left) : start]
        )
    if guard == "if-clause":
        return _IF_BEFORE.search(norm, left, start) is not None or "的话" in norm[end : right + 2]
    if guard == "question":
        tail = norm[end : right + 1]
        return (
            _QUESTION_IN_CLAUSE.search(norm, left, right) is not None
            or _QUESTION_END.match(tail) is not None
            or _QUESTION_TAIL.fullmatch(norm, end, right) is not None
            or (
                norm[left:right].rstrip().endswith("呢")
                and _QUESTION_WORD.search(norm, left, right) is not None
            )
        )
    if guard == "customer":
        return _CUSTOMER_BEFORE.search(norm[max(left, start - 14) : start]) is not None
    if guard == "other":
        return _OTHER_BEFORE.search(norm[max(left, start - 8) : start]) is not None
    if guard == "negated":
        if _RHETORICAL.search(norm, left, right):
            return False  # 不是骗人吗: a rhetorical question asserts what it negates
        return (
            _NEGATED_BEFORE.search(norm[max(left, start - 8) : start]) is not None
            or _NEGATED_SCOPE.search(norm, left, end) is not None
        )
    if guard == "request":
        return _REQUEST_BEFORE.search(norm[max(left, start - 8) : start]) is not None or (
            end < len(norm)
            and norm[end] not in _VOW_GOES_ON
            and _REQUEST_AFTER.search(norm, end, right) is not None
        )
    raise ValueError(f"unknown context {guard!r}")


# ---------------------------------------------------------------- matching


_ONE_CHAR_SLOTS = ("verb", "han")


class CueMatcher:
    """Finds the matches of phrases and templates, minus exceptions and guarded contexts.

    Speed: the phrases and the templates that start with a literal share one regex (the
    regex engine skips ahead on their first characters). A template that starts with a
    one-character slot (``{verb}不了``) is matched from its literal part (``不了``) and the
    character before it is tested against the slot, so no regex tries every position."""

    def __init__(
        self,
        phrases: Iterable[str] = (),
        templates: Iterable[str] = (),
        exceptions: Sequence[str] = (),
        not_in: Iterable[str] = (),
        antipatterns: Sequence[CueMatcher] = (),
        evasion: Evasion | None = None,
    ) -> None:
        phrases, templates = list(phrases), list(templates)
        exceptions = [e for e in exceptions if not e.startswith("@")]
        self.antipatterns = tuple(antipatterns)
        self._last: tuple[str | None, list[tuple[int, int]]] = (None, [])
        self._verdicts: tuple[str | None, dict[tuple[int, int], bool]] = (None, {})
        words = sorted({normalize(p) for p in phrases}, key=lambda w: (-len(w), w))
        pieces = [re.escape(w) for w in words]
        led: dict[str, list[str]] = {}
        for template in templates:
            head = _SLOT.match(template)
            if head and head.group(1) in _ONE_CHAR_SLOTS and len(template) > head.end():
                led.setdefault(head.group(1), []).append(
                    normalize(expand_template(template[head.end() :]))
                )
            else:
                pieces.append(normalize(expand_template(template)))
        templates_whole = pieces[len(words) :]
        self.branches = Alternation(
            (["|".join(re.escape(w) for w in words)] if words else []) + templates_whole,
            ([frozenset(words)] if words else []) + [None] * len(templates_whole),
        )
        self.regex = (
            re.compile("|".join(f"(?:{p})" for p in pieces))
            if pieces and not self.branches.usable
            else None
        )
        self.led = [
            (re.compile(SLOTS[slot]), re.compile("|".join(f"(?:{p})" for p in rest)))
            for slot, rest in led.items()
        ]
        self.guards = tuple(dict.fromkeys(not_in))
        self.exceptions = [normalize(e) for e in exceptions]
        self.except_regex = (
            re.compile("|".join(re.escape(e) for e in sorted(self.exceptions, key=len)[::-1]))
            if self.exceptions
            else None
        )
        self.longest_exception = max(map(len, self.exceptions), default=0)
        triggers: set[str] = set(words)
        self.screenable = True
        for template in templates:
            found = required_literals(normalize(expand_template(template)))
            if found is None:
                self.screenable = False
            else:
                triggers |= found
        self.triggers: tuple[str, ...] = tuple(sorted(triggers)) if self.screenable else ()
        # Speed: a prefix tree of the literals every match holds, searched before the full
        # alternation (Python's re tries each alternative, lookarounds and all, at each position)
        self.screen: re.Pattern[str] | None = None
        if self.triggers and all(self.triggers):
            from .words import trie_pattern

            self.screen = re.compile(trie_pattern(self.triggers))
        self._triggered = 1 << (self.branches.bits if self.branches.usable else 0)
        self._primes: dict[str, int] | None = None
        self.evasion: EvasionView | None = None
        if evasion is not None:
            # The phrases as the evasion view shows them, the templates as they are, both
            # matched case-insensitively on the view; not screenable by plain words.
            view = self.evasion = EvasionView(
                evasion.variants, skip=evasion.skip, gap=evasion.gap, screen=evasion.screen
            )
            folded = sorted({view.fold(p) for p in phrases}, key=lambda w: (-len(w), w))
            pieces = [re.escape(w) for w in folded if w]
            pieces += [normalize(expand_template(t)) for t in templates]
            self.view_regex = re.compile("|".join(f"(?:{p})" for p in pieces), re.IGNORECASE)
            self.screenable = False
            self.triggers = ()
            self.screen = None

    def __getstate__(self) -> dict[str, object]:
        state = dict(self.__dict__)
        state["_last"], state["_verdicts"] = (None, []), (None, {})  # per-text: not kept
        state["_primes"] = None  # made again on use (a cached engine loads faster)
        return state

    @property
    def primes(self) -> dict[str, int]:
        """What a caller that looks strings up for several cue sets at once looks up for
        this one (see :meth:`prime`): its triggers (one bit) and every string its
        alternatives require (the requirements' bits below it); empty without a screen."""
        primes = self._primes
        if primes is None:
            primes = {}
            if self.screen is not None:
                primes = dict(self.branches.owners()) if self.branches.usable else {}
                for word in self.triggers:
                    primes[word] = primes.get(word, 0) | self._triggered
            self._primes = primes
        return primes

    def _excepted(self, norm: str, start: int, end: int) -> bool:
        """Whether an exception (antipattern) occurs overlapping the match."""
        rx = self.except_regex
        if rx is None:
            return False
        lo = max(0, start - self.longest_exception + 1)
        hi = min(len(norm), end + self.longest_exception - 1)
        # each position an exception starts at, in order, with the one the alternation
        # takes there (longest first), as ``rx.match`` at every position would find them
        m = rx.search(norm, lo, hi)
        while m is not None and m.start() < end:
            if m.end() > start:
                return True
            m = rx.search(norm, m.start() + 1, hi)
        return False

    def spans_of(self, norm: str, present: Set[str] | None = None) -> list[tuple[int, int]]:
        """Candidate spans in ``norm``, remembered for the last text (an antipattern is asked
        once per match of the cue that names it). ``present``: the strings of
        :attr:`primes` that occur in ``norm`` (all of them), when the caller knows."""
        last = self._last  # one read: safe when threads share the matcher
        if last[0] is not norm:
            if present is None or self.screen is None:
                last = (norm, self._candidates(norm))
            else:
                primes = self.primes
                mask = 0
                for word in present:
                    mask |= primes.get(word, 0)
                last = (norm, self._given(norm, mask))
            self._last = last
        return last[1]

    def prime(self, norm: str, mask: int) -> None:
        """Find and remember the candidates in ``norm``, told which of :attr:`primes`
        occur in it (their bits, or'ed): a caller that looks the strings of several cue
        sets up with one pass (only for a cue set with a screen)."""
        self._last = (norm, self._given(norm, mask))

    def _given(self, norm: str, mask: int) -> list[tuple[int, int]]:
        if not mask & self._triggered:
            return []
        if self.branches.usable:
            spans = [m.span() for m in self.branches.matches_given(norm, mask)]
        elif self.regex is not None:
            spans = [m.span() for m in self.regex.finditer(norm)]
        else:
            spans = []
        return self._with_led(norm, spans)

    def _candidates(self, norm: str) -> list[tuple[int, int]]:
        if self.screen is not None and self.screen.search(norm) is None:
            return []
        if self.branches.usable:
            spans = self.branches.spans(norm)
        elif self.regex is not None:
            spans = [m.span() for m in self.regex.finditer(norm)]
        else:
            spans = []
        return self._with_led(norm, spans)

    def _with_led(self, norm: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """``spans`` with the matches of the templates led by a one-character slot."""
        if not self.led:
            return spans
        for slot, rest in self.led:
            for m in rest.finditer(norm):
                if m.start() > 0 and slot.fullmatch(norm, m.start() - 1, m.start()):
                    spans.append((m.start() - 1, m.end()))
        if len(spans) > 1:
            spans.sort(key=lambda s: (s[0], -s[1]))
            kept: list[tuple[int, int]] = []
            for span in spans:
                if not kept or span[0] >= kept[-1][1]:
                    kept.append(span)
            spans = kept
        return spans

    def _accept(self, norm: str, start: int, end: int) -> bool:
        if start == end:
            return False
        if self.except_regex is not None and self._excepted(norm, start, end):
            return False
        if self.antipatterns and overlaps_any(self.antipatterns, norm, start, end):
            return False
        return not (self.guards and guarded(self.guards, norm, start, end))

    def accepted(self, norm: str) -> Iterator[tuple[int, int]]:
        """The accepted matches in ``norm`` (normalised text), one by one; with evasion,
        those found on the evasion view too (spans on ``norm``)."""
        if self.evasion is None:  # lazily: callers may stop at the first
            spans = self.spans_of(norm)
            if not spans:
                return
            # A rule asks for a text's matches more than once (its condition, its mark):
            # the verdicts on its last text are kept, so guards run once per match.
            verdicts = self._verdicts
            if verdicts[0] is not norm:
                verdicts = (norm, {})
                self._verdicts = verdicts
            known = verdicts[1]
            for span in spans:
                ok = known.get(span)
                if ok is None:
                    ok = known[span] = self._accept(norm, *span)
                if ok:
                    yield span
            return
        plain = [(a, b) for a, b in self.spans_of(norm) if self._accept(norm, a, b)]
        screen = self.evasion.screen
        if screen is not None and screen.search(fold_text(norm, skip=self.evasion.skip)) is None:
            yield from plain
            return
        view = self.evasion.view(norm)
        evasive = []
        for m in self.view_regex.finditer(view.text):
            found = view.span(*m.span())
            if found is not None and self._accept(norm, *found):
                evasive.append(found)
        yield from merge_spans(plain, evasive)

    def find(self, norm: str) -> list[tuple[int, int]]:
        """Spans of the accepted matches in ``norm`` (normalised text)."""
        return list(self.accepted(norm))


def overlaps_any(antipatterns: Sequence[CueMatcher], norm: str, start: int, end: int) -> bool:
    """Whether a candidate match of one of the ``antipatterns`` overlaps ``[start, end)``."""
    return any(a < end and start < b for m in antipatterns for a, b in m.spans_of(norm))


_COMPILED: dict[tuple[int, tuple[str, ...]], tuple[CueSet, CueMatcher]] = {}


def compile_cue(cue: CueSet, extra_guards: Sequence[str] = ()) -> CueMatcher:
    """The matcher of a cue set, with ``extra_guards`` (the rule's) added; cached per
    cue set object."""
    key = (id(cue), tuple(extra_guards))
    hit = _COMPILED.get(key)
    if hit is not None and hit[0] is cue:
        return hit[1]
    matcher = CueMatcher(
        cue.phrases,
        cue.filled_templates,
        cue.exceptions,
        [*cue.not_in, *extra_guards],
        [compile_cue(c) for c in cue.refs.values()],
        cue.evasion,
    )
    if len(_COMPILED) > 4096:
        _COMPILED.clear()
    _COMPILED[key] = (cue, matcher)
    return matcher


def check_cue_examples(cue: CueSet) -> list[str]:
    """Problems with a cue set's own examples."""
    matcher = compile_cue(cue)
    problems = []
    for text in cue.examples.match:
        if not matcher.find(normalize(text)):
            problems.append(f"cue set '{cue.name}': match example {text!r} is not found")
    for text in cue.examples.no_match:
        found = matcher.find(normalize(text))
        if found:
            spans = [text[a:b] for a, b in found]
            problems.append(f"cue set '{cue.name}': no_match example {text!r} found {spans}")
    return problems
