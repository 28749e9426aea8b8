"""Every request gets an id: the caller's `X-Request-ID` when it is a plain token, else a new one.

It is on every log line of the request (core/logging.py) and echoed in the response's `X-Request-ID`, so a
citizen's or a proxy's report of a failed request leads to its lines. A pure ASGI middleware, not Starlette's
BaseHTTPMiddleware: the route then runs in the context this sets.

An unhandled error is the case that needs the id most. Starlette answers it (500) in its ServerErrorMiddleware,
which `add_middleware` always puts outside ours, and the server (uvicorn) logs its traceback after the app has
raised. So `with_request_ids` puts this middleware outside everything, and the id stays set when the app
raises: the 500 carries the header and the server's traceback line carries the id.
"""

from __future__ import annotations

import re
import uuid

from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.logging import request_id_var

HEADER = "X-Request-ID"
# A caller's id goes into our logs: only short tokens of safe characters, never free text (which could carry
# personal data or forge log lines).
_ACCEPTED = re.compile(r"[A-Za-z0-9._-]{8,64}")


def request_id(headers: list[tuple[bytes, bytes]]) -> str:
    for name, value in headers:
        if name.lower() == b"x-request-id":
            given = value.decode("latin-1")
            if _ACCEPTED.fullmatch(given):
                return given
    return uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = request_id(scope["headers"])
        token = request_id_var.set(rid)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[HEADER] = rid
            await send(message)

        await self.app(scope, receive, send_with_id)
        # Not reset when the app raises: the server logs the traceback next, in this same task, and that line
        # must name the request. Servers run each request in a task of its own, so the id ends with the request.
        request_id_var.reset(token)


def with_request_ids(app: Starlette) -> None:
    """Puts `RequestIdMiddleware` around the whole of `app`, outside the error middleware that answers 500s
    (Starlette has no option for that: its middleware stack is built on first request, by this method)."""
    build = app.build_middleware_stack

    def stack() -> ASGIApp:
        return RequestIdMiddleware(build())

    app.build_middleware_stack = stack  # type: ignore[method-assign]
