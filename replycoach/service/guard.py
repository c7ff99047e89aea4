"""What keeps the HTTP service safe from its own network: the listening socket, the Host
and Origin a request may carry, and the limits on a request's head and on slow clients.

- :func:`bind` opens the listening socket, so "loopback or not" is decided from the address
  actually bound (``--host ""`` binds every interface, and is treated so).
- :class:`HostOriginGuard` answers only for the Host names of the bound address (against DNS
  rebinding) and refuses a foreign ``Origin`` that is not configured for CORS (against
  cross-site form posts, which need no preflight).
- :func:`protocol` is uvicorn's httptools protocol with a bound on the request line and
  headers (414/431) and a deadline for a whole request to arrive (408), answering with the
  service's JSON errors instead of uvicorn's plain text.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import socket
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
DEFAULT_MAX_HEAD = 64 * 1024
DEFAULT_READ_TIMEOUT = 10.0


def error_body(code: str, message: str) -> bytes:
    """The service's JSON error body."""
    return json.dumps({"error": {"code": code, "message": message}}).encode()


async def send_error(send: Send, status: int, code: str, message: str) -> None:
    """Answer an ASGI request with a JSON error."""
    body = error_body(code, message)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


# ------------------------------------------------------------------------ the bound address


def bind(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host``:``port`` (not listening yet).

    ``""`` means every interface, as for uvicorn and ``socket.bind``.
    """
    infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


def is_loopback_address(address: str) -> bool:
    """True for a loopback IP address (127.0.0.0/8, ::1); False for a wildcard or any other.

    >>> is_loopback_address("127.0.0.1"), is_loopback_address("0.0.0.0"), is_loopback_address("")
    (True, False, False)
    """
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return bool(ip.is_loopback or (mapped is not None and mapped.is_loopback))


def host_names(bound: str, extra: Iterable[str] = ()) -> list[str]:
    """The Host names served for a socket bound to ``bound``: the loopback names, the bound
    address itself, the machine's name when bound to every interface, and ``extra``."""
    names = [*LOOPBACK_NAMES, bound]
    try:
        if ipaddress.ip_address(bound.split("%")[0]).is_unspecified:
            names += [socket.gethostname(), socket.getfqdn()]
    except ValueError:
        pass
    return [*names, *extra]


# ---------------------------------------------------------------------------- Host, Origin


def _host_of(value: str) -> str:
    """``Host`` header value without its port, lower-case, without a trailing dot."""
    value = value.strip().lower()
    if value.startswith("["):
        value = value[1 : value.find("]")] if "]" in value else value[1:]
    elif value.count(":") == 1:
        value = value.partition(":")[0]
    return value.rstrip(".")


class HostOriginGuard:
    """Serves only requests for allowed Host names (``*``: any), and refuses a request with
    an ``Origin`` other than its own unless that origin is configured for CORS (``*``: any).
    Both answer a JSON error: 421 ``host_not_allowed``, 403 ``origin_not_allowed``."""

    def __init__(self, app: ASGIApp, hosts: Iterable[str], origins: Iterable[str]) -> None:
        self.app = app
        self.hosts = {_host_of(h) for h in hosts}
        self.origins = {o.rstrip("/").lower() for o in origins}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = origin = None
        for name, value in scope.get("headers", []):
            if name == b"host":
                host = value.decode("latin-1")
            elif name == b"origin":
                origin = value.decode("latin-1")
        if host is not None and "*" not in self.hosts and _host_of(host) not in self.hosts:
            await send_error(
                send,
                421,
                "host_not_allowed",
                f"this service does not answer for the host {_host_of(host)[:100]!r} "
                "(serve --allow-host NAME adds one)",
            )
            return
        if origin is not None and "*" not in self.origins:
            own = f"{scope.get('scheme', 'http')}://{host}".lower() if host else None
            wanted = origin.rstrip("/").lower()
            if wanted != own and wanted not in self.origins:
                await send_error(
                    send,
                    403,
                    "origin_not_allowed",
                    f"requests from pages of {origin[:100]!r} are not allowed "
                    "(serve --cors-origin ORIGIN allows one)",
                )
                return
        await self.app(scope, receive, send)


# ------------------------------------------------------------- request head and slow clients


def protocol(max_head: int = DEFAULT_MAX_HEAD, read_timeout: float = DEFAULT_READ_TIMEOUT) -> Any:
    """uvicorn's httptools protocol with a request-head limit and a read deadline, or
    ``None`` when httptools is not installed (then uvicorn's h11 limits apply).

    - a request line over ``max_head`` bytes: 414 ``uri_too_long``; the line and headers
      together over ``max_head``: 431 ``headers_too_large`` (counted before parsing, so a
      100 MB header is never buffered);
    - a request not fully received ``read_timeout`` seconds after its first byte (or after
      the connection opened): 408 ``request_timeout``, or the connection is closed when the
      body stalls;
    - a request that is not valid HTTP (e.g. a bad ``Content-Length``): 400 ``bad_request``.

    Every answer is the service's JSON error, with ``Connection: close``.
    """
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:  # pragma: no cover - httptools is in uvicorn[standard]
        return None

    class GuardedProtocol(HttpToolsProtocol):
        """See :func:`protocol`."""

        _rc_timer: asyncio.TimerHandle | None = None
        _rc_in_head = True
        _rc_head = 0
        _rc_line = 0
        _rc_line_done = False
        _rc_refusal: tuple[int, str, str] | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._rc_arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._rc_disarm()
            super().connection_lost(exc)

        def _rc_arm(self) -> None:
            self._rc_disarm()
            self._rc_timer = self.loop.call_later(read_timeout, self._rc_too_slow)

        def _rc_disarm(self) -> None:
            if self._rc_timer is not None:
                self._rc_timer.cancel()
                self._rc_timer = None

        def _rc_too_slow(self) -> None:
            self._rc_timer = None
            if self.transport.is_closing():
                return
            if self.cycle is not None and not self.cycle.response_complete:
                self.transport.close()  # the body stalls: the app sees a disconnect
                return
            self._rc_answer(
                408, "request_timeout", f"the request did not arrive within {read_timeout:g} s"
            )

        def _rc_answer(self, status: int, code: str, message: str) -> None:
            body = error_body(code, message)
            reason = {400: b"Bad Request", 408: b"Request Timeout", 414: b"URI Too Long"}.get(
                status, b"Request Header Fields Too Large"
            )
            self.transport.write(
                b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\n"
                b"content-length: %d\r\nconnection: close\r\n\r\n%s"
                % (status, reason, len(body), body)
            )
            self.transport.close()

        def data_received(self, data: bytes) -> None:
            if self._rc_timer is None and (self.cycle is None or self.cycle.response_complete):
                self._rc_arm()  # a new request begins: it has read_timeout to arrive
            if self._rc_in_head:
                end = data.find(b"\r\n\r\n")
                self._rc_head += len(data) if end < 0 else end + 4
                if not self._rc_line_done:
                    newline = data.find(b"\n")
                    self._rc_line += len(data) if newline < 0 else newline
                    self._rc_line_done = newline >= 0
                if self._rc_head > max_head:
                    if self._rc_line <= max_head:
                        self._rc_answer(
                            431,
                            "headers_too_large",
                            f"the request line and headers are over {max_head} bytes",
                        )
                    else:
                        self._rc_answer(
                            414, "uri_too_long", f"the request line is over {max_head} bytes"
                        )
                    return
            super().data_received(data)

        def on_headers_complete(self) -> None:
            self._rc_in_head = False
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            super().on_message_complete()
            self._rc_disarm()  # all in: the answer may take its time
            self._rc_in_head, self._rc_head, self._rc_line, self._rc_line_done = True, 0, 0, False

        def send_400_response(self, msg: str) -> None:
            self._rc_answer(
                400,
                "bad_request",
                "the request is not valid HTTP (request line, header or Content-Length)",
            )

    return GuardedProtocol
