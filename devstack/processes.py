"""A small process manager: start parts in order, restart the ones that die, stop them in reverse order.

The parts are data (`Part(name, argv, ready_check)`), so the logic is tested with plain `python -c`
children; `devstack.stack` fills it with the embedded stack. Each child runs in its own session (a
terminal's Ctrl-C reaches only the manager, which then stops the children in reverse order) and its
stdout and stderr are appended to `<log_dir>/<name>.log`.

Once started, the stack degrades instead of dying: a part that exits is restarted after a delay that
doubles with each exit in a row (capped at `max_backoff`) and goes back to `backoff` once the part has
stayed up for `failure_window` seconds. Every exit is reported with the part, its restart count, its exit
code and its log file; a part is reported back once its ready check answers again (or, without a check,
once it has run `settle` seconds). The other parts keep serving meanwhile; `status()` says which are down.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TextIO

import httpx

ReadyCheck = Callable[[], bool]


@dataclass(frozen=True)
class Part:
    name: str
    """Short name, also the log file name."""
    argv: Sequence[str]
    ready_check: ReadyCheck | None = None
    """Answers True once the part serves; None means started is ready."""
    title: str = ""
    ready_timeout: float = 60.0

    @property
    def label(self) -> str:
        return self.title or self.name


class StartupError(Exception):
    """A part died or did not become ready while the stack was starting."""


def port_open(host: str, port: int) -> ReadyCheck:
    def check() -> bool:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            return False

    return check


def http_ok(url: str) -> ReadyCheck:
    def check() -> bool:
        try:
            # trust_env=False: a proxy from the environment must not intercept loopback checks.
            return httpx.get(url, timeout=1.0, trust_env=False).status_code == 200
        except httpx.HTTPError:
            return False

    return check


def _die_with_parent() -> None:
    """Runs in the child before exec: if the manager is killed outright, the child gets SIGTERM."""
    if sys.platform == "linux":
        pr_set_pdeathsig = 1
        ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGTERM)


@dataclass(frozen=True)
class PartStatus:
    """What `onething dev` reports about one part."""

    name: str
    label: str
    up: bool
    """Running and, after a restart, ready again."""
    restarts: int
    last_exit_code: int | None
    log: Path
    down_for: float | None
    """Seconds since it last exited, while it is down."""


@dataclass
class _Child:
    part: Part
    proc: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restart_at: float | None = None
    down_since: float | None = None
    """Set at an exit, cleared when the restarted process is ready: the part is down in between."""
    exits_in_a_row: int = 0
    restarts: int = 0
    last_exit_code: int | None = None
    stuck_reported: bool = False
    """A restarted process that runs but never gets ready is reported once, not at every poll."""


class ProcessManager:
    """Drive it from one long-lived thread (the main one in `onething dev`): children are tied to the
    thread that spawned them (PR_SET_PDEATHSIG), and `request_stop` is safe from a signal handler."""

    def __init__(
        self,
        parts: Sequence[Part],
        log_dir: Path,
        *,
        out: TextIO | None = None,
        backoff: float = 1.0,
        max_backoff: float = 30.0,
        failure_window: float = 60.0,
        settle: float = 3.0,
        stop_timeout: float = 10.0,
        poll_interval: float = 0.2,
    ) -> None:
        self._children = [_Child(part) for part in parts]
        self.log_dir = log_dir
        self._out = out if out is not None else sys.stdout
        self._backoff = backoff
        self._max_backoff = max_backoff
        self._failure_window = failure_window
        self._settle = settle
        self._stop_timeout = stop_timeout
        self._poll = poll_interval
        # A plain flag, not a threading.Event: it is set from signal handlers, which must not take locks.
        self._stop_requested = False

    def request_stop(self) -> None:
        self._stop_requested = True

    def pid(self, name: str) -> int | None:
        """The pid of a part's current process, if it runs."""
        proc = next(child.proc for child in self._children if child.part.name == name)
        return proc.pid if proc is not None and proc.poll() is None else None

    def log_path(self, part: Part) -> Path:
        return self.log_dir / f"{part.name}.log"

    def status(self) -> list[PartStatus]:
        now = time.monotonic()
        return [
            PartStatus(
                name=child.part.name,
                label=child.part.label,
                up=child.down_since is None and child.proc is not None and child.proc.poll() is None,
                restarts=child.restarts,
                last_exit_code=child.last_exit_code,
                log=self.log_path(child.part),
                down_for=None if child.down_since is None else now - child.down_since,
            )
            for child in self._children
        ]

    def start_all(self) -> bool:
        """Start the parts in order, each after the previous one is ready.

        False when a stop was requested meanwhile; StartupError when a part died or never got ready.
        """
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for child in self._children:
            if self._stop_requested:
                return False
            part = child.part
            if part.ready_check is not None and part.ready_check():
                raise StartupError(f"something already answers where {part.label} should: is a stack running?")
            self._write(f"starting {part.label}… ")
            self._spawn(child)
            if not self._wait_ready(child):
                self._write("interrupted\n")
                return False
            self._write(f"ready ({time.monotonic() - child.started_at:.1f} s)\n")
        return True

    def supervise(self) -> int:
        """Restart parts that die, each on its own backoff, until a stop is requested; then stop all (0).

        One part crash-looping never stops the others: it is reported at each exit and retried for ever,
        at most every `max_backoff` seconds, so fixing its cause (a port, a file) brings it back by itself.
        """
        try:
            while not self._stop_requested:
                for child in self._children:
                    self._tend(child)
                time.sleep(self._poll)
            return 0
        finally:
            self.stop_all()

    def stop_all(self) -> None:
        for child in reversed(self._children):
            child.restart_at = None
            proc = child.proc
            if proc is None or proc.poll() is not None:
                continue
            began = time.monotonic()
            self._write(f"stopping {child.part.label}… ")
            self._signal(proc, signal.SIGTERM)
            try:
                proc.wait(self._stop_timeout)
            except subprocess.TimeoutExpired:
                self._write(f"no exit after {self._stop_timeout:.0f} s, killing… ")
                self._signal(proc, signal.SIGKILL)
                proc.wait()
            self._write(f"stopped ({time.monotonic() - began:.1f} s)\n")

    def _spawn(self, child: _Child) -> None:
        path = self.log_path(child.part)
        with path.open("ab") as log:
            log.write(f"\n=== {datetime.now().isoformat(timespec='seconds')} {' '.join(child.part.argv)}\n".encode())
            log.flush()
            child.proc = subprocess.Popen(
                list(child.part.argv),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,  # only tiny ctypes work between fork and exec
            )
        child.started_at = time.monotonic()
        child.restart_at = None
        child.stuck_reported = False

    def _wait_ready(self, child: _Child) -> bool:
        part, proc = child.part, child.proc
        assert proc is not None
        while part.ready_check is not None and not part.ready_check():
            if self._stop_requested:
                return False
            if proc.poll() is not None:
                self._write("failed\n")
                raise StartupError(f"{part.label} exited with code {proc.returncode}{self._tail(part)}")
            if time.monotonic() - child.started_at > part.ready_timeout:
                self._write("failed\n")
                raise StartupError(f"{part.label} not ready after {part.ready_timeout:.0f} s{self._tail(part)}")
            time.sleep(0.1)
        return True

    def _tend(self, child: _Child) -> None:
        """Notice an exit, perform a due restart, notice a restarted part being ready again."""
        now = time.monotonic()
        proc = child.proc
        if child.restart_at is not None:
            if now >= child.restart_at:
                self._spawn(child)
                child.restarts += 1
            return
        if proc is None:
            return
        if proc.poll() is None:
            if child.down_since is not None and self._ready_again(child, now):
                self._back(child, now)
            elif child.down_since is not None and self._stuck(child, now):
                self._say(
                    f"STILL DOWN {child.part.label}: running (pid {proc.pid}) but not ready after "
                    f"{child.part.ready_timeout:g} s; log {self.log_path(child.part)}"
                )
                child.stuck_reported = True
            return
        self._down(child, proc.returncode, now)

    def _stuck(self, child: _Child, now: float) -> bool:
        return not child.stuck_reported and now - child.started_at > child.part.ready_timeout

    def _ready_again(self, child: _Child, now: float) -> bool:
        check = child.part.ready_check
        if check is None:
            return now - child.started_at >= self._settle
        return check()

    def _down(self, child: _Child, code: int, now: float) -> None:
        if now - child.started_at >= self._failure_window:
            child.exits_in_a_row = 0  # it had been stable: this exit starts the backoff afresh
        delay = min(self._backoff * 2**child.exits_in_a_row, self._max_backoff)
        child.exits_in_a_row += 1
        child.last_exit_code = code
        if child.down_since is None:
            child.down_since = now
        child.restart_at = now + delay
        others = [c.part.label for c in self._children if c is not child and c.down_since is None]
        self._say(
            f"DOWN {child.part.label}: exited with code {code} ({child.restarts} restarts so far); "
            f"restarting in {delay:.1f} s; log {self.log_path(child.part)}"
            + (f"; still serving: {', '.join(others)}" if others else "")
        )

    def _back(self, child: _Child, now: float) -> None:
        assert child.proc is not None
        assert child.down_since is not None
        self._say(
            f"BACK {child.part.label} (pid {child.proc.pid}) after {now - child.down_since:.1f} s down, "
            f"{child.restarts} restarts so far"
        )
        child.down_since = None

    @staticmethod
    def _signal(proc: subprocess.Popen[bytes], signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signum)  # the whole session: a part's own children go too

    def _tail(self, part: Part, lines: int = 15) -> str:
        try:
            text = self.log_path(part).read_text(errors="replace").splitlines()[-lines:]
        except OSError:
            return ""
        return f"; last lines of {self.log_path(part)}:\n" + "\n".join("  " + line for line in text)

    def _say(self, message: str) -> None:
        self._write(f"[{datetime.now():%H:%M:%S}] {message}\n")

    def _write(self, text: str) -> None:
        self._out.write(text)
        self._out.flush()
