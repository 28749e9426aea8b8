"""Requests sent in a burst and timed, with `/healthz` sampled meanwhile: one way of measuring a burst for the
fault suite's stalled-burst (cli/chaos_scenarios.py) and tests/e2e/test_api_never_freezes.py."""

from __future__ import annotations

import asyncio
import statistics
import threading
import time
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import Any

import httpx

VACCINATION = "vaccination_certificate"
"""The newborn's item the CDC's staff decide in the platform (standard handling module): a staff decision."""


@dataclass
class Answer:
    status: int | None
    """None: no answer within the client's timeout (or no connection at all)."""
    seconds: float
    body: dict[str, Any]
    retry_after: str | None = None


async def timed(call: Callable[[], Awaitable[httpx.Response]]) -> Answer:
    began = time.perf_counter()
    try:
        response = await call()
    except httpx.HTTPError:
        return Answer(None, time.perf_counter() - began, {})
    body = response.json() if response.headers.get("content-type", "").endswith("json") else {}
    return Answer(response.status_code, time.perf_counter() - began, body, response.headers.get("Retry-After"))


class Sampler:
    """GETs `url` every `every` seconds (the next once the last is answered) from a thread of its own while in
    its `with` block. Not a task beside the burst: the burst's clients would share its event loop, and the time
    they take to handle their answers would be counted as the server's."""

    def __init__(self, url: str, every: float, timeout: float = 30.0) -> None:
        self.url = url
        self.answers: list[Answer] = []
        self._every = every
        self._timeout = timeout
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sampler", daemon=True)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        with httpx.Client(timeout=self._timeout, trust_env=False) as client:
            while not self._stop.is_set():
                began = time.perf_counter()
                try:
                    status: int | None = client.get(self.url).status_code
                except httpx.HTTPError:
                    status = None
                self.answers.append(Answer(status, time.perf_counter() - began, {}))
                self._stop.wait(self._every)


def latency_ms(answers: list[Answer]) -> tuple[float, float, float]:
    """(median, p99, max) of the answers' seconds, in milliseconds."""
    seconds = sorted(answer.seconds for answer in answers) or [0.0]
    p99 = statistics.quantiles(seconds, n=100, method="inclusive")[98] if len(seconds) > 1 else seconds[0]
    return statistics.median(seconds) * 1000, p99 * 1000, seconds[-1] * 1000


async def wait_queued(staff: httpx.AsyncClient, case_nos: Collection[str], within: float) -> set[str]:
    """The cases among `case_nos` in the staff member's queue once all are there or `within` has passed."""
    deadline = time.monotonic() + within
    queued: set[str] = set()
    while time.monotonic() < deadline:
        queue = (await staff.get("/api/v1/staff/queue")).json()["items"]
        queued = {entry["case_no"] for entry in queue} & set(case_nos)
        if len(queued) == len(case_nos):
            break
        await asyncio.sleep(0.3)
    return queued


def approve_vaccination(staff: httpx.AsyncClient, case_no: str) -> Callable[[], Awaitable[httpx.Response]]:
    """The CDC clerk's approval of the case's vaccination certificate, to be sent (and timed) later."""
    decision = {"decision": "approve", "output": {"vaccination_cert_no": f"YM-{case_no}"}}
    url = f"/api/v1/staff/items/{case_no}/{VACCINATION}/decision"
    return lambda: staff.post(url, json=decision)
