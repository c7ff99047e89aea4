"""``replycoach serve``: the HTTP front-end (FastAPI on uvicorn; ``replycoach[server]``).

I/O only: requests are validated here and handed to :class:`replycoach.service.Service`.
Every error is a JSON body ``{"error": {"code", "message"}}`` with a 4xx status, and the
server keeps serving.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import signal
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import __version__
from . import (
    BatchRequest,
    BatchResponse,
    CheckRequest,
    CheckResponse,
    ErrorResponse,
    FixRequest,
    FixResponse,
    Health,
    RuleInfo,
    Service,
    ServiceError,
    languagetool,
)
from .guard import (
    DEFAULT_MAX_HEAD,
    DEFAULT_READ_TIMEOUT,
    HostOriginGuard,
    bind,
    host_names,
    is_loopback_address,
    protocol,
    send_error,
)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
DEFAULT_MAX_BODY = 64 * 1024
DEFAULT_BUDGET = 10.0
DEFAULT_WORKERS = 2  # Python holds one lock: more threads would only slow /healthz
MAX_WAITING = 64

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def _json(data: Any, status: int = 200) -> Response:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(body, status_code=status, media_type="application/json")


def _error(status: int, code: str, message: str, **extra: Any) -> Response:
    return _json({"error": {"code": code, "message": message, **extra}}, status)


class BodyLimit:
    """Answers 413 to a request body over ``limit`` bytes, declared or streamed. A body
    without a declared length is read (up to the limit) before the app sees it, so the
    app never gets a cut body; memory stays bounded by the limit."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = None
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit():
                declared = int(value) if len(value) < 19 else self.limit + 1
        if declared is not None and declared > self.limit:
            await send_error(
                send, 413, "body_too_large", f"the request body is over {self.limit} bytes"
            )
            return
        if declared is not None:
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await send_error(
                    send, 413, "body_too_large", f"the request body is over {self.limit} bytes"
                )
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


class BearerAuth:
    """Requires ``Authorization: Bearer <token>`` on the API (not on the demo page, which
    takes the token from its URL fragment, nor on /healthz, which then hides the details of
    a failed reload). The token is compared in constant time."""

    OPEN: frozenset[str] = frozenset({"/", "/healthz"})

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app, self.expected = app, f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            header = b""
            for name, value in scope.get("headers", []):
                if name == b"authorization":
                    header = value
            authorized = hmac.compare_digest(header, self.expected)
            scope["replycoach.authorized"] = authorized
            if (
                not authorized
                and scope["path"] not in self.OPEN
                and scope.get("method") != "OPTIONS"
            ):
                await send_error(send, 401, "unauthorized", "a valid bearer token is required")
                return
        await self.app(scope, receive, send)


def _demo_page() -> str:
    return resources.files("replycoach").joinpath("static/demo.html").read_text("utf-8")


def create_app(
    service: Service,
    *,
    token: str | None = None,
    cors_origins: Sequence[str] = (),
    max_body: int = DEFAULT_MAX_BODY,
    hosts: Sequence[str] = ("localhost", "127.0.0.1", "::1"),
    budget: float = DEFAULT_BUDGET,
    workers: int = DEFAULT_WORKERS,
) -> Any:
    """The ASGI application: FastAPI, wrapped in the Host/Origin guard, the body limit and,
    if set, the token.

    Checks run on ``workers`` threads, never on the event loop, so ``/healthz`` answers
    while a long reply is checked. A request that takes over ``budget`` seconds is answered
    503 ``timeout``; with more than 64 waiting, 503 ``busy``.
    """
    executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="replycoach-check")
    pending = 0

    def done(_: object) -> None:
        nonlocal pending
        pending -= 1

    async def offload(work: Callable[[float], Response]) -> Response:
        """Run ``work(deadline)`` on a worker thread, within the budget."""
        nonlocal pending
        if pending >= MAX_WAITING:
            raise ServiceError(503, "busy", "too many requests at once; try again shortly")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + budget
        started = time.monotonic()
        future = loop.run_in_executor(executor, lambda: work(started + budget))
        pending += 1
        future.add_done_callback(done)
        try:
            return await asyncio.wait_for(asyncio.shield(future), deadline - loop.time())
        except asyncio.TimeoutError:
            raise ServiceError(
                503, "timeout", f"the request took over {budget:g} s and was abandoned"
            ) from None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()

        def on_hup() -> None:
            future = loop.run_in_executor(None, service.reload)
            future.add_done_callback(
                lambda f: print(
                    "replycoach: rules reloaded"
                    if f.result()
                    else "replycoach: reload failed, the old rules stay in force:\n"
                    + str(service.reload_error),
                    file=sys.stderr,
                    flush=True,
                )
            )

        try:
            loop.add_signal_handler(signal.SIGHUP, on_hup)
        except (NotImplementedError, RuntimeError, AttributeError, ValueError):
            pass  # no SIGHUP here (Windows, or not the main thread)
        yield

    app = FastAPI(
        title="replycoach",
        version=__version__,
        description="Coach Chinese customer-service replies: findings and approved rewrites. "
        "Also answers LanguageTool's /v2/check.",
        lifespan=lifespan,
    )

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return _error(400, "invalid_json", "the body is not valid JSON")
        details = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in errors]
        first = details[0] if details else {"loc": [], "msg": "invalid request"}
        where = ".".join(str(p) for p in first["loc"] if p != "body")
        return _error(422, "invalid_request", f"{where}: {first['msg']}", details=details)

    @app.exception_handler(ServiceError)
    async def refused(request: Request, exc: ServiceError) -> Response:
        return _json(exc.to_dict(), exc.status)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        response = _error(exc.status_code, code, str(exc.detail))
        response.headers.update(exc.headers or {})
        if exc.status_code == 405:  # Allow lists every method of the path, over all routes
            methods = {
                m
                for route in app.routes
                if getattr(route, "path", None) == request.url.path
                for m in getattr(route, "methods", ())
                if m != "HEAD"
            }
            response.headers["Allow"] = ", ".join(sorted(methods))
        return response

    @app.exception_handler(UnicodeDecodeError)
    async def not_utf8(request: Request, exc: UnicodeDecodeError) -> Response:
        return _error(400, "invalid_encoding", "the body is not valid UTF-8")

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> Response:
        print(f"replycoach: internal error: {exc!r}", file=sys.stderr, flush=True)
        return _error(500, "internal_error", "internal error; the server keeps serving")

    errors: dict[int | str, dict[str, Any]] = {
        400: {"model": ErrorResponse, "description": "invalid JSON or UTF-8, unknown rule id"},
        401: {"model": ErrorResponse, "description": "missing or wrong bearer token"},
        403: {"model": ErrorResponse, "description": "a foreign Origin not allowed by CORS"},
        413: {"model": ErrorResponse, "description": "body, text or batch over the limit"},
        421: {"model": ErrorResponse, "description": "a Host name this service does not serve"},
        422: {"model": ErrorResponse, "description": "the body does not fit the schema"},
        503: {"model": ErrorResponse, "description": "over the time budget, or too busy"},
    }

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def demo() -> HTMLResponse:
        return HTMLResponse(_demo_page())

    @app.get("/healthz", response_model=Health)
    async def healthz(request: Request) -> Response:
        health = service.health()
        if token and health.reload_error and not request.scope.get("replycoach.authorized"):
            health.reload_error = "the last reload failed (send the token for the details)"
        return _json(health.model_dump())

    @app.post("/v1/check", response_model=CheckResponse, responses=errors)
    async def check(request: CheckRequest) -> Response:
        """Findings of one reply, as the Python API's ``Finding`` JSON."""
        return await offload(
            lambda _: _json({"findings": [f.to_dict() for f in service.check(request)]})
        )

    @app.post("/v1/fix", response_model=FixResponse, responses=errors)
    async def fix(request: FixRequest) -> Response:
        """The reply with every safe rewrite applied, and what is left in it."""
        return await offload(lambda _: _json(service.fix(request).model_dump(mode="json")))

    @app.post("/v1/check/batch", response_model=BatchResponse, responses=errors)
    async def batch(request: BatchRequest) -> Response:
        """Up to 1,000 replies in one request; results in the same order."""

        def work(deadline: float) -> Response:
            result = service.batch(request, deadline=deadline)
            return _json(
                {
                    "results": [
                        {"findings": [f.to_dict() for f in r.findings]} for r in result.results
                    ]
                }
            )

        return await offload(work)

    @app.get("/v1/rules", response_model=list[RuleInfo])
    async def rules() -> Response:
        return _json([r.model_dump() for r in service.rules()])

    @app.post("/v2/check", **languagetool.ROUTE_POST)
    async def lt_check_post(request: Request) -> Response:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith("multipart/form-data"):
            form = await request.form()
            params = {k: v for k, v in form.items() if isinstance(v, str)}
        else:
            params = languagetool.parse_body(await request.body(), content_type)
        merged = {**request.query_params, **params}
        return await offload(lambda _: _json(languagetool.answer(service.engine, merged)))

    @app.get("/v2/check", **languagetool.ROUTE_GET)
    async def lt_check_get(request: Request) -> Response:
        params = dict(request.query_params)
        return await offload(lambda _: _json(languagetool.answer(service.engine, params)))

    @app.get("/v2/languages")
    async def languages() -> Response:
        return _json(languagetool.LANGUAGE_LIST)

    def openapi() -> dict[str, Any]:
        """The schema, with the rule ids loaded at start as the values ``rules`` takes."""
        if app.openapi_schema is None:
            from fastapi.openapi.utils import get_openapi

            schema = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            ids = sorted({r.id for r in service.engine.rules})
            for name in ("CheckRequest", "FixRequest"):
                prop = schema["components"]["schemas"][name]["properties"]["rules"]
                for option in prop.get("anyOf", [prop]):
                    if option.get("type") == "array":
                        option["items"] = {"type": "string", "enum": ids}
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    wrapped: Any = app
    if cors_origins:
        wrapped = CORSMiddleware(
            wrapped,
            allow_origins=list(cors_origins),
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type"],
        )
    if token:
        wrapped = BearerAuth(wrapped, token)
    wrapped = BodyLimit(wrapped, max_body)
    wrapped = HostOriginGuard(wrapped, hosts, cors_origins)
    wrapped.fastapi = app  # for tests and for the OpenAPI schema
    return wrapped


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses; False for ``""`` (every interface).

    >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback(""), is_loopback("::")
    (True, True, False, False)
    """
    return host == "localhost" or is_loopback_address(host)


def serve(
    service: Service,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    token: str | None = None,
    cors_origins: Sequence[str] = (),
    max_body: int = DEFAULT_MAX_BODY,
    allow_hosts: Sequence[str] = (),
    budget: float = DEFAULT_BUDGET,
    max_head: int = DEFAULT_MAX_HEAD,
    read_timeout: float = DEFAULT_READ_TIMEOUT,
) -> int:
    """Run the HTTP service until interrupted.

    The socket is bound first and the address it got decides: anything but loopback needs
    a token (``--host ""`` binds every interface). Only the Host names of that address, and
    ``allow_hosts``, are served.
    """
    try:
        sock = bind(host, port)
    except OSError as exc:
        print(f"replycoach: cannot listen on {host!r}:{port}: {exc}", file=sys.stderr)
        return 2
    bound, bound_port = sock.getsockname()[:2]
    if not is_loopback_address(bound) and not token:
        sock.close()
        print(
            f"replycoach: refusing to listen on {bound} (asked for {host!r}) without --token: "
            "anyone who can reach it could use it. Pass --token SECRET (clients then send "
            "'Authorization: Bearer SECRET').",
            file=sys.stderr,
        )
        return 2
    import uvicorn

    app = create_app(
        service,
        token=token,
        cors_origins=cors_origins,
        max_body=max_body,
        hosts=host_names(bound, [host, *allow_hosts]),
        budget=budget,
    )
    shown = f"[{bound}]" if ":" in bound else bound
    print(
        f"replycoach {__version__} serving on http://{shown}:{bound_port} "
        f"({len(service.engine.checkers)} rules; demo page at /, OpenAPI at /openapi.json; "
        f"SIGHUP reloads the rules){' with a bearer token' if token else ''}",
        file=sys.stderr,
        flush=True,
    )
    uvicorn.Server(uvicorn_config(app, max_head=max_head, read_timeout=read_timeout)).run(
        sockets=[sock]
    )
    return 0


def uvicorn_config(
    app: Any, *, max_head: int = DEFAULT_MAX_HEAD, read_timeout: float = DEFAULT_READ_TIMEOUT
) -> Any:
    """uvicorn's configuration for ``app``: the guarded protocol (head limit, read deadline,
    JSON errors), 5 s keep-alive, at most 1,000 connections (beyond that uvicorn itself
    answers a plain-text 503)."""
    import uvicorn

    guarded = protocol(max_head, read_timeout)
    return uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="on",
        http=guarded if guarded is not None else "h11",
        h11_max_incomplete_event_size=max_head,
        timeout_keep_alive=5,
        limit_concurrency=1000,
    )
