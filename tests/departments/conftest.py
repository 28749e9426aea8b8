"""Live servers on free ports: the stubs, a callback receiver, a fake platform API."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from core.settings import Settings
from departments.app import create_app
from departments.behaviour import DepartmentBehaviour, StubConfig

SECRET = "departments-test-secret-of-32-bytes-or-more"


def reserve_socket() -> socket.socket:
    """A bound socket handed to uvicorn, so the port is known (and unrefused) before the server starts."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def port_of(sock: socket.socket) -> int:
    port: int = sock.getsockname()[1]
    return port


@contextmanager
def serve(app: FastAPI, sock: socket.socket | None = None) -> Iterator[str]:
    """Run `app` with uvicorn in a thread (its own event loop) and yield its base URL."""
    sock = sock or reserve_socket()
    config = uvicorn.Config(app, log_config=None, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port_of(sock)}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def fast_config(**defaults: object) -> StubConfig:
    """Defaults that keep tests quick: a short, exact latency and a short batch interval."""
    values: dict[str, object] = {"latency_ms": 20, "jitter_ms": 0, "batch_interval_ms": 100, **defaults}
    return StubConfig(
        defaults=DepartmentBehaviour.model_validate(values),
        callback_backoff_ms=50,
        callback_backoff_max_ms=200,
    )


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        # The stubs' own SQLite file in both runs, as deployed (tests/support/db.py says why).
        departments_database_url=f"sqlite:///{tmp_path / 'departments.db'}",
        secret_key=SECRET,
    )


@pytest.fixture
def stub_url(settings: Settings) -> Iterator[str]:
    with serve(create_app(settings, fast_config())) as url:
        yield url


@pytest.fixture
async def client(stub_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=stub_url, timeout=10) as http:
        yield http


def submission(key: str, mode: str = "sync_rest", **extra: object) -> dict[str, object]:
    case_no, item_code = key.split(":")[:2]
    body: dict[str, object] = {
        "idempotency_key": key,
        "case_no": case_no,
        "item_code": item_code,
        "mode": mode,
        "payload": {"mother_id_no": "310101199001011234", "mother_name": "张三"},
        "outputs": ["birth_cert_no"],
        "callback_url": None,
    }
    body.update(extra)
    return body
