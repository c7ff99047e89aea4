"""``replycoach serve --stdio``: one JSON request per line in, one JSON response per line out,
for clients that embed replycoach as a subprocess (editor extensions, Electron apps).

Request:  ``{"id": 1, "method": "check", "params": {"text": "...", "position": null}}``
Response: ``{"id": 1, "result": {"findings": [...]}}`` or
          ``{"id": 1, "error": {"code": "invalid_request", "message": "..."}}``

Methods: ``check``, ``fix``, ``batch`` (params as the HTTP API's bodies), ``rules``,
``health``, ``reload``. A bad line gets an error response and the loop goes on.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TextIO

from pydantic import ValidationError

from . import BatchRequest, CheckRequest, FixRequest, Service, ServiceError


def _handlers(service: Service) -> dict[str, Callable[[dict[str, Any]], Any]]:
    return {
        "check": lambda p: {
            "findings": [f.to_dict() for f in service.check(CheckRequest.model_validate(p))]
        },
        "fix": lambda p: service.fix(FixRequest.model_validate(p)).model_dump(mode="json"),
        "batch": lambda p: {
            "results": [
                {"findings": [f.to_dict() for f in r.findings]}
                for r in service.batch(BatchRequest.model_validate(p)).results
            ]
        },
        "rules": lambda p: [r.model_dump() for r in service.rules()],
        "health": lambda p: service.health().model_dump(),
        "reload": lambda p: {"reloaded": service.reload(), "error": service.reload_error},
    }


MAX_LINE = 1024 * 1024
"""Longest request line, in characters; a longer one is answered ``line_too_long``."""


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"{text[:20]} is out of range")
    return value


def _parse(line: str) -> Any:
    """JSON as the standard says: no NaN or Infinity, no float that overflows to one."""
    return json.loads(line, parse_constant=_no_constants, parse_float=_finite)


def _error(request_id: Any, code: str, message: str) -> dict[str, Any]:
    return {"id": request_id, "error": {"code": code, "message": message}}


def handle(service: Service, line: str) -> dict[str, Any]:
    """The response to one request line. Never raises: whatever the line, an answer."""
    request_id: Any = None
    try:
        try:
            request = _parse(line)
        except RecursionError:
            return _error(None, "invalid_json", "the request is nested too deeply")
        except ValueError as exc:  # JSONDecodeError, NaN, a 5,000-digit number
            return _error(None, "invalid_json", str(exc)[:200])
        if not isinstance(request, dict):
            raise ServiceError(400, "invalid_request", "a request is a JSON object")
        request_id = request.get("id")
        if request_id is not None and (
            isinstance(request_id, bool) or not isinstance(request_id, (str, int))
        ):
            request_id = None
            raise ServiceError(400, "invalid_request", "id must be a string, an integer or null")
        method = request.get("method")
        handler = _handlers(service).get(str(method)[:100])
        if handler is None:
            raise ServiceError(404, "unknown_method", f"unknown method {str(method)[:100]!r}")
        params = request.get("params") or {}
        if not isinstance(params, dict):
            raise ServiceError(400, "invalid_request", "params must be a JSON object")
        return {"id": request_id, "result": handler(params)}
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return _error(request_id, "invalid_request", f"{where}: {first['msg']}")
    except ServiceError as exc:
        return {"id": request_id, **exc.to_dict()}
    except Exception as exc:  # a bug must not end the session
        return _error(request_id, "internal_error", f"internal error: {type(exc).__name__}")


def _dump(response: dict[str, Any]) -> str:
    try:
        return json.dumps(response, ensure_ascii=False, allow_nan=False)
    except (ValueError, TypeError):
        return json.dumps(_error(None, "internal_error", "the answer could not be encoded"))


def run(service: Service, stdin: TextIO, stdout: TextIO) -> int:
    """Serve until stdin closes. A line over :data:`MAX_LINE` characters is skipped to its
    end and answered ``line_too_long``."""
    while True:
        line = stdin.readline(MAX_LINE + 1)
        if not line:
            return 0
        if len(line) > MAX_LINE and not line.endswith("\n"):
            while True:  # skip the rest of the line without holding it
                rest = stdin.readline(MAX_LINE)
                if not rest or rest.endswith("\n"):
                    break
            response = _error(
                None, "line_too_long", f"a request line holds at most {MAX_LINE} characters"
            )
        elif not line.strip():
            continue
        else:
            response = handle(service, line)
        stdout.write(_dump(response) + "\n")
        stdout.flush()
