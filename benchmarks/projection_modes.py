"""The case's projection write as a local activity (today) or as a regular activity (before), measured.

    uv run python -m benchmarks.projection_modes --bundles 40

Each mode gets a fresh dev server and stack (benchmarks.case_runs.environment) and runs the same bundles:
the newborn bundle with every item automatic, departments at --latency-ms. The activity mode is the write
the workflow made between patches PROJECTION_AS_ACTIVITY and PROJECTION_LOCAL, put back for this process only
by replacing `CaseProjector.write` (the workflow imports workflows.projection passed through its sandbox, so the
worker's workflows see the replacement). Printed per mode: wall seconds per bundle (and bundles/s),
client-observed p50/p95, history events, workflow tasks and projection writes per bundle (activity tasks
or local-activity markers). Figures and the decisions: docs/reliability.md §1.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from temporalio import workflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from activities.projection import ProjectionActivities
from benchmarks.case_runs import benchmark_thing, bundle_input, environment, start
from core.ids import workflow_id
from one_things.schema import OneThing
from workflows import policies
from workflows.contracts import CaseState
from workflows.projection import CaseProjector

PROJECTION_ACTIVITY = "project_case_state"


async def write_as_activity(_projector: CaseProjector, state: CaseState) -> None:
    await workflow.execute_activity_method(
        ProjectionActivities.project_case_state, state, **policies.PROJECTION.options()
    )


@dataclass
class Mode:
    label: str
    bundles: int
    wall: float
    p50: float
    p95: float
    events: float
    tasks: float
    writes: float
    activities: float
    """Every activity of the bundle, regular or local."""


async def counts(client: Client, workflow: str) -> tuple[int, int, int, int]:
    """(history events, workflow tasks, projection writes, all activities) of one case."""
    history = await client.get_workflow_handle(workflow).fetch_history()
    tasks = writes = activities = 0
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            tasks += 1
        elif event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED:
            if event.marker_recorded_event_attributes.marker_name == "core_local_activity":
                writes += 1  # the projection was the only local activity
                activities += 1
        elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            activities += 1
            writes += event.activity_task_scheduled_event_attributes.activity_type.name == PROJECTION_ACTIVITY
    return len(history.events), tasks, writes, activities


async def measure(root: Path, thing: OneThing, label: str, args: argparse.Namespace) -> Mode:
    async with environment(root / label, thing, latency_ms=args.latency_ms, batch_interval_ms=args.batch_ms) as stack:
        for index in range(args.warmup):
            await (await start(stack, bundle_input(thing, f"WARM-{label}-{index}"))).result()
        bundles = [bundle_input(thing, f"PROJ-{label}-{index:04d}") for index in range(args.bundles)]
        gate = asyncio.Semaphore(args.concurrency)
        latencies: list[float] = []

        async def one(case_no: str) -> None:
            async with gate:
                begun = time.perf_counter()
                await (await start(stack, next(b for b in bundles if b.case_no == case_no))).result()
                latencies.append(time.perf_counter() - begun)

        started = time.perf_counter()
        await asyncio.gather(*(one(bundle.case_no) for bundle in bundles))
        wall = time.perf_counter() - started
        per_case = [await counts(stack.client, workflow_id(bundle.case_no)) for bundle in bundles]
    quantiles = statistics.quantiles(latencies, n=20)
    return Mode(
        label=label,
        bundles=len(bundles),
        wall=wall,
        p50=statistics.median(latencies),
        p95=quantiles[18],
        events=statistics.mean(c[0] for c in per_case),
        tasks=statistics.mean(c[1] for c in per_case),
        writes=statistics.mean(c[2] for c in per_case),
        activities=statistics.mean(c[3] for c in per_case),
    )


def show(modes: list[Mode]) -> None:
    header = (
        f"{'projection write':<18} {'bundles':>7} {'s/bundle':>8} {'bundles/s':>9} {'p50 s':>6} {'p95 s':>6} "
        f"{'events':>6} {'wf tasks':>8} {'writes':>6} {'activities':>10}"
    )
    print("\n" + header + "\n" + "-" * len(header))
    for m in modes:
        print(
            f"{m.label:<18} {m.bundles:>7} {m.wall / m.bundles:>8.3f} {m.bundles / m.wall:>9.2f} {m.p50:>6.2f} "
            f"{m.p95:>6.2f} {m.events:>6.1f} {m.tasks:>8.1f} {m.writes:>6.1f} {m.activities:>10.1f}"
        )
    print("(events, wf tasks, writes and activities are per bundle; activities count regular and local ones)")


async def main(args: argparse.Namespace) -> None:
    thing = benchmark_thing()
    today = CaseProjector.__dict__["write"]
    modes: list[Mode] = []
    with tempfile.TemporaryDirectory(prefix="onething-projection-") as tmp:
        for label in args.modes:
            CaseProjector.write = write_as_activity if label == "activity" else today  # type: ignore[method-assign]
            print(f"== {label}: {args.bundles} bundles, {args.concurrency} in flight", flush=True)
            modes.append(await measure(Path(tmp), thing, label, args))
    CaseProjector.write = today  # type: ignore[method-assign]
    show(modes)


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.projection_modes", description=__doc__.split("\n\n")[0])
    parser.add_argument("--bundles", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--batch-ms", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--modes", nargs="+", default=["activity", "local"], choices=["activity", "local"])
    return parser.parse_args(argv)


if __name__ == "__main__":
    logging.getLogger("temporalio.activity").setLevel(logging.ERROR)
    asyncio.run(main(parse()))
