"""Free loopback ports for the stacks that tests, the fault suite, the simulation and benchmarks start.

Asking the kernel for port 0 hands out a port of the ephemeral range, the same range every outgoing
connection takes its local port from; between the probe and the server's bind, another process (a
parallel test worker, a client connection) can take it, and a server then fails with "Address already in
use" (seen with two pytest workers: a worker's Prometheus exporter). So ports come from below the
ephemeral range, which outgoing connections never use, from a slice of their own per pytest-xdist worker,
and never twice from one process.
"""

from __future__ import annotations

import os
import random
import socket
import threading
from pathlib import Path

LOWEST = 15000
_handed_out: set[int] = set()
_lock = threading.Lock()


def free_port() -> int:
    """A loopback port nothing listens on, not handed out before by this process, in this worker's slice."""
    low, high = _slice()
    with _lock:
        for _ in range(500):
            port = random.randrange(low, high)
            if port not in _handed_out and _bindable(port):
                _handed_out.add(port)
                return port
    raise RuntimeError(f"no free port between {low} and {high}")


def _slice() -> tuple[int, int]:
    ephemeral = _ephemeral_start()
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    index = int(worker) if worker.isdigit() else 0
    top = ephemeral if ephemeral - LOWEST >= 2000 else 65000  # a system whose ephemeral range starts low
    width = (top - LOWEST) // max(workers, 1)
    low = LOWEST + index * width
    return low, low + width


def _ephemeral_start() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
