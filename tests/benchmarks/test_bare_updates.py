"""The `bare_updates` baseline of `onething bench`: which items take their result by update, the workflow that
waits for it, and the figures beside the product's (the run itself is in test_bench.py, the stack tier)."""

from __future__ import annotations

import asyncio
import math
import uuid
from pathlib import Path
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from benchmarks.bare_dag import BareDag, BareDagWorkflow, Node, department_acknowledges, department_decides
from benchmarks.bare_updates import UpdateSender
from benchmarks.bench import THING, answered_by_update, bare_dag, level_figures, switched_catalog
from benchmarks.bench_report import compare_lines
from one_things.catalog import load_catalog


def test_only_the_callback_item_takes_an_update_in_the_bench_catalogue(tmp_path: Path) -> None:
    # The bench switches the clerk's item to sync REST: its result then comes in the call, as any sync item's.
    newborn = load_catalog(switched_catalog(tmp_path / "catalog")).get(THING)
    with_updates = bare_dag(newborn, 50, updates=True, notify_port=4711)
    assert answered_by_update(with_updates) == ["hukou_registration"]
    assert with_updates.notify_port == 4711
    plain = bare_dag(newborn, 50)
    assert answered_by_update(plain) == []
    # the same graph either way: only how an item's result arrives differs
    assert [(node.code, node.depends_on) for node in with_updates.nodes] == [
        (node.code, node.depends_on) for node in plain.nodes
    ]


def test_callback_and_staff_items_take_an_update_in_the_catalogue_as_shipped() -> None:
    newborn = load_catalog().get(THING)
    assert answered_by_update(bare_dag(newborn, 50, updates=True)) == [
        "vaccination_certificate",
        "hukou_registration",
    ]


def _phase(bundles_per_s: float) -> dict[str, Any]:
    return {"bundles": 4, "failed": 0, "bundles_per_s": bundles_per_s, "p50_s": 0.5, "p95_s": 0.6, "p99_s": 0.7}


def test_a_level_gives_the_product_over_each_baseline() -> None:
    level = level_figures(25, {"bare": _phase(20.0), "bare_updates": _phase(10.0), "product": _phase(4.0)})
    assert level["product_over_bare"] == pytest.approx(0.2)
    assert level["product_over_bare_updates"] == pytest.approx(0.4)
    assert math.isnan(
        level_figures(1, {"bare": _phase(0.0), "bare_updates": _phase(0.0), "product": _phase(1.0)})[
            "product_over_bare_updates"
        ]
    )


def test_a_run_compares_with_one_from_before_the_second_baseline() -> None:
    def run(**level: dict[str, Any]) -> dict[str, Any]:
        phases = {"bare": _phase(20.0), "product": _phase(4.0), **level}
        return {
            "meta": {"when": "2026-12-06T12:00:00+08:00", "profile": "quick"},
            "levels": [{"in_flight": 3, **phases, "product_over_bare": 0.2}],
            "status_reads": [],
        }

    before, after = run(), run(bare_updates=_phase(10.0))
    rows = {line.split(" | ")[0].removeprefix("| "): line for line in compare_lines(before, after, ("a", "b"))}
    assert rows["@3.bare_updates.bundles_per_s"].startswith("| @3.bare_updates.bundles_per_s | – | 10.000 |")
    assert rows["@3.bare.bundles_per_s"].endswith("| +0 % |")


@pytest.fixture
async def bare_worker(shared_skipping_env: WorkflowEnvironment) -> Any:
    queue = f"bare-updates-{uuid.uuid4().hex[:8]}"
    async with Worker(
        shared_skipping_env.client,
        task_queue=queue,
        workflows=[BareDagWorkflow],
        activities=[department_decides, department_acknowledges],
    ):
        yield shared_skipping_env.client, queue


async def test_an_item_answered_by_update_is_done_when_the_update_is_taken(bare_worker: Any) -> None:
    client, queue = bare_worker
    departments = UpdateSender(client, latency_ms=0)
    port = await departments.open()
    try:
        dag = BareDag([Node("a"), Node("b", ["a"], by_update=True), Node("c", ["b"])], 0, notify_port=port)
        handle = await client.start_workflow(BareDagWorkflow.run, dag, id=f"bare-{uuid.uuid4().hex}", task_queue=queue)
        assert await asyncio.wait_for(handle.result(), 30) == 3
    finally:
        departments.close()
    assert (departments.sent, departments.refused) == (1, 0)
    assert len(departments.round_trips) == 1
    events = [event.event_type for event in (await handle.fetch_history()).events]
    assert events.count(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED) == 1
    assert events.count(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) == 3


async def test_a_result_for_an_item_that_takes_none_is_refused(bare_worker: Any) -> None:
    client, queue = bare_worker
    # b and c wait for results only the test sends: the workflow stays open until the last one
    dag = BareDag([Node("a"), Node("b", by_update=True), Node("c", by_update=True)], 0, notify_port=9)
    handle = await client.start_workflow(BareDagWorkflow.run, dag, id=f"bare-{uuid.uuid4().hex}", task_queue=queue)
    try:
        with pytest.raises(WorkflowUpdateFailedError):
            await handle.execute_update(BareDagWorkflow.department_result, "a")
        await handle.execute_update(BareDagWorkflow.department_result, "b")
        with pytest.raises(WorkflowUpdateFailedError):  # a second result for the same item
            await handle.execute_update(BareDagWorkflow.department_result, "b")
        await handle.execute_update(BareDagWorkflow.department_result, "c")
        assert await asyncio.wait_for(handle.result(), 30) == 3
    finally:
        await _terminate_if_open(handle)


async def _terminate_if_open(handle: Any) -> None:
    description = await handle.describe()
    if description.status is not None and description.status.name == "RUNNING":
        await handle.terminate("test over")
