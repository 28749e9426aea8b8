"""Liveness (`/healthz`: the process serves) and readiness (`/readyz`: it can do its work now).

A load balancer sends requests only to ready processes; an orchestrator restarts only dead ones. Keeping the two
apart means a database or Temporal outage takes every API process out of rotation without restarting any of
them (a restart would not bring the database back, and would lose the catalogue and connections it holds).
"""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, Request
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from temporalio.service import RPCError

from api.openapi import problems
from api.problems import ProblemError
from api.schemas import CatalogHealth, Health, Readiness
from one_things.live import LiveCatalog

log = logging.getLogger("onething.api")

READINESS_TIMEOUT_SECONDS = 3.0
"""A probe must answer within its own timeout (typically 5 s); a check that hangs counts as not ready."""

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz(request: Request) -> Health:
    """Up while it serves. A refused catalogue folder shows here but keeps the status ok: the last good
    catalogue is served, and a probe that restarted the process would only stop it (an invalid folder
    refuses to start).

    Answered on the event loop alone (async, no database, no Temporal, no file I/O): it says the loop serves,
    even while every thread of the pool waits on a busy database; that is readiness's concern, not liveness's."""
    live: LiveCatalog = request.app.state.catalog
    catalog = live.last_status()
    return Health(
        status="ok",
        catalog=CatalogHealth(
            status="refused" if catalog.errors else "ok",
            definitions=catalog.definitions,
            # A count only: this answers anyone, and the errors name server paths; the log has each file:line.
            errors=len(catalog.errors),
        ),
    )


@router.get("/readyz", responses=problems(503))
async def readyz(request: Request) -> Readiness:
    """Ready when the projection database answers a query and the case engine (Temporal) answers a health check;
    otherwise 503 naming what is missing, with Retry-After."""
    missing = []
    if not await _database_answers(request.app.state.engine):
        missing.append("the database")
    if not await _temporal_answers(request):
        missing.append("the case engine (Temporal)")
    if missing:
        raise ProblemError(
            503,
            "Not ready",
            f"Not reachable: {' and '.join(missing)}. Requests are served again once it answers.",
            headers={"Retry-After": "5"},
        )
    return Readiness(status="ready", database="ok", temporal="ok")


async def _database_answers(engine: Engine) -> bool:
    def select_one() -> None:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    try:
        await asyncio.wait_for(asyncio.to_thread(select_one), READINESS_TIMEOUT_SECONDS)
    except (SQLAlchemyError, TimeoutError) as error:
        log.warning("readiness: database not answering (%s)", type(error).__name__)
        return False
    return True


async def _temporal_answers(request: Request) -> bool:
    try:
        client = await asyncio.wait_for(request.app.state.temporal.get(), READINESS_TIMEOUT_SECONDS)
        if client is None:
            return False
        return bool(await asyncio.wait_for(client.service_client.check_health(), READINESS_TIMEOUT_SECONDS))
    except (RPCError, RuntimeError, TimeoutError) as error:
        log.warning("readiness: Temporal not answering (%s)", type(error).__name__)
        return False
