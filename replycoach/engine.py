"""The engine: rules compiled once, then ``check`` and ``fix`` on any number of replies."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import OptionError, UnknownRuleError
from .kinds import Checker, Context, compile_rule
from .model import POSITIONS, Finding, Severity
from .normalize import fold_text, normalize, normalize_and_fold
from .rulecache import cache_key, cached_engine, default_rules_dir
from .wordset import WordSet

if TYPE_CHECKING:
    from .loader import AnyRule

_MAX_FIX_PASSES = 8


class Engine:
    """A compiled set of rules.

    >>> engine = Engine.default().configure(disable=["honorific-you"])
    >>> [f.rule for f in engine.check("我保证明天一定发货，你放心")]
    ['absolute-promise', 'absolute-promise']
    """

    def __init__(
        self,
        rules: Iterable[AnyRule],
        *,
        enable: Iterable[str] = (),
        disable: Iterable[str] = (),
        only: Iterable[str] | None = None,
        severity: Mapping[str, str | Severity] | None = None,
        packs: Iterable[str] = (),
        options: Mapping[str, Mapping[str, object]] | None = None,
    ) -> None:
        """Compile ``rules``.

        ``enable`` switches on rules that ship disabled, ``packs`` switches on every rule of
        the named packs (``compliance``), ``disable`` switches rules off, ``only`` keeps just
        the named rules, ``severity`` overrides severities by rule id, ``options`` overrides
        a rule's own fields (``{"long-sentence": {"max": 60}}``). Every id named must exist
        (old ids in a rule's ``aliases`` count), else :class:`UnknownRuleError`.
        """
        rules = _apply_options(rules, options)
        self._rules: tuple[AnyRule, ...] | None = tuple(rules)
        self._sources: tuple[str, ...] = ()
        """The rule files, for engines from :meth:`from_paths` (their rules can be reloaded)."""
        self._options = {k: dict(v) for k, v in (options or {}).items()}
        self.cache_key = ""
        """The compiled-rule cache's key for this engine (empty: not from the cache)."""
        pack_names = set(packs)
        unknown_packs = pack_names - {r.pack for r in rules}
        if unknown_packs:
            raise UnknownRuleError(f"unknown rule pack(s): {', '.join(sorted(unknown_packs))}")
        names = {r.id: r.id for r in rules}
        names.update({alias: r.id for r in rules for alias in r.aliases})

        def resolve(ids: Iterable[str], what: str) -> set[str]:
            unknown = sorted(set(ids) - names.keys())
            if unknown:
                raise UnknownRuleError(f"unknown rule id(s) to {what}: {', '.join(unknown)}")
            return {names[i] for i in ids}

        enabled = resolve(enable, "enable") | {r.id for r in rules if r.pack in pack_names}
        resolve((options or {}).keys(), "configure")
        disabled = resolve(disable, "disable")
        kept = resolve(only, "select") if only is not None else None
        resolve((severity or {}).keys(), "override")
        levels = {s.value for s in Severity}
        for rule_id, level in (severity or {}).items():
            if not isinstance(level, Severity) and level not in levels:
                raise OptionError(
                    f"severity for {rule_id!r}: got {level!r}, expected error|warning|info"
                )
        overrides = {names[k]: Severity(v) for k, v in (severity or {}).items() if k in names}
        self.checkers: tuple[Checker, ...] = tuple(
            compile_rule(rule, overrides.get(rule.id))
            for rule in rules
            if (kept is None or rule.id in kept)
            and rule.id not in disabled
            and (rule.enabled or rule.id in enabled or (kept is not None and rule.id in kept))
        )
        # One Aho-Corasick pass over a reply finds which trigger words occur: it runs the
        # checkers without triggers and those whose words occur. Rules about the
        # customer's message are left out of the screen used when it is unknown. With a rule
        # that sees through evasive spellings (``evasion:``), the screen runs on the folded
        # text (lower case, filler characters skipped), so that 傻 逼 or SB still reach
        # their rule; every trigger word is folded the same way.
        # Position rules are left out of the screens used when the position is unknown.
        self._fold = any(c.evasion is not None for c in self.checkers)
        shared: dict[frozenset[str], WordSet] = {}  # screens with the same words share them
        self._screens = (
            _Screen(self.checkers, self._fold, shared),
            _Screen([c for c in self.checkers if not c.needs_customer], self._fold, shared),
        )
        placed = [c for c in self.checkers if not c.needs_position]
        self._screens_unplaced = (
            _Screen(placed, self._fold, shared),
            _Screen([c for c in placed if not c.needs_customer], self._fold, shared),
        )

    @property
    def rules(self) -> tuple[AnyRule, ...]:
        """Every loaded rule, validated, active or not (an engine loaded from the
        compiled-rule cache reads and validates its rule files again on first use)."""
        if self._rules is None:
            from .loader import load_paths

            self._rules = tuple(_apply_options(load_paths(self._sources), self._options))
        return self._rules

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        if self._sources:
            state["_rules"] = None  # reloaded from the files when asked for
        return state

    @classmethod
    def from_paths(
        cls,
        *paths: str | Path,
        defaults: bool = True,
        enable: Iterable[str] = (),
        disable: Iterable[str] = (),
        only: Iterable[str] | None = None,
        severity: Mapping[str, str | Severity] | None = None,
        packs: Iterable[str] = (),
        options: Mapping[str, Mapping[str, object]] | None = None,
    ) -> Engine:
        """Load rule files or directories (after the default pack unless ``defaults=False``).

        >>> Engine.from_paths(defaults=True).rule_ids()[:3]
        ('absolute-promise', 'bare-unavailable', 'blame-shifting')
        """
        sources = [str(default_rules_dir())] if defaults else []
        sources.extend(str(p) for p in paths)
        enable, disable, packs = list(enable), list(disable), list(packs)
        only = None if only is None else list(only)
        levels = {k: str(v) for k, v in (severity or {}).items()}
        settings = {
            "enable": enable,
            "disable": disable,
            "only": only,
            "severity": levels,
            "packs": packs,
            "options": options or {},
        }

        def build() -> Engine:
            from .loader import load_paths

            engine = cls(
                load_paths(sources),
                enable=enable,
                disable=disable,
                only=only,
                severity=levels,
                packs=packs,
                options=options,
            )
            engine._sources = tuple(sources)
            return engine

        return cached_engine(cache_key(sources, settings), build)

    @classmethod
    def default(cls) -> Engine:
        """The cached engine of the default rule pack."""
        return _default_engine()

    def configure(
        self,
        *,
        enable: Iterable[str] = (),
        disable: Iterable[str] = (),
        only: Iterable[str] | None = None,
        severity: Mapping[str, str | Severity] | None = None,
        packs: Iterable[str] = (),
        options: Mapping[str, Mapping[str, object]] | None = None,
    ) -> Engine:
        """A new engine over the same rules with other options."""
        return Engine(
            self.rules,
            enable=enable,
            disable=disable,
            only=only,
            severity=severity,
            packs=packs,
            options=options,
        )

    def rule_ids(self) -> tuple[str, ...]:
        """Ids of the active rules, in order."""
        return tuple(c.id for c in self.checkers)

    def check(
        self,
        text: str,
        *,
        position: str | None = None,
        customer: str | None = None,
        ignore: Collection[str] = (),
    ) -> list[Finding]:
        """All findings in ``text``, sorted by (start, rule id).

        ``position`` is where the reply stands: ``first``, ``middle``, ``last``, ``only``
        (a one-message conversation) or ``None`` (unknown: position rules stay silent).
        ``customer`` is the customer's message this reply answers (``None``: unknown, so
        rules about it stay silent). ``ignore`` names rules to skip for this text (inline or
        per-path silencing; ``*`` or ``all`` skips every rule).
        """
        if not isinstance(text, str):
            raise TypeError(f"check() needs the reply as a str, got {type(text).__name__}")
        if position is not None and position not in POSITIONS:
            raise ValueError(f"position must be one of {', '.join(POSITIONS)} or None")
        norm, folded = normalize_and_fold(text, self._fold)
        ctx = Context(
            text, norm, position, None if customer is None else normalize(customer), folded
        )
        findings: list[Finding] = []
        screened = folded if folded is not None else norm
        screens = self._screens if position is not None else self._screens_unplaced
        checkers = screens[ctx.customer is None].select(screened, ctx.norm)
        if ignore:
            if "*" in ignore or "all" in ignore:
                return findings
            checkers = [c for c in checkers if c.id not in ignore]
        for checker in checkers:
            findings.extend(checker.check(ctx))
        if len(findings) > 1:
            findings.sort(key=lambda f: (f.start, f.rule, f.end))
        return findings

    def fix(
        self,
        text: str,
        *,
        position: str | None = None,
        customer: str | None = None,
        ignore: Collection[str] = (),
    ) -> str:
        """``text`` with every safe rewrite applied, repeated until nothing changes."""
        from .fixes import apply_fixes

        for _ in range(_MAX_FIX_PASSES):
            found = self.check(text, position=position, customer=customer, ignore=ignore)
            fixed = apply_fixes(text, found)
            if fixed == text:
                break
            text = fixed
        return text


class _Screen:
    """Which of some checkers may fire on a text: those without trigger words, and those
    with one of theirs in it (one Aho-Corasick pass finds every occurrence of every word,
    overlapping ones too). With ``fold``, the text screened is the folded one and the
    trigger words are folded too (evasive checkers add the words their view may show)."""

    def __init__(
        self,
        checkers: Sequence[Checker],
        fold: bool = False,
        shared: dict[frozenset[str], WordSet] | None = None,
    ) -> None:
        self.checkers = tuple(checkers)
        words_of = [_screen_words(c, fold) for c in self.checkers]
        self.screened = tuple(bool(w) for w in words_of)
        owners: dict[str, int] = {}
        for i, ws in enumerate(words_of):
            for w in ws:
                owners[w] = owners.get(w, 0) | 1 << i
        needed = _needed(owners)
        shared = {} if shared is None else shared
        if needed not in shared:
            shared[needed] = WordSet(needed, every=True)
        self.words = shared[needed]
        self.always = tuple(c for c, s in zip(self.checkers, self.screened, strict=True) if not s)
        self.always_at = frozenset(i for i, s in enumerate(self.screened) if not s)
        # The checkers chosen are a bit mask (bit i: checker i), so that choosing them is a
        # few integer operations; each mask's tuple of checkers is made once.
        self.masks = tuple(owners[w] for w in self.words.words)
        self.always_mask = sum(1 << i for i in self.always_at)
        self._chosen: dict[int, tuple[Checker, ...]] = {self.always_mask: self.always}
        # Screened checkers that may also fire where a word that folds to nothing occurs in
        # the normalised text, or a pattern matches the folded text (an evasion screen).
        self.gated = tuple(
            (1 << i, c.screen_raw, c.screen_gates)
            for i, c in enumerate(self.checkers)
            if fold and self.screened[i] and (c.screen_raw or c.screen_gates)
        )
        # Checkers that cannot fire on a normalised text shorter than their min_length.
        self.sized = tuple(
            (c.min_length, 1 << i) for i, c in enumerate(self.checkers) if c.min_length
        )

    def select(self, text: str, norm: str | None = None) -> Sequence[Checker]:
        """The checkers that may fire on ``text`` (the folded text when the screen folds,
        else the normalised one), in rule order. ``norm``: the normalised text, for the
        words that fold to nothing and the shortest text a checker fires on (``None``:
        unknown, such checkers run)."""
        if not self.words.words:
            return self.checkers
        mask = self.always_mask
        masks = self.masks
        for _, _, hit in self.words.occurrences(text):
            mask |= masks[hit]
        for bit, raw, gates in self.gated:
            if mask & bit:
                continue
            if norm is None:
                mask |= bit
                continue
            for word in raw:
                if word in norm:
                    mask |= bit
                    break
            else:
                for gate in gates:
                    if gate.search(text) is not None:
                        mask |= bit
                        break
        if norm is not None:
            for shortest, bit in self.sized:
                if len(norm) < shortest:
                    mask &= ~bit
        chosen = self._chosen.get(mask)
        if chosen is None:
            chosen = tuple(c for i, c in enumerate(self.checkers) if mask >> i & 1)
            self._chosen[mask] = chosen
        return chosen


def _apply_options(
    rules: Iterable[AnyRule], options: Mapping[str, Mapping[str, object]] | None
) -> list[AnyRule]:
    rules = list(rules)
    if not options:
        return rules
    return [_with_options(r, options[r.id]) if r.id in options else r for r in rules]


def _needed(owners: Mapping[str, int]) -> frozenset[str]:
    """The screen words that tell something: a word holding a shorter one whose checkers
    include all of its own is left out (any text with it has the shorter one too), which
    leaves about a third of the default pack's words out of the automaton."""
    if not owners:
        return frozenset()
    words = WordSet(owners, ordered=True, every=True)
    masks = tuple(owners.values())
    return frozenset(
        word
        for i, word in enumerate(words.words)
        if not any(
            j != i and masks[j] & masks[i] == masks[i] for _, _, j in words.occurrences(word)
        )
    )


def _screen_words(checker: Checker, fold: bool) -> set[str]:
    """The words that screen ``checker`` in (folded when the screen runs on folded text);
    empty when it has none, or one folds to nothing (then it always runs)."""
    words = {fold_text(w) for w in checker.triggers} if fold else set(checker.triggers)
    words.update(checker.evasive_triggers)
    return words if words and "" not in words else set()


def _with_options(rule: AnyRule, options: Mapping[str, object]) -> AnyRule:
    """``rule`` with some of its fields overridden, validated again."""
    from pydantic import ValidationError

    from .errors import RuleFileError

    data = rule.model_dump(by_alias=True)
    data.update(options)
    try:
        new = type(rule).model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise RuleFileError([f"rule-options for '{rule.id}': {where}: {first['msg']}"]) from None
    new._origin, new._pack, new._cues = rule.origin, rule.pack, rule.cues
    return new


@cache
def _default_engine() -> Engine:
    return Engine.from_paths()
