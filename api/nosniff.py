"""`X-Content-Type-Options: nosniff` on every response: a browser takes each one for the type it declares.

What a person uploaded is never served back (materials stay in the database, persistence/materials.py), but
the CSV export, the QR codes and every JSON answer carry text a person chose; none of it may be read as HTML
or script because its first bytes look like it. A pure ASGI middleware, as core/request_id.py.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class NoSniffMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_nosniff(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["X-Content-Type-Options"] = "nosniff"
            await send(message)

        await self.app(scope, receive, send_nosniff)
