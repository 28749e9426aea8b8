"""create_app(): the FastAPI application, its lifespan and its routers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from anyio import to_thread
from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider

from api.body_limit import BodyLimitMiddleware
from api.demo_idp import routes as demo_idp
from api.demo_idp.provider import DemoProvider
from api.deps import temporal_gateway
from api.metrics import metrics_registry
from api.nosniff import NoSniffMiddleware
from api.openapi import install_openapi
from api.pages import install_pages, problem_page
from api.problems import install_problem_handlers
from api.rate_limits import rate_limiter
from api.routers import (
    applications,
    authorisations,
    callbacks,
    citizen_data,
    contracts,
    counter,
    data_access,
    department_health,
    department_materials,
    health,
    licences,
    messages,
    metrics,
    ratings,
    rectifications,
    staff,
    stats,
    supervision,
    things,
)
from api.temporal_link import TemporalLink
from core import calendar
from core.auth import VerifiedTokens
from core.clock import SYSTEM_CLOCK, Clock
from core.database import PoolLimits
from core.oidc import OidcClient
from core.request_id import with_request_ids
from core.settings import Settings, get_settings
from core.tracing import instrument_app, provider_from_settings, temporal_interceptors
from one_things.catalog import catalog_folder
from one_things.live import CHECK_EVERY_SECONDS, LiveCatalog
from persistence.db import make_engine
from persistence.definitions import StoredVersions
from persistence.demo_seed import seed_demo_data_once
from persistence.sql_counts import count_sql, trace_sql
from services.ended_sessions import EndedSessions
from services.metrics import record_sql_statement, record_sql_transaction
from services.outbox import Starter

log = logging.getLogger("onething.api")


async def _keep_looking(live: LiveCatalog, stop: asyncio.Event) -> None:
    """Looks at the catalogue folder even when no request does, in the thread pool: `/healthz` reports the last
    look without any file I/O of its own, and a refused folder shows there within about a second."""
    while not stop.is_set():
        try:
            await to_thread.run_sync(live.current)
        except Exception:  # a folder gone for a moment: the last good catalogue stays served, look again
            log.exception("catalogue: looking at the folder failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), CHECK_EVERY_SECONDS)


def create_app(
    settings: Settings | None = None, *, clock: Clock = SYSTEM_CLOCK, tracer_provider: TracerProvider | None = None
) -> FastAPI:
    """The app; `clock` is where every request reads "now" (a simulation passes one that follows its server);
    `tracer_provider` replaces the one `ONETHING_OTEL_ENDPOINT` configures (a test's in-memory one)."""
    settings = settings or get_settings()
    tracer_provider = tracer_provider or provider_from_settings(settings, "onething-api")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.clock = clock
        # Blocking work (plain `def` routes, the services' SQL) shares one thread pool, sized from settings; the
        # database pool is bounded too, and a request that waits past its timeout is answered 503, never hangs.
        to_thread.current_default_thread_limiter().total_tokens = settings.api_threads
        pool = PoolLimits(settings.db_pool_size, settings.db_max_overflow, settings.db_pool_timeout_seconds)
        app.state.engine = make_engine(settings.projection_url, pool)
        count_sql(app.state.engine, transaction=record_sql_transaction, statement=record_sql_statement)
        if settings.sql_trace is not None:
            trace_sql(app.state.engine, settings.sql_trace, "api")
        app.state.rate_limiter = rate_limiter(settings, app.state.engine)  # shared by every process
        # Sessions ended before they expire (signed out, or by an operator): services/ended_sessions.py.
        app.state.ended_sessions = EndedSessions(app.state.engine, ttl=settings.ended_sessions_seconds)
        app.state.metrics = metrics_registry(app.state.engine, clock, settings.calendar_folder)
        if settings.environment == "development":
            # Demo residents and licences for the embedded stack; production reads the real registers.
            seed_demo_data_once(app.state.engine)  # several API processes may start at once
        # Refuses to start on a definition edited without a new version; resolves old cases' versions;
        # serves definitions published into the folder later without a restart (one_things/live.py).
        app.state.catalog = LiveCatalog(catalog_folder(settings), earlier=StoredVersions(app.state.engine))
        app.state.temporal = TemporalLink(settings, temporal_interceptors(tracer_provider))
        if settings.embedded_idp:
            # The demo provider is this very app: its back-channel (discovery, token, JWKS) needs no socket,
            # so it works whatever address the API listens on; the client's code path is the same.
            app.state.demo_idp = DemoProvider(settings)
            app.state.oidc = OidcClient(settings, transport=httpx.ASGITransport(app=app))
        else:
            app.state.oidc = OidcClient(settings)
        app.state.cases = temporal_gateway(app.state)
        await app.state.temporal.get()
        stop = asyncio.Event()
        this_year = clock.now().year
        background = [
            asyncio.create_task(to_thread.run_sync(calendar.warm_up, (this_year, this_year + 1))),
            asyncio.create_task(Starter(app.state.engine, app.state.cases, settings, clock).run(stop)),
            asyncio.create_task(_keep_looking(app.state.catalog, stop)),
        ]
        yield
        stop.set()
        await asyncio.gather(*background)
        app.state.engine.dispose()

    app = FastAPI(
        title="onething",
        summary="Get one thing done: one notice, one form, one case number.",
        description=(
            "Department systems: the published department contract is "
            f"[{contracts.CONTRACT_URL}]({contracts.CONTRACT_URL}) (OpenAPI 3.1), explained in "
            f"`{contracts.GUIDE}`; check a system against it with `onething departments conformance`."
        ),
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.verified_tokens = VerifiedTokens()  # our bearer tokens and sessions, read once each: core/auth.py
    install_problem_handlers(app, render_page=problem_page)
    # Routes are matched in the order they were added, and a citizen's status read is the API's most frequent
    # request: trying the pages' and five other routers' routes before it cost ~20 % of its CPU
    # (docs/benchmarks.md). Its router goes first, and the departments' callbacks (two per bundle) second; no
    # other route's path can match theirs (all under /api/v1/applications and /api/v1/callbacks, the case number
    # or department one path segment), so no other request is answered differently.
    app.include_router(applications.router, prefix="/api/v1")
    app.include_router(callbacks.router, prefix="/api/v1")
    install_pages(app)
    if settings.embedded_idp:  # development only: production refuses to start without an issuer
        app.include_router(demo_idp.router)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(contracts.router)
    for router in (
        things.router,
        authorisations.router,
        counter.router,
        staff.router,
        citizen_data.router,
        data_access.router,
        licences.router,
        messages.router,
        ratings.router,
        rectifications.router,
        supervision.router,
        department_health.router,
        department_materials.router,
        stats.router,
    ):
        app.include_router(router, prefix="/api/v1")
    install_openapi(app)
    instrument_app(app, tracer_provider)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes, own_caps=("/api/v1/callbacks/",))
    app.add_middleware(NoSniffMiddleware)
    with_request_ids(app)  # outermost, outside the 500 handler too: every line of the request, errors too, has its id
    return app
