"""Real servers for tests: uvicorn in a background thread on a free port, and the Temporal binaries."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn

from core.ports import free_port

BIN = Path(sys.executable).parent
TEMPORAL_CLI = BIN / "temporal"
TEMPORAL_TEST_SERVER = BIN / "temporal-test-server"


class ThreadedServer:
    """Serves an ASGI app over real HTTP, so callbacks and activities cross a real socket."""

    def __init__(self, app: Any, port: int | None = None, *, lifespan: str = "on") -> None:
        """`lifespan="off"` serves an app whose lifespan the test already runs (e.g. an in-process API)."""
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan=lifespan)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def __enter__(self) -> ThreadedServer:
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"test server on port {self.port} did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


class TemporalDevServer:
    """The Temporal dev server as a process of its own on a SQLite file, as `onething dev` runs it: killed with
    SIGKILL and started again on the same port, it still has every workflow it had."""

    def __init__(self, db_file: Path, log: Path) -> None:
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self._argv = [
            str(TEMPORAL_CLI),
            *("server", "start-dev", "--ip", "127.0.0.1", "--port", str(self.port), "--headless"),
            *("--db-filename", str(db_file), "--log-level", "error"),
            *("--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal"),
        ]
        self._log = log
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self._process = subprocess.Popen(self._argv, stdout=self._log.open("ab"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"the Temporal dev server exited; see {self._log}")
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError(f"the Temporal dev server did not open port {self.port}")

    def kill(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait()

    def __enter__(self) -> TemporalDevServer:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.kill()
