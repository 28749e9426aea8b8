"""docker-compose.yml's topology without containers: two API processes and two workers, one PostgreSQL database,
one Temporal server, the department stubs; bundles submitted through both APIs alternately.

Each process is the real command (`onething api`, `onething worker`) on its own HTTP, metrics and health
ports, as compose runs them behind one address. It shows what scaling out must not change: every case
completes, each department holds one record per item (no duplicate effect from two workers), every API's
gauges give the database's figures (each reports the whole, never half or double: the dashboard takes the
`max` over replicas), the counters add up over the APIs to what was submitted, and each process is ready.

PostgreSQL only: it is the database compose deploys; SQLite serves the single-process embedded stack.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func
from sqlmodel import Session, col, select

from core import metrics
from core.auth import Role
from core.settings import Settings
from departments.app import create_app as create_departments
from departments.behaviour import StubConfig
from one_things.catalog import load_catalog
from one_things.demo import demo_request
from persistence.db import make_engine
from persistence.supervision import OPEN
from persistence.tables import ItemRecord
from tests.conftest import stack_settings
from tests.support.db import POSTGRES_ENV, postgres_server, process_environment
from tests.support.people import register_if_test_citizen
from tests.support.servers import ThreadedServer, free_port
from tests.support.stack import token
from tests.support.staff import approve_queue

pytestmark = pytest.mark.e2e

BUNDLES = 8
DEPARTMENTS = ("health", "public_security", "human_resources", "medical_insurance")
FINISHED = {"completed", "rejected", "withdrawn"}


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    ready_url: str
    log: Path


def start(name: str, command: str, environment: dict[str, str], ready_url: str, folder: Path) -> Process:
    log = folder / f"{name}.log"
    argv = [sys.executable, "-c", "from cli.main import main; main()", command]
    popen = subprocess.Popen(argv, env=environment, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    return Process(name, popen, ready_url, log)


@contextmanager
def processes(started: list[Process]) -> Iterator[list[Process]]:
    """Stops every process on the way out (SIGTERM, as an orchestrator does), each within its drain time."""
    try:
        yield started
    finally:
        for process in started:
            process.popen.send_signal(signal.SIGTERM)
        for process in started:
            try:
                process.popen.wait(timeout=40)
            except subprocess.TimeoutExpired:
                process.popen.kill()
                process.popen.wait()


async def until_ready(http: httpx.AsyncClient, process: Process, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.popen.poll() is None, f"{process.name} exited: {process.log.read_text()[-2000:]}"
        try:
            if (await http.get(process.ready_url)).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.2)
    raise AssertionError(f"{process.name} not ready in {timeout} s: {process.log.read_text()[-2000:]}")


def running_by_department(engine_url: str) -> dict[str, float]:
    """The database's own count of unfinished items per department (what the running-items gauge shows)."""
    engine = make_engine(engine_url)
    try:
        with Session(engine) as session:
            query = (
                select(ItemRecord.department, func.count())
                .where(col(ItemRecord.status).in_(OPEN))
                .group_by(ItemRecord.department)
            )
            return {department: float(count) for department, count in session.exec(query).all()}
    finally:
        engine.dispose()


def gauge_by_department(exposition: str) -> dict[str, float]:
    """One API's running-items gauge, summed over the lights, per department (departments at 0 left out)."""
    totals: Counter[str] = Counter()
    for family in text_string_to_metric_families(exposition):
        if family.name == metrics.RUNNING_ITEMS:
            for sample in family.samples:
                totals[sample.labels["department"]] += sample.value
    return {department: total for department, total in totals.items() if total}


def counter_total(exposition: str, name: str) -> float:
    """A counter's value summed over its labels (`name` ends in _total, as the samples' names do)."""
    return sum(
        sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
        if sample.name == name
    )


async def test_two_apis_and_two_workers_on_one_database_do_everything_once(dev_env, tmp_path: Path) -> None:
    if postgres_server() is None:
        pytest.skip(f"compose's topology runs on PostgreSQL: set {POSTGRES_ENV} (scripts/test does)")
    api_ports = [free_port(), free_port()]
    # What the processes share, as compose's env file gives it to all of them: database, Temporal, queue, keys.
    shared: Settings = stack_settings(tmp_path / "data", dev_env.client, api_port=api_ports[0])
    assert shared.database_url.startswith("postgresql")
    environment = {
        **os.environ,
        **process_environment(shared),
        "ONETHING_TEMPORAL_ADDRESS": shared.temporal_address,
        "ONETHING_TASK_QUEUE": shared.task_queue,
        "ONETHING_DEPARTMENTS_PORT": str(shared.departments_port),
        "ONETHING_SUBMISSIONS_PER_HOUR": "1000",
        "ONETHING_LOG_FORMAT": "json",
    }
    started: list[Process] = []
    for n, port in enumerate(api_ports, start=1):
        api_env = {**environment, "ONETHING_API_PORT": str(port)}
        started.append(start(f"api-{n}", "api", api_env, f"http://127.0.0.1:{port}/readyz", tmp_path))
    for n in (1, 2):
        health, metrics_port = free_port(), free_port()
        worker_env = {
            **environment,
            "ONETHING_API_PORT": str(api_ports[0]),  # where the departments' callbacks go: the balanced address
            "ONETHING_METRICS_PORT": str(metrics_port),
            "ONETHING_WORKER_HEALTH_PORT": str(health),
        }
        started.append(start(f"worker-{n}", "worker", worker_env, f"http://127.0.0.1:{health}/readyz", tmp_path))

    stubs = create_departments(shared, StubConfig(clerk_departments=[]))
    body = demo_request(load_catalog().get("newborn"), date.today())
    subject = "citizen-topology"
    engine = make_engine(shared.projection_url)
    register_if_test_citizen(engine, subject)
    engine.dispose()
    citizen_headers = {"Authorization": f"Bearer {token(shared, Role.CITIZEN, subject)}"}
    staff_headers = {"Authorization": f"Bearer {token(shared, Role.STAFF, 'clerk-topology', 'cdc')}"}
    apis = [f"http://127.0.0.1:{port}" for port in api_ports]

    with ThreadedServer(stubs, port=shared.departments_port), processes(started):
        async with httpx.AsyncClient(timeout=30) as http:
            for process in started:
                await until_ready(http, process)
            for department in DEPARTMENTS:
                config = f"{shared.departments_url}/admin/{department}/config"
                current = (await http.get(config)).json()
                (await http.put(config, json={**current, "latency_ms": 50, "jitter_ms": 0})).raise_for_status()

            case_nos = []
            for n in range(BUNDLES):
                response = await http.post(
                    f"{apis[n % 2]}/api/v1/applications",
                    json=body,
                    headers={**citizen_headers, "Idempotency-Key": f"topology-{n}"},
                )
                assert response.status_code == 201, response.text
                case_nos.append(response.json()["case_no"])
            assert len(set(case_nos)) == BUNDLES

            # Mid-run, the clerk not yet at work: items wait, and both APIs show the database's figures.
            running, scrapes = await until_running(http, apis, shared.projection_url)
            for api, scrape in zip(apis, scrapes, strict=True):
                assert gauge_by_department(scrape) == running, api

            stop = asyncio.Event()
            async with httpx.AsyncClient(base_url=apis[1], headers=staff_headers, timeout=30) as staff:
                clerk = asyncio.create_task(approve_queue(staff, stop))
                try:
                    statuses = {}
                    for n, case_no in enumerate(case_nos):
                        statuses[case_no] = await until_finished(http, apis[n % 2], case_no, citizen_headers)
                finally:
                    stop.set()
                    await clerk
            assert Counter(statuses.values()) == Counter({"completed": BUNDLES})

            expositions = [(await http.get(f"{api}/metrics")).text for api in apis]
            started_per_api = [counter_total(text, metrics.BUNDLES_STARTED) for text in expositions]
            assert started_per_api == [BUNDLES / 2, BUNDLES / 2]  # each counts its own; the sum is every bundle
            assert running_by_department(shared.projection_url) == {}
            assert [gauge_by_department(text) for text in expositions] == [{}, {}]

            for process in started:
                ready = await http.get(process.ready_url)
                assert ready.status_code == 200, f"{process.name}: {ready.text}"

            for department in DEPARTMENTS:
                records = (await http.get(f"{shared.departments_url}/admin/{department}/records")).json()
                per_item = Counter((r["case_no"], r["item_code"]) for r in records if r["case_no"] in statuses)
                assert len(per_item) == BUNDLES, department
                assert max(per_item.values()) == 1, f"{department} holds a duplicate record"
                assert all(r["submissions"] == 1 for r in records if r["case_no"] in statuses), department

    for process in started:  # stopped by SIGTERM: each drained and exited cleanly
        log = process.log.read_text()
        if process.name.startswith("api"):
            # uvicorn shuts down, then re-raises the SIGTERM it caught, so the exit status names the signal.
            assert process.popen.returncode in (0, -signal.SIGTERM), f"{process.name}: {log[-2000:]}"
            assert "Application shutdown complete." in log, f"{process.name}: {log[-2000:]}"
        else:
            assert process.popen.returncode == 0, f"{process.name}: {log[-2000:]}"


async def until_running(
    http: httpx.AsyncClient, apis: list[str], url: str, timeout: float = 60
) -> tuple[dict[str, float], list[str]]:
    """The database's unfinished items once every bundle has items waiting for the clerk, and each API's scrape
    taken while they stayed so (items of other departments still move: a scrape taken later may not match)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = running_by_department(url)
        if before.get("cdc", 0) >= BUNDLES:  # every birth certificate waits in the clerk's queue
            scrapes = [(await http.get(f"{api}/metrics")).text for api in apis]
            if running_by_department(url) == before:  # nothing moved while scraping: a fair comparison
                return before, scrapes
        await asyncio.sleep(0.2)
    raise AssertionError(f"the items did not reach the clerk: {running_by_department(url)}")


async def until_finished(http: httpx.AsyncClient, api: str, case_no: str, headers: dict[str, str]) -> str:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        response = await http.get(f"{api}/api/v1/applications/{case_no}", headers=headers)
        if response.status_code == 200 and response.json()["status"] in FINISHED:
            status: str = response.json()["status"]
            return status
        await asyncio.sleep(0.3)
    raise AssertionError(f"case {case_no} did not finish")
