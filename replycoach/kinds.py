"""The rule kinds: each turns a validated rule from a YAML file into a compiled checker.

Checkers see two strings of the same length: ``text`` (as given; excerpts come from it)
and ``norm`` (simplified script, ASCII digits; matching runs on it). Five kinds:

- ``existence``: words that should not be there (with exceptions and word boundaries);
- ``substitution``: words with approved rewrites, optionally safe to apply automatically;
- ``pattern``: a regular expression, optionally validated (ID-card checksum);
- ``count``: too many of some words against others (我 against 您/咱们);
- ``position``: what the first or last reply of a conversation must contain.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from .alternation import Alternation
from .cues import CUE_PREFIX, CueMatcher, clause_end, compile_cue, guarded, overlaps_any
from .literals import required_literals
from .model import Finding, Severity
from .normalize import (
    CLAUSE_BREAKS,
    Evasion,
    View,
    fillers,
    fold_text,
    merge_spans,
    normalize,
)
from .regex import compile_regex
from .words import Boundaries
from .wordset import WordSet

if TYPE_CHECKING:
    # Types only: at run time checkers read the rules' fields and never need the pydantic
    # classes, so an engine unpickled from the compiled-rule cache loads without them.
    from .loader import (
        AnyRule,
        CombinationRule,
        Condition,
        CountRule,
        CueSet,
        ExistenceRule,
        LengthRule,
        PatternRule,
        PositionRule,
        SubstitutionRule,
    )
    from .loader import Evasion as EvasionSetting


class Context:
    """What a checker sees: the reply as given (``text``, excerpts come from it) and
    normalised (``norm``, same length, matching runs on it), its position, and the
    customer's message it answers (normalised; ``None`` when unknown). A plain slotted
    class: one is made per reply, so it must be cheap."""

    __slots__ = ("_views", "customer", "folded", "norm", "position", "text")

    def __init__(
        self,
        text: str,
        norm: str,
        position: str | None = None,
        customer: str | None = None,
        folded: str | None = None,
    ) -> None:
        self.text = text
        self.norm = norm
        self.position = position
        self.customer = customer
        self.folded = folded
        """``fold_text(norm)``, made when a view first needs it."""
        self._views: dict[object, View] | None = None

    def fold(self) -> str:
        """``fold_text(norm)``: lower case, fillers skipped (made once)."""
        if self.folded is None:
            self.folded = fold_text(self.norm)
        return self.folded

    def view(self, evasion: Evasion) -> View:
        """The evasion view of this reply for ``evasion`` (made once per setting)."""
        views = self._views
        if views is None:
            views = self._views = {}
        key = evasion.key
        if key not in views:
            skipped = self.fold() if evasion.skip else None
            views[key] = evasion.view(self.norm, skipped)
        return views[key]


class _Format(dict[str, str]):
    """Leaves unknown ``{placeholders}`` in messages as they are."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _compile_evasion(setting: EvasionSetting) -> Evasion:
    return Evasion(setting.variants, skip=setting.skip, gap=setting.gap, screen=setting.screen)


def _screen(words: Iterable[str]) -> WordSet | None:
    """``words`` as a screen of the folded text (``None`` for none): its ``search`` tells
    whether one occurs (one Aho-Corasick pass: a regex of a few hundred words costs
    several times as much)."""
    words = set(words)
    return WordSet(words) if words else None


_REGEX_SPECIAL = frozenset("\\.^$*+?{}[]()|")


def _literal_alternatives(pattern: str | None) -> tuple[str, ...]:
    """The alternatives of ``pattern`` when it is nothing but literal words joined by
    ``|`` (then they are trigger words the engine can screen for), else ``()``."""
    if not pattern:
        return ()
    words = tuple(pattern.split("|"))
    if any(not w or _REGEX_SPECIAL.intersection(w) for w in words):
        return ()
    return words


def _alternation(words: Iterable[str]) -> re.Pattern[str]:
    ordered = sorted({normalize(w) for w in words}, key=lambda w: (-len(w), w))
    return re.compile("|".join(re.escape(w) for w in ordered))


class PhraseIndex:
    """Finds literal words, skipping those inside an exception or (optionally) inside a
    longer jieba word."""

    def __init__(
        self,
        words: Iterable[str],
        exceptions: Sequence[str],
        boundary: str,
        not_in: Sequence[str] = (),
        cues: Mapping[str, CueSet] | None = None,
    ) -> None:
        # Rule data is matched against normalised text, so it is normalised too: a team
        # may write its words in traditional script or with full-width digits.
        self.antipatterns = [
            compile_cue((cues or {})[e[len(CUE_PREFIX) :]])
            for e in exceptions
            if e.startswith(CUE_PREFIX)
        ]
        exceptions = [normalize(e) for e in exceptions if not e.startswith(CUE_PREFIX)]
        self.words = sorted({normalize(w) for w in words}, key=lambda w: (-len(w), w))
        self.matcher = WordSet(self.words)
        self.jieba = boundary == "jieba"
        self.contexts = tuple(not_in)
        self.vocabulary = tuple(self.words)
        # For each word: the exceptions that hold it, grouped by the offset of the word
        # inside them, each group one regex matched at that offset before the word.
        by_offset: dict[str, dict[int, list[str]]] = {}
        for word in self.words:
            for exc in exceptions:
                at = exc.find(word)
                while at != -1:
                    by_offset.setdefault(word, {}).setdefault(at, []).append(exc)
                    at = exc.find(word, at + 1)
        self.guards: dict[str, tuple[tuple[int, re.Pattern[str]], ...]] = {
            word: tuple(
                (at, re.compile("|".join(map(re.escape, sorted(excs, key=len, reverse=True)))))
                for at, excs in sorted(offsets.items())
            )
            for word, offsets in by_offset.items()
        }

    def find(self, norm: str) -> list[tuple[int, int]]:
        """Spans of accepted matches in ``norm``."""
        found = []
        bounds = Boundaries(norm, self.vocabulary) if self.jieba else None
        for start, end in self.matcher.spans(norm):
            word = norm[start:end]
            if any(
                start >= at and rx.match(norm, start - at) is not None
                for at, rx in self.guards.get(word, ())
            ):
                continue
            if bounds is not None and not bounds.whole(start, end):
                continue
            if self.antipatterns and overlaps_any(self.antipatterns, norm, start, end):
                continue
            if self.contexts and guarded(self.contexts, norm, start, end):
                continue
            found.append((start, end))
        return found


class Checker:
    """What every compiled rule shares."""

    triggers: tuple[str, ...] = ()
    """Normalised words without which this checker can never fire (empty: it may fire on
    any text). The engine screens every reply for all of them at once."""
    needs_customer: bool = False
    """True: silent unless the customer's message is known (the engine skips it)."""

    evasion: Evasion | None = None
    """The evasion setting of a rule that sees through evasive spellings."""

    evasive_triggers: tuple[str, ...] = ()
    """Words as the evasion view shows them (folded, variants replaced, variant spellings
    themselves): the engine screens for them however they are cased or spaced."""

    needs_position: bool = False
    """True: silent unless the reply's position is known (the engine skips it)."""

    min_length: int = 0
    """The shortest normalised text it may fire on (the engine skips it on shorter ones)."""

    screen_raw: tuple[str, ...] = ()
    """For a checker screened by :attr:`evasive_triggers`: words that fold to nothing
    (``@`` is a filler), looked for in the normalised text; one of them also lets it run."""

    screen_gates: tuple[re.Pattern[str], ...] = ()
    """For a checker screened by :attr:`evasive_triggers`: patterns searched in the folded
    text (its evasion ``screen``); a match also lets it run."""

    def __init__(self, rule: AnyRule, severity: Severity) -> None:
        self.rule = rule
        self.severity = severity

    @property
    def id(self) -> str:
        return self.rule.id

    def check(self, ctx: Context) -> list[Finding]:
        raise NotImplementedError

    def finding(
        self,
        text: str,
        start: int,
        end: int,
        suggestions: Sequence[str] = (),
        fixable: bool = False,
        **fields: str,
    ) -> Finding:
        excerpt = text[start:end]
        values = _Format(match=excerpt, suggestions="/".join(suggestions), **fields)
        return Finding(
            rule=self.rule.id,
            severity=self.severity,
            start=start,
            end=end,
            excerpt=excerpt,
            message=self.rule.message.format_map(values),
            suggestions=tuple(suggestions),
            fixable=fixable,
        )


class _Unless:
    """Reply-level silencers shared by phrase and pattern rules."""

    def __init__(self, unless: Sequence[str]) -> None:
        self.unless = WordSet(normalize(w) for w in unless) if unless else None

    def silenced(self, norm: str) -> bool:
        return self.unless is not None and self.unless.search(norm)


class PhraseChecker(Checker):
    """``existence`` and ``substitution`` rules."""

    def __init__(self, rule: ExistenceRule | SubstitutionRule, severity: Severity) -> None:
        super().__init__(rule, severity)
        self._safe = False
        # Words may name cue sets (an existence rule's ``@impatience``, a substitution
        # rule's ``"@vow-shape": [尽量]``): their phrases and templates count as words,
        # with the rule's guards; their matches get the suggestions given with them.
        entries: Mapping[str, Sequence[str]]
        if rule.kind == "substitution":
            entries = rule.swap
            self._safe = rule.fix == "safe"
        else:
            entries = dict.fromkeys(rule.words, rule.suggest)
        swap = {w: s for w, s in entries.items() if not w.startswith(CUE_PREFIX)}
        named = [(w[len(CUE_PREFIX) :], s) for w, s in entries.items() if w.startswith(CUE_PREFIX)]
        self._swap = {normalize(word): list(s) for word, s in swap.items()}
        self.triggers = tuple(self._swap)
        self._cues = [compile_cue(rule.cues[name], rule.not_in) for name, _ in named]
        self._cue_suggests = [list(s) for _, s in named]
        self._primer = _Primer(self._cues)
        if self._cues:
            if all(c.screenable for c in self._cues):
                self.triggers = tuple(
                    sorted({*self.triggers, *(t for c in self._cues for t in c.triggers)})
                )
            else:
                self.triggers = ()
        self._index = PhraseIndex(swap, rule.exceptions, rule.boundary, rule.not_in, rule.cues)
        self._unless = _Unless(rule.unless)
        self._view_index: PhraseIndex | None = None
        if rule.evasion is not None:
            evasion = self.evasion = _compile_evasion(rule.evasion)
            # The words as the view shows them (SB, 煞笔 → 傻逼), each with the suggestions
            # of the first word that folds to it.
            self._view_swap: dict[str, list[str]] = {}
            for word, suggestions in swap.items():
                self._view_swap.setdefault(evasion.fold(word), list(suggestions))
            exceptions = [
                e if e.startswith(CUE_PREFIX) else evasion.fold(e) for e in rule.exceptions
            ]
            exceptions = [
                e
                for e in exceptions
                if e.startswith(CUE_PREFIX) or any(w in e for w in self._view_swap)
            ]
            self._view_index = PhraseIndex(
                self._view_swap, exceptions, rule.boundary, rule.not_in, rule.cues
            )
            # On a reply the view leaves as it is, only the view words that are no plain
            # word (傻x for 傻X) can add anything: the others were matched already.
            view_only = [w for w in self._view_swap if w not in self._swap]
            self._view_only_index = (
                PhraseIndex(view_only, exceptions, rule.boundary, rule.not_in, rule.cues)
                if view_only
                else None
            )
            self.evasive_triggers = tuple(
                sorted({*map(fold_text, self._swap), *self._view_swap, *evasion.keys})
            )
            if self._cues and not self.triggers:
                self.evasive_triggers = ()  # a cue set that cannot be screened: always run
            self._view_screen = _screen(self.evasive_triggers)

    def check(self, ctx: Context) -> list[Finding]:
        text, norm = ctx.text, ctx.norm
        spans = self._index.find(norm)
        words = {span: self._swap[norm[span[0] : span[1]]] for span in spans}
        if (
            self._view_index is not None
            and self.evasion is not None
            and (self._view_screen is None or self._view_screen.search(ctx.fold()))
        ):
            view = ctx.view(self.evasion)
            index = self._view_index if view.text != norm else self._view_only_index
            evasive = {}
            for a, b in index.find(view.text) if index is not None else ():
                span = view.span(a, b)
                if span is not None:
                    evasive[span] = self._view_swap[view.text[a:b]]
            if evasive:
                spans = merge_spans(spans, evasive)
                words = {**evasive, **words}
        if self._cues:
            self._primer.prime(norm)
            cued: dict[tuple[int, int], list[str]] = {}
            for cue, suggestions in zip(self._cues, self._cue_suggests, strict=True):
                for span in cue.accepted(norm):
                    if span not in words:
                        cued.setdefault(span, suggestions)
            if cued:
                spans = merge_spans(spans, cued)
                words = {**cued, **words}
        if not spans or self._unless.silenced(norm):
            return []
        out = []
        for start, end in spans:
            plain = norm[start:end] in self._swap
            suggestions = words[start, end]
            fixable = plain and self._safe and len(suggestions) == 1
            out.append(self.finding(text, start, end, suggestions, fixable))
        return out


def _cn_id_checksum(value: str) -> bool:
    """Mainland resident ID: 17 digits and a check character (ISO 7064 MOD 11-2)."""
    if len(value) != 18 or not value[:17].isdigit():
        return True  # not an ID-shaped match: nothing to validate
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(value[:17], weights, strict=False))
    return "10X98765432"[total % 11] == value[17].upper()


def _luhn(value: str) -> bool:
    """Bank-card check digit (Luhn)."""
    digits = [int(d) for d in value if d.isdigit()]
    if len(digits) < 12:
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


_VALIDATORS = {"cn-id-checksum": _cn_id_checksum, "luhn": _luhn}


class PatternChecker(Checker):
    """``pattern`` rules."""

    def __init__(self, rule: PatternRule, severity: Severity) -> None:
        super().__init__(rule, severity)
        self.spec = rule
        self._regex = compile_regex(normalize(rule.regex))
        checks = rule.validate_
        self._checks: list[tuple[str | int, Callable[[str], bool]]] = (
            [(0, _VALIDATORS[checks])]
            if isinstance(checks, str)
            else [(group, _VALIDATORS[name]) for group, name in (checks or {}).items()]
        )
        self._prefilter = compile_regex(normalize(rule.prefilter)) if rule.prefilter else None
        self._span_group = "span" if "span" in self._regex.groupindex else 0
        # Speed: the pieces of a list pattern matched alone, each only where it can match.
        self._pieces: Alternation | None = None
        self._view_pieces: Alternation | None = None
        if not isinstance(rule.pattern, str) and isinstance(self._regex, re.Pattern):
            split = Alternation([normalize(p) for p in rule.pattern])
            if split.usable:
                self._pieces = split
        self._unless = _Unless(rule.unless)
        self._not_after = _alternation(rule.not_after) if rule.not_after else None
        self._view_gate: WordSet | re.Pattern[str] | Literal[True] | None = None
        literal = _literal_alternatives(rule.prefilter)
        if literal:
            self.triggers = tuple(normalize(w) for w in literal)
        elif rule.prefilter is None and rule.evasion is None:
            # No prefilter: the literals every match must contain screen the rule instead.
            pieces = [rule.pattern] if isinstance(rule.pattern, str) else rule.pattern
            found: set[str] = set()
            for piece in pieces:
                required = required_literals(normalize(piece))
                if not required:
                    break
                found |= required
            else:
                self.triggers = tuple(sorted(found))
        if rule.evasion is not None:
            evasion = self.evasion = _compile_evasion(rule.evasion)
            self._view_regex = compile_regex("(?i)" + normalize(rule.regex))
            # Speed: the pieces alone on the view too (it is in lower case).
            if self._pieces is not None and isinstance(self._view_regex, re.Pattern):
                view_pieces = ["(?i)" + normalize(p) for p in rule.pattern]
                split = Alternation(
                    view_pieces, [required_literals(p, lower_text=True) for p in view_pieces]
                )
                if split.usable:
                    self._view_pieces = split
            self._view_prefilter = (
                compile_regex("(?i)" + normalize(rule.prefilter)) if rule.prefilter else None
            )
            if literal:
                words = {*(fold_text(w) for w in self.triggers), *map(evasion.fold, literal)}
                self.evasive_triggers = tuple(sorted({*words, *evasion.keys}))
            screen = _screen(self.evasive_triggers) or evasion.screen
            # The evasion pass runs where this matches the folded reply (True: everywhere).
            self._view_gate = screen if screen is not None else True
            if not literal and rule.prefilter and evasion.screen is not None:
                # A prefilter that is a regex still names literals one of which every plain
                # match holds ([0-9]{3}|@|单元…: a digit, @, 单元…): the engine screens for
                # them (folded; those that fold to nothing on the normalised text) and for
                # the evasion screen on the folded text, so the rule runs only where one of
                # its two passes can find something.
                required = required_literals(normalize(rule.prefilter))
                if required and all(required):
                    self.evasive_triggers = tuple(sorted({fold_text(w) for w in required} - {""}))
                    self.screen_raw = tuple(sorted(w for w in required if not fold_text(w)))
                    self.screen_gates = (evasion.screen,)

    def _accepted(self, m: re.Match[str]) -> bool:
        # (a match of one piece alone knows only that piece's groups)
        return not any(
            (group == 0 or group in m.re.groupindex)
            and m.group(group) is not None
            and not check(m.group(group))
            for group, check in self._checks
        )

    def _negated(self, norm: str, start: int) -> bool:
        """Whether a cue of ``not_after`` stands before ``start`` in its clause."""
        if self._not_after is None:
            return False
        clause = start
        while clause > 0 and norm[clause - 1] not in CLAUSE_BREAKS:
            clause -= 1
        return self._not_after.search(norm, clause, start) is not None

    def check(self, ctx: Context) -> list[Finding]:
        text, norm = ctx.text, ctx.norm
        spans: list[tuple[int, int]] = []
        if self._prefilter is None or self._prefilter.search(norm) is not None:
            group = self._span_group
            for m in self._pieces.matches(norm) if self._pieces else self._regex.finditer(norm):
                start, end = m.span(group) if group == 0 or group in m.re.groupindex else (-1, -1)
                if start < end and self._accepted(m) and not self._negated(norm, start):
                    spans.append((start, end))
        plain = spans
        gate = self._view_gate
        if gate is not None and (gate is True or gate.search(ctx.folded or ctx.fold())):
            assert self.evasion is not None
            view = ctx.view(self.evasion)
            if self._view_prefilter is None or self._view_prefilter.search(view.text):
                evasive = []
                pieces = self._view_pieces
                matches = (
                    pieces.matches(view.text) if pieces else self._view_regex.finditer(view.text)
                )
                for m in matches:
                    group = self._span_group
                    if group != 0 and group not in m.re.groupindex:
                        continue  # (a piece without the span group: as in the whole, no span)
                    span = view.span(*m.span(group))
                    if span is not None and self._accepted(m) and not self._negated(norm, span[0]):
                        evasive.append(span)
                spans = merge_spans(spans, evasive)
        if not spans or self._unless.silenced(norm):
            return []
        found = set(plain)
        return [
            self.finding(text, a, b, self._suggestions(text[a:b], (a, b) not in found))
            for a, b in spans
        ]

    def _suggestions(self, excerpt: str, evasive: bool) -> list[str]:
        suggestions = list(self.spec.suggest)
        if self.spec.mask:
            keep_start, keep_end = self.spec.mask
            if evasive:  # mask the characters that count, keep the fillers between them
                skipped = fillers()
                kept = [i for i, ch in enumerate(excerpt) if ch not in skipped]
                hide = set(kept[keep_start : max(len(kept) - keep_end, keep_start)])
                suggestions.insert(
                    0, "".join("*" if i in hide else ch for i, ch in enumerate(excerpt))
                )
                return suggestions
            hidden = max(len(excerpt) - keep_start - keep_end, 1)
            suggestions.insert(
                0, excerpt[:keep_start] + "*" * hidden + excerpt[len(excerpt) - keep_end :]
            )
        return suggestions


class CountChecker(Checker):
    """``count`` rules: one finding from the first to the last counted word."""

    def __init__(self, rule: CountRule, severity: Severity) -> None:
        super().__init__(rule, severity)
        self.spec = rule
        self._words = PhraseIndex(rule.words, rule.exceptions, "none", cues=rule.cues)
        against = (
            PhraseIndex(rule.against, rule.exceptions, "none", cues=rule.cues)
            if rule.against
            else None
        )
        self.triggers = tuple(self._words.words)  # min >= 1: one of them must occur
        self._against: PhraseIndex | None = against

    def check(self, ctx: Context) -> list[Finding]:
        text, norm = ctx.text, ctx.norm
        rule = self.spec
        # Each match is an occurrence of a word, and the matches do not overlap: there are
        # no more of them than the words' counts (most replies with a 我 have one).
        if sum(norm.count(w) for w in self.triggers) < rule.min:
            return []
        spans = self._words.find(norm)
        if len(spans) < rule.min:
            return []
        against = len(self._against.find(norm)) if self._against else 0
        if len(spans) <= rule.ratio * against:
            return []
        start, end = spans[0][0], spans[-1][1]
        return [self.finding(text, start, end, (), count=str(len(spans)), against=str(against))]


_SENTENCE_END = re.compile(r"[。！？!?~～…\n]+")


def first_sentence(text: str) -> tuple[int, int]:
    """Span of the first sentence, leading blanks skipped, end punctuation excluded."""
    start = len(text) - len(text.lstrip())
    m = _SENTENCE_END.search(text, start)
    end = m.start() if m else len(text.rstrip())
    return start, max(end, start)


def last_sentence(text: str) -> tuple[int, int]:
    """Span of the last sentence with its end punctuation, trailing blanks excluded."""
    end = len(text.rstrip())
    start = 0
    for m in _SENTENCE_END.finditer(text, 0, end):
        if m.end() < end:
            start = m.end()
    while start < end and text[start].isspace():
        start += 1
    return start, end


class PositionChecker(Checker):
    """``position`` rules."""

    def __init__(self, rule: PositionRule, severity: Severity) -> None:
        super().__init__(rule, severity)
        self.spec = rule
        self._require = _alternation(rule.require)
        self.needs_position = True

    def check(self, ctx: Context) -> list[Finding]:
        text, norm = ctx.text, ctx.norm
        rule = self.spec
        if ctx.position is None or ctx.position not in rule.when:
            return []
        if self._require.search(norm.lower()):
            return []
        if rule.at == "start":
            start, end = first_sentence(text)
            suggestions = [add + text[start:end] for add in rule.add]
        else:
            start, end = last_sentence(text)
            suggestions = [text[start:end] + add for add in rule.add]
        return [self.finding(text, start, end, suggestions)]


class _Primer:
    """Several screened cue sets told with one Aho-Corasick pass over a text which of their
    strings occur in it (instead of a screen regex and a pass each); their candidates are
    then remembered for the text."""

    def __init__(self, cues: Sequence[CueMatcher]) -> None:
        self.cues = tuple(c for c in cues if c.screen is not None)
        self._last: str | None = None
        self._built = False  # the tables below are made on first use
        self.words: WordSet | None = None
        self.masks: tuple[int, ...] = ()
        self.parts: tuple[tuple[CueMatcher, int, int], ...] = ()

    def __reduce__(self) -> tuple[type[_Primer], tuple[tuple[CueMatcher, ...]]]:
        return _Primer, (self.cues,)  # pickled as its cue sets: the tables are made again

    def _build(self) -> None:
        self._built = True
        if len(self.cues) < 2:
            return
        # Each cue set's bits side by side in one integer: a string's bits in all the cue
        # sets it concerns, or'ed in one operation per occurrence.
        owners: dict[str, int] = {}
        parts = []
        shift = 0
        for cue in self.cues:
            width = max(cue.primes.values()).bit_length()
            for word, mask in cue.primes.items():
                owners[word] = owners.get(word, 0) | mask << shift
            parts.append((cue, shift, (1 << width) - 1))
            shift += width
        self.words = WordSet(owners, ordered=True, every=True)
        self.masks = tuple(owners.values())
        self.parts = tuple(parts)

    def prime(self, norm: str) -> None:
        if not self._built:
            self._build()
        words = self.words
        if words is None or self._last is norm:
            return
        self._last = norm  # (the cue sets remember their candidates for this text)
        mask = 0
        masks = self.masks
        for _, _, i in words.occurrences(norm):
            mask |= masks[i]
        for cue, shift, full in self.parts:
            cue.prime(norm, mask >> shift & full)


class _Phrases:
    """A condition's phrases: plain ones in one index, ``@name`` ones as cue sets."""

    def __init__(self, phrases: Sequence[str], cond: Condition, cues: Mapping[str, CueSet]) -> None:
        plain = [p for p in phrases if not p.startswith(CUE_PREFIX)]
        self.plain = (
            PhraseIndex(plain, cond.exceptions, "none", cond.not_in, cues) if plain else None
        )
        self.cues: list[CueMatcher] = [
            compile_cue(cues[p[len(CUE_PREFIX) :]], cond.not_in)
            for p in phrases
            if p.startswith(CUE_PREFIX)
        ]
        self.exceptions = [normalize(e) for e in cond.exceptions if not e.startswith(CUE_PREFIX)]
        self.antipatterns = [
            compile_cue(cues[e[len(CUE_PREFIX) :]])
            for e in cond.exceptions
            if e.startswith(CUE_PREFIX)
        ]
        triggers: set[str] = set(self.plain.words) if self.plain else set()
        self.screenable = all(c.screenable for c in self.cues)
        for c in self.cues:
            triggers.update(c.triggers)
        self.triggers = tuple(sorted(triggers)) if self.screenable else ()
        self._primer = _Primer(self.cues)

    def prime(self, norm: str) -> None:
        """Find the candidates of every screened cue set in ``norm`` with one pass (they
        are remembered for the text, so the questions that follow cost nothing more)."""
        self._primer.prime(norm)

    def _excepted(self, norm: str, start: int, end: int) -> bool:
        return any(
            (at := norm.find(exc, max(0, start - len(exc) + 1))) != -1 and at < end
            for exc in self.exceptions
        ) or bool(self.antipatterns and overlaps_any(self.antipatterns, norm, start, end))

    def candidates(self, norm: str) -> list[tuple[int, int]]:
        """Every span a phrase could match, before exceptions and guards (a superset of
        :meth:`find`, for cheap early exits)."""
        found = self.plain.matcher.spans(norm) if self.plain else []
        self.prime(norm)
        for cue in self.cues:
            found += cue.spans_of(norm)
        return found

    def find(self, norm: str) -> list[tuple[int, int]]:
        found = self.plain.find(norm) if self.plain else []
        for cue in self.cues:
            if self.exceptions or self.antipatterns:
                found += [s for s in cue.accepted(norm) if not self._excepted(norm, *s)]
            else:
                found += cue.accepted(norm)
        return found

    def occurs_outside(self, norm: str, claimed: Sequence[tuple[int, int]]) -> bool:
        """Whether any phrase occurs outside the ``claimed`` spans (stops at the first)."""
        if self.plain is not None and any(
            not any(a < e and s < b for s, e in claimed) for a, b in self.plain.find(norm)
        ):
            return True
        for cue in self.cues:
            for a, b in cue.accepted(norm):
                if not any(a < e and s < b for s, e in claimed) and not self._excepted(norm, a, b):
                    return True
        return False


def _object_end(norm: str, end: int) -> int:
    """End of the object right after a match: up to two characters, within the clause, and
    not past a new subject or address (我, 您, 你, 亲)."""
    stop = min(clause_end(norm, end), end + 2)
    for i in range(end, stop):
        if norm[i] in "我您你亲":
            return i
    return stop


class _ConditionTest:
    """One compiled :class:`Condition`."""

    def __init__(self, cond: Condition, cues: Mapping[str, CueSet]) -> None:
        self.scope = cond.in_
        self.at_least = cond.at_least
        self.any = _Phrases(cond.any, cond, cues) if cond.any else None
        self.all = [_Phrases([w], cond, cues) for w in cond.all]
        self.none = _Phrases(cond.none, cond, cues) if cond.none else None
        self.pattern = compile_regex(normalize(cond.pattern)) if cond.pattern else None
        self.guards = tuple(cond.not_in)

    @property
    def triggers(self) -> tuple[str, ...]:
        """Words one of which must occur for the condition to hold (empty: unknown)."""
        if self.pattern is not None or self.any is None or not self.any.screenable:
            return ()
        return self.any.triggers

    def spans(self, norm: str) -> list[tuple[int, int]]:
        """Where ``any``/``pattern`` match (for marking)."""
        found = self.any.find(norm) if self.any else []
        if self.pattern:
            found += [
                m.span()
                for m in self.pattern.finditer(norm)
                if m.end() > m.start()
                and not (self.guards and guarded(self.guards, norm, m.start(), m.end()))
            ]
        return sorted(set(found))

    def holds(self, ctx: Context, claimed: list[tuple[int, int]] | None = None) -> bool | None:
        """Whether the condition holds; None when its text is unknown.

        ``claimed`` collects the reply's spans matched by ``any`` conditions; a ``none``
        phrase inside one of them does not count (申请 in 申请不了 is part of the refusal,
        not an offer to apply)."""
        norm = ctx.customer if self.scope == "customer" else ctx.norm
        if norm is None:
            return None
        if self.any or self.pattern:
            spans = self.spans(norm)
            if len({norm[a:b] for a, b in spans}) < self.at_least:
                return False
            if claimed is not None and self.scope == "reply":
                # a match claims its object, up to two characters of the rest of its
                # clause: 别的 in 换不成别的 is part of the refusal, not an alternative
                claimed.extend((a, _object_end(norm, b)) for a, b in spans)
        if any(not index.find(norm) for index in self.all):
            return False
        if self.none is None:
            return True
        return not self.none.occurs_outside(
            norm, claimed if claimed and self.scope == "reply" else ()
        )


class CombinationChecker(Checker):
    """``combination`` rules: every condition holds, then the marked spans are reported."""

    def __init__(self, rule: CombinationRule, severity: Severity) -> None:
        super().__init__(rule, severity)
        self.spec = rule
        self._tests = [_ConditionTest(c, rule.cues) for c in rule.conditions]
        self._mark = _ConditionTest(rule.mark, rule.cues) if rule.mark else None
        # The first reply condition whose words are known screens replies for the engine.
        for test in self._tests:
            if test.scope == "reply" and test.triggers:
                self.triggers = test.triggers
                break
        self.needs_customer = any(t.scope == "customer" for t in self._tests)
        # Early exit: when the first reply condition is an `any` and later ones are `none`,
        # an element found outside every *candidate* match (a superset of the accepted ones)
        # silences the rule whatever the guards decide, so they need not run.
        first = next((t for t in self._tests if t.scope == "reply"), None)
        self._first_any = first.any if first is not None and first.pattern is None else None
        self._nones = [
            t.none
            for t in self._tests
            if t.scope == "reply" and t.none is not None and t.any is None and not t.all
        ]

    def check(self, ctx: Context) -> list[Finding]:
        if self.needs_customer and ctx.customer is None:
            return []  # the customer's message is unknown: rules about it stay silent
        if self._first_any is not None and self._nones:
            norm = ctx.norm
            candidates = self._first_any.candidates(norm)
            if not candidates:
                return []
            wide = [(a, _object_end(norm, b)) for a, b in candidates]
            for none in self._nones:
                none.prime(norm)
                if none.occurs_outside(norm, wide):
                    return []
        claimed: list[tuple[int, int]] = []
        for test in self._tests:
            if not test.holds(ctx, claimed):  # False, or None: the context is unknown
                return []
        rule = self.spec
        if self._mark is not None:
            spans = self._mark.spans(ctx.norm)
        else:
            start, end = first_sentence(ctx.text)
            spans = [(start, end)] if end > start else []
        out = []
        for start, end in spans:
            excerpt = ctx.text[start:end]
            suggestions = [*rule.suggest, *(add + excerpt for add in rule.add)]
            out.append(self.finding(ctx.text, start, end, suggestions))
        return out


class LengthChecker(Checker):
    """``length`` rules: stretches without a break longer than ``max``."""

    def __init__(self, rule: LengthRule, severity: Severity) -> None:
        super().__init__(rule, severity)
        self.spec = rule
        self._stretch = re.compile("[^" + re.escape(rule.breaks) + "]{" + str(rule.max + 1) + ",}")
        self.min_length = rule.max + 1

    def check(self, ctx: Context) -> list[Finding]:
        rule = self.spec
        if len(ctx.norm) <= rule.max:
            return []
        out = []
        for m in self._stretch.finditer(ctx.norm):
            stretch = m.group()
            han = sum(1 for ch in stretch if "\u4e00" <= ch <= "\u9fff")
            if han < rule.min_han * len(stretch):
                continue
            if rule.sentence_marks and not any(ch in stretch for ch in rule.sentence_marks):
                continue  # a name, a title, an address: not a sentence to shorten
            out.append(
                self.finding(
                    ctx.text,
                    m.start(),
                    m.end(),
                    rule.suggest,
                    length=str(len(stretch)),
                    max=str(rule.max),
                )
            )
        return out


def compile_rule(rule: AnyRule, severity: Severity | None = None) -> Checker:
    """Build the checker for one validated rule (``severity`` overrides the rule's own)."""
    checker: Any = _CHECKERS[rule.kind]
    built: Checker = checker(rule, severity or rule.severity)
    return built


_CHECKERS: dict[str, type[Checker]] = {
    "existence": PhraseChecker,
    "substitution": PhraseChecker,
    "pattern": PatternChecker,
    "count": CountChecker,
    "combination": CombinationChecker,
    "length": LengthChecker,
    "position": PositionChecker,
}
