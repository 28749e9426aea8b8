"""`onething bench`: the product against bare Temporal on one embedded stack, in one run (docs/benchmarks.md).

The stack is `onething dev`'s (cli/chaos_stack.py: Temporal dev server on a SQLite file, department stubs,
worker, API, on free loopback ports, data in a temporary folder) plus one more process, the bare DAG's
worker (benchmarks/bare_worker.py). Departments decide in `latency_ms`; the newborn definition is served from a
copy of the catalogue in which its one standard-module item (the vaccination certificate, decided by CDC
staff) is switched to sync REST, so no clerk's polling paces the product: what is measured is the
engine. The other items keep their modes (sync REST, async callback, batch); the batch item's department is
registered as calling back with its results (registry `batch_results: callback`, `callback_registry`), so no
pull paces it either.

For each in-flight level the bare DAG, the bare DAG with the product's updates and the product run the same
number of bundles, one after the other (the order reverses between levels, so neither end always runs on the
warmer stack):
- bare: `BareDagWorkflow` started by the client and awaited;
- bare_updates: the same, with each item the bench's catalogue answers by callback or staff decision taking its
  result by an update the client sends after the department latency (benchmarks/bare_dag.py), so
  product ÷ bare_updates leaves out the engine's cost of the bundle's shape that product ÷ bare includes;
- product: `POST /api/v1/applications` as a demo citizen, then the case's workflow awaited.
"Submit to completed" ends when the workflow closes, for both. Each phase records wall time, latencies,
the CPU time of every process (psutil), the SQL counters of the API and worker (/metrics) and, from up to
`history_sample` of its bundles' histories, activities, local activities, workflow tasks and events.
Then, with no bundle in flight, status reads of finished cases at fixed rates (benchmarks/bench_reads.py).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, TextIO

import httpx
import psutil
from prometheus_client.parser import text_string_to_metric_families
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowFailureError
from temporalio.service import RPCError, RPCStatusCode

from benchmarks.bare_dag import BareDag, BareDagWorkflow, Node
from benchmarks.bare_updates import UpdateSender
from benchmarks.bench_reads import read_at_rate
from benchmarks.bench_stats import quantile
from cli.chaos_stack import CITIZEN, ChaosStack
from core.auth import Role
from core.calendar import TZ
from core.ids import workflow_id
from core.settings import Settings
from devstack.processes import Part
from one_things.catalog import CATALOG_DIR, catalog_folder, load_catalog
from one_things.demo import demo_request
from one_things.department_registry import REGISTRY_FILE, parse_registry
from one_things.schema import IntegrationMode, OneThing
from workflows.bundle import OneThingWorkflow
from workflows.contracts import CaseStatus

THING = "newborn"
SWITCHED_ITEM = "vaccination_certificate"
KINDS = ("bare", "bare_updates", "product")
"""The phases of each level, in the order of the first level (the next reverses it, and so on)."""
ANSWERED_BY_UPDATE = frozenset({IntegrationMode.ASYNC_CALLBACK, IntegrationMode.STANDARD_MODULE})
"""Modes whose result reaches the product's workflow by an update from outside the worker: the department
stub's signed callback (`receive_department_result`) and the clerk's decision (`staff_decision`)."""
NO_POLL_THING = f"{THING}_no_poll"
"""The newborn bundle once more in the bench's catalogue, with its batch item also switched to sync REST: the
issue's "one bundle alone when no item polls" (a batch item's latency is its department's batch cadence)."""
POLLING_ITEM = "social_security_card"
PROCESSES = ("temporal", "worker", "api", "departments", "bare_worker")
"""Every process of the stack, by its part name; `bench` (this process, the load generator) is reported apart."""
SQL_PROCESSES = ("worker", "api")
READER_CONNECTIONS = 256
"""The status reader's connection pool: a request finding all of them busy waits, and its wait counts."""
SQL_KINDS = ("transactions", "select", "insert", "update", "delete", "other")


@dataclass(frozen=True)
class Profile:
    name: str
    bundles: dict[int, int]
    """In flight -> bundles run at that level (by each of bare and product)."""
    warmup: int
    read_rates: tuple[float, ...]
    read_seconds: float
    history_sample: int
    alone: int
    """Bundles of NO_POLL_THING run one at a time after the levels."""


PROFILES = {
    "full": Profile(
        "full", {1: 8, 10: 50, 25: 125}, warmup=3, read_rates=(100, 300), read_seconds=10, history_sample=30, alone=8
    ),
    # The test command's: every figure of the full run, at two small levels, within its time budget.
    "quick": Profile("quick", {1: 1, 3: 3}, warmup=1, read_rates=(20, 50), read_seconds=1, history_sample=2, alone=2),
}


def departments_config(latency_ms: int) -> str:
    return (
        "# onething bench: every department decides in the same time, no jitter; batch files every 100 ms.\n"
        f"defaults:\n  latency_ms: {latency_ms}\n  jitter_ms: 0\n  batch_interval_ms: 100\n"
    )


def switched_catalog(folder: Path) -> Path:
    """A copy of the catalogue whose newborn item decided by CDC staff goes to the CDC stub by sync REST, and
    NO_POLL_THING beside it, the same bundle with its batch item switched to sync REST too."""
    shutil.copytree(CATALOG_DIR, folder)
    path = folder / f"{THING}.yaml"
    text = _switched(path.read_text(encoding="utf-8"), SWITCHED_ITEM, "mode: standard_module")
    path.write_text(text, encoding="utf-8")
    no_poll = _switched(text, POLLING_ITEM, "mode: batch").replace(
        f"\ncode: {THING}\n", f"\ncode: {NO_POLL_THING}\n", 1
    )
    (folder / f"{NO_POLL_THING}.yaml").write_text(no_poll, encoding="utf-8")
    catalog = load_catalog(folder)
    for thing, item in ((THING, SWITCHED_ITEM), (NO_POLL_THING, SWITCHED_ITEM), (NO_POLL_THING, POLLING_ITEM)):
        if catalog.get(thing).item(item).mode is not IntegrationMode.SYNC_REST:  # the layout changed under the edit
            raise RuntimeError(f"could not switch {thing}'s {item} to sync_rest in {folder}")
    return folder


def callback_registry(path: Path, department: str) -> Path:
    """A copy of the demo registry at `path` in which `department` posts its batch results by callback."""
    text = REGISTRY_FILE.read_text(encoding="utf-8")
    head, marker, tail = text.partition(f"\n  {department}:\n")
    path.write_text(head + marker + "    batch_results: callback\n" + tail, "utf-8")
    registry, errors = parse_registry(path)
    if registry is None or registry.connection(department).batch_results != "callback":
        raise RuntimeError(f"could not register {department} as calling back in {path}: {errors}")
    return path


def _switched(text: str, item: str, mode: str) -> str:
    head, marker, tail = text.partition(f"- code: {item}")
    return head + marker + tail.replace(mode, "mode: sync_rest", 1)


def critical_path_s(dag: BareDag) -> float:
    """The longest chain of department time through the items' dependencies (no batch cadence, no overhead)."""
    depth: dict[str, int] = {}
    nodes = {node.code: node for node in dag.nodes}

    def chain(code: str) -> int:
        if code not in depth:
            depth[code] = 1 + max((chain(dep) for dep in nodes[code].depends_on), default=0)
        return depth[code]

    return max(chain(code) for code in nodes) * dag.latency_ms / 1000


def bare_dag(thing: OneThing, latency_ms: int, *, updates: bool = False, notify_port: int = 0) -> BareDag:
    """The item graph of `thing`; with `updates`, its items of a mode in ANSWERED_BY_UPDATE take their result by
    update (the bench passes its switched catalogue's definition, so the items it switched to sync do not)."""
    nodes = [
        Node(item.code, list(item.depends_on), by_update=updates and item.mode in ANSWERED_BY_UPDATE)
        for item in thing.items
    ]
    return BareDag(nodes, latency_ms, notify_port=notify_port)


def answered_by_update(dag: BareDag) -> list[str]:
    return [node.code for node in dag.nodes if node.by_update]


# --- measuring one phase ------------------------------------------------------------------------------


@dataclass
class Phase:
    kind: str
    in_flight: int
    bundles: int
    failed: int
    seconds: float
    latencies: list[float]
    cpu_ms: dict[str, float]
    sql: dict[str, float]
    history: dict[str, float] = field(default_factory=dict)
    history_breakdown: dict[str, float] = field(default_factory=dict)
    update_seconds: list[float] = field(default_factory=list)
    """bare_updates: each update's round trip, sent to completed, as the bench client saw it."""

    def as_dict(self) -> dict[str, Any]:
        done = max(self.bundles - self.failed, 1)
        return {
            "bundles": self.bundles,
            "failed": self.failed,
            "seconds": round(self.seconds, 3),
            "bundles_per_s": (self.bundles - self.failed) / self.seconds if self.seconds else 0.0,
            "p50_s": quantile(self.latencies, 0.50),
            "p95_s": quantile(self.latencies, 0.95),
            "p99_s": quantile(self.latencies, 0.99),
            "cpu_ms_per_bundle": {name: ms / done for name, ms in self.cpu_ms.items()},
            "per_bundle": {**self.history, **{f"sql_{kind}": count / done for kind, count in self.sql.items()}},
            "history_breakdown": self.history_breakdown,
            **({"update_round_trip_ms": _update_figures(self.update_seconds)} if self.update_seconds else {}),
        }


def _update_figures(seconds: list[float]) -> dict[str, float]:
    return {"p50": quantile(seconds, 0.50) * 1000, "p99": quantile(seconds, 0.99) * 1000, "max": max(seconds) * 1000}


class CpuClock:
    """CPU seconds of each process of the stack (and its children), read at the start and end of a phase."""

    def __init__(self, pids: Callable[[str], int | None]) -> None:
        self._pids = pids

    def read(self) -> dict[str, float]:
        totals: dict[str, float] = {}
        for name in PROCESSES:
            pid = self._pids(name)
            totals[name] = _cpu_seconds(pid) if pid is not None else 0.0
        totals["bench"] = _cpu_seconds(os.getpid(), children=False)
        return totals


def _cpu_seconds(pid: int, *, children: bool = True) -> float:
    try:
        process = psutil.Process(pid)
        times = process.cpu_times()
        total = times.user + times.system
        if children:  # a part started through a shell or launcher: its real work is a child's
            for child in process.children(recursive=True):
                child_times = child.cpu_times()
                total += child_times.user + child_times.system
        return total
    except psutil.Error:
        return 0.0


def sql_counts(metrics_text: str) -> dict[str, float]:
    """Transactions and statements by verb from one process's Prometheus text."""
    counts = dict.fromkeys(SQL_KINDS, 0.0)
    for family in text_string_to_metric_families(metrics_text):
        for sample in family.samples:
            if sample.name.endswith("_created"):
                continue
            if sample.name.startswith("onething_sql_transactions"):
                counts["transactions"] += sample.value
            elif sample.name.startswith("onething_sql_statements"):
                verb = sample.labels.get("statement", "other")
                counts[verb if verb in counts else "other"] += sample.value
    return counts


async def history_counts(client: Client, workflow_ids: list[str]) -> tuple[dict[str, float], dict[str, float]]:
    """Means per bundle over these workflows' histories: the headline counts, and the breakdown behind them
    (each event type, and each activity by name as `activity:NAME`) that shows where a change should cut."""
    totals = {"activities": 0, "local_activities": 0, "workflow_tasks": 0, "history_events": 0}
    breakdown: Counter[str] = Counter()
    for workflow in workflow_ids:
        history = await client.get_workflow_handle(workflow).fetch_history()
        totals["history_events"] += len(history.events)
        for event in history.events:
            breakdown[EventType.Name(event.event_type).removeprefix("EVENT_TYPE_").lower()] += 1
            if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
                totals["activities"] += 1
                breakdown[f"activity:{event.activity_task_scheduled_event_attributes.activity_type.name}"] += 1
            elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
                totals["workflow_tasks"] += 1
            elif (
                event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
                and event.marker_recorded_event_attributes.marker_name == "core_local_activity"
            ):
                totals["local_activities"] += 1
    bundles = max(len(workflow_ids), 1)
    return (
        {name: total / bundles for name, total in totals.items()},
        {name: count / bundles for name, count in sorted(breakdown.items())},
    )


# --- the run ------------------------------------------------------------------------------------------


class Bench:
    def __init__(self, stack: ChaosStack, profile: Profile, latency_ms: int, out: TextIO) -> None:
        self.stack = stack
        self.profile = profile
        self.latency_ms = latency_ms
        self.out = out
        self.bare_queue = bare_queue(stack.settings)
        catalog = load_catalog(catalog_folder(stack.settings))  # the switched copy the stack runs on
        self.catalog_thing = catalog.get(THING)
        self.dag = bare_dag(self.catalog_thing, latency_ms)
        self.body = demo_request(self.catalog_thing, date.today())
        self.no_poll_body = demo_request(catalog.get(NO_POLL_THING), date.today())
        self.cpu = CpuClock(stack.pid)
        self.finished_cases: list[str] = []
        self.departments: UpdateSender | None = None
        """The bare_updates phase's department (opened by `run`); None where a caller runs only product phases."""

    def say(self, text: str) -> None:
        self.out.write(f"[{datetime.now(TZ):%H:%M:%S}] {text}\n")
        self.out.flush()

    async def run(self) -> dict[str, Any]:
        product_client = await self.stack.temporal()
        bare_client = await Client.connect(self.stack.settings.temporal_address)
        self.departments = departments = UpdateSender(bare_client, self.latency_ms)
        port = await departments.open()
        self.dag_updates = bare_dag(self.catalog_thing, self.latency_ms, updates=True, notify_port=port)
        try:
            async with self.stack.api() as api, httpx.AsyncClient(trust_env=False, timeout=10) as scraper:
                self.api, self.scraper = api, scraper
                self.product_client, self.bare_client = product_client, bare_client
                await self._warm_up()
                levels = []
                for turn, (in_flight, count) in enumerate(self.profile.bundles.items()):
                    kinds = KINDS if turn % 2 == 0 else KINDS[::-1]
                    phases = {kind: (await self._phase(kind, in_flight, count)).as_dict() for kind in kinds}
                    levels.append(level_figures(in_flight, phases))
                alone = (await self._phase("alone", 1, self.profile.alone)).as_dict()
        finally:
            departments.close()
        if departments.refused:
            self.say(f"bare_updates: {departments.refused} results refused by their workflows")
        return {"levels": levels, "alone_no_polling": alone, "status_reads": await self._status_reads()}

    async def _status_reads(self) -> list[dict[str, Any]]:
        paths = [f"/api/v1/applications/{case_no}" for case_no in self.finished_cases[-200:]]
        reads = []
        headers = {"Authorization": f"Bearer {self.stack.token(Role.CITIZEN, CITIZEN)}"}
        limits = httpx.Limits(max_connections=READER_CONNECTIONS, max_keepalive_connections=READER_CONNECTIONS)
        async with httpx.AsyncClient(
            base_url=self.stack.settings.api_url, headers=headers, limits=limits, timeout=30, trust_env=False
        ) as reader:
            for rate in self.profile.read_rates:
                self.say(f"status reads: {rate:g} req/s for {self.profile.read_seconds:g} s, open loop")
                before = self.cpu.read()
                figures = (await read_at_rate(reader, paths, rate, self.profile.read_seconds)).as_dict()
                after = self.cpu.read()
                figures["cpu_ms_per_read"] = {
                    name: (after[name] - before[name]) * 1000 / max(figures["sent"], 1) for name in ("api", "bench")
                }
                reads.append(figures)
        return reads

    async def _warm_up(self) -> None:
        # Sandbox imports, HTTP connections, SQLite caches and the bare worker's first poll: not what is measured.
        self.say(f"warming up: {self.profile.warmup} bundles of each")
        for _ in range(self.profile.warmup):
            await self._one_bare()
            await self._one_bare_updates()
            await self._one_product()

    async def product_phase(self, in_flight: int, count: int) -> Phase:
        """`count` product bundles at `in_flight`, measured as one phase of the bench."""
        return await self._phase("product", in_flight, count)

    async def _phase(self, kind: str, in_flight: int, count: int) -> Phase:
        one = {
            "bare": self._one_bare,
            "bare_updates": self._one_bare_updates,
            "product": self._one_product,
            "alone": self._one_alone,
        }[kind]
        gate = asyncio.Semaphore(in_flight)
        latencies: list[float] = []
        workflows: list[str] = []
        failed = 0

        async def bundle() -> None:
            nonlocal failed
            async with gate:
                begun = time.perf_counter()
                workflow, ok = await one()
                if ok:
                    latencies.append(time.perf_counter() - begun)
                    workflows.append(workflow)
                else:
                    failed += 1

        sql_before, cpu_before = await self._sql(), self.cpu.read()
        round_trips = self.departments.round_trips if self.departments is not None else []
        updates_before = len(round_trips)
        started = time.perf_counter()
        reporter = asyncio.create_task(self._progress(kind, in_flight, lambda: len(latencies) + failed, count))
        try:
            await asyncio.gather(*(bundle() for _ in range(count)))
        finally:
            reporter.cancel()
        seconds = time.perf_counter() - started
        cpu_after, sql_after = self.cpu.read(), await self._sql()
        self.say(f"{kind}, {in_flight} in flight: {count}/{count} done in {seconds:.1f} s; reading histories")
        client = self.bare_client if kind.startswith("bare") else self.product_client
        history, breakdown = await history_counts(client, workflows[: self.profile.history_sample])
        return Phase(
            kind=kind,
            in_flight=in_flight,
            bundles=count,
            failed=failed,
            seconds=seconds,
            latencies=latencies,
            cpu_ms={name: (cpu_after[name] - cpu_before[name]) * 1000 for name in cpu_before},
            sql={kind_: sql_after[kind_] - sql_before[kind_] for kind_ in SQL_KINDS},
            history=history,
            history_breakdown=breakdown,
            update_seconds=round_trips[updates_before:],
        )

    async def _progress(self, kind: str, in_flight: int, done: Callable[[], int], total: int) -> None:
        while True:
            self.say(f"{kind}, {in_flight} in flight: {done()}/{total} done")
            await asyncio.sleep(2)

    async def _sql(self) -> dict[str, float]:
        """The API's and the worker's SQL counters summed (bare phases count the product's idle work)."""
        settings = self.stack.settings
        totals = dict.fromkeys(SQL_KINDS, 0.0)
        for url in (f"{settings.api_url}/metrics", f"http://127.0.0.1:{settings.metrics_port}/metrics"):
            response = await self.scraper.get(url)
            response.raise_for_status()
            for kind, count in sql_counts(response.text).items():
                totals[kind] += count
        return totals

    async def _one_bare(self, dag: BareDag | None = None) -> tuple[str, bool]:
        workflow = f"bare-{uuid.uuid4().hex}"
        handle = await self.bare_client.start_workflow(
            BareDagWorkflow.run, dag or self.dag, id=workflow, task_queue=self.bare_queue
        )
        try:
            await handle.result()
        except WorkflowFailureError:
            return workflow, False
        return workflow, True

    async def _one_bare_updates(self) -> tuple[str, bool]:
        return await self._one_bare(self.dag_updates)

    async def _one_alone(self) -> tuple[str, bool]:
        return await self._one_product(self.no_poll_body)

    async def _one_product(self, body: dict[str, Any] | None = None) -> tuple[str, bool]:
        response = await self.api.post(
            "/api/v1/applications", json=body or self.body, headers={"Idempotency-Key": f"bench-{uuid.uuid4().hex}"}
        )
        if response.status_code not in (200, 201):
            self.say(f"product: application answered {response.status_code}: {response.text[:300]}")
            return "", False
        case_no = response.json()["case_no"]
        workflow = workflow_id(case_no)
        while True:  # "starting": accepted, its workflow is being started by the API's starter
            try:
                handle = self.product_client.get_workflow_handle_for(OneThingWorkflow.run, workflow)
                state = await handle.result()
                break
            except RPCError as error:
                if error.status is not RPCStatusCode.NOT_FOUND:
                    raise
                await asyncio.sleep(0.05)
            except WorkflowFailureError:
                return workflow, False
        ok = state.status is CaseStatus.COMPLETED
        if ok:
            self.finished_cases.append(case_no)
        return workflow, ok


def level_figures(in_flight: int, phases: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """One level's phases and the product's throughput over each baseline's (NaN where a baseline did nothing)."""
    product = phases["product"]["bundles_per_s"]

    def over(kind: str) -> float:
        base = phases[kind]["bundles_per_s"]
        return product / base if base else float("nan")

    return {
        "in_flight": in_flight,
        **phases,
        "product_over_bare": over("bare"),
        "product_over_bare_updates": over("bare_updates"),
    }


def bare_queue(settings: Settings) -> str:
    return f"{settings.task_queue}-bare"


def bare_worker_part(settings: Settings) -> list[Part]:
    argv = [sys.executable, "-m", "benchmarks.bare_worker", "--task-queue", bare_queue(settings)]
    return [Part("bare_worker", argv, title="bare DAG worker")]


@contextmanager
def bench_stack(latency_ms: int, log: TextIO, worker_argv: Sequence[str] | None = None) -> Iterator[ChaosStack]:
    with tempfile.TemporaryDirectory(prefix="onething-bench-") as tmp:
        root = Path(tmp)
        os.environ["ONETHING_CATALOG_DIR"] = str(switched_catalog(root / "catalog"))
        # The demo registry, which reaches the stubs, with the batch item's department calling back.
        batch_department = load_catalog(root / "catalog").get(THING).item(POLLING_ITEM).department
        os.environ["ONETHING_DEPARTMENT_REGISTRY"] = str(callback_registry(root / "departments.yaml", batch_department))
        stack = ChaosStack(root / "data", log, departments_config(latency_ms), bare_worker_part, worker_argv)
        stack.start()
        try:
            yield stack
        finally:
            stack.stop()


@asynccontextmanager
async def product_bench(name: str, bundles: int, in_flight: int, warmup: int) -> AsyncIterator[Bench]:
    """The bench's stack with one `Bench` connected and warmed up on `warmup` product bundles, for tools that
    measure product phases only (benchmarks/worker_profile.py, benchmarks/sql_statements.py): they run
    `bench.product_phase(in_flight, bundles)` as often as they need."""
    profile = Profile(
        name, {in_flight: bundles}, warmup=warmup, read_rates=(), read_seconds=0, history_sample=0, alone=0
    )
    with bench_stack(50, sys.stderr) as stack:
        await stack.wait_serving(f"http://127.0.0.1:{stack.settings.worker_health_port}/readyz")
        bench = Bench(stack, profile, 50, sys.stderr)
        async with stack.api() as api, httpx.AsyncClient(trust_env=False, timeout=10) as scraper:
            bench.api, bench.scraper = api, scraper
            bench.product_client = await stack.temporal()
            bench.bare_client = await Client.connect(stack.settings.temporal_address)
            for _ in range(warmup):
                await bench._one_product()
            yield bench


async def measure(
    profile: Profile, latency_ms: int, out: TextIO, worker_argv: Sequence[str] | None = None
) -> dict[str, Any]:
    """One run of the bench; `worker_argv` replaces the product worker's command (benchmarks/projection_bound.py)."""
    with bench_stack(latency_ms, out, worker_argv) as stack:
        await stack.wait_serving(f"http://127.0.0.1:{stack.settings.worker_health_port}/readyz")
        figures = await Bench(stack, profile, latency_ms, out).run()
        thing = load_catalog(catalog_folder(stack.settings)).get(THING)  # the switched copy the stack ran on
    return {"meta": meta(profile, latency_ms, thing), **figures}


def meta(profile: Profile, latency_ms: int, thing: OneThing) -> dict[str, Any]:
    return {
        "when": datetime.now(TZ).isoformat(timespec="seconds"),  # Asia/Shanghai, as every time people read
        "profile": profile.name,
        "bundles_per_level": {str(level): count for level, count in profile.bundles.items()},
        "department_latency_ms": latency_ms,
        "critical_path_s": critical_path_s(bare_dag(thing, latency_ms)),
        "clerk_item": f"{SWITCHED_ITEM} switched from standard_module to sync_rest",
        "batch_item": f"{POLLING_ITEM}: its department posts its batch results by callback (not pulled)",
        "no_poll_thing": f"{NO_POLL_THING}: {THING} with {POLLING_ITEM} also switched from batch to sync_rest",
        "bare_activities": "sleep the department latency (no HTTP, no database)",
        "bare_updates": (
            "the bare DAG with the product's updates: the result of "
            + ", ".join(answered_by_update(bare_dag(thing, latency_ms, updates=True)))
            + " comes by an update the bench client sends the department latency after its submission"
        ),
        "completed_at": "the workflow's close, awaited by the client",
        "cpus": os.cpu_count(),
        "api_workers": Settings().api_workers,  # as the stack's API read it from the environment
        "load_average_at_end": list(os.getloadavg()),
        "python": sys.version.split()[0],
    }
