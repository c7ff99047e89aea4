"""Errors replycoach raises on purpose. Everything derives from :class:`ReplycoachError`."""

from __future__ import annotations

import re

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import NamedTuple

    class _Fields(NamedTuple):
        file: str
        line: int
        field: str
        message: str

else:  # the same record without importing typing or dataclasses (``--version`` imports this)
    from collections import namedtuple

    _Fields = namedtuple("_Fields", ["file", "line", "field", "message"])


class ReplycoachError(Exception):
    """Base class of every error replycoach raises on purpose."""


class RuleProblem(_Fields):
    """One problem in a rule file, for tools: ``file``, ``line`` (1-based), ``field`` (the
    place in the file, e.g. ``rules[0].severity``; empty when the whole file is meant) and
    ``message``.

    >>> p = RuleProblem.parse("rules/a.yaml:4: rules[0].severity: 'fatal' is not one of error")
    >>> p.file, p.line, p.field, p.message
    ('rules/a.yaml', 4, 'rules[0].severity', "'fatal' is not one of error")
    """

    __slots__ = ()

    _FORM = re.compile(r"^(?P<file>.*?):(?P<line>\d+)(?::\d+)?: (?P<rest>.*)$", re.S)
    _FIELD = re.compile(r"^(?P<field>(?:rule '[^']*': )?[\w.\[\]'-]+): (?P<message>.*)$", re.S)

    @classmethod
    def parse(cls, text: str) -> RuleProblem:
        """Read a ``path:line: field: message`` line."""
        m = cls._FORM.match(text)
        if m is None:
            return cls("", 1, "", text)
        rest = m.group("rest")
        f = cls._FIELD.match(rest)
        if f is None or " " in f.group("field").split(": ")[-1]:
            return cls(m.group("file"), int(m.group("line")), "", rest)
        return cls(m.group("file"), int(m.group("line")), f.group("field"), f.group("message"))

    def __str__(self) -> str:
        field = f"{self.field}: " if self.field else ""
        return f"{self.file}:{self.line}: {field}{self.message}"


class RuleFileError(ReplycoachError):
    """A rule file cannot be used. The message names the file, the line and the field.

    ``problems`` holds one line per problem, each ``path:line: location: what``;
    ``details`` the same as :class:`RuleProblem` records (file, line, field, message).
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))

    @property
    def details(self) -> list[RuleProblem]:
        """The problems as structured records."""
        return [RuleProblem.parse(p) for p in self.problems]


class OptionError(ReplycoachError, ValueError):
    """An option has a value that is not allowed (e.g. a severity that is not error,
    warning or info)."""


class UnknownRuleError(ReplycoachError):
    """A rule id was named (to enable, disable or override) that no loaded rule has."""
