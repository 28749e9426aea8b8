"""Running OneThingWorkflow on the time-skipping server with the real activities and stubs."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from core.ids import workflow_id
from core.settings import Settings
from departments.app import create_app as create_departments
from departments.behaviour import StubConfig
from one_things.schema import OneThing
from services.submission import working_calendar
from tests.conftest import stack_settings
from tests.support.servers import ThreadedServer
from worker import build_worker
from workflows.bundle import OneThingWorkflow
from workflows.contracts import BundleInput, CaseState

DEFINITION = {
    "code": "twosteps",
    "version": 1,
    "name": {"zh": "两步一件事", "en": "Two steps"},
    "life_event": {"zh": "测试", "en": "Test"},
    "departments": [
        {"code": "alpha", "name": {"zh": "甲局", "en": "Alpha"}},
        {"code": "beta", "name": {"zh": "乙局", "en": "Beta"}},
    ],
    "items": [
        {
            "code": "first",
            "item_no": "T-001",
            "department": "alpha",
            "name": {"zh": "第一", "en": "First"},
            "mode": "sync_rest",
            "statutory_days": 30,
            "promised_days": 5,
            "inputs": {"applicant": "form.applicant"},
            "outputs": ["first_no"],
        },
        {
            "code": "second",
            "item_no": "T-002",
            "department": "beta",
            "name": {"zh": "第二", "en": "Second"},
            "mode": "standard_module",
            "statutory_days": 30,
            "promised_days": 20,
            "depends_on": ["first"],
            "inputs": {"first_no": "items.first.first_no"},
            "outputs": ["second_no"],
        },
    ],
    "form": [{"code": "applicant", "name": {"zh": "申请人", "en": "Applicant"}, "type": "text", "personal": True}],
    "baseline": {"steps": 4, "days": 40, "materials": 2, "trips": 2},
    "sla": {"yellow_before_days": 2},
}


def definition(**item_changes: dict[str, Any]) -> OneThing:
    raw = {**DEFINITION, "items": [{**item, **item_changes.get(item["code"], {})} for item in DEFINITION["items"]]}
    return OneThing.model_validate(raw)


@dataclass
class Harness:
    env: WorkflowEnvironment
    settings: Settings
    stubs: httpx.AsyncClient

    async def skip_to(self, instant: datetime) -> None:
        """Moves the test server's clock forward to `instant`."""
        now = await self.env.get_current_time()
        assert instant > now, f"cannot go back in time to {instant} from {now}"
        await self.env.sleep(instant - now)

    async def start(
        self,
        thing: OneThing,
        case_no: str,
        included: list[str] | None = None,
    ) -> WorkflowHandle[Any, CaseState]:
        """Starts a case now (the test server's clock); `included` as guidance would leave it, default all.
        It carries the calendar the API would give it now (the settings' calendar folder and file)."""
        accepted_at = await self.env.get_current_time()
        bundle = BundleInput(
            case_no=case_no,
            thing=thing,
            included=included or [item.code for item in thing.items],
            form={"applicant": "Test Applicant"},
            owner="tester",
            accepted_at=accepted_at,
            calendar=working_calendar(self.settings, accepted_at),
        )
        return await self.env.client.start_workflow(
            OneThingWorkflow.run, bundle, id=workflow_id(case_no), task_queue=self.settings.task_queue
        )

    async def configure(self, department: str, **behaviour: Any) -> None:
        current = (await self.stubs.get(f"/admin/{department}/config")).json()
        (await self.stubs.put(f"/admin/{department}/config", json={**current, **behaviour})).raise_for_status()


async def until(
    handle: WorkflowHandle[Any, CaseState], check: Callable[[CaseState], bool], timeout: float = 20
) -> CaseState:
    """Queries the live case state until `check` holds (real seconds, not skipped time)."""
    deadline = time.monotonic() + timeout
    while True:
        state = await handle.query(OneThingWorkflow.status)
        if check(state):
            return state
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not reached; state: {state.model_dump_json(indent=1)}")
        await asyncio.sleep(0.1)


@asynccontextmanager
async def harness(env: WorkflowEnvironment, data_dir: Path, **overrides: Any) -> AsyncIterator[Harness]:
    settings = stack_settings(data_dir, env.client, **overrides)
    with ThreadedServer(create_departments(settings, StubConfig(clerk_departments=[])), port=settings.departments_port):
        async with (
            httpx.AsyncClient(base_url=settings.departments_url, timeout=30) as stubs,
            build_worker(env.client, settings) as worker,
            worker,
        ):
            harness = Harness(env=env, settings=settings, stubs=stubs)
            for department in ("alpha", "beta"):
                await harness.configure(department, latency_ms=0, jitter_ms=0)
            yield harness
