"""An unhandled error (a bug) is answered 500 with the request's id, and its traceback line carries that id.

Over real HTTP through uvicorn, as `onething api` serves: the traceback is uvicorn's own line
("Exception in ASGI application"), written after the app has raised, so only the real server shows it.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx

from api.app import create_app
from tests.support.db import settings_for
from tests.support.log_lines import captured_lines
from tests.support.servers import ThreadedServer, free_port

REQUEST_ID = "lb-unhandled-0001"


def fail() -> None:
    raise RuntimeError("a bug in a route")


async def test_the_traceback_of_an_unhandled_error_names_its_request(tmp_path: Path) -> None:
    app = create_app(settings_for(tmp_path, temporal_address=f"127.0.0.1:{free_port()}"))  # no Temporal needed
    app.add_api_route("/test-bug", fail)  # a route with a bug: nothing in the product fails on purpose
    with ThreadedServer(app) as server, captured_lines("uvicorn.error") as logged:
        async with httpx.AsyncClient(base_url=server.url) as client:
            failed = await client.get("/test-bug", headers={"X-Request-ID": REQUEST_ID})
        deadline = time.monotonic() + 10  # the server logs once the 500 is on its way: the client may be first
        while not any("exception" in line.fields for line in logged.lines):
            assert time.monotonic() < deadline, "the server logged no traceback"
            await asyncio.sleep(0.02)
    assert failed.status_code == 500
    assert failed.headers["X-Request-ID"] == REQUEST_ID  # the citizen's report of the error leads to its lines
    [traceback] = [line.fields for line in logged.lines if "exception" in line.fields]
    assert "RuntimeError: a bug in a route" in traceback["exception"]
    assert traceback["request_id"] == REQUEST_ID
