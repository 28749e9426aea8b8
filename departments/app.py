"""`create_app()`: the department stubs' own FastAPI app, database and background work."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from core.request_id import RequestIdMiddleware
from core.settings import Settings
from departments import problems
from departments.batch import BatchProcessor
from departments.behaviour import StubConfig
from departments.callbacks import CallbackDispatcher
from departments.clerk import run_clerk
from departments.clock import StubClock
from departments.exchange import FileExchange
from departments.routes import StubState, router
from departments.store import active_callbacks, make_engine

log = logging.getLogger("onething.departments")


def create_app(settings: Settings, config: StubConfig | None = None) -> FastAPI:
    """The stub back-ends; `config` None reads ONETHING_DEPARTMENTS_CONFIG and ONETHING_CLERK_DEPARTMENTS."""
    # A private copy: PUT /config changes this app's behaviour, never the caller's object.
    stub_config = (config or StubConfig.from_env()).model_copy(deep=True)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.departments_db_url)
        clock = StubClock()
        dispatcher = CallbackDispatcher(engine, stub_config, settings.secret_key, clock)
        http = httpx.AsyncClient(timeout=30)
        files = FileExchange(settings.exchange_dir, engine, stub_config, clock, http, settings.secret_key)
        batch = BatchProcessor(engine, stub_config, clock, files, dispatcher)
        app.state.stub = StubState(
            engine=engine, config=stub_config, clock=clock, dispatcher=dispatcher, batch=batch, http=http
        )
        stop = asyncio.Event()
        background = [asyncio.create_task(batch.run(stop), name="batch")]
        if stub_config.clerk_departments:
            clerk = run_clerk(settings, stub_config.clerk_departments, stop, latency_ms=stub_config.clerk_latency_ms)
            background.append(asyncio.create_task(clerk, name="clerk"))
        resumed = active_callbacks(engine)
        for record in resumed:  # callbacks owed when the process last stopped
            dispatcher.ensure(record)
        if resumed:
            log.info("resumed %d pending callback(s)", len(resumed))
        try:
            yield
        finally:
            stop.set()
            for task in background:
                try:
                    await asyncio.wait_for(task, timeout=5)
                except TimeoutError:
                    pass  # wait_for has cancelled it; shutting down must not hang on a stuck poll
                except Exception:
                    log.exception("background task %s failed", task.get_name())
            await dispatcher.aclose()
            await http.aclose()
            engine.dispose()

    app = FastAPI(
        title="onething department stubs",
        summary="Stand-ins for department systems: sync REST, async signed callbacks, batch pull (受办分离)",
        lifespan=lifespan,
    )
    problems.install(app)
    app.include_router(router)
    app.add_middleware(RequestIdMiddleware)  # the id the worker's call carries is on the stub's lines too
    return app
