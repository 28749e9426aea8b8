"""`onething api` with ONETHING_API_WORKERS=2: two uvicorn worker processes on one port, as an operator runs it.

What N processes must not change for a client: the rate limit an operator set is the limit a client meets
(counted across the processes, not per process), /metrics gives the API's totals whichever process answers the
scrape, and both start on one empty database (each seeds the demo data or finds it seeded). Each check is made
on connections whose serving process is known (psutil finds which worker holds the connection's socket), so the
processes shown to share a count really are two.
"""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psutil
import pytest
from prometheus_client.parser import text_string_to_metric_families

from core.ports import free_port
from tests.support.db import migrate_data_dir, process_environment, settings_for

pytestmark = pytest.mark.e2e

LIMIT = 5


@contextmanager
def api_with_two_workers(tmp_path: Path) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    settings = settings_for(migrate_data_dir(tmp_path / "data"))
    port = free_port()
    environment = {
        **os.environ,
        **process_environment(settings),
        "ONETHING_API_PORT": str(port),
        "ONETHING_API_WORKERS": "2",
        "ONETHING_RATE_LIMIT_VERIFY": f"{LIMIT}/minute",
        "ONETHING_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",  # nothing there: none of this needs a case
    }
    log = tmp_path / "api.log"
    argv = [sys.executable, "-c", "from cli.main import main; main()", "api"]
    api = subprocess.Popen(argv, env=environment, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while len(_workers(api)) < 2 or not _answers(port):
            assert api.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, f"the API did not serve in time: {log.read_text()[-3000:]}"
            time.sleep(0.3)
        yield port, api
    finally:
        api.send_signal(signal.SIGTERM)  # as an orchestrator stops it: the supervisor stops its workers
        try:
            api.wait(timeout=40)
        except subprocess.TimeoutExpired:
            api.kill()
            api.wait()


def _workers(api: subprocess.Popen[bytes]) -> list[int]:
    """uvicorn's worker processes (multiprocessing's resource tracker is a child too, and serves nothing)."""
    children = psutil.Process(api.pid).children()
    return [child.pid for child in children if "spawn_main" in " ".join(child.cmdline())]


def _answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def _server_of(connection: http.client.HTTPConnection, workers: list[int]) -> int | None:
    assert connection.sock is not None
    client_port = connection.sock.getsockname()[1]
    for pid in workers:
        for held in psutil.Process(pid).net_connections(kind="tcp"):
            if held.raddr and held.raddr.port == client_port:
                return pid
    return None


def connections_to_each_worker(port: int, workers: list[int]) -> dict[int, http.client.HTTPConnection]:
    """One open keep-alive connection served by each worker: new connections until each has taken one (the
    kernel hands each to whichever process accepts first)."""
    held: dict[int, http.client.HTTPConnection] = {}
    for _ in range(400):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/healthz")
        connection.getresponse().read()
        pid = _server_of(connection, workers)
        if pid is not None and pid not in held:
            held[pid] = connection
        else:
            connection.close()
        if len(held) == len(workers):
            return held
    raise AssertionError(f"only {sorted(held)} of {workers} took a connection in 400 tries")


def get(connection: http.client.HTTPConnection, path: str) -> tuple[int, bytes]:
    connection.request("GET", path)
    response = connection.getresponse()
    return response.status, response.read()


def counter(exposition: bytes, name: str, **labels: str) -> float:
    return sum(
        sample.value
        for family in text_string_to_metric_families(exposition.decode())
        for sample in family.samples
        if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())
    )


def test_two_api_worker_processes_share_rate_limits_and_metrics(tmp_path: Path) -> None:
    with api_with_two_workers(tmp_path) as (port, api):
        first, second = connections_to_each_worker(port, workers := _workers(api)).values()
        assert len(set(workers)) == 2
        # Licence checks from one client address, 2 through one process and 4 through the other: the limit
        # of 5 refuses the 6th, which neither process alone has reached.
        statuses = [get(first, "/verify/NO-SUCH-CODE")[0] for _ in range(2)]
        statuses += [get(second, "/verify/NO-SUCH-CODE")[0] for _ in range(4)]
        assert statuses == [404] * LIMIT + [429]
        refused, _ = get(first, "/verify/NO-SUCH-CODE")
        assert refused == 429

        # Every count of a rate-limited request deletes the windows that ended (persistence/rate_limits.py):
        # 7 deletes over both processes, which each process's scrape reports whole.
        scrapes = [get(connection, "/metrics")[1] for connection in (first, second)]
        deletes = [counter(text, "onething_sql_statements_total", statement="delete") for text in scrapes]
        assert deletes[0] == deletes[1] >= 7
        first.close()
        second.close()
