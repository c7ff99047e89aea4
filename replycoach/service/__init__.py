"""What the local service does, independent of how requests arrive (HTTP or stdio): request
and response models, the operations, and the engine that reloads without dropping requests.
LanguageTool-compatible answers are in :mod:`replycoach.service.languagetool`.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .. import __version__
from ..engine import Engine
from ..errors import ReplycoachError, UnknownRuleError
from ..model import Finding, Position

MAX_BATCH = 1000
MAX_TEXT = 20_000  # characters in one reply; the HTTP body limit (64 KiB) comes first


class ServiceError(ReplycoachError):
    """A request the service refuses: ``status`` is the HTTP status, ``code`` a stable key."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def to_dict(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message}}


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CheckRequest(_Request):
    """One reply to check."""

    text: str = Field(max_length=MAX_TEXT, description="the reply")
    position: Position | None = Field(
        None, description="first, middle, last, only, or null (unknown)"
    )
    rules: list[str] | None = Field(None, description="run only these rule ids")
    customer: str | None = Field(
        None,
        max_length=MAX_TEXT,
        description="the customer's message this reply answers (for the context rules)",
    )


class FixRequest(CheckRequest):
    """One reply to apply safe rewrites to."""


class BatchRequest(_Request):
    """Up to 1,000 replies to check."""

    items: list[CheckRequest] = Field(description="replies, each as in /v1/check")


class ErrorDetail(BaseModel):
    code: str = Field(description="stable key, e.g. invalid_json, unknown_rule, body_too_large")
    message: str


class ErrorResponse(BaseModel):
    """Every error the service answers with."""

    error: ErrorDetail


class CheckResponse(BaseModel):
    findings: list[Finding]


class FixResponse(BaseModel):
    text: str = Field(description="the reply with every safe rewrite applied")
    changed: bool
    findings: list[Finding] = Field(description="what is left in the fixed text")


class BatchResponse(BaseModel):
    results: list[CheckResponse]


class RuleInfo(BaseModel):
    id: str
    kind: str
    severity: str
    enabled: bool
    fixable: bool
    message: str
    description: str
    source: dict[str, str]


class Health(BaseModel):
    status: str
    version: str
    rules: int
    loaded_at: float
    reload_error: str | None = None


class Service:
    """The operations, on an engine that can be swapped while requests are served.

    Each request takes the current engine once, so a reload never changes the rules in the
    middle of a request, and a failed reload leaves the old rules in force.
    """

    def __init__(self, build: Callable[[], Engine]) -> None:
        self._build = build
        self._lock = threading.Lock()
        self.engine = build()
        self.loaded_at = time.time()
        self.reload_error: str | None = None

    def reload(self) -> bool:
        """Rebuild the engine; on failure keep the old one and remember why."""
        with self._lock:
            try:
                engine = self._build()
            except ReplycoachError as exc:
                self.reload_error = str(exc)
                return False
            except Exception as exc:  # whatever a rule file does, the old rules stay
                self.reload_error = f"internal error while loading the rules: {exc!r}"[:1000]
                return False
            self.engine = engine
            self.loaded_at = time.time()
            self.reload_error = None
            return True

    def _engine_for(self, rules: list[str] | None) -> Engine:
        engine = self.engine
        if rules is None:
            return engine
        known = {r.id for r in engine.rules} | {a for r in engine.rules for a in r.aliases}
        unknown = sorted(set(rules) - known)
        if unknown:
            raise ServiceError(400, "unknown_rule", f"unknown rule id(s): {', '.join(unknown)}")
        try:
            return engine.configure(only=rules, enable=rules)
        except UnknownRuleError as exc:  # pragma: no cover - checked above
            raise ServiceError(400, "unknown_rule", str(exc)) from None

    def check(self, request: CheckRequest) -> list[Finding]:
        return self._engine_for(request.rules).check(
            request.text, position=request.position, customer=request.customer
        )

    def fix(self, request: FixRequest) -> FixResponse:
        engine = self._engine_for(request.rules)
        fixed = engine.fix(request.text, position=request.position, customer=request.customer)
        return FixResponse(
            text=fixed,
            changed=fixed != request.text,
            findings=engine.check(fixed, position=request.position, customer=request.customer),
        )

    def batch(self, request: BatchRequest, *, deadline: float | None = None) -> BatchResponse:
        """Every item checked; past ``deadline`` (``time.monotonic()``) a 503 ``timeout``."""
        if len(request.items) > MAX_BATCH:
            raise ServiceError(
                413,
                "batch_too_large",
                f"a batch holds at most {MAX_BATCH} replies, got {len(request.items)}",
            )
        engines: dict[tuple[str, ...] | None, Engine] = {}
        results = []
        for item in request.items:
            if deadline is not None and time.monotonic() > deadline:
                raise ServiceError(503, "timeout", "the batch took over its time budget")
            key = None if item.rules is None else tuple(item.rules)
            if key not in engines:
                engines[key] = self._engine_for(item.rules)
            findings = engines[key].check(item.text, position=item.position, customer=item.customer)
            results.append(CheckResponse.model_construct(findings=findings))
        return BatchResponse.model_construct(results=results)

    def rules(self) -> list[RuleInfo]:
        engine = self.engine
        active = set(engine.rule_ids())
        severity = {c.id: c.severity.value for c in engine.checkers}
        return [
            RuleInfo(
                id=r.id,
                kind=r.kind,
                severity=severity.get(r.id, r.severity.value),
                enabled=r.id in active,
                fixable=getattr(r, "fix", "unsafe") == "safe",
                message=r.message,
                description=r.description,
                source={"file": r.source.file, "passage": r.source.passage},
            )
            for r in engine.rules
        ]

    def health(self) -> Health:
        return Health(
            status="ok",
            version=__version__,
            rules=len(self.engine.checkers),
            loaded_at=self.loaded_at,
            reload_error=self.reload_error,
        )


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, as JavaScript and LanguageTool count."""
    return len(text) + len(_ASTRAL.findall(text))


_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
