"""LanguageTool's ``/v2/check``, answered with replycoach's rules.

Clients written for LanguageTool (ltex-ls, language_tool_python, browser add-ons, editor
plugins) post their parameters as a form, or (ltex-ls) a form body labelled
``application/json``; :func:`parse_body` reads any of these. :func:`answer` takes the
parameters and gives LanguageTool's JSON answer: ``software``, ``warnings``, ``language``
(with ``detectedLanguage``), ``matches`` and ``sentenceRanges``; every match has ``message``,
``shortMessage``, ``replacements``, ``offset``, ``length``, ``context``, ``sentence``,
``type.typeName`` and ``rule`` (``id``, ``description``, ``issueType`` from LanguageTool's
ITS vocabulary, ``category {id, name}``). Offsets and lengths count UTF-16 code units, as
LanguageTool (Java) and JavaScript do.

Parameters as LanguageTool reads them: ``text`` or ``data`` (annotated text: markup is
skipped or read as its ``interpretAs``, offsets point into the whole annotated text),
``language`` (required: ``zh-CN``, ``zh-TW``, ``zh`` or ``auto``), ``enabledRules``,
``disabledRules``, ``enabledCategories``, ``disabledCategories``, ``enabledOnly``,
``level`` (``default``: errors and warnings; ``picky``: info findings too) and
``preferredVariants`` (with ``auto``: which Chinese variant to report). Unknown rule and
category ids are ignored, as LanguageTool does; ``motherTongue``, ``mode``, ``apiKey`` and
the like are accepted and ignored.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from .. import __version__
from ..engine import Engine
from ..loader import AnyRule
from ..model import Finding, Severity
from . import MAX_TEXT, ErrorResponse, ServiceError, utf16_len

CONTEXT_SIZE = 40
"""Characters of context on each side of a match, as LanguageTool's server uses."""
SENTENCE_AROUND = 100
"""At most this many characters of a match's ``sentence`` on each side of it."""

LANGUAGES: dict[str, tuple[str, str]] = {
    "zh": ("zh-CN", "Chinese"),
    "zh-CN": ("zh-CN", "Chinese"),
    "zh-TW": ("zh-TW", "Chinese (Traditional)"),
}
"""Language codes answered (besides ``auto``) -> (long code, name)."""

LANGUAGE_LIST = [
    {"name": "Chinese", "code": "zh", "longCode": "zh-CN"},
    {"name": "Chinese (Traditional)", "code": "zh", "longCode": "zh-TW"},
]
"""The answer to ``/v2/languages``."""


@dataclass(frozen=True)
class Category:
    """A LanguageTool category: its id, its name for people, and the ITS issue type of its
    rules (LanguageTool's ``rule.issueType``)."""

    id: str
    name: str
    issue_type: str


CATEGORIES: dict[str, Category] = {
    c.id: c
    for c in (
        Category("TONE", "语气与礼貌", "register"),
        Category("ANSWERS", "承诺与答复", "style"),
        Category("COMPLIANCE", "合规与隐私", "legal"),
        Category("STRUCTURE", "开场与结束", "style"),
        Category("CLARITY", "清晰易读", "style"),
    )
}
"""The categories of the default pack's rules."""

_RULE_CATEGORY = {
    "honorific-you": "TONE",
    "rude-language": "TONE",
    "blame-shifting": "TONE",
    "flat-refusal": "TONE",
    "blunt-bargain-refusal": "TONE",
    "bare-unavailable": "TONE",
    "complaint-without-apology": "TONE",
    "absolute-promise": "ANSWERS",
    "vague-answer": "ANSWERS",
    "missing-greeting": "STRUCTURE",
    "missing-closing": "STRUCTURE",
    "long-sentence": "CLARITY",
    "pronoun-balance": "CLARITY",
}


def category_of(rule: AnyRule) -> Category:
    """The LanguageTool category of ``rule``: the default pack's rules by concern, the
    ``compliance`` pack as COMPLIANCE, a team's rules by their pack (file) name.

    >>> from replycoach import Engine
    >>> rules = {r.id: r for r in Engine.default().rules}
    >>> category_of(rules["honorific-you"])
    Category(id='TONE', name='语气与礼貌', issue_type='register')
    >>> category_of(rules["privacy-leak"]).issue_type
    'legal'
    """
    known = _RULE_CATEGORY.get(rule.id)
    if known is None and rule.pack in ("compliance", "privacy-leak"):
        known = "COMPLIANCE"
    if known is not None:
        return CATEGORIES[known]
    pack = re.sub(r"[^A-Za-z0-9]+", "_", rule.pack or "custom").strip("_").upper() or "CUSTOM"
    return Category(pack, rule.pack or "自定义规则", "style")


def _utf16(text: str) -> Callable[[int], int]:
    """Converts code-point offsets into ``text`` to UTF-16 offsets."""
    if all(ord(ch) <= 0xFFFF for ch in text):
        return lambda i: i
    table = [0]
    for ch in text:
        table.append(table[-1] + (2 if ord(ch) > 0xFFFF else 1))
    return lambda i: table[i]


# --------------------------------------------------------------------------- parameters


def parse_body(body: bytes, content_type: str) -> dict[str, str]:
    """The parameters of a ``POST /v2/check`` body (multipart bodies are read by the caller).

    LanguageTool reads a POST body as a form whatever its ``Content-Type``; ltex-ls sends a
    form labelled ``application/json``. A body that is a JSON object is read as the
    parameters too (lists joined with commas, ``data`` kept as JSON).

    >>> parse_body(b"language=zh-CN&text=%E4%BD%A0%E5%A5%BD", "application/json")
    {'language': 'zh-CN', 'text': '你好'}
    >>> parse_body(b'{"language": "zh", "text": "x", "enabledOnly": false}', "application/json")
    {'language': 'zh', 'text': 'x', 'enabledOnly': 'false'}
    """
    try:
        raw = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ServiceError(400, "invalid_encoding", "the body is not valid UTF-8") from None
    if raw.lstrip().startswith("{"):
        try:
            data = json.loads(raw)
        except ValueError:
            raise ServiceError(400, "invalid_json", "the body is not valid JSON") from None
        if not isinstance(data, dict):  # pragma: no cover - starts with "{"
            raise ServiceError(400, "invalid_request", "a JSON body must be an object")
        return {str(k): _param_text(k, v) for k, v in data.items() if v is not None}
    return dict(parse_qsl(raw, keep_blank_values=True))


def _param_text(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list) and key != "data":
        return ",".join(str(v) for v in value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _ids(params: Mapping[str, str], name: str) -> list[str]:
    return [p.strip() for p in params.get(name, "").split(",") if p.strip()]


_RENAMED = {
    "enabled": "the parameter is now called 'enabledRules' in v2 of the API",
    "disabled": "the parameter is now called 'disabledRules' in v2 of the API",
    "preferredvariants": "the parameter is now called 'preferredVariants' (uppercase 'V')",
    "autodetect": "automatic language detection is now 'language=auto' in v2 of the API",
}


def _bad(message: str) -> ServiceError:
    return ServiceError(400, "invalid_request", message)


# ------------------------------------------------------------------------- annotated text


@dataclass(frozen=True)
class _Part:
    plain_start: int
    plain: str
    original_start: int
    original: str
    markup: bool


class AnnotatedText:
    """LanguageTool's ``data``: parts of text (checked) and markup (skipped, or read as its
    ``interpretAs``). Positions map from the plain text back to the whole text."""

    def __init__(self, parts: list[_Part]) -> None:
        self.parts = parts
        self._starts = [p.plain_start for p in parts]
        self.plain = "".join(p.plain for p in parts)
        self.original = "".join(p.original for p in parts)

    @classmethod
    def of_text(cls, text: str) -> AnnotatedText:
        """Plain text: no markup."""
        return cls([_Part(0, text, 0, text, False)])

    @classmethod
    def of_data(cls, data: str) -> AnnotatedText:
        """Parse ``{"annotation": [{"text": ...} | {"markup": ..., "interpretAs": ...}]}``."""
        try:
            items = json.loads(data)["annotation"]
            if not isinstance(items, list):
                raise TypeError
        except (ValueError, KeyError, TypeError, RecursionError):
            raise _bad(
                '\'data\' must be JSON like {"annotation": [{"text": "..."}, '
                '{"markup": "...", "interpretAs": "..."}]}'
            ) from None
        parts: list[_Part] = []
        plain_at = original_at = 0
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise _bad(f"data.annotation[{i}]: expected an object")
            if isinstance(item.get("text"), str):
                plain = original = item["text"]
                markup = False
            elif isinstance(item.get("markup"), str):
                original = item["markup"]
                plain = item.get("interpretAs", "")
                if not isinstance(plain, str):
                    raise _bad(f"data.annotation[{i}].interpretAs: expected a string")
                markup = True
            else:
                raise _bad(f"data.annotation[{i}]: needs 'text' or 'markup' (a string)")
            parts.append(_Part(plain_at, plain, original_at, original, markup))
            plain_at += len(plain)
            original_at += len(original)
        return cls(parts)

    def original_start(self, pos: int) -> int:
        """Where a match starting at plain ``pos`` starts in the whole text."""
        # the first part that ends after pos: parts before the bisection point end by pos
        i = max(0, bisect.bisect_right(self._starts, pos) - 1)
        while i < len(self.parts) and pos >= self.parts[i].plain_start + len(self.parts[i].plain):
            i += 1
        if i == len(self.parts):
            return len(self.original)
        p = self.parts[i]
        return p.original_start + (0 if p.markup else pos - p.plain_start)

    def original_end(self, pos: int) -> int:
        """Where a match ending at plain ``pos`` ends in the whole text."""
        i = bisect.bisect_left(self._starts, pos) - 1  # the last part starting before pos
        while i >= 0:
            p = self.parts[i]
            i -= 1
            if p.plain_start < pos <= p.plain_start + len(p.plain):
                if p.markup:
                    return p.original_start + len(p.original)
                return p.original_start + pos - p.plain_start
        return 0


# ------------------------------------------------------------------------------ the answer

_SENTENCE_END = re.compile(r"[。！？!?…~～\n]+")


def _sentences(text: str) -> list[tuple[int, int]]:
    """Half-open spans of the sentences of ``text`` (ends included, blanks trimmed)."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        spans.append((start, m.end()))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text)))
    return [(s, e) for s, e in spans if text[s:e].strip()]


def _context(text: str, start: int, end: int) -> tuple[str, int]:
    """LanguageTool's context: up to 40 characters each side, ``...`` where cut, line
    breaks as spaces; and where the match starts in it."""
    left = max(0, start - CONTEXT_SIZE)
    right = min(len(text), end + CONTEXT_SIZE)
    prefix = "..." if left > 0 else ""
    suffix = "..." if right < len(text) else ""
    before = prefix + text[left:start]
    shown = (before + text[start:right] + suffix).replace("\n", " ")
    return shown, utf16_len(before)


def _language(params: Mapping[str, str], plain: str) -> tuple[dict[str, Any], str]:
    code = params.get("language", "").strip()
    if not code:
        raise _bad("Missing 'language' parameter: use 'language=zh-CN', 'zh-TW', 'zh' or 'auto'")
    detected_code = "zh-CN"  # variants of other languages, or malformed, are ignored
    for variant in _ids(params, "preferredVariants"):
        if variant in ("zh-CN", "zh-TW"):
            detected_code = variant
    detected_name = LANGUAGES[detected_code][1]
    han = sum(1 for ch in plain if "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff")
    letters = sum(1 for ch in plain if ch.isalpha())
    confidence = round(han / letters, 3) if letters else 1.0
    if code == "auto":
        given_code, given_name = detected_code, detected_name
    else:
        if code not in LANGUAGES:
            raise _bad(
                f"'{code}' is not a language replycoach checks: it checks Chinese "
                "customer-service replies (language=zh-CN, zh-TW, zh or auto)"
            )
        given_code, given_name = LANGUAGES[code]
    section = {
        "name": given_name,
        "code": given_code,
        "detectedLanguage": {
            "name": detected_name,
            "code": detected_code,
            "confidence": confidence,
            "source": "replycoach",
        },
    }
    return section, given_code


def _findings(engine: Engine, params: Mapping[str, str], plain: str) -> list[Finding]:
    """The findings LanguageTool's rule and category parameters ask for."""
    names = {r.id: r.id for r in engine.rules}
    names.update({a: r.id for r in engine.rules for a in r.aliases})
    by_category: dict[str, list[str]] = {}
    for rule in engine.rules:
        by_category.setdefault(category_of(rule).id, []).append(rule.id)

    def rules_named(param: str) -> set[str]:
        return {names[i] for i in _ids(params, param) if i in names}

    def rules_in(param: str) -> set[str]:
        return {r for c in _ids(params, param) for r in by_category.get(c, [])}

    enabled_only = params.get("enabledOnly", "").lower() in ("true", "yes")
    if enabled_only and (_ids(params, "disabledRules") or _ids(params, "disabledCategories")):
        raise _bad("You cannot specify disabled rules or categories using enabledOnly=true")
    if enabled_only and not (_ids(params, "enabledRules") or _ids(params, "enabledCategories")):
        raise _bad("You must specify enabled rules or categories when using enabledOnly=true")
    wanted = rules_named("enabledRules") | rules_in("enabledCategories")
    unwanted = rules_named("disabledRules") | rules_in("disabledCategories")

    active = set(engine.rule_ids())
    findings: list[Finding] = []
    if not enabled_only or wanted & active:
        findings = engine.check(plain)
    extra = sorted(wanted - active)  # rules that ship disabled, switched on by name
    if extra:
        findings += engine.configure(only=extra).check(plain)
    if enabled_only:
        findings = [f for f in findings if f.rule in wanted]
    findings = [f for f in findings if f.rule not in unwanted]
    if params.get("level", "default") != "picky":
        findings = [f for f in findings if f.severity is not Severity.INFO]
    findings.sort(key=lambda f: (f.start, f.rule, f.end))
    return findings


def answer(engine: Engine, params: Mapping[str, str]) -> dict[str, Any]:
    """LanguageTool's ``/v2/check`` answer for ``params`` (raises :class:`ServiceError`).

    >>> from replycoach import Engine
    >>> a = answer(Engine.default(), {"text": "🙂你好", "language": "zh-CN"})
    >>> m = a["matches"][0]
    >>> (m["rule"]["id"], m["offset"], m["length"], m["rule"]["issueType"])
    ('honorific-you', 2, 1, 'register')
    """
    for old, why in _RENAMED.items():
        if old in params:
            raise _bad(f"You specified '{old}' but {why}")
    level = params.get("level", "default")
    if level not in ("default", "picky"):
        raise _bad(f"'level' must be 'default' or 'picky', got {level!r}")
    if "text" in params:
        annotated = AnnotatedText.of_text(params["text"])
    elif "data" in params:
        annotated = AnnotatedText.of_data(params["data"])
    else:
        raise _bad("Missing 'text' or 'data' parameter")
    plain = annotated.plain
    if len(plain) > MAX_TEXT:
        raise ServiceError(
            413,
            "text_too_long",
            f"the text is over {MAX_TEXT} characters ({len(plain)}); send a shorter text",
        )
    language, _ = _language(params, plain)
    rules = {r.id: r for r in engine.rules}
    sentences = _sentences(plain)
    sentence_starts = [start for start, _ in sentences]
    original = annotated.original
    original16, plain16 = _utf16(original), _utf16(plain)
    matches = []
    for f in _findings(engine, params, plain):
        start, end = annotated.original_start(f.start), annotated.original_end(f.end)
        end = max(end, start)
        context, context_offset = _context(original, start, end)
        k = bisect.bisect_right(sentence_starts, f.start) - 1
        inside = k >= 0 and f.start < sentences[k][1]
        s_start, s_end = sentences[k] if inside else (0, len(plain))
        # at most SENTENCE_AROUND characters either side of the match: 20,000 findings in
        # one 20,000-character sentence made a 1.2 GB answer
        s_start = max(s_start, f.start - SENTENCE_AROUND)
        sentence = plain[s_start : min(s_end, f.end + SENTENCE_AROUND)]
        rule = rules.get(f.rule)
        category = category_of(rule) if rule else Category("CUSTOM", "自定义规则", "style")
        length = utf16_len(original[start:end])
        matches.append(
            {
                "message": f.message,
                "shortMessage": "",
                "replacements": [{"value": s} for s in f.suggestions],
                "offset": original16(start),
                "length": length,
                "context": {"text": context, "offset": context_offset, "length": length},
                "sentence": sentence.strip(),
                "type": {"typeName": "Hint" if f.severity is Severity.INFO else "Other"},
                "rule": {
                    "id": f.rule,
                    "description": (rule.description if rule else "") or f.message,
                    "issueType": category.issue_type,
                    "category": {"id": category.id, "name": category.name},
                },
                "ignoreForIncompleteSentence": False,
                "contextForSureMatch": 0,
            }
        )
    return {
        "software": {
            "name": "replycoach",
            "version": __version__,
            "buildDate": None,
            "apiVersion": 1,
            "premium": False,
            "status": "",
        },
        "warnings": {"incompleteResults": False},
        "language": language,
        "matches": matches,
        "sentenceRanges": [[plain16(s), plain16(e)] for s, e in sentences],
    }


# --------------------------------------------------------------------------------- OpenAPI

_PARAMS: dict[str, dict[str, Any]] = {
    "text": {"type": "string", "description": f"the text to check (at most {MAX_TEXT} characters)"},
    "language": {
        "type": "string",
        "enum": ["zh-CN", "zh-TW", "zh", "auto"],
        "description": "the language; replycoach checks Chinese only",
    },
    "enabledRules": {"type": "string", "description": "rule ids to switch on, comma-separated"},
    "disabledRules": {"type": "string", "description": "rule ids to switch off"},
    "enabledCategories": {"type": "string", "description": "category ids to switch on"},
    "disabledCategories": {"type": "string", "description": "category ids to switch off"},
    "level": {"type": "string", "enum": ["default", "picky"], "description": "picky: info too"},
    "preferredVariants": {
        "type": "string",
        "description": "with language=auto: the variant to report (zh-CN or zh-TW)",
    },
    "motherTongue": {"type": "string", "description": "accepted and ignored"},
}
_DESCRIPTION = (
    "LanguageTool-compatible check: LanguageTool's JSON answer, offsets in UTF-16 code "
    "units. Also takes `data` (LanguageTool's annotated text, JSON) instead of `text`, and "
    "`enabledOnly=true` (then name at least one enabled rule or category, and disable "
    "none). A "
    "POST body is read as a form whatever its Content-Type (ltex-ls labels it "
    "application/json); a JSON object body is read as the parameters."
)
_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "missing text or language, bad parameter"},
    401: {"model": ErrorResponse, "description": "missing or wrong bearer token"},
    413: {"model": ErrorResponse, "description": "body or text over the limit"},
}
_FORM = {
    "type": "object",
    "properties": _PARAMS,
    "required": ["text", "language"],
}
ROUTE_POST: dict[str, Any] = {
    "description": _DESCRIPTION,
    "operation_id": "lt_check_post",
    "responses": _ERRORS,
    "openapi_extra": {
        "requestBody": {
            "required": True,
            "content": {"application/x-www-form-urlencoded": {"schema": _FORM}},
        }
    },
}
"""Keyword arguments of the ``POST /v2/check`` route: its OpenAPI description."""
ROUTE_GET: dict[str, Any] = {
    "description": _DESCRIPTION,
    "operation_id": "lt_check_get",
    "responses": _ERRORS,
    "openapi_extra": {
        "parameters": [
            {"name": k, "in": "query", "required": k in _FORM["required"], "schema": v}
            for k, v in _PARAMS.items()
        ]
    },
}
"""Keyword arguments of the ``GET /v2/check`` route."""
