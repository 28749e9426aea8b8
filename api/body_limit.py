"""A cap on the size of every request body (ONETHING_MAX_BODY_BYTES): a larger one is a 413 problem+json.

Without it a client could send any amount, which the JSON parser or the form parser holds in memory before
any rule (the material cap, the field bounds) is applied. A declared Content-Length over the cap is refused
before a byte is read; a body sent without one (chunked) is counted as it arrives and refused once over.
A pure ASGI middleware, as core/request_id.py: it sees the bytes before anything parses them.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import ProblemError, problem_response


def too_large(limit: int) -> ProblemError:
    return ProblemError(
        413,
        "Request too large",
        f"The request body is over {limit} bytes. Send smaller materials (see ONETHING_MATERIAL_MAX_BYTES).",
    )


class BodyLimitMiddleware:
    """`own_caps`: path prefixes whose routes read their body with a smaller cap of their own and answer its 413
    in their callers' terms (department callbacks, api/capped_body.py); this cap would only say less, later."""

    def __init__(self, app: ASGIApp, max_bytes: int, own_caps: tuple[str, ...] = ()) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.own_caps = own_caps

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.own_caps):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            problem = too_large(self.max_bytes)
            await problem_response(problem.status, problem.title, problem.detail)(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # Raised inside the route's body parsing, which passes an HTTPException on to the problem
                    # handlers (any other exception there it would turn into a 400).
                    raise HTTPException(413, too_large(self.max_bytes).detail)
            return message

        await self.app(scope, counted, send)
