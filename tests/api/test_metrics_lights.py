"""An item past its promised date shows red in the API's /metrics within seconds, and so does a late rectification.

The time-skipping server moves the clock past the deadlines; the workflows turn the lights, the
projection records them, and the API's collector reads them at the next scrape.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from sqlmodel import Session
from temporalio.testing import WorkflowEnvironment

from api.app import create_app as create_api
from core.metrics import OPEN_RECTIFICATIONS, OVERDUE_RECTIFICATIONS, RUNNING_ITEMS
from persistence.db import make_engine
from persistence.department_calls import department_health
from tests.support.scrape import sample
from tests.support.servers import ThreadedServer
from tests.workflows.harness import definition, harness, until
from tests.workflows.test_rectification import start as start_rectification
from workflows.bundle import OneThingWorkflow
from workflows.contracts import StaffDecision

SH = ZoneInfo("Asia/Shanghai")
MONDAY_1_MARCH = datetime(2027, 3, 1, 10, 0, tzinfo=SH)
PAST_BOTH_DEADLINES = datetime(2027, 3, 30, 9, 0, tzinfo=SH)
"""The item's 20 working days end on 29 March, the rectification's 15 on 22 March."""


Expected = list[tuple[str, dict[str, str], float]]


async def scrape_until(api: httpx.AsyncClient, expected: Expected, timeout: float = 5) -> None:
    """Scrapes /metrics until every (metric, labels, value) holds, for at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        text = (await api.get("/metrics")).text
        seen = [(name, labels, sample(text, name, **labels)) for name, labels, _ in expected]
        if seen == expected or time.monotonic() > deadline:
            assert seen == expected
            return
        await asyncio.sleep(0.2)


async def test_red_item_and_overdue_rectification_show_in_metrics(
    skipping_env: WorkflowEnvironment, data_dir: Path
) -> None:
    async with harness(skipping_env, data_dir) as h:
        with ThreadedServer(create_api(h.settings), port=h.settings.api_port) as server:
            async with httpx.AsyncClient(base_url=server.url, timeout=30) as api:
                await h.skip_to(MONDAY_1_MARCH)
                handle = await h.start(definition(), "METRICS-1")
                await start_rectification(h, "METRICS-0")
                await until(handle, lambda s: s.item("second").light == "green")
                # The department call was logged at the case's (simulated) time, for the health figures.
                engine = make_engine(h.settings.projection_url)
                with Session(engine) as session:
                    logged = department_health(
                        session, since=MONDAY_1_MARCH, until=PAST_BOTH_DEADLINES, now=PAST_BOTH_DEADLINES
                    )
                engine.dispose()
                assert [(row.department, row.ok) for row in logged] == [("alpha", 1)]
                await scrape_until(
                    api,
                    [
                        (RUNNING_ITEMS, {"department": "beta", "light": "green"}, 1),
                        (RUNNING_ITEMS, {"department": "beta", "light": "red"}, 0),
                        (OPEN_RECTIFICATIONS, {"department": "alpha"}, 1),
                        (OVERDUE_RECTIFICATIONS, {"department": "alpha"}, 0),
                    ],
                )

                await h.skip_to(PAST_BOTH_DEADLINES)
                await until(handle, lambda s: s.item("second").light == "red")
                await scrape_until(
                    api,
                    [
                        (RUNNING_ITEMS, {"department": "beta", "light": "green"}, 0),
                        (RUNNING_ITEMS, {"department": "beta", "light": "red"}, 1),
                        (OPEN_RECTIFICATIONS, {"department": "alpha"}, 1),
                        (OVERDUE_RECTIFICATIONS, {"department": "alpha"}, 1),
                    ],
                )

                # Once decided, the item is no longer running: the red light leaves the gauge.
                await handle.execute_update(
                    OneThingWorkflow.staff_decision,
                    StaffDecision(item_code="second", decision="approve", output={"second_no": "B-1"}, staff="clerk"),
                )
                await handle.result()
                text = (await api.get("/metrics")).text
                assert sample(text, RUNNING_ITEMS, department="beta", light="red") == 0
