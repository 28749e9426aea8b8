"""A batch item's result by callback where the registry says its department calls back, pulled where it does not:
real dev server, the real stubs over HTTP (their batch runs over the exchange folder), real API and worker."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from temporalio.api.enums.v1 import EventType

from benchmarks.bench import callback_registry
from core.auth import Role
from tests.api.test_case_actions import _wait_item
from tests.e2e.test_newborn_bundle import application
from tests.support.histories import record_history
from tests.support.stack import Stack, running_stack
from tests.support.staff import approve_queue

pytestmark = pytest.mark.e2e

BATCH_ITEM = "social_security_card"
DEPARTMENT = "human_resources"
FAST = {"latency_ms": 50, "jitter_ms": 0, "batch_interval_ms": 200}


async def activities_of(stack: Stack, case_no: str) -> list[str]:
    history = await stack.client.get_workflow_handle(f"case-{case_no}").fetch_history()
    return [
        event.activity_task_scheduled_event_attributes.activity_type.name
        for event in history.events
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]


async def signed_callback(stack: Stack, case_no: str) -> httpx.Response:
    """The batch item's result as its department would post it."""
    return await stack.post_result(DEPARTMENT, case_no, BATCH_ITEM, output={"social_security_card_no": "SB0000000001"})


async def newborn(
    stack: Stack, subject: str, batch_interval_ms: int = 200
) -> tuple[httpx.AsyncClient, str, asyncio.Event, asyncio.Task[int]]:
    for department in ("health", "public_security", DEPARTMENT, "medical_insurance"):
        await stack.configure(department, **FAST)
    await stack.configure(DEPARTMENT, batch_interval_ms=batch_interval_ms)
    citizen = stack.as_user(Role.CITIZEN, subject)
    stop = asyncio.Event()
    clerk = asyncio.create_task(approve_queue(stack.as_user(Role.STAFF, f"clerk-{subject}", department="cdc"), stop))
    response = await citizen.post("/api/v1/applications", json=application())
    assert response.status_code == 201, response.text
    return citizen, response.json()["case_no"], stop, clerk


async def test_a_department_registered_to_call_back_delivers_its_batch_result_by_callback(
    dev_env, data_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    registry = callback_registry(tmp_path / "departments.yaml", DEPARTMENT)
    async with running_stack(dev_env.client, data_dir, department_registry=registry) as stack:
        citizen, case_no, stop, clerk = await newborn(stack, "citizen-batch-callback")
        case = await stack.wait_case(citizen, case_no, {"completed", "rejected", "withdrawn"})
        stop.set()
        await clerk
        await record_history(stack.client.get_workflow_handle(f"case-{case_no}"), "newborn_batch_callback")

        assert case["status"] == "completed", case
        card = next(item for item in case["items"] if item["code"] == BATCH_ITEM)
        assert card["status"] == "completed"
        assert card["output"]["social_security_card_no"]
        activities = await activities_of(stack, case_no)
        assert "submit_to_department" in activities
        assert "await_batch_result" not in activities  # the department's callback brought it, nothing pulled
        # The stub took the submission from a batch file and decided it in its batch run; its callback carried it.
        records = (await stack.stubs.get(f"/admin/{DEPARTMENT}/records")).json()
        [record] = [record for record in records if record["case_no"] == case_no]
        assert record["mode"] == "batch"
        assert record["output"] == card["output"]
        await citizen.aclose()


async def test_a_pulled_department_s_batch_result_is_pulled_and_its_callbacks_refused(dev_env, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    async with running_stack(dev_env.client, data_dir) as stack:  # the demo registry: every department pulled
        # Its batch run waits while we call back.
        citizen, case_no, stop, clerk = await newborn(stack, "citizen-batch-pulled", batch_interval_ms=3_600_000)
        await _wait_item(stack, citizen, case_no, BATCH_ITEM, "department")

        refused = await signed_callback(stack, case_no)
        assert refused.status_code == 422, refused.text
        problem = refused.json()
        assert (problem["rule"], [error["field"] for error in problem["errors"]]) == ("results-pulled", ["item_code"])
        assert "batch_results: callback" in problem["detail"]

        await stack.configure(DEPARTMENT, batch_interval_ms=200)
        case = await stack.wait_case(citizen, case_no, {"completed", "rejected", "withdrawn"})
        stop.set()
        await clerk
        assert case["status"] == "completed", case
        card = next(item for item in case["items"] if item["code"] == BATCH_ITEM)
        assert card["output"]["social_security_card_no"] != "SB0000000001"  # the batch's own result, not ours
        assert "await_batch_result" in await activities_of(stack, case_no)
        await citizen.aclose()
