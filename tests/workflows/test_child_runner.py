"""The child runner (`item_runner="child"`): each item in an ItemWorkflow of its own, same outcome as inline."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from tests.workflows.harness import definition, harness, until
from workflows.bundle import OneThingWorkflow
from workflows.contracts import CaseState, StaffDecision, Supplement, Withdrawal

COMPARED = ("status", "holder", "round", "receipt_no", "output", "reason", "light")


async def run_two_steps(env: WorkflowEnvironment, data_dir: Path, runner: Literal["inline", "child"]) -> CaseState:
    """The same case number against a fresh stub each time, so the departments issue the same numbers."""
    async with harness(env, data_dir) as h:
        handle = await h.start(definition(), "TWIN-1", item_runner=runner)
        await until(handle, lambda s: s.item("second").holder == "staff")
        await handle.execute_update(
            OneThingWorkflow.staff_decision,
            StaffDecision(item_code="second", decision="approve", output={"second_no": "B-1"}, staff="clerk"),
        )
        return await handle.result()


async def test_child_runner_completes_with_the_same_outputs_as_inline(
    skipping_env: WorkflowEnvironment, data_dir: Path
) -> None:
    for runner in ("inline", "child"):
        (data_dir / runner).mkdir()
    inline = await run_two_steps(skipping_env, data_dir / "inline", "inline")
    child = await run_two_steps(skipping_env, data_dir / "child", "child")

    assert child.status == inline.status == "completed"
    assert (child.item("first").output or {}).get("first_no")
    for code in ("first", "second"):
        mine, theirs = child.item(code), inline.item(code)
        assert {f: getattr(mine, f) for f in COMPARED} == {f: getattr(theirs, f) for f in COMPARED}, code
        assert mine.due_at is not None
        assert mine.finished_at is not None
    # Each item ran as its own workflow, completed, with its history apart from the case's.
    for code in ("first", "second"):
        described = await skipping_env.client.get_workflow_handle(f"twosteps-TWIN-1-{code}").describe()
        assert described.status == WorkflowExecutionStatus.COMPLETED
        assert described.workflow_type == "ItemWorkflow"


async def test_child_runner_forwards_the_correction_and_resubmits(
    skipping_env: WorkflowEnvironment, data_dir: Path
) -> None:
    async with harness(skipping_env, data_dir) as h:
        await h.configure("alpha", correction_rate=1.0)
        handle = await h.start(definition(), "CHILD-PAUSE-1", item_runner="child")
        await until(handle, lambda s: s.status == "waiting_citizen")
        await handle.execute_update(
            OneThingWorkflow.supplement, Supplement(item_code="first", form={"applicant": "Fixed"})
        )
        state = await until(handle, lambda s: s.item("second").holder == "staff")
        assert state.item("first").status == "completed"
        assert state.item("first").round == 1
        records = (await h.stubs.get("/stub/alpha/records")).json()
        assert sorted(r["idempotency_key"] for r in records) == ["CHILD-PAUSE-1:first", "CHILD-PAUSE-1:first:r1"]


async def test_child_runner_withdrawal_cancels_the_children(skipping_env: WorkflowEnvironment, data_dir: Path) -> None:
    async with harness(skipping_env, data_dir) as h:
        await h.configure("alpha", batch_interval_ms=86_400_000)  # the pipeline never runs during the test
        handle = await h.start(definition(first={"mode": "batch"}), "CHILD-WITHDRAW-1", item_runner="child")
        await until(handle, lambda s: s.item("first").holder == "department")
        await handle.execute_update(OneThingWorkflow.withdraw, Withdrawal(reason="moved abroad"))
        result = await handle.result()
        assert result.status == "withdrawn"
        assert [item.status for item in result.items] == ["withdrawn", "withdrawn"]
        first = await skipping_env.client.get_workflow_handle("twosteps-CHILD-WITHDRAW-1-first").describe()
        assert first.status == WorkflowExecutionStatus.CANCELED
        record = (await h.stubs.get("/stub/alpha/submissions/CHILD-WITHDRAW-1:first")).json()
        assert record["status"] == "withdrawn"
