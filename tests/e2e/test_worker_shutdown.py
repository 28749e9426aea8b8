"""SIGTERM lets a worker finish the department call it has in flight, so that call is never sent twice."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from datetime import date
from pathlib import Path

import pytest

from core.auth import Role
from one_things.catalog import load_catalog
from one_things.demo import demo_request
from tests.e2e.test_worker_crash import start_worker
from tests.support.db import sqlite_pass_only
from tests.support.stack import running_stack
from tests.support.staff import approve_queue

pytestmark = [
    pytest.mark.e2e,
    sqlite_pass_only("the worker's SIGTERM drain is Temporal's and the process's; no SQL of it differs by database"),
]

LATENCY_MS = 4000
"""The birth certificate's sync call takes this long: long enough to stop the worker in the middle of it."""


async def test_sigterm_finishes_the_department_call_in_flight(dev_env, data_dir: Path) -> None:
    async with running_stack(dev_env.client, data_dir, with_worker=False) as stack:
        await stack.configure("health", latency_ms=LATENCY_MS, jitter_ms=0, failure_rate=0.0)
        citizen = stack.as_user(Role.CITIZEN, "citizen-shutdown")
        staff = stack.as_user(Role.STAFF, "clerk-shutdown", department="cdc")
        log = data_dir / "worker.log"
        worker = start_worker(stack.settings, log)
        stop = asyncio.Event()
        clerk = asyncio.create_task(approve_queue(staff, stop))
        try:
            body = demo_request(load_catalog().get("newborn"), date.today())  # held data left out, as a page sends it
            posted = await citizen.post("/api/v1/applications", json=body)
            assert posted.status_code == 201, posted.text
            case_no = posted.json()["case_no"]
            await _until_the_department_holds(stack, case_no)  # the call is in flight: the answer takes 4 s
            health = f"http://127.0.0.1:{stack.settings.worker_health_port}"
            assert (await stack.stubs.get(f"{health}/readyz")).status_code == 200

            worker.send_signal(signal.SIGTERM)
            # Draining: still alive, no longer ready (a load balancer or orchestrator sees it leave).
            assert await _until_status(stack, f"{health}/readyz", 503)
            assert (await stack.stubs.get(f"{health}/healthz")).status_code == 200
            exit_code = await asyncio.to_thread(worker.wait, 30)
            assert exit_code == 0, log.read_text()[-2000:]
            [record] = await _records(stack, case_no)
            assert record["status"] == "completed"  # the department decided while the worker waited for it

            worker = start_worker(stack.settings, log)
            case = await stack.wait_case(citizen, case_no, {"completed", "rejected", "withdrawn"}, timeout=120)
            assert case["status"] == "completed"
            [record] = await _records(stack, case_no)
            assert record["submissions"] == 1  # finished before the stop, never sent again by the new worker
        finally:
            stop.set()
            await clerk
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                await asyncio.to_thread(_wait_quietly, worker)
        await citizen.aclose()
        await staff.aclose()


async def _records(stack, case_no: str) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    records = (await stack.stubs.get("/admin/health/records")).json()
    return [record for record in records if record["case_no"] == case_no]


async def _until_the_department_holds(stack, case_no: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + 60  # the worker process starts first: seconds on a busy machine
    while time.monotonic() < deadline:
        if await _records(stack, case_no):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the worker never called the department")


async def _until_status(stack, url: str, status: int) -> bool:  # type: ignore[no-untyped-def]
    for _ in range(40):
        if (await stack.stubs.get(url)).status_code == status:
            return True
        await asyncio.sleep(0.05)
    return False


def _wait_quietly(worker: subprocess.Popen[bytes]) -> None:
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()
