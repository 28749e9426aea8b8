"""A worker's `/healthz` (the process answers) and `/readyz` (it polls its task queue and Temporal answers).

The worker serves no HTTP of its own, and the Temporal runtime's Prometheus endpoint (the Rust core's) serves
only its metrics: no path can be added to it. So this is a second, tiny listener on the standard library's
asyncio streams (two fixed GET answers need no web framework). It runs on the worker's event loop, so a loop
stuck in blocking code stops answering `/healthz` too, which is what a liveness probe is for.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

log = logging.getLogger("onething.health")

READ_TIMEOUT_SECONDS = 5.0
Ready = Callable[[], Awaitable[str | None]]
"""None when ready, else what is missing (a short phrase for the answer and the log)."""


@contextlib.asynccontextmanager
async def health_server(host: str, port: int, ready: Ready) -> AsyncIterator[asyncio.Server]:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request_line = await asyncio.wait_for(reader.readline(), READ_TIMEOUT_SECONDS)
            parts = request_line.decode("latin-1").split()
            path = parts[1] if len(parts) >= 2 and parts[0] in ("GET", "HEAD") else ""
            status, body = await _route(path, ready)
            payload = json.dumps(body).encode()
            writer.write(
                f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
                f"Connection: close\r\n\r\n".encode()
                + payload
            )
            await writer.drain()
        except (TimeoutError, ConnectionError):
            pass  # a probe that went away: nothing to answer
        finally:
            writer.close()

    server = await asyncio.start_server(answer, host, port)
    try:
        yield server
    finally:
        server.close()
        await server.wait_closed()


async def _route(path: str, ready: Ready) -> tuple[str, dict[str, str]]:
    if path == "/healthz":
        return "200 OK", {"status": "ok"}
    if path == "/readyz":
        missing = await ready()
        if missing is None:
            return "200 OK", {"status": "ready"}
        return "503 Service Unavailable", {"status": "not ready", "missing": missing}
    return "404 Not Found", {"status": "not found"}
