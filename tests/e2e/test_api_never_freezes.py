"""The API never freezes: with the worker stopped, ten citizens each sending the same application five times at once
and twenty staff decisions at once are all answered within 10 s, exactly one case per Idempotency-Key, while
`/healthz` keeps answering; once the worker is back every case accepted meanwhile runs.

The database pool is kept smaller than the burst on purpose: a request that held its connection while it waited on
Temporal would park the pool and freeze every other request (issue 11: 44 of 50 unanswered in 300 s).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, func, select

from cli.timed_requests import Sampler, approve_vaccination, latency_ms, timed, wait_queued
from core.auth import Role
from core.database import create_sql_engine
from one_things.catalog import load_catalog
from one_things.demo import demo_request
from persistence.tables import ApplicationRequest
from tests.support.stack import Stack, running_stack
from worker import build_worker

pytestmark = pytest.mark.e2e

ANSWER_WITHIN = 10.0
CITIZENS, REPEATS, DECISIONS = 10, 5, 20


async def waiting_for_staff(stack: Stack, count: int) -> tuple[list[str], httpx.AsyncClient]:
    """`count` cases whose vaccination certificate waits for the CDC clerk's decision (the worker running)."""
    citizen = stack.as_user(Role.CITIZEN, "citizen-stall-decisions")
    staff = stack.as_user(Role.STAFF, "clerk-stall", department="cdc")
    body = demo_request(load_catalog().get("newborn"), date.today())
    case_nos = []
    for n in range(count):
        response = await citizen.post("/api/v1/applications", json=body, headers={"Idempotency-Key": f"decide-{n}"})
        assert response.status_code == 201, response.text
        case_nos.append(response.json()["case_no"])
    assert await wait_queued(staff, case_nos, within=120) == set(case_nos), "not all reached the CDC clerk's queue"
    return case_nos, staff


async def test_a_burst_with_the_worker_stopped_is_answered_in_time_one_case_per_key(dev_env, data_dir: Path) -> None:
    overrides = {
        "submissions_per_hour": 1000,
        "db_pool_size": 4,
        "db_max_overflow": 2,
        "worker_shutdown_seconds": 1,
    }
    async with running_stack(dev_env.client, data_dir, with_worker=False, **overrides) as stack:
        async with build_worker(dev_env.client, stack.settings) as worker, worker:
            case_nos, staff = await waiting_for_staff(stack, DECISIONS)
        # The worker is gone: every update now waits on a case nobody runs.

        body = demo_request(load_catalog().get("newborn"), date.today())
        citizens = [stack.as_user(Role.CITIZEN, f"citizen-burst-{n}") for n in range(CITIZENS)]
        for client in (*citizens, staff):
            client.timeout = httpx.Timeout(ANSWER_WITHIN)

        def apply(n: int) -> Callable[[], Awaitable[httpx.Response]]:
            key = {"Idempotency-Key": f"burst-{n}"}
            return lambda: citizens[n].post("/api/v1/applications", json=body, headers=key)

        with Sampler(f"{stack.settings.api_url}/healthz", every=0.05) as sampler:
            await asyncio.sleep(0.2)
            began = time.perf_counter()
            applications, decisions = await asyncio.gather(
                asyncio.gather(*(timed(apply(n)) for n in range(CITIZENS) for _ in range(REPEATS))),
                asyncio.gather(*(timed(approve_vaccination(staff, case_no)) for case_no in case_nos)),
            )
            burst_seconds = time.perf_counter() - began
        health = sampler.answers

        everything = [*applications, *decisions]
        median, p99, slowest = latency_ms(health)
        print(
            f"\nburst of {len(everything)} requests answered in {burst_seconds:.1f} s; slowest "
            f"{max(a.seconds for a in everything):.2f} s; applications {Counter(a.status for a in applications)}; "
            f"decisions {Counter(a.status for a in decisions)}; /healthz {len(health)} probes, "
            f"median {median:.1f} ms, p99 {p99:.1f} ms, max {slowest:.1f} ms"
        )
        assert [a for a in everything if a.status is None] == []  # every request answered within 10 s
        assert all(a.seconds < ANSWER_WITHIN for a in everything)
        assert len(health) >= 5
        assert {a.status for a in health} == {200}  # liveness answered throughout

        # Exactly one case per key: one 201 and four repeats answering the same case, for every citizen.
        for n in range(CITIZENS):
            mine = applications[n * REPEATS : (n + 1) * REPEATS]
            assert sorted(a.status for a in mine) == [200] * (REPEATS - 1) + [201], [a.body for a in mine]
            assert len({a.body["case_no"] for a in mine}) == 1
        engine = create_sql_engine(stack.settings.projection_url)
        try:
            with Session(engine) as session:
                for n in range(CITIZENS):
                    owner = f"citizen-burst-{n}"
                    count = session.exec(
                        select(func.count()).select_from(ApplicationRequest).where(ApplicationRequest.owner == owner)
                    ).one()
                    assert count == 1
        finally:
            engine.dispose()

        # A decision the stopped case cannot take in time is refused with 503 and Retry-After, never left hanging.
        for answer in decisions:
            assert answer.status in (200, 503), answer.body
            if answer.status == 503:
                assert answer.retry_after is not None
                assert "may still be applied" in answer.body["detail"]

        # Accepted means started: with the worker back, every case accepted during the stall runs.
        async with build_worker(dev_env.client, stack.settings) as worker, worker:
            for n in range(CITIZENS):
                case_no = applications[n * REPEATS].body["case_no"]
                case = await stack.wait_case(citizens[n], case_no, {"running", "waiting_citizen", "completed"})
                assert case["items"], case
        for client in (*citizens, staff):
            await client.aclose()
