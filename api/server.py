"""`onething api`: serve the API with uvicorn."""

from __future__ import annotations

import uvicorn

from api.app import create_app
from core.logging import configure_logging
from core.settings import Settings


def run_api(settings: Settings) -> None:
    configure_logging(settings.effective_log_format)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    app = create_app(settings)
    # FastAPI builds the OpenAPI document on its first request, on the event loop: seconds on a loaded machine
    # (2.7 s measured) during which nothing else is answered, `/healthz` included. Built here, before the
    # server listens, it is served from memory. (create_app leaves it lazy: in-process tests rarely need it.)
    app.openapi()
    uvicorn.run(
        app,
        host=settings.api_host,
        port=settings.api_port,
        log_level="info",
        log_config=None,
        forwarded_allow_ips=settings.forwarded_allow_ips,  # whose X-Forwarded-For names the client
        # httptools parses HTTP in C and uvloop runs the event loop on libuv: per status read they cost less
        # CPU than the pure-Python h11 and asyncio loop uvicorn falls back to (docs/benchmarks.md).
        http="httptools",
        loop="uvloop",
    )
