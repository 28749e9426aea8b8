"""Whole cases on the real stack, measured: throughput, the dev server's SQLite settings, the critical path.

    uv run python -m benchmarks.case_runs --bundles 100            # throughput, then the critical path
    uv run python -m benchmarks.case_runs --bundles 100 --pragmas  # and the dev server's SQLite settings

Everything is real: a Temporal dev server (the `temporal` binary next to the interpreter) on a SQLite
file, the department stubs and the API over HTTP in threads of this process, one worker. Every
measurement gets a fresh server and stack, started before the clock runs, and a few warm-up bundles.
The bundle is the newborn one-thing with its one standard-module item (vaccination certificate, decided
by staff) switched to sync REST, so no clerk's polling paces the run; the other four keep their modes
(sync REST, async callback through the API, batch pull).

1. throughput: N bundles, at most --concurrency in flight; wall seconds, bundles/s, history events and
   workflow tasks per bundle. (Until the child-per-item runner was deleted this compared it with the
   inline one: docs/benchmarks.md §1.)
2. --pragmas: a dev server with SQLite's default journal vs `journal_mode=wal` + `synchronous=normal`.
3. critical path: one bundle at a time with every department at --path-latency-ms, its wall time against
   the longest chain of department time, birth certificate → hukou → max(social security card, medical
   insurance). Figures and conclusions: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sqlite3
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from core.calendar import NONE, TZ, years_calendar
from core.ids import workflow_id
from core.settings import DEV_CODEC_KEY
from core.temporal import data_converter
from one_things.catalog import load_catalog
from one_things.demo import demo_application
from one_things.schema import IntegrationMode, OneThing
from tests.support.db import migrate_data_dir
from tests.support.servers import TEMPORAL_CLI
from tests.support.stack import Stack, running_stack
from workflows.bundle import OneThingWorkflow
from workflows.contracts import BundleInput, CaseState, WorkingCalendar
from workflows.policies import BATCH_POLL

WAL_PRAGMAS = ("journal_mode=wal", "synchronous=normal")


def benchmark_thing() -> OneThing:
    """The newborn bundle with no standard-module item: nothing in it waits for a person."""
    thing = load_catalog().get("newborn")
    items = [
        item.model_copy(update={"mode": IntegrationMode.SYNC_REST})
        if item.mode is IntegrationMode.STANDARD_MODULE
        else item
        for item in thing.items
    ]
    return thing.model_copy(update={"items": items})


def bundle_input(thing: OneThing, case_no: str) -> BundleInput:
    """A case as the API accepts it, with the calendar of this year and the next (the stack loads no file)."""
    form = demo_application(thing, date.today())["form"]
    assert isinstance(form, dict)
    accepted_at = datetime.now(UTC)
    year = accepted_at.astimezone(TZ).year
    return BundleInput(
        case_no=case_no,
        thing=thing,
        included=[item.code for item in thing.items],
        form=form,
        owner="benchmark",
        accepted_at=accepted_at,
        calendar=WorkingCalendar.of(years_calendar(frozenset({year, year + 1}), NONE)),
    )


def make_dir(path: Path) -> None:
    path.mkdir(parents=True)


@asynccontextmanager
async def environment(
    workdir: Path, thing: OneThing, *, latency_ms: int, batch_interval_ms: int, pragmas: Sequence[str] = ()
) -> AsyncIterator[Stack]:
    """A fresh dev server on `workdir/temporal.db`, the stubs, the API and a worker."""
    make_dir(workdir)
    migrate_data_dir(workdir)  # the API and worker refuse a projection that is not at head
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(TEMPORAL_CLI),
        dev_server_database_filename=str(workdir / "temporal.db"),
        dev_server_extra_args=[arg for pragma in pragmas for arg in ("--sqlite-pragma", pragma)],
        dev_server_log_level="error",
        data_converter=data_converter(DEV_CODEC_KEY),
    )
    try:
        async with running_stack(env.client, workdir) as stack:
            for department in thing.departments:
                await stack.configure(
                    department.code, latency_ms=latency_ms, jitter_ms=0, batch_interval_ms=batch_interval_ms
                )
            yield stack
    finally:
        await env.shutdown()


async def start(stack: Stack, bundle: BundleInput) -> WorkflowHandle[Any, CaseState]:
    return await stack.client.start_workflow(
        OneThingWorkflow.run,
        bundle,
        id=workflow_id(bundle.case_no),
        task_queue=stack.settings.task_queue,
    )


# --- 1 and 2: many bundles at once --------------------------------------------------------------------


@dataclass
class Throughput:
    label: str
    bundles: int
    wall: float
    failed: int
    events: float
    """Mean history events per bundle."""
    tasks: float
    """Mean workflow tasks completed per bundle."""
    p50: float
    p95: float
    cpu: float
    """CPU seconds of this process (worker, API and stubs; not the dev server) per bundle."""

    @property
    def rate(self) -> float:
        return self.bundles / self.wall


async def progress(label: str, done: Callable[[], int], total: int, started: float) -> None:
    while True:
        await asyncio.sleep(2)
        print(f"  {label}: {done()}/{total} bundles done after {time.perf_counter() - started:.1f} s", flush=True)


async def throughput(
    stack: Stack, thing: OneThing, count: int, label: str, warmup: int, concurrency: int
) -> Throughput:
    for index in range(warmup):  # sandbox imports, HTTP connections, SQLite caches: not what is measured
        await (await start(stack, bundle_input(thing, f"WARM-{index:03d}"))).result()
    bundles = [bundle_input(thing, f"BENCH-{index:05d}") for index in range(count)]
    latencies: list[float] = []
    in_flight = asyncio.Semaphore(concurrency)

    async def one(bundle: BundleInput) -> CaseState:
        async with in_flight:
            begun = time.perf_counter()
            state = await (await start(stack, bundle)).result()
            latencies.append(time.perf_counter() - begun)
            return state

    started, cpu_started = time.perf_counter(), time.process_time()
    reporter = asyncio.create_task(progress(label, lambda: len(latencies), count, started))
    try:
        states = await asyncio.gather(*(one(bundle) for bundle in bundles))
    finally:
        reporter.cancel()
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    print(f"  {label}: {count} bundles in {wall:.1f} s; counting history events …", flush=True)
    counts = await history_counts(stack.client, bundles)
    quantiles = statistics.quantiles(latencies, n=20) if len(latencies) > 1 else latencies * 19
    return Throughput(
        label=label,
        bundles=count,
        wall=wall,
        failed=sum(state.status != "completed" for state in states),
        events=statistics.mean(c[0] for c in counts),
        tasks=statistics.mean(c[1] for c in counts),
        p50=statistics.median(latencies),
        p95=quantiles[18],
        cpu=cpu / count,
    )


async def history_counts(client: Client, bundles: list[BundleInput]) -> list[tuple[int, int]]:
    """(history events, workflow tasks) per bundle."""
    gate = asyncio.Semaphore(16)

    async def count(workflow: str) -> tuple[int, int]:
        async with gate:
            history = await client.get_workflow_handle(workflow).fetch_history()
        tasks = sum(event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED for event in history.events)
        return len(history.events), tasks

    return list(await asyncio.gather(*(count(workflow_id(bundle.case_no)) for bundle in bundles)))


def print_throughput(title: str, runs: list[Throughput]) -> None:
    print(f"\n{title}")
    header = (
        f"{'run':<32} {'bundles':>7} {'wall s':>7} {'bundles/s':>9} {'events/bundle':>13} "
        f"{'wf tasks/bundle':>15} {'CPU s/bundle':>12} {'p50 s':>6} {'p95 s':>6} "
        f"{'failed':>6}"
    )
    print(header)
    print("-" * len(header))
    for run in runs:
        print(
            f"{run.label:<32} {run.bundles:>7} {run.wall:>7.1f} {run.rate:>9.2f} {run.events:>13.1f} "
            f"{run.tasks:>15.1f} {run.cpu:>12.3f} {run.p50:>6.2f} {run.p95:>6.2f} "
            f"{run.failed:>6}"
        )


def journal_mode(database: Path) -> str:
    with sqlite3.connect(database) as connection:
        return str(connection.execute("PRAGMA journal_mode").fetchone()[0])


# --- 3: one bundle against its critical path ------------------------------------------------------------


def longest_chain(thing: OneThing, seconds: Callable[[IntegrationMode], float]) -> float:
    """The longest dependency chain of the bundle, each item costing `seconds(mode)`."""
    finish: dict[str, float] = {}

    def done_at(code: str) -> float:
        if code not in finish:
            item = thing.item(code)
            finish[code] = max((done_at(dep) for dep in item.depends_on), default=0.0) + seconds(item.mode)
        return finish[code]

    return max(done_at(item.code) for item in thing.items)


def first_pull_after(ready: float) -> float:
    """When the platform's batch pull (an activity retried on BATCH_POLL) first sees a result ready at `ready`."""
    interval = BATCH_POLL.retry.initial_interval or timedelta(seconds=1)
    coefficient = BATCH_POLL.retry.backoff_coefficient
    at, wait = 0.0, interval.total_seconds()
    while at < ready:
        at, wait = at + wait, wait * coefficient
    return at


@dataclass
class PathRun:
    walls: list[float]
    """Client-observed seconds from starting the workflow to its result (includes the notices sent after)."""
    completions: list[float]
    """Seconds from the workflow's start to the case's `finished_at`: when the citizen sees it complete."""
    timeline: list[tuple[str, float, float]]
    """(item, started, finished) in seconds after the case's workflow started, from the last bundle."""
    steps: dict[str, list[float]]
    """Seconds from scheduled to completed of every activity and workflow task of the last bundle, by type."""


async def step_times(client: Client, workflows: list[str]) -> dict[str, list[float]]:
    steps: dict[str, list[float]] = {}
    for one in workflows:
        history = await client.get_workflow_handle(one).fetch_history()
        scheduled: dict[int, tuple[str, datetime]] = {}
        for event in history.events:
            at = event.event_time.ToDatetime()
            if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
                name = event.activity_task_scheduled_event_attributes.activity_type.name
                scheduled[event.event_id] = (name, at)
            elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
                scheduled[event.event_id] = ("workflow task", at)
            elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
                name, began = scheduled[event.activity_task_completed_event_attributes.scheduled_event_id]
                steps.setdefault(name, []).append((at - began).total_seconds())
            elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
                name, began = scheduled[event.workflow_task_completed_event_attributes.scheduled_event_id]
                steps.setdefault(name, []).append((at - began).total_seconds())
    return steps


async def one_at_a_time(stack: Stack, thing: OneThing, repeat: int) -> PathRun:
    await (await start(stack, bundle_input(thing, "WARM-PATH"))).result()
    walls: list[float] = []
    completions: list[float] = []
    timeline: list[tuple[str, float, float]] = []
    for index in range(repeat):
        begun = time.perf_counter()
        bundle = bundle_input(thing, f"PATH-{index:03d}")
        handle = await start(stack, bundle)
        state = await handle.result()
        walls.append(time.perf_counter() - begun)
        origin = (await handle.describe()).start_time
        assert origin is not None
        assert state.finished_at is not None
        completions.append((state.finished_at - origin).total_seconds())
        timeline = [
            (item.code, (item.started_at - origin).total_seconds(), (item.finished_at - origin).total_seconds())
            for item in state.items
            if item.started_at is not None and item.finished_at is not None
        ]
        print(f"  bundle {index + 1}/{repeat} in {walls[-1]:.2f} s", flush=True)
    return PathRun(
        walls=walls,
        completions=completions,
        timeline=timeline,
        steps=await step_times(stack.client, [workflow_id(bundle.case_no)]),
    )


def print_critical_path(thing: OneThing, run: PathRun, latency_ms: int, batch_interval_ms: int) -> None:
    latency, batch = latency_ms / 1000, batch_interval_ms / 1000

    def department(mode: IntegrationMode) -> float:
        return batch if mode is IntegrationMode.BATCH else latency  # a batch result is ready by the next run

    def with_pull(mode: IntegrationMode) -> float:
        return first_pull_after(batch) if mode is IntegrationMode.BATCH else latency

    def brief(mode: IntegrationMode) -> float:
        return latency + batch if mode is IntegrationMode.BATCH else latency

    paths = {
        "department time only (2L + max(L, B))": longest_chain(thing, department),
        "with the platform's batch pull cadence": longest_chain(thing, with_pull),
        "3L + B": longest_chain(thing, brief),
    }
    print(f"\nOne bundle at a time, every department L = {latency_ms} ms, batch runs every B = {batch_interval_ms} ms")
    for name, seconds in paths.items():
        print(f"  critical path, {name:<40} {seconds:6.2f} s")
    done = statistics.median(run.completions)
    ratios = "  ".join(f"{done / seconds:.2f}×" for seconds in paths.values())
    print(
        f"  median case completion {done:.2f} s (min {min(run.completions):.2f}); "
        f"ratio to the three: {ratios}; client-observed result {statistics.median(run.walls):.2f} s"
    )
    for code, began, ended in run.timeline:
        print(f"      {code:<24} {began:6.2f} → {ended:6.2f} s  ({ended - began:.2f} s)")
    for name, durations in sorted(run.steps.items()):
        print(f"      {name:<24} {len(durations):>3} × mean {statistics.mean(durations):.3f} s scheduled → completed")


# --- main ----------------------------------------------------------------------------------------------


async def main(args: argparse.Namespace) -> None:
    thing = benchmark_thing()
    with tempfile.TemporaryDirectory(prefix="onething-bench-") as tmp:
        root = Path(tmp)
        if args.bundles:
            print(
                f"== {args.bundles} bundles, at most {args.concurrency} in flight, departments at {args.latency_ms} ms",
                flush=True,
            )
            async with environment(
                root / "throughput", thing, latency_ms=args.latency_ms, batch_interval_ms=args.batch_ms
            ) as stack:
                run = await throughput(stack, thing, args.bundles, "throughput", args.warmup, args.concurrency)
            print_throughput("Bundles at once (a fresh dev server)", [run])

        if args.pragmas:
            runs: list[Throughput] = []
            for label, pragmas in (("sqlite defaults", ()), ("wal + synchronous=normal", WAL_PRAGMAS)):
                workdir = root / f"pragmas-{len(runs)}"
                print(f"== dev server SQLite: {label}", flush=True)
                async with environment(
                    workdir, thing, latency_ms=args.latency_ms, batch_interval_ms=args.batch_ms, pragmas=pragmas
                ) as stack:
                    count = args.bundles or 50
                    run = await throughput(stack, thing, count, label, args.warmup, args.concurrency)
                run.label = f"{label} ({journal_mode(workdir / 'temporal.db')})"
                runs.append(run)
            print_throughput("Dev server SQLite pragmas (journal mode read back from the file)", runs)

        if args.critical_path:
            print("== critical path", flush=True)
            latency, batch = args.path_latency_ms, args.path_batch_ms
            async with environment(root / "path", thing, latency_ms=latency, batch_interval_ms=batch) as stack:
                path_run = await one_at_a_time(stack, thing, args.repeat)
            print_critical_path(thing, path_run, args.path_latency_ms, args.path_batch_ms)


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.case_runs", description=__doc__.split("\n\n")[0])
    parser.add_argument("--bundles", type=int, default=50, help="bundles for the throughput run; 0 skips it")
    parser.add_argument("--latency-ms", type=int, default=50, help="department latency for the throughput runs")
    parser.add_argument("--batch-ms", type=int, default=100, help="batch interval for the throughput runs")
    parser.add_argument("--concurrency", type=int, default=20, help="bundles in flight at once in throughput runs")
    parser.add_argument("--warmup", type=int, default=3, help="bundles run before the clock starts")
    parser.add_argument("--pragmas", action="store_true", help="also compare the dev server's SQLite pragmas")
    parser.add_argument("--critical-path", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--path-latency-ms", type=int, default=500, help="department latency for the critical path")
    parser.add_argument("--path-batch-ms", type=int, default=500, help="batch interval for the critical path")
    parser.add_argument("--repeat", type=int, default=5, help="bundles one at a time for the critical path")
    return parser.parse_args(argv)


if __name__ == "__main__":
    # A batch pull that finds no result yet fails its attempt on purpose; the SDK logs each one as a warning.
    logging.getLogger("temporalio.activity").setLevel(logging.ERROR)
    asyncio.run(main(parse()))
