"""What the local service does, independent of how requests arrive (HTTP or stdio): request
and response models, the operations, LanguageTool-compatible answers, and the engine that
reloads without dropping requests.
"""

from __future__ import annotations

import bisect
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

    # ------------------------------------------------------------ LanguageTool compatibility

    def languagetool(
        self,
        text: str,
        language: str,
        enabled: str | None,
        disabled: str | None,
        enabled_only: bool = False,
    ) -> dict[str, Any]:
        """An answer in LanguageTool's ``/v2/check`` JSON shape (offsets in UTF-16 units)."""
        if len(text) > MAX_TEXT:
            raise ServiceError(
                413, "text_too_long", f"a text holds at most {MAX_TEXT} characters, got {len(text)}"
            )
        code = language if language in LT_LANGUAGES else "zh-CN"
        engine = self.engine
        names = set(engine.rule_ids()) | {r.id for r in engine.rules}
        wanted = [r for r in (enabled or "").split(",") if r.strip() in names]
        unwanted = [r for r in (disabled or "").split(",") if r.strip() in names]
        if wanted or unwanted:
            only = wanted if enabled_only and wanted else None
            engine = engine.configure(enable=wanted, disable=unwanted, only=only)
        rules = {r.id: r for r in engine.rules}
        where = _Offsets(text)
        matches = [
            _lt_match(text, f, rules[f.rule].description or f.message, where)
            for f in engine.check(text)
        ]
        long_code, name = LT_LANGUAGES[code]
        return {
            "software": {
                "name": "replycoach",
                "version": __version__,
                "buildDate": None,
                "apiVersion": 1,
                "status": "",
                "premium": False,
            },
            "warnings": {"incompleteResults": False},
            "language": {
                "name": name,
                "code": long_code,
                "detectedLanguage": {"name": name, "code": long_code, "confidence": 1.0},
            },
            "matches": matches,
        }


LT_LANGUAGES: dict[str, tuple[str, str]] = {
    "zh-CN": ("zh-CN", "Chinese"),
    "zh": ("zh-CN", "Chinese"),
    "zh-TW": ("zh-TW", "Chinese (Traditional)"),
    "auto": ("zh-CN", "Chinese"),
}
"""Languages answered (every other is answered as zh-CN, as LanguageTool's auto would)."""

LT_LANGUAGE_LIST = [
    {"name": "Chinese", "code": "zh", "longCode": "zh-CN"},
    {"name": "Chinese (Traditional)", "code": "zh", "longCode": "zh-TW"},
]

_ISSUE_TYPE = {
    "honorific-you": "register",
    "rude-language": "register",
    "privacy-leak": "legal",
}
_SENTENCE_END = re.compile(r"[。！？!?~～…\n]")
SENTENCE_AROUND = 100
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, as JavaScript and LanguageTool count."""
    return len(text) + len(_ASTRAL.findall(text))


class _Offsets:
    """UTF-16 offsets and sentence bounds of one text, computed once for all its findings
    (per finding, a long text with many findings took quadratic time)."""

    def __init__(self, text: str) -> None:
        self.ends = [m.end() for m in _SENTENCE_END.finditer(text)]
        self.starts = [m.start() for m in _SENTENCE_END.finditer(text)]
        self.astral = [m.start() for m in _ASTRAL.finditer(text)]

    def utf16(self, index: int) -> int:
        """The UTF-16 offset of code point ``index``."""
        return index + bisect.bisect_left(self.astral, index)

    def sentence(self, start: int, end: int) -> tuple[int, int]:
        """The sentence around ``[start, end)``, its end punctuation included."""
        i = bisect.bisect_right(self.ends, start)
        left = self.ends[i - 1] if i else 0
        j = bisect.bisect_left(self.starts, end)
        right = self.ends[j] if j < len(self.starts) else -1
        return left, right


def _lt_match(text: str, f: Finding, description: str, where: _Offsets) -> dict[str, Any]:
    left = max(0, f.start - 40)
    right = min(len(text), f.end + 40)
    sentence_start, sentence_end = where.sentence(f.start, f.end)
    if sentence_end < 0:
        sentence_end = len(text)
    # at most SENTENCE_AROUND characters either side: 20,000 findings in one 20,000-character
    # sentence would otherwise make a 1.2 GB answer
    sentence_start = max(sentence_start, f.start - SENTENCE_AROUND)
    sentence = text[sentence_start : min(sentence_end, f.end + SENTENCE_AROUND)]
    return {
        "message": f.message,
        "shortMessage": f.rule,
        "replacements": [{"value": s} for s in f.suggestions],
        "offset": where.utf16(f.start),
        "length": utf16_len(f.excerpt),
        "context": {
            "text": text[left:right],
            "offset": utf16_len(text[left : f.start]),
            "length": utf16_len(f.excerpt),
        },
        "sentence": sentence.strip(),
        "type": {"typeName": "Other"},
        "rule": {
            "id": f.rule,
            "description": description,
            "issueType": _ISSUE_TYPE.get(f.rule, "style"),
            "category": {"id": "CUSTOMER_SERVICE", "name": "客服话术"},
        },
        "ignoreForIncompleteSentence": False,
        "contextForSureMatch": 0,
    }
