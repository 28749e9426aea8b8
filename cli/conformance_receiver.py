"""The conformance kit's stand-in for the platform's callback endpoint, served on a local port.

It answers as the platform does (401 for a bad signature, 200 `applied` otherwise) unless a check asked it
to answer something else first (503, to see that the department sends again), and keeps every delivery
so the checks can judge the headers and the exact bytes that were signed.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from core.signing import KEY_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verify

CALLBACK_PATH = "/api/v1/callbacks/{department}"
MAX_BODY_BYTES = 1024 * 1024
"""A result is a few hundred bytes; anything near this is a fault worth refusing rather than holding."""


@dataclass(frozen=True)
class Delivery:
    department: str
    body: bytes
    timestamp: str
    signature: str
    key_id: str
    received_at: float
    refusal: str | None
    """Why the signature did not verify (as the platform would answer 401), None when it did."""


@dataclass
class CallbackReceiver:
    key: bytes | None
    key_id: str | None
    deliveries: list[Delivery] = field(default_factory=list)
    planned: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    """Per idempotency key, statuses to answer before the usual 200 (e.g. [503] for one failed delivery)."""
    url: str = ""

    def delivered(self, idempotency_key: str) -> list[Delivery]:
        return [d for d in self.deliveries if idempotency_key.encode() in d.body]

    async def wait_for(self, idempotency_key: str, count: int, within: float) -> list[Delivery]:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            found = self.delivered(idempotency_key)
            if len(found) >= count:
                return found
            await asyncio.sleep(0.05)
        return self.delivered(idempotency_key)

    def _app(self) -> Starlette:
        async def callback(request: Request) -> JSONResponse:
            body = await _bounded_body(request)
            if body is None:
                return _problem(413, "Callback body too large", "A result must be under 1 MiB.")
            headers = request.headers
            refusal = (
                verify(self.key, headers.get(TIMESTAMP_HEADER, ""), headers.get(SIGNATURE_HEADER, ""), body)
                if self.key is not None
                else "the conformance kit was given no key to verify with"
            )
            if refusal is None and not headers.get(KEY_ID_HEADER):
                refusal = f"{KEY_ID_HEADER} is missing"
            elif refusal is None and self.key_id and headers.get(KEY_ID_HEADER) != self.key_id:
                refusal = f"{KEY_ID_HEADER} is not the key id given to the kit ({self.key_id})"
            self.deliveries.append(
                Delivery(
                    department=request.path_params["department"],
                    body=body,
                    timestamp=headers.get(TIMESTAMP_HEADER, ""),
                    signature=headers.get(SIGNATURE_HEADER, ""),
                    key_id=headers.get(KEY_ID_HEADER, ""),
                    received_at=time.time(),
                    refusal=refusal,
                )
            )
            if refusal is not None:
                return _problem(401, "Bad signature", refusal)
            for key, statuses in self.planned.items():
                if statuses and key.encode() in body:
                    status = statuses.pop(0)
                    return _problem(status, "Planned refusal", "The conformance kit asks you to send this again.")
            return JSONResponse({"status": "applied", "detail": "the conformance kit received the result"})

        return Starlette(routes=[Route(CALLBACK_PATH, callback, methods=["POST"])])

    @asynccontextmanager
    async def serving(self, host: str, port: int, advertised: str | None = None) -> AsyncIterator[CallbackReceiver]:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        self.url = (advertised or f"http://{host}:{sock.getsockname()[1]}").rstrip("/")
        server = uvicorn.Server(uvicorn.Config(self._app(), log_config=None, log_level="warning", lifespan="off"))
        task = asyncio.create_task(server.serve(sockets=[sock]))
        try:
            while not server.started:
                if task.done():
                    task.result()  # raises why the receiver could not start
                await asyncio.sleep(0.01)
            yield self
        finally:
            server.should_exit = True
            await task
            sock.close()


async def _bounded_body(request: Request) -> bytes | None:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _problem(status: int, title: str, detail: str) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    return JSONResponse(body, status_code=status, media_type="application/problem+json")
