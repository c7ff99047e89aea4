"""Errors replycoach raises on purpose. Everything derives from :class:`ReplycoachError`."""

from __future__ import annotations


class ReplycoachError(Exception):
    """Base class of every error replycoach raises on purpose."""


class RuleFileError(ReplycoachError):
    """A rule file cannot be used. The message names the file, the line and the field.

    ``problems`` holds one line per problem, each ``path:line: location: what``.
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class UnknownRuleError(ReplycoachError):
    """A rule id was named (to enable, disable or override) that no loaded rule has."""
