"""Accepted means started: the Temporal dev server (on its SQLite file) is killed and started again three times
during a burst of applications; every application is accepted at once, and afterwards every accepted case runs
(its start waited in the outbox and the starter delivered it). Issue 11 saw 1 of 100 lost with 4 restarts."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session
from temporalio.client import Client

from core.auth import Role
from core.database import create_sql_engine
from one_things.catalog import load_catalog
from one_things.demo import demo_request
from persistence.outbox import backlog
from tests.support.servers import TemporalDevServer
from tests.support.stack import running_stack

pytestmark = pytest.mark.e2e

APPLICATIONS = 40
RESTARTS = 3


async def test_every_application_accepted_while_temporal_restarts_runs(
    converter,  # type: ignore[no-untyped-def]
    data_dir: Path,
    tmp_path: Path,
) -> None:
    with TemporalDevServer(tmp_path / "temporal.db", tmp_path / "temporal.log") as temporal:
        client = await Client.connect(temporal.address, data_converter=converter)
        overrides = {"submissions_per_hour": 1000, "temporal_rpc_seconds": 2, "outbox_max_backoff_seconds": 4}
        async with running_stack(client, data_dir, **overrides) as stack:
            citizen = stack.as_user(Role.CITIZEN, "citizen-temporal-restarts")
            body = demo_request(load_catalog().get("newborn"), date.today())

            async def restart_temporal() -> None:
                for _ in range(RESTARTS):
                    await asyncio.sleep(0.7)
                    temporal.kill()
                    await asyncio.sleep(1.2)
                    await asyncio.to_thread(temporal.start)

            async def apply(n: int) -> tuple[int, dict[str, str]]:
                await asyncio.sleep(n * 0.2)  # spread over the restarts
                response = await citizen.post(
                    "/api/v1/applications", json=body, headers={"Idempotency-Key": f"restart-{n}"}
                )
                return response.status_code, response.json()

            restarts = asyncio.create_task(restart_temporal())
            answers = await asyncio.gather(*(apply(n) for n in range(APPLICATIONS)))
            await restarts
            began = time.monotonic()

            assert [status for status, _ in answers] == [201] * APPLICATIONS, answers
            shown = Counter(answer["status"] for _, answer in answers)
            for _, answer in answers:
                case = await stack.wait_case(
                    citizen, answer["case_no"], {"running", "waiting_citizen", "completed"}, timeout=120
                )
                assert case["items"], case
            engine = create_sql_engine(stack.settings.projection_url)
            try:
                with Session(engine) as session:
                    assert backlog(session) == 0
            finally:
                engine.dispose()
            print(
                f"\n{APPLICATIONS} accepted during {RESTARTS} Temporal restarts ({dict(shown)} when answered); all "
                f"running {time.monotonic() - began:.1f} s after the last restart"
            )
            await citizen.aclose()
