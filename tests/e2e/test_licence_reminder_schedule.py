"""The daily licence reminder on the real dev server: the worker start puts the schedule in place
once, however often workers start, and a run of it reaches the citizen's inbox once."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from temporalio.client import Client, ScheduleActionExecutionStartWorkflow, ScheduleHandle

from core.auth import Role
from persistence.db import make_engine, session_scope
from persistence.licences import add_licence
from tests.support.stack import running_stack
from worker import started_worker
from workflows.licence_reminders import LicenceReminderWorkflow
from workflows.schedules import LICENCE_REMINDERS, ensure_schedules

pytestmark = pytest.mark.e2e

HOLDER = "demo-mother-2"


async def schedule_ids(client: Client, expected: str, timeout: float = 15) -> list[str]:
    """Schedule ids as listed (visibility lags a little behind a create)."""
    deadline = time.monotonic() + timeout
    while True:
        ids = [listed.id async for listed in await client.list_schedules()]
        if expected in ids or time.monotonic() > deadline:
            return ids
        await asyncio.sleep(0.3)


async def trigger_and_wait(handle: ScheduleHandle, client: Client, timeout: float = 30) -> int:
    """Triggers the schedule and returns the result of the workflow run it started."""
    before = len((await handle.describe()).info.recent_actions)
    await handle.trigger()
    deadline = time.monotonic() + timeout
    while len(actions := (await handle.describe()).info.recent_actions) == before:
        assert time.monotonic() < deadline, "the trigger started no workflow"
        await asyncio.sleep(0.2)
    started = actions[-1].action
    assert isinstance(started, ScheduleActionExecutionStartWorkflow)
    assert started.workflow_id.startswith(LICENCE_REMINDERS)
    run = client.get_workflow_handle_for(
        LicenceReminderWorkflow.run, started.workflow_id, run_id=started.first_execution_run_id
    )
    return await asyncio.wait_for(run.result(), timeout)


async def wait_until_paused(handle: ScheduleHandle, *, paused: bool, timeout: float = 10) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while (await handle.describe()).schedule.state.paused != paused:
        assert asyncio.get_running_loop().time() < deadline, "the schedule's pause did not take effect"
        await asyncio.sleep(0.1)


async def test_worker_start_keeps_one_daily_schedule_whose_run_reminds_once(dev_env, data_dir: Path) -> None:
    client = dev_env.client
    async with running_stack(client, data_dir, with_worker=False) as stack:
        engine = make_engine(stack.settings.projection_url)
        with session_scope(engine) as session:
            add_licence(
                session,
                holder=HOLDER,
                kind="marriage_certificate",
                number="J310105-2020-000777",
                issuer="civil_affairs",
                issued_at=datetime(2020, 1, 1, tzinfo=UTC),
                expires_at=datetime.now(UTC) + timedelta(days=10),
            )
        engine.dispose()
        handle = client.get_schedule_handle(LICENCE_REMINDERS)
        try:
            async with started_worker(client, stack.settings) as first, first:
                assert (await schedule_ids(client, LICENCE_REMINDERS)).count(LICENCE_REMINDERS) == 1
            # An operator's pause outlives a worker start. The server applies a pause asynchronously, so it
            # is awaited before the start that must find it.
            await handle.pause(note="paused by an operator")
            await wait_until_paused(handle, paused=True)
            await ensure_schedules(client, task_queue=stack.settings.task_queue)
            await asyncio.sleep(0.5)  # let the update land too
            assert (await handle.describe()).schedule.state.paused
            await handle.unpause()
            await wait_until_paused(handle, paused=False)
            # Replicas starting at the same moment race to create it: one creates, the others update.
            await asyncio.gather(*(ensure_schedules(client, task_queue=stack.settings.task_queue) for _ in range(3)))
            assert (await schedule_ids(client, LICENCE_REMINDERS)).count(LICENCE_REMINDERS) == 1
            # A restart finds it there and runs it.
            async with started_worker(client, stack.settings) as restarted, restarted:
                assert (await schedule_ids(client, LICENCE_REMINDERS)).count(LICENCE_REMINDERS) == 1
                described = await handle.describe()
                assert described.schedule.spec.time_zone_name == "Asia/Shanghai"
                assert [(c.hour[0].start, c.minute[0].start) for c in described.schedule.spec.calendars] == [(9, 0)]
                assert not described.schedule.state.paused

                assert await trigger_and_wait(handle, client) == 1
                assert await trigger_and_wait(handle, client) == 0

            citizen = stack.as_user(Role.CITIZEN, HOLDER)
            inbox = (await citizen.get("/api/v1/messages")).json()["messages"]
            reminders = [message for message in inbox if message["kind"] == "licence_expiring"]
            assert len(reminders) == 1
            assert reminders[0]["item_code"] == "marriage_certificate"
        finally:
            await handle.delete()
