"""The engine: rules compiled once, then ``check`` and ``fix`` on any number of replies."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from functools import cache
from pathlib import Path

from .errors import OptionError, UnknownRuleError
from .fixes import apply_fixes
from .kinds import Checker, Context, compile_rule
from .loader import AnyRule, default_rules_dir, load_paths
from .model import POSITIONS, Finding, Severity
from .normalize import normalize

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
        rules = list(rules)
        if options:
            rules = [_with_options(r, options[r.id]) if r.id in options else r for r in rules]
        self.rules: tuple[AnyRule, ...] = tuple(rules)
        pack_names = set(packs)
        unknown_packs = pack_names - {r.pack for r in self.rules}
        if unknown_packs:
            raise UnknownRuleError(f"unknown rule pack(s): {', '.join(sorted(unknown_packs))}")
        names = {r.id: r.id for r in self.rules}
        names.update({alias: r.id for r in self.rules for alias in r.aliases})

        def resolve(ids: Iterable[str], what: str) -> set[str]:
            unknown = sorted(set(ids) - names.keys())
            if unknown:
                raise UnknownRuleError(f"unknown rule id(s) to {what}: {', '.join(unknown)}")
            return {names[i] for i in ids}

        enabled = resolve(enable, "enable") | {r.id for r in self.rules if r.pack in pack_names}
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
            for rule in self.rules
            if (kept is None or rule.id in kept)
            and rule.id not in disabled
            and (rule.enabled or rule.id in enabled or (kept is not None and rule.id in kept))
        )
        # One alternation of the trigger words of every checker that has them: a reply with
        # none of them (most replies) skips all those checkers at once. Rules about the
        # customer's message are left out of the screen used when it is unknown.
        self._screens = (
            _Screen(self.checkers),
            _Screen([c for c in self.checkers if not c.needs_customer]),
        )

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
        sources: list[str | Path] = [default_rules_dir()] if defaults else []
        sources.extend(paths)
        return cls(
            load_paths(sources),
            enable=enable,
            disable=disable,
            only=only,
            severity=severity,
            packs=packs,
            options=options,
        )

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
        ctx = Context(
            text, normalize(text), position, None if customer is None else normalize(customer)
        )
        findings: list[Finding] = []
        checkers = self._screens[ctx.customer is None].select(ctx.norm)
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
        for _ in range(_MAX_FIX_PASSES):
            found = self.check(text, position=position, customer=customer, ignore=ignore)
            fixed = apply_fixes(text, found)
            if fixed == text:
                break
            text = fixed
        return text


class _Screen:
    """Which of some checkers may fire on a text: those without trigger words, and those
    with one of theirs in it."""

    def __init__(self, checkers: Sequence[Checker]) -> None:
        self.checkers = tuple(checkers)
        words = sorted({w for c in checkers for w in c.triggers}, key=lambda w: (-len(w), w))
        self.regex = re.compile("|".join(map(re.escape, words))) if words else None
        self.always = tuple(c for c in checkers if not c.triggers)
        # For each word the screen can find: the checkers with a trigger that is a prefix of
        # it (the alternation prefers the longest word at a position).
        self.gated: dict[str, frozenset[int]] = {
            word: frozenset(
                i for i, c in enumerate(checkers) if any(word.startswith(t) for t in c.triggers)
            )
            for word in words
        }

    def select(self, norm: str) -> Sequence[Checker]:
        """The checkers that may fire on ``norm``. Matches of the screen do not overlap,
        so the positions inside each match are tried too: every occurrence of every
        trigger word is seen."""
        screen = self.regex
        if screen is None:
            return self.checkers
        first = screen.search(norm)
        if first is None:
            return self.always  # no trigger word anywhere: the others cannot fire
        hit: set[int] = set()
        gated = self.gated
        for m in screen.finditer(norm, first.start()):
            hit.update(gated[m.group()])
            for at in range(m.start() + 1, m.end()):
                inner = screen.match(norm, at)
                if inner is not None:
                    hit.update(gated[inner.group()])
        return [c for i, c in enumerate(self.checkers) if i in hit or not c.triggers]


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
