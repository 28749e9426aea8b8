"""An auto-clerk for the platform's standard handling module (departments without a system of their own).

It plays the department's staff: polls the staff queue with a staff token per department and approves
each item after a latency, with the same licence numbers a stub department would issue. It is a client of
the platform API like any browser, so the API being down (e.g. still starting) is normal: it retries
quietly with backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import httpx

from core.auth import Principal, Role, issue_token
from core.settings import Settings
from departments.outputs import generate_outputs

log = logging.getLogger("onething.departments.clerk")
TOKEN_TTL_SECONDS = 3600
ItemKey = tuple[str, str]


class Clerk:
    def __init__(self, settings: Settings, http: httpx.AsyncClient, latency_ms: int) -> None:
        self._settings = settings
        self._http = http
        self._latency = latency_ms / 1000
        self._seen: dict[str, set[ItemKey]] = {}
        """Items handled or in hand, forgotten once they leave the queue so a resubmission is handled again."""
        self._tasks: dict[tuple[str, ItemKey], asyncio.Task[None]] = {}

    def _headers(self, department: str) -> dict[str, str]:
        principal = Principal(role=Role.STAFF, subject=f"clerk-{department}", department=department)
        token = issue_token(self._settings.secret_key, principal, ttl_seconds=TOKEN_TTL_SECONDS)
        return {"Authorization": f"Bearer {token}"}

    async def poll(self, department: str) -> None:
        """Fetch the queue and take the new items in hand; raises httpx.HTTPError when the API is unusable."""
        url = f"{self._settings.api_url}/api/v1/staff/queue"
        response = await self._http.get(url, headers=self._headers(department))
        response.raise_for_status()
        items: list[dict[str, Any]] = response.json().get("items", [])
        current = {(str(item["case_no"]), str(item["item_code"])) for item in items}
        seen = self._seen.setdefault(department, set())
        seen &= current | {key for (dept, key) in self._tasks if dept == department}
        for item in items:
            key = (str(item["case_no"]), str(item["item_code"]))
            if key in seen:
                continue
            seen.add(key)
            outputs = [str(name) for name in item.get("outputs") or []]
            task = asyncio.create_task(self._decide(department, key, outputs))
            self._tasks[(department, key)] = task

    async def _decide(self, department: str, key: ItemKey, outputs: list[str]) -> None:
        case_no, item_code = key
        try:
            await asyncio.sleep(self._latency)
            body = {
                "decision": "approve",
                "output": generate_outputs(department, f"{case_no}:{item_code}", outputs),
                "reason": None,
            }
            url = f"{self._settings.api_url}/api/v1/staff/items/{case_no}/{item_code}/decision"
            response = await self._http.post(url, json=body, headers=self._headers(department))
            status = response.status_code
            if response.is_success:
                log.info("clerk %s approved %s %s (%d)", department, case_no, item_code, status)
            elif status == 409:
                # Not open for a decision just now. Decided meanwhile (an earlier try, a colleague), it leaves the
                # queue and is not seen again; still queued (a decision answered 503 and lost with a killed worker
                # was then refused on its retry: docs/reliability.md), it is decided again, as staff would.
                log.info("clerk %s: %s %s not open for a decision (409); looking again", department, case_no, item_code)
                self._seen.get(department, set()).discard(key)
            elif 400 <= status < 500:
                # Retrying an item the API refuses would only repeat the refusal; it stays skipped.
                log.warning("clerk %s: decision on %s %s refused with %d", department, case_no, item_code, status)
            else:
                self._seen.get(department, set()).discard(key)  # a 5xx: try again on a later poll
        except httpx.HTTPError:
            self._seen.get(department, set()).discard(key)
        finally:
            self._tasks.pop((department, key), None)

    async def aclose(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def run_clerk(
    settings: Settings,
    departments: list[str],
    stop: asyncio.Event,
    latency_ms: int = 500,
    poll_ms: int = 1000,
    max_backoff_ms: int = 30_000,
) -> None:
    """Serve the departments' queues until `stop` is set."""
    if not departments:
        return
    async with httpx.AsyncClient(timeout=10) as http:
        clerk = Clerk(settings, http, latency_ms)
        delay = poll_ms
        reachable = True
        log.info("clerk serving %s against %s", ",".join(departments), settings.api_url)
        try:
            while not stop.is_set():
                failures = 0
                for department in departments:
                    try:
                        await clerk.poll(department)
                    except (httpx.HTTPError, ValueError, KeyError, TypeError) as error:
                        failures += 1
                        if reachable:
                            log.warning("clerk: platform API not usable (%s); retrying quietly", type(error).__name__)
                        reachable = False
                if failures == 0:
                    if not reachable:
                        log.info("clerk: platform API reachable again")
                    reachable, delay = True, poll_ms
                else:
                    delay = min(max_backoff_ms, delay * 2)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=delay / 1000)
        finally:
            await clerk.aclose()
