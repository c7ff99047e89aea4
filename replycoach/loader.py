"""Rule files: YAML in, validated :class:`Rule` objects out, or a :class:`RuleFileError`.

A rule file is a mapping with one key, ``rules``, holding a list of rules. Each rule is
validated by the pydantic models below (unknown keys are errors), and every problem is
reported with the file, the line and the field, e.g.::

    rules/custom.yaml:14: rules[3].severity: 'fatal' is not one of error, warning, info
"""

from __future__ import annotations

import hashlib
import re
import reprlib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from string import Formatter
from typing import Annotated, Any, ClassVar, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from .cues import CUE_PREFIX as CUE_PREFIX  # re-exported
from .cues import SLOT_NAME, SLOTS, Guard, check_template, fill_slots, slot_names, slot_pattern
from .errors import RuleFileError
from .model import Position, Severity
from .regex import backtracking, runs_linear
from .rulecache import default_rules_dir as default_rules_dir  # re-exported
from .rulecache import rule_files

RULE_ID = r"^[a-z0-9]+(-[a-z0-9]+)*$"
MAX_PATTERN = 10_000
"""A condition's phrase written ``@name`` stands for the cue set ``name``."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CueExamples(_Strict):
    """Texts the cue set must find (``match``) and must not find (``no_match``)."""

    match: list[str] = []
    no_match: list[str] = []


class Evasion(_Strict):
    """How a rule or a cue set sees through spellings written to evade it (``evasion:``).

    Matching then also runs on the reply's *evasion view*: letters and digits folded
    (``ＶＸ``, ``Vx`` → ``vx``; ``①`` → ``1``), filler characters inside a match skipped
    (spaces, symbols, emoji, zero-width characters; never clause punctuation), and the
    spellings of the named variant tables (``rules/variants/NAME.yaml``) replaced by their
    canonical ones. Findings keep exact spans on the original text.
    """

    variants: list[str] = []
    """Names of variant tables in ``rules/variants/`` (``contact``, ``rude``, ``digits``)."""
    skip: bool = True
    """Skip filler characters inside a match (``加 微 信``, ``微❤信``)."""
    gap: int = Field(3, ge=0, le=10)
    """At most this many filler characters in a row inside one match."""
    screen: str | None = None
    """Speed only, for a pattern rule without literal trigger words: a regex searched on
    the folded reply (lower case, filler characters skipped, variants not yet replaced);
    the view is made only where it matches. It must match wherever the view could find
    what the plain text does not."""

    @field_validator("screen")
    @classmethod
    def _screen_compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from None
        return value

    @field_validator("variants")
    @classmethod
    def _tables_exist(cls, value: list[str]) -> list[str]:
        from .normalize import VariantTableError, variant_tables

        try:
            known = variant_tables()
        except VariantTableError as exc:
            raise ValueError(str(exc)) from None
        unknown = [name for name in value if name not in known]
        if unknown:
            raise ValueError(
                f"unknown variant table(s) {', '.join(unknown)}; known: {', '.join(known)}"
            )
        return value


class Slot(_Strict):
    """A pack's own template slot (``slots:`` at the top of a cue or rule file): a name any
    template of the pack may write as ``{name}``, standing for one of ``phrases`` (an
    alternation, longest first) or a match of ``pattern`` (a regular expression, which may
    use the built-in slots). A bare list is short for ``{phrases: [...]}``."""

    description: str = ""
    phrases: list[Annotated[str, Field(min_length=1)]] = []
    pattern: str | None = None
    _origin: str = PrivateAttr(default="")

    @property
    def origin(self) -> str:
        """``path:line`` where the slot is declared."""
        return self._origin

    @field_validator("pattern")
    @classmethod
    def _pattern_compiles(cls, value: str | None) -> str | None:
        if value is None:
            return None
        unknown = [n for n in slot_names(value) if n not in SLOTS]
        if unknown:
            raise ValueError(
                f"unknown slot {{{unknown[0]}}}: a slot's pattern may use the built-in slots "
                f"only ({', '.join(f'{{{n}}}' for n in SLOTS)})"
            )
        _check_regex(slot_pattern((), value))
        return value

    @model_validator(mode="after")
    def _says_something(self) -> Slot:
        if not (self.phrases or self.pattern):
            raise ValueError("a slot needs phrases or a pattern")
        if re.compile(self.regex).match(""):
            raise ValueError("a slot must not match the empty string")
        return self

    @property
    def regex(self) -> str:
        """The regular expression ``{name}`` stands for in a template."""
        return slot_pattern(self.phrases, self.pattern)


class CueSet(_Strict):
    """A named set of phrases and templates, referenced from rules as ``"@name"``."""

    name: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    description: str = ""
    phrases: list[str] = []
    templates: list[str] = []
    """Regular expressions over the normalised text with slots (:data:`replycoach.cues.SLOTS`)."""
    exceptions: list[str] = []
    """Longer strings inside which a match does not count (antipatterns: 不了解 for 不了), or
    ``"@name"``: a cue set whose matches a match may not overlap."""
    not_in: list[Guard] = []
    """Contexts in which a match does not count (:data:`replycoach.cues.Guard`)."""
    evasion: Evasion | None = None
    """Also match evasive spellings of the phrases and templates (see :class:`Evasion`)."""
    examples: CueExamples = CueExamples()
    _origin: str = PrivateAttr(default="")
    _refs: dict[str, CueSet] = PrivateAttr(default_factory=dict)
    _slots: dict[str, Slot] = PrivateAttr(default_factory=dict)

    @property
    def slots(self) -> dict[str, Slot]:
        """The pack's own slots its templates use, by name, resolved by the loader."""
        return self._slots

    @property
    def filled_templates(self) -> list[str]:
        """Its templates with the pack's own slots put in (the built-in ones left as slots):
        what the matcher compiles."""
        regexes = {name: slot.regex for name, slot in self._slots.items()}
        return [fill_slots(t, regexes) for t in self.templates]

    def antipatterns(self) -> list[str]:
        """Names of the cue sets its exceptions reference (``"@name"``)."""
        return [e[1:] for e in self.exceptions if e.startswith("@")]

    @property
    def refs(self) -> dict[str, CueSet]:
        """The cue sets its exceptions reference, resolved by the loader."""
        return self._refs

    @property
    def origin(self) -> str:
        """``path:line`` where the cue set is defined."""
        return self._origin

    @field_validator("templates")
    @classmethod
    def _templates_compile(cls, value: list[str]) -> list[str]:
        for template in value:
            check_template(template)
        return value

    @model_validator(mode="after")
    def _says_something(self) -> CueSet:
        if not (self.phrases or self.templates):
            raise ValueError("a cue set needs phrases or templates")
        return self


class Source(_Strict):
    """Where a rule comes from: a guidance file and the passage quoted from it."""

    file: str = Field(min_length=1)
    passage: str = Field(min_length=1)


class FlagExample(_Strict):
    """A reply the rule must flag. ``span`` is the expected excerpt (default: any),
    ``suggest`` the expected suggestions, ``fixed`` the expected output of ``fix``."""

    text: str
    span: str | None = None
    suggest: list[str] | None = None
    fixed: str | None = None
    position: Position | None = None
    customer: str | None = None


class CleanExample(_Strict):
    """A reply the rule must leave alone."""

    text: str
    position: Position | None = None
    customer: str | None = None


class FixExample(_Strict):
    """``text`` run through ``fix`` must give ``fixed``."""

    text: str
    fixed: str
    position: Position | None = None
    customer: str | None = None


def _wrap_text(value: Any) -> Any:
    return {"text": value} if isinstance(value, str) else value


class Examples(_Strict):
    """The examples every rule ships; the test suite runs them all."""

    flag: list[FlagExample] = Field(min_length=1)
    clean: list[CleanExample] = Field(min_length=1)
    fix: list[FixExample] = []

    @field_validator("flag", "clean", mode="before")
    @classmethod
    def _strings_are_texts(cls, value: Any) -> Any:
        return [_wrap_text(v) for v in value] if isinstance(value, list) else value


class _RuleBase(_Strict):
    id: str = Field(pattern=RULE_ID)
    severity: Severity
    message: str = Field(min_length=1)
    """Chinese, for people. May use {match}, {suggestions}; count rules also {count}, {against}."""
    source: Source
    examples: Examples
    description: str = ""
    enabled: bool = True
    """False: the rule ships but runs only when enabled by name."""
    aliases: list[str] = []
    """Former ids, so renamed rules can still be disabled by their old names."""
    _origin: str = PrivateAttr(default="")
    _pack: str = PrivateAttr(default="")
    _cues: dict[str, CueSet] = PrivateAttr(default_factory=dict)

    @property
    def cues(self) -> dict[str, CueSet]:
        """The cue sets the rule references (``"@name"``), resolved by the loader."""
        return self._cues

    placeholders: ClassVar[tuple[str, ...]] = ("match", "suggestions")
    """The ``{names}`` this kind's message may use."""

    @field_validator("message")
    @classmethod
    def _known_placeholders(cls, value: str) -> str:
        return check_message(value, cls.placeholders)

    @property
    def origin(self) -> str:
        """``path:line`` where the rule is defined (empty when built in code)."""
        return self._origin

    @property
    def pack(self) -> str:
        """The pack the rule came from: its file name without ending (e.g. ``compliance``)."""
        return self._pack


class _PhraseBase(_RuleBase):
    evasion: Evasion | None = None
    """Also match evasive spellings (see :class:`Evasion`)."""
    exceptions: list[str] = []
    """Longer strings inside which a match does not count (保证金 for 保证)."""
    boundary: Literal["none", "jieba"] = "none"
    """``jieba``: a match must start and end on a word boundary of jieba's segmentation."""
    unless: list[str] = []
    """If the reply contains any of these, the rule stays silent (e.g. a follow-up promise)."""
    not_in: list[Guard] = []
    """Contexts in which a match does not count: conditional, question, customer, negated,
    request (see :data:`replycoach.cues.Guard`)."""


def check_message(message: str, allowed: Sequence[str]) -> str:
    """``message`` if its ``{placeholders}`` are all among ``allowed``, bare (no format spec
    such as ``{match:>9999}``, no conversion, no index or attribute); else ValueError."""
    try:
        fields = [(name, spec, conv) for _, name, spec, conv in Formatter().parse(message)]
    except ValueError as exc:
        raise ValueError(f"not a valid message: {exc} (write {{{{ and }}}} for braces)") from None
    for name, spec, conversion in fields:
        if name is None:
            continue
        if name not in allowed:
            raise ValueError(
                f"unknown placeholder {{{name[:40]}}}; this kind's messages may use "
                + ", ".join(f"{{{a}}}" for a in allowed)
            )
        if spec or conversion:
            raise ValueError(f"placeholder {{{name}}} takes no format spec or conversion")
    return message


def _check_regex(pattern: str) -> None:
    """Raise ValueError (reported at the field) unless ``pattern`` is a usable regex."""
    if not pattern:
        raise ValueError("a pattern must not be empty")
    if len(pattern) > MAX_PATTERN:
        raise ValueError(f"a pattern holds at most {MAX_PATTERN} characters")
    try:
        re.compile(pattern)
    except (re.error, OverflowError, RecursionError) as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from None
    why = backtracking(pattern)
    if why and not runs_linear(pattern):
        raise ValueError(
            f"this pattern can take exponential or polynomial time ({why}); rewrite it so "
            "that every piece of text can be matched one way only"
        )


def _check_exceptions(exceptions: list[str], words: Iterable[str]) -> None:
    words = [w for w in words if not w.startswith(CUE_PREFIX)]
    if len(words) == 0:
        return  # only cue sets: their matches vary, any exception may apply
    useless = [
        e for e in exceptions if not e.startswith(CUE_PREFIX) and not any(w in e for w in words)
    ]
    if useless:
        raise ValueError(
            "@exceptions: an exception must contain one of the rule's words; these do not: "
            + ", ".join(useless)
        )


class ExistenceRule(_PhraseBase):
    """Flags each occurrence of any of ``words``; ``suggest`` lists approved alternatives.
    A word written ``@name`` stands for the cue set ``name``: its phrases and templates
    count as words (``words: [滚, "@impatience"]``)."""

    kind: Literal["existence"]
    words: list[str] = Field(min_length=1)
    suggest: list[str] = []

    @model_validator(mode="after")
    def _exceptions_contain_words(self) -> ExistenceRule:
        _check_exceptions(self.exceptions, self.words)
        return self


class SubstitutionRule(_PhraseBase):
    """Flags each key of ``swap`` and offers its replacements. With ``fix: safe``, a word
    with exactly one replacement is rewritten by ``fix``. A key written ``@name`` stands
    for the cue set ``name``: each of its matches gets that key's replacements, for a person
    to choose (``"@vow-shape": [尽量, 争取]``); ``fix`` never applies them."""

    kind: Literal["substitution"]
    swap: dict[str, list[str]] = Field(min_length=1)
    fix: Literal["safe", "unsafe"] = "unsafe"

    @model_validator(mode="after")
    def _exceptions_contain_words(self) -> SubstitutionRule:
        _check_exceptions(self.exceptions, self.swap)
        return self


Check = Literal["cn-id-checksum", "luhn"]
_Keep = Annotated[int, Field(ge=0, le=1000)]


class PatternRule(_RuleBase):
    """Flags each match of a regular expression (a list is joined as alternatives).

    ``validate`` names a check the whole match must pass, or maps named groups to checks
    that apply when that group took part in the match. A group named ``span`` narrows the
    finding to that group."""

    kind: Literal["pattern"]
    pattern: str | list[str]
    validate_: Check | dict[str, Check] | None = Field(default=None, alias="validate")
    prefilter: str | None = None
    """A cheap regex that must match somewhere before ``pattern`` is tried (speed only)."""
    mask: (
        tuple[Annotated[int, Field(ge=0, le=1000)], Annotated[int, Field(ge=0, le=1000)]] | None
    ) = None
    """Suggest the match with all but the first/last N characters replaced by ``*``."""
    suggest: list[str] = []
    unless: list[str] = []
    not_after: list[str] = []
    """Cue words (negations, warnings) that cancel a match standing after them in the same
    clause: ``不要`` in ``请不要相信私下交易``."""
    evasion: Evasion | None = None
    """Also match evasive spellings (see :class:`Evasion`); the pattern then also runs,
    case-insensitively, on the evasion view."""

    @property
    def regex(self) -> str:
        """The pattern as one regular expression."""
        if isinstance(self.pattern, str):
            return self.pattern
        return "|".join(f"(?:{p})" for p in self.pattern)

    @field_validator("pattern", "prefilter")
    @classmethod
    def _compiles(cls, value: str | list[str] | None) -> str | list[str] | None:
        if value is None:
            return None
        for piece in [value] if isinstance(value, str) else value:
            _check_regex(piece)
        return value

    @model_validator(mode="after")
    def _groups_exist(self) -> PatternRule:
        if isinstance(self.validate_, dict):
            groups = re.compile(self.regex).groupindex
            missing = [g for g in self.validate_ if g not in groups]
            if missing:
                raise ValueError("@validate: no group named " + ", ".join(missing))
        return self


class CountRule(_RuleBase):
    """Counts ``words`` against ``against`` (exceptions excluded) and fires once when
    ``count >= min`` and ``count > ratio * against``."""

    kind: Literal["count"]
    words: list[str] = Field(min_length=1)
    against: list[str] = []
    exceptions: list[str] = []
    min: int = Field(default=2, ge=1, le=10_000)
    ratio: float = Field(default=1.0, ge=0, le=10_000, allow_inf_nan=False)
    placeholders: ClassVar[tuple[str, ...]] = ("match", "suggestions", "count", "against")

    @model_validator(mode="after")
    def _exceptions_contain_words(self) -> CountRule:
        _check_exceptions(self.exceptions, [*self.words, *self.against])
        return self


class PositionRule(_RuleBase):
    """At the given conversation positions the reply must contain one of ``require``.
    Fires on the first (``at: start``) or last (``at: end``) sentence and suggests it with
    one of ``add`` put in front of it or after it."""

    kind: Literal["position"]
    when: list[Position] = Field(min_length=1)
    require: list[str] = Field(min_length=1)
    at: Literal["start", "end"]
    add: list[str] = []


Scope = Literal["reply", "customer"]


class Condition(_Strict):
    """A test on the reply or on the customer's message it answers.

    ``any`` (or ``pattern``): at least ``at_least`` of these phrases (or the regex) occur;
    ``all``: every phrase occurs; ``none``: no phrase occurs. Given together, all must hold.
    A phrase written ``@name`` stands for the cue set ``name`` (``none: ["@apology"]``).
    ``exceptions`` are longer strings inside which a phrase does not count; ``not_in`` the
    contexts in which a match does not count (``[conditional, question, customer]``).
    """

    in_: Scope = Field("reply", alias="in")
    any: list[str] = []
    all: list[str] = []
    none: list[str] = []
    pattern: str | None = None
    at_least: int = Field(1, ge=1, le=1000)
    exceptions: list[str] = []
    not_in: list[Guard] = []

    def references(self) -> list[tuple[str, int, str]]:
        """The cue sets it names: (field, index, name)."""
        return [
            (field, i, phrase[len(CUE_PREFIX) :])
            for field in ("any", "all", "none", "exceptions")
            for i, phrase in enumerate(getattr(self, field))
            if phrase.startswith(CUE_PREFIX)
        ]

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            _check_regex(value)
        return value

    @model_validator(mode="after")
    def _says_something(self) -> Condition:
        if not (self.any or self.all or self.none or self.pattern):
            raise ValueError("a condition needs any, all, none or pattern")
        _check_exceptions(self.exceptions, [*self.any, *self.all, *self.none])
        return self


class CombinationRule(_RuleBase):
    """Fires when every condition holds (over the reply and the customer's message). The
    finding marks the reply's matches of ``mark`` (default: its first sentence); a rule with
    a ``customer`` condition stays silent when the customer's message is unknown."""

    kind: Literal["combination"]
    conditions: list[Condition] = Field(min_length=1)
    mark: Condition | None = None
    suggest: list[str] = []
    add: list[str] = []
    """Text to put before the marked span, as suggestions."""


class LengthRule(_RuleBase):
    """Flags a stretch of text longer than ``max`` characters with none of ``breaks``."""

    kind: Literal["length"]
    max: int = Field(40, ge=2, le=100_000)
    breaks: str = "，。！？；：、,.!?;:~～…\n \t"
    min_han: float = Field(0.5, ge=0, le=1, allow_inf_nan=False)
    """Share of Chinese characters a stretch needs to count (URLs and codes do not)."""
    placeholders: ClassVar[tuple[str, ...]] = ("match", "suggestions", "length", "max")
    sentence_marks: str = "的了是在您你我会要哦呢吗吧就也都请能可让把给"
    """A stretch needs one of these to be a sentence (product titles, names and addresses
    have none); empty: every stretch counts."""
    suggest: list[str] = []


AnyRule = (
    ExistenceRule
    | SubstitutionRule
    | PatternRule
    | CountRule
    | PositionRule
    | CombinationRule
    | LengthRule
)
"""Any rule."""

Rule = Annotated[AnyRule, Field(discriminator="kind")]
"""Any rule in a rule file, told apart by its ``kind``."""


class RuleFile(_Strict):
    """The top level of a rule file: its rules, cue sets its rules (and the other files of
    its pack) may reference as ``"@name"``, and slots any template of the pack may use as
    ``{name}``."""

    rules: list[Rule] = []
    cues: list[CueSet] = []
    slots: dict[str, Slot] = {}

    @field_validator("slots", mode="before")
    @classmethod
    def _slot_names(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        for name in value:
            if not isinstance(name, str) or not re.match(SLOT_NAME, name):
                raise ValueError(
                    f"@{name}: a slot's name is lower-case letters and _ ({SLOT_NAME})"
                )
            if name in SLOTS:
                raise ValueError(
                    f"@{name}: {{{name}}} is a built-in slot; choose another name "
                    f"(built in: {', '.join(SLOTS)})"
                )
        # a bare list of phrases is short for {phrases: [...]}
        return {k: {"phrases": v} if isinstance(v, list) else v for k, v in value.items()}

    @model_validator(mode="after")
    def _unique_ids(self) -> RuleFile:
        if not self.rules and not self.cues and not self.slots:
            raise ValueError("a rule file needs 'rules' (or 'cues', 'slots')")
        names = [c.name for c in self.cues]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"cue set(s) defined twice in this file: {', '.join(twice)}")
        seen: set[str] = set()
        for rule in self.rules:
            if rule.id in seen:
                raise ValueError(f"rule id '{rule.id}' is used twice in this file")
            seen.add(rule.id)
        return self


# ---------------------------------------------------------------- YAML with line numbers


_Base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineLoader(_Base):  # type: ignore[valid-type,misc]
    """Safe loader (libyaml's when installed) that refuses duplicate keys, which PyYAML
    would silently keep the last of."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    mapping: dict[Any, Any] = loader.construct_mapping(node)
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 64
MAX_EXPANDED = 100_000
MAX_EXPANDED_CHARS = 4_000_000


def _check_expansion(root: yaml.Node, path: str) -> None:
    """Refuse a document whose aliases expand it beyond :data:`MAX_EXPANDED` values or
    :data:`MAX_EXPANDED_CHARS` characters (an alias bomb: 568 bytes can stand for
    gigabytes), that refers to itself, or that nests deeper than :data:`MAX_DEPTH`. The node
    graph is walked once, each shared node sized once, nothing is expanded."""
    sizes: dict[int, tuple[int, int]] = {}
    distinct = 0
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    open_nodes: set[int] = set()
    while stack:
        node, done = stack.pop()
        key = id(node)
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        if not done:
            if key in sizes:
                continue
            if key in open_nodes:
                raise RuleFileError(
                    [f"{path}:{node.start_mark.line + 1}: a YAML alias refers to itself"]
                )
            if len(open_nodes) >= MAX_DEPTH:
                raise RuleFileError(
                    [f"{path}:{node.start_mark.line + 1}: nested deeper than {MAX_DEPTH} levels"]
                )
            open_nodes.add(key)
            distinct += 1
            stack.append((node, True))
            stack.extend((child, False) for child in children)
            continue
        open_nodes.discard(key)
        count, chars = 1, len(node.value) if isinstance(node, yaml.ScalarNode) else 0
        for child in children:
            c, n = sizes[id(child)]
            count, chars = count + c, chars + n
        sizes[key] = (count, chars)
        if count > max(MAX_EXPANDED, 2 * distinct) or chars > MAX_EXPANDED_CHARS:
            raise RuleFileError(
                [
                    f"{path}:{node.start_mark.line + 1}: YAML aliases expand this to over "
                    f"{MAX_EXPANDED:,} values or {MAX_EXPANDED_CHARS:,} characters "
                    "(an alias bomb?); write the values out or use fewer aliases"
                ]
            )


def _node_for(root: yaml.Node | None, loc: Sequence[int | str]) -> tuple[yaml.Node | None, str]:
    """Walk the YAML node tree along a pydantic error location; return the deepest node
    reached and the location written as ``rules[3].severity``."""
    node = root
    text = ""
    after_index = False
    for part in loc:
        if after_index and isinstance(node, yaml.MappingNode) and part == _kind_of(node):
            after_index = False
            continue  # the discriminator's tag, not a field
        after_index = isinstance(part, int)
        if isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part < len(node.value):
                node = node.value[part]
            text += f"[{part}]"
            continue
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            keys = {k.value: (k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode)}
            if part in keys:
                node = keys[part][1]
            # else: a missing field; the mapping that lacks it is the place to point at
            text += f".{part}" if text else part
            continue
        text += f".{part}" if text else str(part)
    return node, text


def _kind_of(node: yaml.MappingNode) -> str | None:
    for key, value in node.value:
        if getattr(key, "value", None) == "kind" and isinstance(value, yaml.ScalarNode):
            return str(value.value)
    return None


_SHORT = reprlib.Repr()
_SHORT.maxstring = _SHORT.maxother = 60
_SHORT.maxlist = _SHORT.maxdict = 4
_SHORT.maxlevel = 2


def _clip(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _describe(error: Any) -> str:
    kind = error["type"]
    value = error.get("input")
    if kind == "literal_error" or kind == "enum":
        expected = error.get("ctx", {}).get("expected", "")
        expected = expected.replace("'", "").replace(" or ", ", ")
        return f"{_SHORT.repr(value)} is not one of {expected}"
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "union_tag_invalid":
        expected = error.get("ctx", {}).get("expected_tags", "")
        expected = expected.replace("'", "")
        return f"kind {error.get('ctx', {}).get('tag')!r} is not one of {expected}"
    if kind == "union_tag_not_found":
        return "required field 'kind' is missing"
    msg = str(error["msg"])
    return msg.removeprefix("Value error, ")


class _Parsed:
    """One rule file, validated; its cue references and its templates' slots not yet
    resolved."""

    def __init__(
        self,
        rules: list[AnyRule],
        cues: list[CueSet],
        refs: list[_Ref],
        slots: dict[str, _KnownSlot] | None = None,
        templates: list[_SlotUse] | None = None,
    ) -> None:
        self.rules = rules
        self.cues = cues
        self.refs = refs
        self.slots = slots or {}
        self.templates = templates or []


_KnownSlot = Slot
"""A pack's slot, its :attr:`Slot.origin` set."""

_SlotUse = tuple[CueSet, str, str]
"""A template that names a slot of the pack: its cue set, the template, ``path:line: field``."""


_Ref = tuple[AnyRule, str, str]
"""A cue reference: the rule, the cue set's name, and ``path:line: field`` where it is."""


def _parse(text: str, path: str) -> _Parsed:
    if len(text) > MAX_FILE_BYTES:
        raise RuleFileError([f"{path}:1: a rule file holds at most {MAX_FILE_BYTES:,} bytes"])
    loader = _LineLoader(text)
    try:
        root = loader.get_single_node()
        if root is not None:
            _check_expansion(root, path)
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = f"{mark.line + 1}" if mark is not None else "1"
        problem = getattr(exc, "problem", None) or str(exc)
        raise RuleFileError([f"{path}:{line}: not valid YAML: {_clip(problem)}"]) from None
    except RecursionError:
        raise RuleFileError([f"{path}:1: nested deeper than {MAX_DEPTH} levels"]) from None
    except (ValueError, OverflowError) as exc:  # e.g. an integer of 5,000 digits
        raise RuleFileError([f"{path}:1: not valid YAML: {_clip(str(exc))}"]) from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise RuleFileError([f"{path}:1: a rule file is a mapping with the key 'rules'"])
    try:
        parsed = RuleFile.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc: list[int | str] = list(error["loc"])
            msg = str(error.get("msg", ""))
            if error["type"] == "value_error" and msg.startswith("Value error, @"):
                field, _, rest = msg.removeprefix("Value error, @").partition(": ")
                loc.append(field)
                error = {**error, "msg": rest}
            node, where = _node_for(root, loc)
            number = node.start_mark.line + 1 if node is not None else 1
            problems.append(f"{path}:{number}: {where or 'file'}: {_clip(_describe(error))}")
        raise RuleFileError(problems) from None
    rules = list(parsed.rules)
    pack = Path(path).stem
    refs: list[_Ref] = []

    def line_of(loc: list[int | str]) -> tuple[int, str]:
        node, where = _node_for(root, loc)
        return (node.start_mark.line + 1 if node is not None else 1), where

    for i, rule in enumerate(rules):
        number, _ = line_of(["rules", i])
        rule._origin = f"{path}:{number}"
        rule._pack = pack
        if isinstance(rule, CombinationRule):
            conditions: list[tuple[list[int | str], Condition]] = [
                (["conditions", j], c) for j, c in enumerate(rule.conditions)
            ]
            if rule.mark is not None:
                conditions.append((["mark"], rule.mark))
            for at, cond in conditions:
                for field, k, name in cond.references():
                    number, where = line_of(["rules", i, *at, field, k])
                    refs.append((rule, name, f"{path}:{number}: {where}"))
        if isinstance(rule, ExistenceRule):
            for k, entry in enumerate(rule.words):
                if entry.startswith(CUE_PREFIX):
                    number, where = line_of(["rules", i, "words", k])
                    refs.append((rule, entry[len(CUE_PREFIX) :], f"{path}:{number}: {where}"))
        if isinstance(rule, SubstitutionRule):
            for entry in rule.swap:
                if entry.startswith(CUE_PREFIX):
                    number, where = line_of(["rules", i, "swap", entry])
                    refs.append((rule, entry[len(CUE_PREFIX) :], f"{path}:{number}: {where}"))
        for k, entry in enumerate(getattr(rule, "exceptions", [])):
            if entry.startswith(CUE_PREFIX):
                number, where = line_of(["rules", i, "exceptions", k])
                refs.append((rule, entry[len(CUE_PREFIX) :], f"{path}:{number}: {where}"))
    cues = list(parsed.cues)
    uses: list[_SlotUse] = []
    for i, cue in enumerate(cues):
        number, _ = line_of(["cues", i])
        cue._origin = f"{path}:{number}"
        for k, template in enumerate(cue.templates):
            if any(name not in SLOTS for name in slot_names(template)):
                number, where = line_of(["cues", i, "templates", k])
                uses.append((cue, template, f"{path}:{number}: {where}"))
    slots: dict[str, _KnownSlot] = {}
    for name, slot in parsed.slots.items():
        number, _ = line_of(["slots", name])
        slot._origin = f"{path}:{number}"
        slots[name] = slot
    return _Parsed(rules, cues, refs, slots, uses)


def _link_slots(
    uses: Iterable[_SlotUse], known: Mapping[str, _KnownSlot], problems: list[str]
) -> None:
    """Give each template's cue set the pack's slots it names; an unknown slot, or a
    template the slots make unusable, is a problem naming the template's file and line."""
    for cue, template, where in uses:
        names = [n for n in slot_names(template) if n not in SLOTS]
        unknown = [n for n in names if n not in known]
        if unknown:
            slots = ", ".join(f"{{{n}}}" for n in [*SLOTS, *sorted(known)])
            problems.append(
                f"{where}: cue set '{cue.name}': unknown slot {{{unknown[0]}}} (slots: {slots})"
            )
            continue
        try:
            check_template(template, {n: known[n].regex for n in names})
        except ValueError as exc:
            problems.append(f"{where}: cue set '{cue.name}': {exc}")
            continue
        cue._slots.update({n: known[n] for n in names})


def _gather_slots(
    parsed: Sequence[_Parsed], known: dict[str, _KnownSlot], problems: list[str]
) -> dict[str, _KnownSlot]:
    """``known`` with the slots ``parsed`` declare; a name declared twice is a problem."""
    for p in parsed:
        for name, slot in p.slots.items():
            if name in known:
                problems.append(
                    f"{slot.origin}: slots.{name}: slot {{{name}}} is already defined "
                    f"({known[name].origin}); choose another name"
                )
                continue
            known[name] = slot
    return known


def _link_antipatterns(
    cues: Iterable[CueSet], known: Mapping[str, CueSet], problems: list[str]
) -> None:
    """Point each cue set's ``@name`` exceptions at the ``known`` sets; an unknown name is a
    problem naming the cue set's file and line."""
    for cue in cues:
        for name in cue.antipatterns():
            if name in known:
                cue._refs[name] = known[name]
            else:
                problems.append(
                    f"{cue.origin}: cues: cue set '{cue.name}': exceptions: unknown cue "
                    f"set '@{name}'"
                )


def _resolve(parsed: Sequence[_Parsed], *, with_defaults: bool = True) -> list[AnyRule]:
    """Resolve every ``@name`` against the cue sets of the default pack and of ``parsed``."""
    known: dict[str, CueSet] = dict(default_cues()) if with_defaults else {}
    problems: list[str] = []
    slots = _gather_slots(parsed, dict(default_slots()) if with_defaults else {}, problems)
    for p in parsed:
        for cue in p.cues:
            if cue.name in known and known[cue.name] is not cue:
                problems.append(
                    f"{cue.origin}: cues: cue set '{cue.name}' is already defined "
                    f"({known[cue.name].origin or 'default pack'}); choose another name"
                )
                continue
            known[cue.name] = cue
    for p in parsed:
        _link_slots(p.templates, slots, problems)
        _link_antipatterns(p.cues, known, problems)
        for rule, name, where in p.refs:
            found = known.get(name)
            if found is None:
                problems.append(
                    f"{where}: rule '{rule.id}': unknown cue set '@{name}' "
                    f"(known: {', '.join(sorted(known)) or 'none'})"
                )
            else:
                rule._cues[name] = found
    if problems:
        raise RuleFileError(problems)
    return [rule for p in parsed for rule in p.rules]


def parse_rules(text: str, path: str = "<string>") -> list[AnyRule]:
    """Validate the YAML text of a rule file; ``path`` is used in error messages.

    >>> rules = parse_rules('''
    ... rules:
    ...   - id: demo
    ...     kind: existence
    ...     severity: info
    ...     message: 别说“{match}”
    ...     words: [亲爱的]
    ...     source: {file: x.txt, passage: y}
    ...     examples: {flag: [亲爱的], clean: [您好]}
    ... ''')
    >>> rules[0].id
    'demo'
    """
    return _resolve([_parse(text, path)])


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise RuleFileError([f"{path}:1: cannot read rule file: {exc.strerror}"]) from None
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise RuleFileError([f"{path}:{line}: rule files must be UTF-8"]) from None


def _parse_paths(paths: Iterable[str | Path]) -> list[_Parsed]:
    """Every file once, even when named twice (by the configuration and the command line)."""
    parsed: list[_Parsed] = []
    problems: list[str] = []
    seen: set[Path] = set()
    for p in paths:
        for file in rule_files(p):
            if file.resolve() in seen:
                continue
            seen.add(file.resolve())
            try:
                parsed.append(_parse(_read(file), str(file)))
            except RuleFileError as exc:
                problems.extend(exc.problems)
    if problems:
        raise RuleFileError(problems)
    return parsed


def load_rules(path: str | Path) -> list[AnyRule]:
    """Load and validate one rule file, or every ``*.yaml``/``*.yml`` in a directory.

    Rules may reference the cue sets of the default pack and of the files loaded with them.
    Raises :class:`RuleFileError` naming the file, the line and the field.
    """
    return _resolve(_parse_paths([path]))


def load_cues(path: str | Path) -> dict[str, CueSet]:
    """The cue sets of a file, or of every ``*.yaml`` in a directory, by name. Their
    templates may use the slots these files declare and those of the default pack."""
    default_cues()  # (read again if its files changed)
    return _load_cues(path)[0]


def _load_cues(path: str | Path) -> tuple[dict[str, CueSet], dict[str, _KnownSlot]]:
    cues: dict[str, CueSet] = {}
    problems: list[str] = []
    files = _parse_paths([path])
    own = _gather_slots(files, {}, problems)
    slots = {**(_DEFAULT_SLOTS or {}), **own}
    for parsed in files:
        _link_slots(parsed.templates, slots, problems)
        for cue in parsed.cues:
            if cue.name in cues:
                problems.append(f"{cue.origin}: cues: cue set '{cue.name}' is defined twice")
            cues[cue.name] = cue
    _link_antipatterns(cues.values(), {**(_DEFAULT_CUES or {}), **cues}, problems)
    if problems:
        raise RuleFileError(problems)
    return cues, own


_DEFAULT_CUES: dict[str, CueSet] | None = None
_DEFAULT_SLOTS: dict[str, _KnownSlot] | None = None
_DEFAULT_CUES_KEY = ""


def default_cues() -> dict[str, CueSet]:
    """The cue sets of the default pack (``rules/cues/*.yaml``), by name: read again when
    the files' contents change, so that a long-running process never builds (and caches
    under the new contents' key) an engine with the cue sets it read at its start."""
    global _DEFAULT_CUES, _DEFAULT_SLOTS, _DEFAULT_CUES_KEY
    folder = default_rules_dir() / "cues"
    files = rule_files(folder) if folder.is_dir() else []
    digest = hashlib.blake2b(digest_size=16)
    for file in files:
        digest.update(file.name.encode() + b"\0" + file.read_bytes() + b"\0")
    key = digest.hexdigest()
    if _DEFAULT_CUES is None or key != _DEFAULT_CUES_KEY:
        _DEFAULT_CUES = _DEFAULT_SLOTS = None  # (nothing stale to refer to while read)
        _DEFAULT_CUES, _DEFAULT_SLOTS = _load_cues(folder) if files else ({}, {})
        _DEFAULT_CUES_KEY = key
    return _DEFAULT_CUES


def default_slots() -> dict[str, Slot]:
    """The slots the default pack's cue files declare (``slots:`` in ``rules/cues/*.yaml``),
    by name. Every template, a team's too, may use them."""
    default_cues()
    return dict(_DEFAULT_SLOTS or {})


def load_paths(paths: Iterable[str | Path]) -> list[AnyRule]:
    """Load several files or directories; all their problems are reported together.
    A file's rules may reference the cue sets of any of them. A file named twice is read
    once; a rule id (or alias) defined in two files is an error naming both places."""
    rules = _resolve(_parse_paths(paths))
    problems: list[str] = []
    defined: dict[str, AnyRule] = {}
    for rule in rules:
        for name in (rule.id, *rule.aliases):
            first = defined.setdefault(name, rule)
            if first is not rule:
                problems.append(
                    f"{rule.origin or '<rule>'}: rule id '{name}' is already defined at "
                    f"{first.origin or '<rule>'}"
                )
    if problems:
        raise RuleFileError(problems)
    return rules


def rule_file_schema() -> dict[str, Any]:
    """The JSON Schema of rule files, for editors (generated from the pydantic models)."""
    schema = RuleFile.model_json_schema(by_alias=True)
    examples = schema["$defs"]["Examples"]["properties"]
    for key, model in (("flag", "FlagExample"), ("clean", "CleanExample")):
        # a bare string is short for {text: ...}
        examples[key]["items"] = {"anyOf": [{"type": "string"}, {"$ref": f"#/$defs/{model}"}]}
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "replycoach rule file"
    return schema
