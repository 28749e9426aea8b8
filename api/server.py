"""`onething api`: serve the API with uvicorn, in `ONETHING_API_WORKERS` processes on one port.

With one worker the app is served in this process. With more, uvicorn's supervisor starts that many worker
processes sharing the listening socket (each builds its own app through `app_from_environment`, reading the
same ONETHING_* settings) and starts again one that dies. What each process holds for itself is correct with N
of them (docs/operations.md#api-worker-processes): the rate limits count in the database, the outbox starter
takes rows by lease, the token cache and the catalogue are read-only copies, and the counters of /metrics are
summed over the processes through prometheus-client's multiprocess mode, set up here before any worker starts.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

import uvicorn
from fastapi import FastAPI

from api.app import create_app
from core.logging import configure_logging
from core.settings import Settings, get_settings

MULTIPROCESS_METRICS = "PROMETHEUS_MULTIPROC_DIR"
"""prometheus-client's own variable: where each process writes its counters (read when it is imported)."""


def app_from_environment() -> FastAPI:
    """One worker process's app, from the ONETHING_* settings it inherited (uvicorn's `factory`)."""
    settings = get_settings()
    configure_logging(settings.effective_log_format)
    return _ready_app(settings)


def _ready_app(settings: Settings) -> FastAPI:
    app = create_app(settings)
    # FastAPI builds the OpenAPI document on its first request, on the event loop: seconds on a loaded machine
    # (2.7 s measured) during which nothing else is answered, `/healthz` included. Built here, before the
    # server listens, it is served from memory. (create_app leaves it lazy: in-process tests rarely need it.)
    app.openapi()
    return app


def run_api(settings: Settings) -> None:
    configure_logging(settings.effective_log_format)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    served: dict[str, Any] = {
        "host": settings.api_host,
        "port": settings.api_port,
        "log_level": "info",
        "log_config": None,
        "forwarded_allow_ips": settings.forwarded_allow_ips,  # whose X-Forwarded-For names the client
        # httptools parses HTTP in C and uvloop runs the event loop on libuv: per status read they cost less
        # CPU than the pure-Python h11 and asyncio loop uvicorn falls back to (docs/benchmarks.md).
        "http": "httptools",
        "loop": "uvloop",
    }
    if settings.api_workers == 1:
        uvicorn.run(_ready_app(settings), **served)
        return
    # Each worker process writes its counters into files here and a scrape of any of them sums them all; the
    # folder is new for every start, as prometheus-client requires, and removed when the API stops.
    with tempfile.TemporaryDirectory(prefix="onething-api-metrics-") as metrics_dir:
        os.environ[MULTIPROCESS_METRICS] = metrics_dir
        uvicorn.run("api.server:app_from_environment", factory=True, workers=settings.api_workers, **served)
