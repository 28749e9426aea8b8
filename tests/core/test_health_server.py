"""The worker's health listener: /healthz while the loop answers, /readyz as its readiness check says."""

from __future__ import annotations

import httpx

from core.health_server import health_server
from tests.support.servers import free_port


async def test_liveness_readiness_and_unknown_paths() -> None:
    missing: list[str | None] = [None]

    async def ready() -> str | None:
        return missing[0]

    port = free_port()
    async with health_server("127.0.0.1", port, ready), httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
        assert (await http.get("/healthz")).json() == {"status": "ok"}
        assert (await http.get("/readyz")).status_code == 200
        missing[0] = "the case engine (Temporal)"
        not_ready = await http.get("/readyz")
        assert not_ready.status_code == 503
        assert not_ready.json() == {"status": "not ready", "missing": "the case engine (Temporal)"}
        assert (await http.get("/metrics")).status_code == 404
