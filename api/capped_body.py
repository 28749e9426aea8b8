"""Reading a request body with a cap, for bodies that are read raw (a signature covers their bytes).

Starlette's `Request.body()` keeps everything the client sends; an unauthenticated client could make the
process hold gigabytes before anything checks it. Here the declared Content-Length is refused at once and
the stream is read chunk by chunk, refused the moment it passes the cap, so the process never holds more
than the cap plus one chunk. The 413 closes the connection: the rest of the body is never read.
"""

from __future__ import annotations

from fastapi import Request

from api.problems import ProblemError


async def read_capped(request: Request, cap: int, *, what: str) -> bytes:
    """The body, at most `cap` bytes; otherwise a 413 problem naming the cap."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise too_large(cap, what)
    body = bytearray()
    async for chunk in request.stream():
        if len(body) + len(chunk) > cap:
            raise too_large(cap, what)
        body += chunk
    return bytes(body)


def too_large(cap: int, what: str) -> ProblemError:
    return ProblemError(
        413,
        "Body too large",
        f"A {what} is at most {cap} bytes; this one is larger and was not read. Send the result without "
        "anything the contract does not ask for; sending it again unchanged is refused again.",
        headers={"Connection": "close"},
        max_bytes=cap,
    )
