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


def handle(service: Service, line: str) -> dict[str, Any]:
    """The response to one request line."""
    request_id: Any = None
    try:
        request = json.loads(line)
        if not isinstance(request, dict):
            raise ServiceError(400, "invalid_request", "a request is a JSON object")
        request_id = request.get("id")
        method = request.get("method")
        handler = _handlers(service).get(str(method))
        if handler is None:
            raise ServiceError(404, "unknown_method", f"unknown method {method!r}")
        params = request.get("params") or {}
        if not isinstance(params, dict):
            raise ServiceError(400, "invalid_request", "params must be a JSON object")
        return {"id": request_id, "result": handler(params)}
    except json.JSONDecodeError as exc:
        return {"id": None, "error": {"code": "invalid_json", "message": str(exc)}}
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return {
            "id": request_id,
            "error": {"code": "invalid_request", "message": f"{where}: {first['msg']}"},
        }
    except ServiceError as exc:
        return {"id": request_id, **exc.to_dict()}


def run(service: Service, stdin: TextIO, stdout: TextIO) -> int:
    """Serve until stdin closes."""
    for line in stdin:
        if not line.strip():
            continue
        stdout.write(json.dumps(handle(service, line), ensure_ascii=False) + "\n")
        stdout.flush()
    return 0
