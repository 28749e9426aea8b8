"""Status reads at a fixed request rate (open loop), for `onething bench`.

A closed loop (send, wait, send) slows down with the server and hides its queueing; here each request has
its scheduled time, `i / rate` after the start, and is sent then whatever the earlier ones are doing. Its
latency counts from the scheduled time, so time spent waiting for a connection of the client's own pool is
counted too. A request whose time comes while `max_outstanding` are still unanswered is not sent and
counted as missed; one the reader itself sends more than 5 ms late (its own event loop was busy)
is counted as late. Achieved rate = answers / seconds from the first scheduled send to the last answer.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import asdict, dataclass
from typing import Any

import httpx

from benchmarks.bench_stats import quantile

LATE_SECONDS = 0.005


@dataclass
class ReadFigures:
    target_per_s: float
    seconds: float
    scheduled: int
    sent: int
    missed: int
    late: int
    errors: int
    achieved_per_s: float
    p50_ms: float
    p99_ms: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


async def read_at_rate(
    api: httpx.AsyncClient, paths: list[str], rate: float, seconds: float, max_outstanding: int = 512
) -> ReadFigures:
    loop = asyncio.get_running_loop()
    scheduled = max(1, round(rate * seconds))
    latencies: list[float] = []
    errors = missed = late = 0
    outstanding: set[asyncio.Task[None]] = set()
    chooser = random.Random(15)  # a fixed spread over the cases, not a fixed order

    async def one(path: str, at: float) -> None:
        nonlocal errors
        try:
            response = await api.get(path)
            if response.status_code != 200:
                errors += 1
        except httpx.HTTPError:
            errors += 1
            return
        latencies.append(loop.time() - at)

    start = loop.time() + 0.05
    for index in range(scheduled):
        at = start + index / rate
        delay = at - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        if len(outstanding) >= max_outstanding:
            missed += 1
            continue
        late += loop.time() - at > LATE_SECONDS
        task = asyncio.create_task(one(chooser.choice(paths), at))
        outstanding.add(task)
        task.add_done_callback(outstanding.discard)
    if outstanding:
        await asyncio.wait(set(outstanding))
    elapsed = loop.time() - start
    return ReadFigures(
        target_per_s=rate,
        seconds=seconds,
        scheduled=scheduled,
        sent=scheduled - missed,
        missed=missed,
        late=late,
        errors=errors,
        achieved_per_s=len(latencies) / elapsed if elapsed > 0 else 0.0,
        p50_ms=quantile(latencies, 0.50) * 1000,
        p99_ms=quantile(latencies, 0.99) * 1000,
    )
