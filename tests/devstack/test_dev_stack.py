"""`onething dev` with real child processes: small Python sleepers, and once the real Temporal dev server."""

from __future__ import annotations

import io
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import devstack.stack
from core.ports import free_port
from core.settings import Settings
from devstack.processes import Part, PartStatus, ProcessManager, StartupError, port_open
from devstack.stack import dev_parts, run_dev_stack, temporal_part

# Records its name in `record` when asked to stop with SIGTERM; touches `ready` once that handler is set.
SLEEPER = """
import pathlib, signal, sys, time
name, record, ready = sys.argv[1:4]
def stop(signum, frame):
    with open(record, "a") as f:
        f.write(name + "\\n")
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
pathlib.Path(ready).touch()
print("up", name, flush=True)
while True:
    time.sleep(1)
"""


def sleeper(tmp_path: Path, name: str) -> Part:
    ready = tmp_path / f"{name}.ready"
    argv = [sys.executable, "-c", SLEEPER, name, str(tmp_path / "stopped"), str(ready)]
    return Part(name, argv, ready.exists, ready_timeout=20)


def stopped(tmp_path: Path) -> list[str]:
    return (tmp_path / "stopped").read_text().split()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def in_background(action: Callable[[], None]) -> threading.Thread:
    thread = threading.Thread(target=action, daemon=True)
    thread.start()
    return thread


def wait_for(condition: Callable[[], bool], timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def fast_manager(
    parts: list[Part], tmp_path: Path, *, backoff: float = 0.1, stop_timeout: float = 5.0
) -> tuple[ProcessManager, io.StringIO]:
    out = io.StringIO()
    manager = ProcessManager(
        parts, tmp_path / "logs", out=out, backoff=backoff, stop_timeout=stop_timeout, poll_interval=0.05
    )
    return manager, out


def test_stop_terminates_in_reverse_order(tmp_path: Path) -> None:
    manager, out = fast_manager([sleeper(tmp_path, name) for name in "abc"], tmp_path)
    assert manager.start_all()
    pids = [manager.pid(name) for name in "abc"]
    manager.stop_all()
    assert stopped(tmp_path) == ["c", "b", "a"]
    assert not any(alive(pid) for pid in pids if pid is not None)
    assert out.getvalue().index("stopping c") < out.getvalue().index("stopping a")
    assert "up a" in (tmp_path / "logs" / "a.log").read_text()


def test_killed_child_is_restarted(tmp_path: Path) -> None:
    manager, out = fast_manager([sleeper(tmp_path, "a"), sleeper(tmp_path, "b")], tmp_path)
    assert manager.start_all()
    first = manager.pid("a")
    assert first is not None
    os.kill(first, signal.SIGKILL)
    restarted: list[int | None] = []

    def watch() -> None:
        wait_for(lambda: manager.pid("a") not in (None, first))
        restarted.append(manager.pid("a"))
        # Give the new child time to set its SIGTERM handler before the stop.
        wait_for(lambda: (tmp_path / "logs" / "a.log").read_text().count("up a") == 2)
        manager.request_stop()

    watcher = in_background(watch)
    assert manager.supervise() == 0  # restarts happen in the main thread, as in `onething dev`
    watcher.join()
    assert restarted[0] not in (None, first)
    assert "DOWN a: exited with code -9 (0 restarts so far); restarting in 0.1 s" in out.getvalue()
    assert "still serving: b" in out.getvalue()
    assert stopped(tmp_path) == ["b", "a"]


def test_crash_looping_part_is_retried_with_capped_backoff_while_others_serve(tmp_path: Path) -> None:
    crash = Part("crash", [sys.executable, "-c", "raise SystemExit(3)"], title="crashy")
    out = io.StringIO()
    manager = ProcessManager(
        [sleeper(tmp_path, "a"), crash], tmp_path / "logs", out=out, backoff=0.05, max_backoff=0.2, poll_interval=0.02
    )
    assert manager.start_all()
    serving = manager.pid("a")

    def watch() -> None:
        wait_for(lambda: out.getvalue().count("DOWN crashy") >= 8)
        manager.request_stop()

    watcher = in_background(watch)
    assert manager.supervise() == 0  # a crash loop never stops the stack: only a stop request does
    watcher.join()
    lines = [line for line in out.getvalue().splitlines() if "DOWN crashy" in line]
    assert len(lines) >= 8
    log = tmp_path / "logs" / "crash.log"
    assert f"DOWN crashy: exited with code 3 (0 restarts so far); restarting in 0.1 s; log {log}" in lines[0]
    assert "(1 restarts so far); restarting in 0.1 s" in lines[1]
    assert "(2 restarts so far); restarting in 0.2 s" in lines[2]
    assert all("restarting in 0.2 s" in line for line in lines[3:])  # capped
    assert all("still serving: a" in line for line in lines)
    assert "BACK crashy" not in out.getvalue()
    assert serving is not None
    assert (tmp_path / "logs" / "a.log").read_text().count("up a") == 1  # never restarted, served throughout
    assert stopped(tmp_path) == ["a"]


def test_status_names_the_part_that_is_down(tmp_path: Path) -> None:
    crash = Part("crash", [sys.executable, "-c", "raise SystemExit(4)"])
    out = io.StringIO()
    manager = ProcessManager(
        [sleeper(tmp_path, "a"), crash], tmp_path / "logs", out=out, backoff=0.05, max_backoff=0.05, poll_interval=0.02
    )
    assert manager.start_all()
    seen: list[PartStatus] = []

    def watch() -> None:
        wait_for(lambda: out.getvalue().count("DOWN crash") >= 3)
        seen.extend(manager.status())
        manager.request_stop()

    watcher = in_background(watch)
    manager.supervise()
    watcher.join()
    a, crashed = seen
    assert (a.up, a.restarts, a.last_exit_code, a.down_for) == (True, 0, None, None)
    assert (crashed.name, crashed.up, crashed.last_exit_code) == ("crash", False, 4)
    assert crashed.restarts >= 2
    assert crashed.log == tmp_path / "logs" / "crash.log"
    assert crashed.down_for is not None
    assert crashed.down_for > 0


# Fails (exit 5) until the file `fixed` exists, as a worker does until its misconfiguration is fixed.
FLAKY = """
import pathlib, sys, time
if not pathlib.Path(sys.argv[1]).exists():
    sys.exit(5)
print("up flaky", flush=True)
while True:
    time.sleep(1)
"""


def test_part_reported_back_once_its_cause_is_fixed(tmp_path: Path) -> None:
    fixed = tmp_path / "fixed"
    # Ready when the log says so: the check a real part has (a port, /healthz), here a file.
    log = tmp_path / "logs" / "flaky.log"
    flaky = Part(
        "flaky",
        [sys.executable, "-c", FLAKY, str(fixed)],
        lambda: log.exists() and "up flaky" in log.read_text(),
    )
    fixed.touch()  # it starts fine…
    out = io.StringIO()
    manager = ProcessManager(
        [sleeper(tmp_path, "a"), flaky], tmp_path / "logs", out=out, backoff=0.05, max_backoff=0.1, poll_interval=0.02
    )
    assert manager.start_all()
    serving = manager.pid("a")
    first = manager.pid("flaky")
    assert first is not None
    fixed.unlink()  # …then breaks: every restart exits at once
    os.kill(first, signal.SIGKILL)
    result: list[bool] = []

    def watch() -> None:
        wait_for(lambda: out.getvalue().count("DOWN flaky") >= 3)
        log.write_text("")  # only the next successful start may say "up flaky"
        fixed.touch()
        result.append(wait_for(lambda: "BACK flaky" in out.getvalue()))
        result.append(manager.pid("a") == serving)
        manager.request_stop()

    watcher = in_background(watch)
    assert manager.supervise() == 0
    watcher.join()
    assert result == [True, True]
    printed = out.getvalue()
    assert "DOWN flaky: exited with code -9 (0 restarts so far)" in printed
    assert "exited with code 5" in printed
    back = next(line for line in printed.splitlines() if "BACK flaky" in line)
    assert "s down," in back
    assert "restarts so far" in back


def test_part_without_ready_check_is_back_after_settling(tmp_path: Path) -> None:
    out = io.StringIO()
    manager = ProcessManager(
        [Part("a", sleeper(tmp_path, "a").argv)],
        tmp_path / "logs",
        out=out,
        backoff=0.05,
        settle=0.3,
        poll_interval=0.02,
    )
    assert manager.start_all()
    first = manager.pid("a")
    assert first is not None
    os.kill(first, signal.SIGKILL)

    def watch() -> None:
        wait_for(lambda: "BACK a" in out.getvalue())
        manager.request_stop()

    watcher = in_background(watch)
    manager.supervise()
    watcher.join()
    assert "BACK a" in out.getvalue()
    assert [status.up for status in manager.status()] == [False]  # stopped now


def test_stop_kills_a_child_that_ignores_sigterm(tmp_path: Path) -> None:
    ready = tmp_path / "stubborn.ready"
    code = (
        "import signal, pathlib, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        f"pathlib.Path({str(ready)!r}).touch(); time.sleep(60)"
    )
    manager, out = fast_manager(
        [Part("stubborn", [sys.executable, "-c", code], ready.exists)], tmp_path, stop_timeout=0.5
    )
    assert manager.start_all()
    pid = manager.pid("stubborn")
    manager.stop_all()
    assert "killing" in out.getvalue()
    assert pid is not None
    assert not alive(pid)


def test_startup_failure_shows_the_log(tmp_path: Path) -> None:
    code = "import sys; print('boom: no such table', file=sys.stderr); sys.exit(2)"
    manager, _ = fast_manager([Part("broken", [sys.executable, "-c", code], lambda: False)], tmp_path)
    with pytest.raises(StartupError, match="exited with code 2") as error:
        manager.start_all()
    assert "boom: no such table" in str(error.value)


def test_refuses_to_start_over_a_running_part(tmp_path: Path) -> None:
    manager, _ = fast_manager([Part("taken", [sys.executable, "-c", "pass"], lambda: True)], tmp_path)
    with pytest.raises(StartupError, match="already answers"):
        manager.start_all()


def test_dev_parts_order_and_commands(tmp_path: Path) -> None:
    parts = dev_parts(Settings(data_dir=tmp_path), tmp_path)
    assert [part.name for part in parts] == ["temporal", "departments", "worker", "api"]
    for part, command in zip(parts[1:], [["departments", "stubs"], ["worker"], ["api"]], strict=True):
        assert part.argv[0] == sys.executable
        assert list(part.argv[-len(command) :]) == command
    assert parts[2].ready_check is None


def test_run_dev_stack_stops_on_sigterm(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    parts = [sleeper(tmp_path, "a"), sleeper(tmp_path, "b")]
    monkeypatch.setattr(devstack.stack, "dev_parts", lambda settings, data_dir: parts)
    before = signal.getsignal(signal.SIGTERM)

    def terminate_when_ready() -> None:
        if wait_for(lambda: all((tmp_path / f"{name}.ready").exists() for name in "ab")):
            time.sleep(0.3)  # past start_all: the URLs get printed
        os.kill(os.getpid(), signal.SIGTERM)

    thread = in_background(terminate_when_ready)
    run_dev_stack(Settings(data_dir=tmp_path / "data"))  # returns: exit code 0
    thread.join()
    assert stopped(tmp_path) == ["b", "a"]
    assert signal.getsignal(signal.SIGTERM) == before
    printed = capsys.readouterr().out
    assert "http://127.0.0.1:8000/docs" in printed
    assert "http://127.0.0.1:8233" in printed
    assert "http://127.0.0.1:8100/admin/records" in printed
    assert str(tmp_path / "data" / "logs") in printed


def test_real_temporal_dev_server_starts_and_stops(tmp_path: Path) -> None:
    port, ui_port = free_port(), free_port()
    settings = Settings(temporal_address=f"127.0.0.1:{port}", temporal_ui_port=ui_port, data_dir=tmp_path)
    part = temporal_part(settings, tmp_path)
    argv = " ".join(part.argv)
    assert f"server start-dev --ip 127.0.0.1 --port {port} --ui-port {ui_port}" in argv
    assert f"--db-filename {tmp_path / 'temporal.db'}" in argv
    assert "--sqlite-pragma journal_mode=wal --sqlite-pragma synchronous=normal" in argv
    manager, out = fast_manager([part], tmp_path, stop_timeout=10)
    try:
        assert manager.start_all()
        assert "starting Temporal dev server… ready" in out.getvalue()
        assert port_open("127.0.0.1", port)()
        assert (tmp_path / "temporal.db").exists()
    finally:
        manager.stop_all()
    assert manager.pid("temporal") is None
    assert not port_open("127.0.0.1", port)()


def test_the_dev_stack_gives_the_stubs_clerk_the_queues_the_registry_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ONETHING_CLERK_DEPARTMENTS", raising=False)
    devstack.stack._clerk_from_registry(Settings(data_dir=tmp_path))
    clerks = os.environ["ONETHING_CLERK_DEPARTMENTS"].split(",")
    monkeypatch.delenv("ONETHING_CLERK_DEPARTMENTS")  # set by the function, not by monkeypatch: undone here
    assert "cdc" in clerks
    assert "health" not in clerks  # its staff work the queue in the demo

    monkeypatch.setenv("ONETHING_CLERK_DEPARTMENTS", "")  # an operator's choice (none) wins
    devstack.stack._clerk_from_registry(Settings(data_dir=tmp_path))
    assert os.environ["ONETHING_CLERK_DEPARTMENTS"] == ""


def test_a_restarted_part_that_never_gets_ready_is_reported_once(tmp_path: Path) -> None:
    started = sleeper(tmp_path, "hung")
    broken = tmp_path / "broken"
    ready = tmp_path / "hung.ready"  # touched by the sleeper at every start
    hung = Part("hung", started.argv, lambda: ready.exists() and not broken.exists(), ready_timeout=0.3)
    out = io.StringIO()
    manager = ProcessManager([hung], tmp_path / "logs", out=out, backoff=0.05, poll_interval=0.02)
    assert manager.start_all()
    broken.touch()  # from now on it runs but never answers, as a part stuck on a lock
    first = manager.pid("hung")
    assert first is not None
    os.kill(first, signal.SIGKILL)

    def watch() -> None:
        wait_for(lambda: "STILL DOWN hung" in out.getvalue())
        time.sleep(0.3)  # more polls: still one report
        manager.request_stop()

    watcher = in_background(watch)
    manager.supervise()
    watcher.join()
    assert out.getvalue().count("STILL DOWN hung: running (pid") == 1
    assert "not ready after 0.3 s" in out.getvalue()
    assert "BACK hung" not in out.getvalue()
