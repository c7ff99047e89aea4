"""replycoach: coach Chinese customer-service replies before they are sent.

>>> import replycoach
>>> for f in replycoach.check("我保证明天一定发货，你放心"):
...     print(f.rule, f.start, f.end, f.excerpt, f.suggestions)
absolute-promise 1 3 保证 ('尽量', '努力', '争取')
absolute-promise 5 7 一定 ('尽量', '争取')
honorific-you 10 11 你 ('您',)
>>> replycoach.fix("你好，你的快递已经到了")
'您好，您的快递已经到了'
"""

from __future__ import annotations

from .errors import OptionError, ReplycoachError, RuleFileError, RuleProblem, UnknownRuleError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Any

    from .engine import Engine
    from .loader import AnyRule, load_rules
    from .model import POSITIONS, Finding, Position, Severity

__version__ = "0.1.0"

# Imported on first use (PEP 562), so `replycoach --version` and the command line's start
# pay only for what they use: the loader (YAML, pydantic) is needed only when rule files
# are validated, not when the compiled rules come from the cache.
_LAZY = {
    "Engine": "engine",
    "AnyRule": "loader",
    "load_rules": "loader",
    "POSITIONS": "model",
    "Finding": "model",
    "Position": "model",
    "Severity": "model",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'replycoach' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "POSITIONS",
    "AnyRule",
    "Engine",
    "Finding",
    "OptionError",
    "Position",
    "ReplycoachError",
    "RuleFileError",
    "RuleProblem",
    "Severity",
    "UnknownRuleError",
    "__version__",
    "check",
    "fix",
    "load_rules",
]


def check(text: str, *, position: str | None = None, customer: str | None = None) -> list[Finding]:
    """Check one reply with the default rules.

    ``position``: ``first``, ``middle``, ``last``, ``only`` or ``None`` (unknown: the
    greeting and closing rules stay silent). ``customer``: the customer's message this reply
    answers, for the rules about context (a complaint wants an apology first); ``None``:
    unknown, those rules stay silent.

    >>> [f.rule for f in check("我这边查不到", position="last")]
    ['missing-closing']
    """
    from .engine import Engine

    return Engine.default().check(text, position=position, customer=customer)


def fix(text: str, *, position: str | None = None, customer: str | None = None) -> str:
    """Apply the default rules' safe rewrites (such as 你 → 您) to one reply.

    >>> fix("你放心")
    '您放心'
    """
    from .engine import Engine

    return Engine.default().fix(text, position=position, customer=customer)
