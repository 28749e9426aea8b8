"""The simulation's own API and department stubs: uvicorn in background threads, on free ports."""

from __future__ import annotations

import threading
import time
from types import TracebackType
from typing import Any

import uvicorn

STARTUP_SECONDS = 20


class BackgroundServer:
    """Serves an ASGI app over real HTTP in a thread with its own event loop."""

    def __init__(self, app: Any, port: int) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def __enter__(self) -> BackgroundServer:
        self._thread.start()
        deadline = time.monotonic() + STARTUP_SECONDS
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("a simulation server did not start; see the log above")
            time.sleep(0.02)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
