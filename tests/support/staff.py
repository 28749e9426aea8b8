"""Acting as a department's staff in the platform's standard handling module, through the real API."""

from __future__ import annotations

import asyncio

import httpx


async def approve_queue(staff: httpx.AsyncClient, stop: asyncio.Event, case_nos: set[str] | None = None) -> int:
    """Approves every queued item (of the given cases) until `stop` is set; returns how many."""
    approved = 0
    while not stop.is_set():
        queue = (await staff.get("/api/v1/staff/queue")).json()["items"]
        for entry in queue:
            if case_nos is not None and entry["case_no"] not in case_nos:
                continue
            output = {name: f"{name.upper()}-{entry['case_no']}" for name in entry["outputs"]}
            response = await staff.post(
                f"/api/v1/staff/items/{entry['case_no']}/{entry['item_code']}/decision",
                json={"decision": "approve", "output": output},
            )
            approved += response.status_code == 200
        await asyncio.sleep(0.2)
    return approved
