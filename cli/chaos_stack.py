"""The embedded stack the fault suite breaks: `onething dev`'s parts on free loopback ports, data in a temp folder.

The parts are the real processes (`devstack.stack.dev_parts`) under the real process manager, driven from
one thread of their own: the manager ties its children to the thread that spawned them (PR_SET_PDEATHSIG),
so that thread lives as long as the stack. The manager restarts what a scenario kills, with a short
backoff. Children inherit this process's environment, so the stack's ONETHING_* settings are put there
before anything starts (which is why the suite runs as its own command, never inside another program).
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TextIO

import httpx
from temporalio.client import Client

from core.auth import Principal, Role, issue_token
from core.ports import free_port
from core.settings import Settings
from core.temporal import connect
from devstack.processes import Part, ProcessManager
from devstack.stack import dev_parts
from persistence.migrate import upgrade

CITIZEN = "demo-mother-1"
"""A demo resident the API seeds in development: married, so the newborn bundle admits her."""


DEPARTMENTS_CONFIG = """\
# The fault suite measures faults, not department latency: every department decides in about 100 ms,
# batches run every 200 ms, and a callback the API missed (it was being killed) is retried within 2 s.
defaults:
  latency_ms: 100
  jitter_ms: 50
  batch_interval_ms: 200
callback_backoff_ms: 200
callback_backoff_max_ms: 2000
"""


def stack_environment(data_dir: Path, departments_config: str = DEPARTMENTS_CONFIG) -> dict[str, str]:
    """ONETHING_* settings of a stack of its own: loopback only, free ports, `data_dir` for every file."""
    data_dir.mkdir(parents=True, exist_ok=True)
    departments = data_dir / "departments.yaml"
    departments.write_text(departments_config, encoding="utf-8")
    return {
        "ONETHING_ENVIRONMENT": "development",
        "ONETHING_DATA_DIR": str(data_dir),
        "ONETHING_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",
        "ONETHING_TEMPORAL_UI_PORT": str(free_port()),
        "ONETHING_API_HOST": "127.0.0.1",
        "ONETHING_API_PORT": str(free_port()),
        "ONETHING_DEPARTMENTS_HOST": "127.0.0.1",
        "ONETHING_DEPARTMENTS_PORT": str(free_port()),
        "ONETHING_METRICS_PORT": str(free_port()),
        "ONETHING_WORKER_HEALTH_PORT": str(free_port()),
        "ONETHING_TASK_QUEUE": f"onething-chaos-{free_port()}",
        # One demo citizen files every bundle of a run: the hourly limit is raised as for any load test.
        "ONETHING_SUBMISSIONS_PER_HOUR": "1000000",
        "ONETHING_DEPARTMENTS_CONFIG": str(departments),
        # No database from the developer's .env or environment may leak in.
        "ONETHING_DATABASE_URL": "",
        "ONETHING_DEPARTMENTS_DATABASE_URL": "",
    }


class ChaosStack:
    """The stack; `onething bench` reuses it with departments of its own latency and a part of its own."""

    def __init__(
        self,
        data_dir: Path,
        log: TextIO,
        departments_config: str = DEPARTMENTS_CONFIG,
        extra_parts: Callable[[Settings], list[Part]] = lambda _settings: [],
        worker_argv: Sequence[str] | None = None,
    ) -> None:
        self.data_dir = data_dir
        os.environ.update(stack_environment(data_dir, departments_config))
        self.settings = Settings()
        parts = [*dev_parts(self.settings, data_dir), *extra_parts(self.settings)]
        if worker_argv is not None:  # a benchmark's worker (benchmarks/projection_bound.py)
            parts = [replace(part, argv=worker_argv) if part.name == "worker" else part for part in parts]
        self._manager = ProcessManager(
            parts,
            data_dir / "logs",
            out=log,
            backoff=0.5,
            max_backoff=4.0,
            stop_timeout=10.0,
            poll_interval=0.1,
        )
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self._failure: BaseException | None = None
        self.client: Client | None = None

    # --- lifecycle ----------------------------------------------------------------------------------

    def start(self, timeout: float = 120.0) -> None:
        upgrade(self.settings.projection_url)  # as `onething dev` does before any part starts
        self._thread = threading.Thread(target=self._drive, name="chaos-stack", daemon=True)
        self._thread.start()
        if not self._started.wait(timeout) or self._failure is not None:
            self.stop()
            raise RuntimeError(f"the stack did not start: {self._failure}")

    def _drive(self) -> None:
        try:
            if not self._manager.start_all():
                return
        except BaseException as error:  # reported by start(), which is waiting for this thread
            self._failure = error
            self._started.set()
            self._manager.stop_all()
            return
        self._started.set()
        self._manager.supervise()

    def stop(self) -> None:
        self._manager.request_stop()
        if self._thread is not None:
            self._thread.join(timeout=60)

    async def temporal(self) -> Client:
        if self.client is None:
            self.client = await connect(self.settings)
        return self.client

    # --- faults -------------------------------------------------------------------------------------

    def pid(self, part: str) -> int | None:
        return self._manager.pid(part)

    def kill(self, part: str, signum: int = signal.SIGKILL) -> int | None:
        """Signals the part's current process; None when it is not running (being restarted)."""
        pid = self.pid(part)
        if pid is not None:
            try:
                os.kill(pid, signum)
            except ProcessLookupError:
                return None
        return pid

    @contextmanager
    def stalled(self, part: str) -> Iterator[int]:
        """The part frozen with SIGSTOP (alive, holding its connections, answering nothing), then SIGCONT."""
        pid = self.kill(part, signal.SIGSTOP)
        if pid is None:
            raise RuntimeError(f"{part} is not running")
        try:
            yield pid
        finally:
            os.kill(pid, signal.SIGCONT)

    def scheduled_ms(self, part: str, main_thread_only: bool = False) -> tuple[float, float] | None:
        """(ms on a CPU, ms runnable but waiting for a CPU) of the part's threads (or its main thread, where the
        API's event loop runs) since it started, from Linux's /proc/<pid>/task/*/schedstat; None where that is
        not available. The second says how much of a delay was the machine's other load, not the part's work."""
        pid = self.pid(part)
        if pid is None:
            return None
        ran = waited = 0
        for stat in Path(f"/proc/{pid}/task").glob(f"{pid if main_thread_only else '*'}/schedstat"):
            try:
                fields = stat.read_text().split()
            except OSError:
                continue  # a thread that ended meanwhile
            ran, waited = ran + int(fields[0]), waited + int(fields[1])
        return (ran / 1e6, waited / 1e6) if ran else None

    async def wait_restarted(self, part: str, old_pid: int | None, within: float = 60.0) -> float:
        """Seconds until the part runs again under a new pid."""
        began = time.monotonic()
        while time.monotonic() - began < within:
            pid = self.pid(part)
            if pid is not None and pid != old_pid:
                return time.monotonic() - began
            await asyncio.sleep(0.05)
        raise RuntimeError(f"{part} was not restarted within {within:.0f} s")

    async def wait_serving(self, url: str, within: float = 60.0) -> None:
        deadline = time.monotonic() + within
        async with httpx.AsyncClient(timeout=2, trust_env=False) as probe:
            while time.monotonic() < deadline:
                try:
                    if (await probe.get(url)).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)
        raise RuntimeError(f"{url} not serving within {within:.0f} s")

    # --- clients ------------------------------------------------------------------------------------

    def token(self, role: Role, subject: str, department: str | None = None) -> str:
        principal = Principal(role=role, subject=subject, department=department)
        return issue_token(self.settings.secret_key, principal)

    def api(
        self, role: Role = Role.CITIZEN, subject: str = CITIZEN, timeout: float = 30.0, department: str | None = None
    ) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {self.token(role, subject, department)}"}
        return httpx.AsyncClient(base_url=self.settings.api_url, headers=headers, timeout=timeout, trust_env=False)

    def stubs(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.settings.departments_url, timeout=30, trust_env=False)
