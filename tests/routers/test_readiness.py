"""Liveness and readiness: a process whose database or case engine is away is taken out of rotation (503), not
reported dead; `/healthz` stays up so an orchestrator does not restart it for an outage it cannot fix."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine

from tests.support.db import unreachable_database_url
from tests.support.inprocess import in_process_api


async def test_not_ready_without_the_case_engine_but_alive(tmp_path: Path) -> None:
    async with in_process_api(tmp_path) as api, api.client() as client:  # Temporal points at a closed port
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert ready.headers["content-type"] == "application/problem+json"
        assert ready.headers["retry-after"] == "5"
        assert ready.json()["detail"] == (
            "Not reachable: the case engine (Temporal). Requests are served again once it answers."
        )
        assert (await client.get("/healthz")).status_code == 200


async def test_not_ready_without_the_database(tmp_path: Path) -> None:
    async with in_process_api(tmp_path) as api, api.client() as client:
        working = api.app.state.engine
        api.app.state.engine = create_engine(unreachable_database_url(tmp_path))
        try:
            ready = await client.get("/readyz")
        finally:
            api.app.state.engine.dispose()
            api.app.state.engine = working
        assert ready.status_code == 503
        assert "the database and the case engine (Temporal)" in ready.json()["detail"]
        assert (await client.get("/healthz")).status_code == 200
