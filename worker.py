"""Builds the Temporal worker from the shared lists of workflows and activities."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import timedelta
from functools import partial
from typing import Any

import httpx
from sqlalchemy.engine import Engine
from temporalio.client import Client, Interceptor
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.service import RPCError
from temporalio.worker import Worker

from activities.call_log import CallLog
from activities.gateways import DepartmentHttp
from activities.message_gateways import message_transport
from activities.message_sender import MessageSender
from activities.projection import ProjectionActivities
from activities.registry import build_activities
from core.activations import jobs_applied_as_one_batch
from core.calendar_year import CalendarFileError, calendar_for, missing_warning, next_year_missing, stored_years
from core.clock import SYSTEM_CLOCK, Clock
from core.health_server import Ready, health_server
from core.logging import configure_logging
from core.metrics import HISTOGRAM_BUCKETS, SQL_STATEMENTS, SQL_TRANSACTIONS
from core.settings import Settings
from core.temporal import connect
from core.tracing import instrument_httpx, provider_from_settings, temporal_interceptors
from core.worker_guard import EXIT_OTHER_FORMAT, OtherFormatWorkers, wait_for_other_formats_to_stop, worker_identity
from core.workflow_runner import sandboxed_runner
from one_things.catalog import catalog_folder
from one_things.live import LiveCatalog
from one_things.live_registry import live_registry
from persistence.db import make_engine
from persistence.definitions import StoredVersions
from persistence.sql_counts import count_sql, trace_sql
from persistence.write_order import PROJECTION_WRITE_FORMAT
from workflows.registry import WORKFLOWS
from workflows.schedules import ensure_schedules

log = logging.getLogger("onething.worker")

HEARTBEAT_THROTTLE = timedelta(seconds=2)

READINESS_TIMEOUT_SECONDS = 3.0
CALENDAR_CHECK_SECONDS = 24 * 3600.0


def worker_activities(
    settings: Settings,
    *,
    http: httpx.AsyncClient,
    engine: Engine,
    clock: Clock = SYSTEM_CLOCK,
    department_http: DepartmentHttp | None = None,
    call_log: CallLog | None = None,
) -> list[Callable[..., Any]]:
    """The activities with this process's dependencies, each taken from `settings`."""
    return build_activities(
        http=http,
        engine=engine,
        catalog=live_catalog(settings, engine),
        registry=live_registry(settings),
        api_url=settings.api_url,
        settings=settings,
        department_http=department_http,
        calendar_adjustments=partial(calendar_for, settings),
        clock=clock,
        call_log=call_log,
    )


def live_catalog(settings: Settings, engine: Engine) -> LiveCatalog:
    """The API's folder and version rules: licence reminders name old cases' items too."""
    return LiveCatalog(catalog_folder(settings), earlier=StoredVersions(engine))


def projection_activities(settings: Settings, engine: Engine) -> ProjectionActivities:
    """The projection write as this worker makes it (calendar, licence validity), for a write from outside one."""
    return ProjectionActivities(engine, partial(calendar_for, settings), SYSTEM_CLOCK, live_catalog(settings, engine))


@asynccontextmanager
async def build_worker(client: Client, settings: Settings, clock: Clock = SYSTEM_CLOCK) -> AsyncIterator[Worker]:
    """A worker with its HTTP client, database engine and thread pool, all closed on exit; `clock` stamps
    what its activities write (a simulation passes the clock that follows its time-skipping server)."""
    engine = make_engine(settings.projection_url)
    _count_sql_in_metrics(engine, client.service_client.config.runtime or Runtime.default())
    if settings.sql_trace is not None:
        trace_sql(engine, settings.sql_trace, "worker")
    timeout = httpx.Timeout(50.0, connect=5.0)
    async with httpx.AsyncClient(timeout=timeout) as http:
        department_http = DepartmentHttp(http, clock)
        call_log = CallLog(engine)
        # The SMS and e-mail that projection writes queued (activities/message_sender.py): sent beside the worker.
        sender_stop = asyncio.Event()
        sender = MessageSender(engine, message_transport(settings, engine, clock), settings, clock)
        sending = asyncio.create_task(sender.run(sender_stop))
        try:
            with ThreadPoolExecutor(max_workers=16, thread_name_prefix="activity") as executor:
                yield jobs_applied_as_one_batch(
                    Worker(
                        client,
                        task_queue=settings.task_queue,
                        # What a later worker reads from the server before it starts beside this one.
                        identity=worker_identity(client.identity, PROJECTION_WRITE_FORMAT),
                        workflows=WORKFLOWS,
                        # The SDK's sandbox, without its per-payload question our converter has no use for.
                        workflow_runner=sandboxed_runner(client.data_converter),
                        activities=worker_activities(
                            settings,
                            http=http,
                            engine=engine,
                            clock=clock,
                            department_http=department_http,
                            call_log=call_log,
                        ),
                        activity_executor=executor,
                        graceful_shutdown_timeout=timedelta(seconds=settings.worker_shutdown_seconds),
                        # Heartbeats reach the server at least every 2 s (the SDK's default throttle is 0.8 x the
                        # heartbeat timeout, 8 s for department calls: a busy machine then misses the 10 s timeout
                        # and a call still running is retried, i.e. sent twice).
                        max_heartbeat_throttle_interval=HEARTBEAT_THROTTLE,
                    )
                )
        finally:
            await call_log.drain()  # the last calls' health rows, before the engine goes
            sender_stop.set()
            await sending
            await department_http.aclose()
    engine.dispose()


def _count_sql_in_metrics(engine: Engine, runtime: Runtime) -> None:
    """The worker's SQL counts on its one Prometheus endpoint (the runtime's meter), as the API's on its own."""
    meter = runtime.metric_meter
    transactions = meter.create_counter(SQL_TRANSACTIONS, "Transactions begun on the projection")
    statements = meter.create_counter(SQL_STATEMENTS, "Statements sent to the projection")
    count_sql(
        engine,
        transaction=lambda: transactions.add(1),
        statement=lambda verb: statements.add(1, {"statement": verb}),
    )


@asynccontextmanager
async def started_worker(client: Client, settings: Settings) -> AsyncIterator[Worker]:
    """How a worker starts in production: its schedules in place (created once, never twice), then the worker.

    Kept out of `build_worker`, which tests also run on the time-skipping server (no schedules there).
    """
    await ensure_schedules(client, task_queue=settings.task_queue, reminder_lead_days=settings.licence_reminder_days)
    async with build_worker(client, settings) as worker:
        yield worker


def metrics_runtime(settings: Settings) -> Runtime:
    """A runtime whose Prometheus endpoint serves our metrics (core/metrics.py) and the Temporal SDK's."""
    prometheus = PrometheusConfig(
        bind_address=f"{settings.metrics_host}:{settings.metrics_port}", histogram_bucket_overrides=HISTOGRAM_BUCKETS
    )
    return Runtime(telemetry=TelemetryConfig(metrics=prometheus))


async def serve(settings: Settings) -> int:
    """Runs the worker until SIGTERM or SIGINT; the process's exit code."""
    runtime = metrics_runtime(settings)
    tracer_provider = provider_from_settings(settings, "onething-worker")
    instrument_httpx(tracer_provider)  # department calls join the activity's trace
    client = await _connect_with_retry(settings, runtime, temporal_interceptors(tracer_provider))
    if settings.worker_format_guard:
        try:
            await _wait_for_other_formats(client, settings)
        except OtherFormatWorkers as refusal:
            log.error("%s", refusal)  # a refusal that names its fix: no traceback to read
            return EXIT_OTHER_FORMAT
    stopping = asyncio.Event()
    async with (
        started_worker(client, settings) as worker,
        health_server(settings.metrics_host, settings.worker_health_port, readiness(client, worker, stopping)),
    ):
        loop = asyncio.get_running_loop()
        for stop_signal in (signal.SIGTERM, signal.SIGINT):
            # Not asyncio.run's default KeyboardInterrupt: that cancels every running activity at once.
            loop.add_signal_handler(stop_signal, lambda: asyncio.ensure_future(_drain(worker, settings, stopping)))
        log.info("worker polling task queue %s", settings.task_queue)
        calendar_watch = asyncio.create_task(watch_calendar(settings, SYSTEM_CLOCK, stopping))
        try:
            await worker.run()
        finally:
            stopping.set()  # already set by a drain; set here too when the worker ends on an error
            await calendar_watch
    log.info("worker stopped")
    return 0


async def _wait_for_other_formats(client: Client, settings: Settings) -> None:
    """Before polling: no worker of another projection format polls the task queue (core/worker_guard.py).

    Alive (`/healthz`) while it waits, not ready (`/readyz` says why), so an orchestrator neither kills it nor
    counts it as serving."""

    async def waiting() -> str:
        return "waiting for workers of another projection format to stop (see the log)"

    async with health_server(settings.metrics_host, settings.worker_health_port, waiting):
        await wait_for_other_formats_to_stop(
            client,
            namespace=settings.temporal_namespace,
            task_queue=settings.task_queue,
            projection_format=PROJECTION_WRITE_FORMAT,
            recent=timedelta(seconds=settings.worker_format_guard_recent_seconds),
            give_up_after=timedelta(seconds=settings.worker_format_guard_timeout_seconds),
        )


def check_calendar(settings: Settings, clock: Clock) -> int | None:
    """Logs a warning from December 1st while next year's holidays are not loaded; returns that year. A year file
    edited by hand into something unreadable is logged as an error (deadlines wait until it is fixed)."""
    try:
        stored_years(settings.calendar_folder)
    except CalendarFileError as error:
        log.error("calendar: a loaded year no longer reads; load it again with `onething calendar load`:\n%s", error)
    missing = next_year_missing(settings.calendar_folder, clock.now())
    if missing is not None:
        log.warning("calendar: %s", missing_warning(missing))
    return missing


async def watch_calendar(
    settings: Settings, clock: Clock, stopping: asyncio.Event, every: float = CALENDAR_CHECK_SECONDS
) -> None:
    """`check_calendar` when the worker starts and then once a day, until it stops."""
    while not stopping.is_set():
        try:
            await asyncio.to_thread(check_calendar, settings, clock)
        except OSError:  # a folder unreadable for a moment: say so, look again tomorrow
            log.exception("calendar: reading %s failed", settings.calendar_folder)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), every)


def readiness(client: Client, worker: Worker, stopping: asyncio.Event) -> Ready:
    """Ready while the worker polls (not before it starts, not while it drains) and Temporal answers."""

    async def missing() -> str | None:
        # The SDK marks a worker shut down only once its drain is over: our own flag says so from the signal on.
        if stopping.is_set() or not worker.is_running:
            return "the worker is not polling (starting or shutting down)"
        try:
            healthy = await asyncio.wait_for(client.service_client.check_health(), READINESS_TIMEOUT_SECONDS)
        except (RPCError, RuntimeError, TimeoutError) as error:
            log.warning("readiness: Temporal not answering (%s)", type(error).__name__)
            healthy = False
        return None if healthy else "the case engine (Temporal)"

    return missing


async def _drain(worker: Worker, settings: Settings, stopping: asyncio.Event) -> None:
    stopping.set()
    log.info("worker stopping: no new work; running activities have %s s to finish", settings.worker_shutdown_seconds)
    await worker.shutdown()


async def _connect_with_retry(settings: Settings, runtime: Runtime, interceptors: list[Interceptor]) -> Client:
    delay = 0.5
    while True:
        try:
            return await connect(settings, runtime=runtime, interceptors=interceptors)
        except RuntimeError as error:
            log.warning("Temporal at %s not reachable (%s); retrying", settings.temporal_address, error)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10)


def run_worker(settings: Settings) -> None:
    configure_logging(settings.effective_log_format)
    with contextlib.suppress(KeyboardInterrupt):
        exit_code = asyncio.run(serve(settings))
        if exit_code:
            # A process that only used its client (no worker ran) can abort in interpreter teardown, when the SDK's
            # Tokio threads still hold Python state (temporalio/sdk-python#300: SIGABRT instead of our exit code in
            # about one refusal in eight here). Nothing is left to clean up: say it all, then leave at once.
            logging.shutdown()
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(exit_code)
