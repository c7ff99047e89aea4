"""The result types every user of replycoach sees: :class:`Finding` and :class:`Severity`."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Literal

Position = Literal["first", "middle", "last", "only"]
"""Where a reply stands in its conversation; ``None`` means unknown."""

POSITIONS: tuple[str, ...] = ("first", "middle", "last", "only")


class Severity(str, Enum):
    """How much a finding matters. Ranked ``info < warning < error`` by :attr:`rank`."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """0 for info, 1 for warning, 2 for error."""
        return _RANK[self.value]

    def __str__(self) -> str:
        return self.value


_RANK = {"info": 0, "warning": 1, "error": 2}


@dataclass(frozen=True)
class Finding:
    """One problem in one reply.

    ``start`` and ``end`` are half-open character (code point) offsets into the text as
    given, so ``text[finding.start:finding.end] == finding.excerpt`` always holds.

    >>> from replycoach import check
    >>> f = check("你放心")[0]
    >>> (f.rule, f.start, f.end, f.excerpt, f.suggestions, f.fixable)
    ('honorific-you', 0, 1, '你', ('您',), True)
    >>> f.to_dict()["severity"]
    'warning'

    A frozen dataclass, so that checking needs no validation library at start-up; pydantic
    models (the service's responses) take it as a field type.
    """

    rule: str
    """The rule id, e.g. ``absolute-promise``."""
    severity: Severity
    start: int
    end: int
    excerpt: str
    """The flagged text, ``text[start:end]``."""
    message: str
    """What is wrong and what to do, in Chinese, for people."""
    suggestions: tuple[str, ...] = ()
    """Approved rewrites of the excerpt, best first."""
    fixable: bool = False
    """True when ``fix`` would apply ``suggestions[0]`` automatically."""

    def to_dict(self) -> dict[str, object]:
        """The JSON form shared by ``--format json`` and the service."""
        return {
            "rule": self.rule,
            "severity": self.severity.value,
            "start": self.start,
            "end": self.end,
            "excerpt": self.excerpt,
            "message": self.message,
            "suggestions": list(self.suggestions),
            "fixable": self.fixable,
        }
