"""Runs the simulation: the real API, worker, workflows and department stubs on the time-skipping server.

Every `step` of simulated time the people act on what is due in their diary and on what the platform
told them, then the server's clock is moved on by the step (firing the workflows' timers: SLA lights,
retries, batch polls), and the platform's and the stubs' clocks are aligned with it. The projection the
dashboards read is the configured one (settings.projection_url); the stubs keep their books in a
throw-away database, as a department's own system would not be part of the platform's data.
"""

from __future__ import annotations

import asyncio
import logging
import random
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.app import create_app as create_api
from core.clock import FollowingClock
from core.ports import free_port
from core.settings import Settings
from departments.app import create_app as create_departments
from simulation.actors import People, Tally
from simulation.portal import Portal
from simulation.scenario import SHANGHAI, Scenario, arrivals
from simulation.servers import BackgroundServer
from simulation.timeserver import time_server
from worker import build_worker

QUIETED_LOGGERS = ("temporalio.activity", "onething.departments")
SETTLE_SECONDS = 10.0
"""How long to wait, in real seconds, for the stubs' callbacks due at a step to be delivered."""


@dataclass(frozen=True)
class Plan:
    count: int = 300
    weeks: int = 8
    seed: int = 1
    step: timedelta = timedelta(hours=1)
    """How far the clocks move at a time: a department's decision is at most this late."""
    look_every: timedelta = timedelta(hours=3)
    """How often the people look at their inbox and work queue (the costly part of a quiet step)."""


@dataclass
class Outcome:
    starts_at: datetime
    ends_at: datetime
    shifted: bool
    """True when the simulated weeks end at the machine's now; False when they lie in the future."""
    tally: Tally
    cases: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Every case as its applicant sees it at the end (GET /api/v1/applications/{case_no})."""
    seconds: float = 0.0


def run_settings(settings: Settings, temporal: Client, folder: Path) -> Settings:
    """The configured projection, with the simulation's own ports, task queue and department books."""
    return settings.model_copy(
        update={
            "temporal_address": temporal.service_client.config.target_host,
            "api_port": free_port(),
            "departments_port": free_port(),
            "metrics_port": free_port(),
            "task_queue": f"onething-simulation-{uuid.uuid4().hex[:8]}",
            "departments_database_url": f"sqlite:///{folder / 'departments.db'}",
            "simulated": True,  # every case it accepts is marked: the leaders' figures leave them out by default
        }
    )


@asynccontextmanager
async def _platform(
    settings: Settings,
    temporal: Client,
    scenario: Scenario,
    window: tuple[datetime, datetime],
    clock: FollowingClock,
) -> AsyncIterator[None]:
    """The API and worker built with the clock that follows the time-skipping server (the stubs have their own)."""
    stub_config = scenario.departments(*window)
    with (
        BackgroundServer(create_departments(settings, stub_config), port=settings.departments_port),
        BackgroundServer(create_api(settings, clock=clock), port=settings.api_port),
    ):
        async with build_worker(temporal, settings, clock=clock) as worker, worker:
            yield


@contextmanager
def _quiet_logs() -> Iterator[None]:
    """The scenario's failures and outages are retried by design; logged per attempt they would drown the progress."""
    loggers = [logging.getLogger(name) for name in QUIETED_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


async def simulate(
    settings: Settings, plan: Plan, scenario: Scenario | None = None, echo: Callable[[str], None] = print
) -> Outcome:
    """Runs `plan`; the window ends at the machine's now when libfaketime can set the server back."""
    scenario = scenario or Scenario()
    started = time.monotonic()
    wanted = datetime.now(UTC) - timedelta(weeks=plan.weeks)
    with _quiet_logs():
        outcome = await _simulate(settings, plan, scenario, echo, wanted, started)
    outcome.seconds = time.monotonic() - started
    return outcome


async def _simulate(
    settings: Settings, plan: Plan, scenario: Scenario, echo: Callable[[str], None], wanted: datetime, started: float
) -> Outcome:
    async with time_server(starts_at=wanted, codec_key=settings.codec_key) as server:
        starts_at = await server.env.get_current_time()
        outcome = Outcome(
            starts_at=starts_at, ends_at=starts_at + timedelta(weeks=plan.weeks), shifted=server.shifted, tally=Tally()
        )
        if not server.shifted:
            echo("simulate: libfaketime (Debian package faketime) is missing: the simulated weeks lie in the FUTURE")
        with tempfile.TemporaryDirectory(prefix="onething-sim-") as folder:
            run = run_settings(settings, server.env.client, Path(folder))
            platform_clock = FollowingClock()
            platform_clock.align(starts_at)
            async with (
                _platform(run, server.env.client, scenario, (outcome.starts_at, outcome.ends_at), platform_clock),
                httpx.AsyncClient(base_url=run.api_url, timeout=60) as api,
                httpx.AsyncClient(base_url=run.departments_url, timeout=60) as stubs,
            ):
                people = People(Portal(run, api), scenario, random.Random(plan.seed))
                clocks = _Clocks(server.env, stubs, platform_clock.align)
                await _days(plan, people, scenario, clocks, outcome, echo, started)
                outcome.cases = {case_no: await people.view(case_no) for case_no in sorted(people.cases)}
                outcome.tally = people.tally
    return outcome


class _Clocks:
    """The Temporal server's clock leads; the platform's and the stubs' follow it after every move."""

    def __init__(self, env: WorkflowEnvironment, stubs: httpx.AsyncClient, align: Callable[[datetime], None]) -> None:
        self._env = env
        self._stubs = stubs
        self._align = align

    async def now(self) -> datetime:
        return await self._env.get_current_time()

    async def advance(self, by: timedelta) -> datetime:
        """Skips `by` (the server fires every timer due meanwhile), then lets the stubs catch up."""
        if by > timedelta(0):
            await self._env.sleep(by)
        return await self.follow()

    async def follow(self) -> datetime:
        now = await self._env.get_current_time()
        self._align(now)
        response = await self._stubs.put("/admin/clock", json={"now": now.isoformat()})
        response.raise_for_status()
        deadline = time.monotonic() + SETTLE_SECONDS
        # Decisions that came due go out as callbacks; the next skip must not overtake them.
        while response.json()["callbacks_owed"] and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
            response = await self._stubs.get("/admin/clock")
        return now


async def _days(
    plan: Plan,
    people: People,
    scenario: Scenario,
    clocks: _Clocks,
    outcome: Outcome,
    echo: Callable[[str], None],
    started: float,
) -> None:
    for at in arrivals(random.Random(plan.seed + 1), plan.count, outcome.starts_at, outcome.ends_at, scenario):
        people.plan_application(at)
    now = looked = await clocks.follow()
    day = now.astimezone(SHANGHAI).date()
    days = (outcome.ends_at - outcome.starts_at).days
    while True:
        people.tick(now)
        for action in people.agenda.due(now):
            await action()
        if now >= looked + plan.look_every or now >= outcome.ends_at:
            looked = now
            await people.read_inboxes()
            await people.read_staff_queue()
        if now >= outcome.ends_at:
            return
        now = await clocks.advance(min(plan.step, outcome.ends_at - now))
        if now.astimezone(SHANGHAI).date() != day:
            day = now.astimezone(SHANGHAI).date()
            statuses = await people.statuses()
            elapsed = time.monotonic() - started
            echo(
                f"{day} day {(now - outcome.starts_at).days}/{days}: applied {people.tally.applied}/{plan.count}, "
                + ", ".join(f"{status} {n}" for status, n in sorted(statuses.items()))
                + f" ({elapsed:.0f} s)"
            )
