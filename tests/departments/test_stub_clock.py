"""The stubs' simulated clock: handling time, batch runs and outages in simulated hours (PUT /admin/clock)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from core.settings import Settings
from departments.app import create_app
from tests.departments.conftest import SECRET, fast_config, serve, submission
from tests.departments.receiver import Receiver, eventually

MONDAY = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)


async def test_async_decision_waits_for_the_simulated_handling_time(settings: Settings) -> None:
    receiver = Receiver(SECRET, statuses=[])
    with serve(receiver.app()) as platform, serve(create_app(settings, fast_config())) as stub:
        async with httpx.AsyncClient(base_url=stub) as client:
            await client.put("/admin/public_security/config", json={"latency_ms": 0, "handling_hours": 30})
            clock = (await client.put("/admin/clock", json={"now": MONDAY.isoformat()})).json()
            assert clock["simulated"] is True
            body = submission("C1:hukou", mode="async_callback", outputs=["hukou_no"])
            body["callback_url"] = f"{platform}/api/v1/callbacks/public_security"
            await client.post("/departments/public_security/submissions", json=body)
            await client.put("/admin/clock", json={"now": (MONDAY + timedelta(hours=29)).isoformat()})
            pending = (await client.get("/departments/public_security/submissions/C1:hukou")).json()
            assert pending["status"] == "accepted"  # 29 simulated hours: the people are not done yet
            moved = (await client.put("/admin/clock", json={"now": (MONDAY + timedelta(hours=31)).isoformat()})).json()
            await eventually(lambda: receiver.received)
            idle = (await client.get("/admin/clock")).json()
            [record] = (await client.get("/admin/public_security/records")).json()
    assert receiver.received[0]["status"] == "completed"
    assert moved["callbacks_owed"] in (0, 1)
    assert idle["callbacks_owed"] == 0
    decided = datetime.fromisoformat(record["decided_at"])
    assert MONDAY + timedelta(hours=31) <= decided < MONDAY + timedelta(hours=32)  # stamped in simulated time


async def test_clock_never_goes_back_once_simulated(client: httpx.AsyncClient) -> None:
    first = (await client.put("/admin/clock", json={"now": MONDAY.isoformat()})).json()
    again = (await client.put("/admin/clock", json={"now": (MONDAY - timedelta(days=1)).isoformat()})).json()
    assert datetime.fromisoformat(first["now"]) >= MONDAY
    assert datetime.fromisoformat(again["now"]) >= MONDAY
    bad = await client.put("/admin/clock", json={"now": "yesterday"})
    assert bad.status_code == 422
    assert "now" in bad.text


async def test_batch_runs_and_outages_follow_the_simulated_clock(client: httpx.AsyncClient) -> None:
    day = 24 * 3_600_000
    outage = {"start": (MONDAY + timedelta(hours=2)).isoformat(), "end": (MONDAY + timedelta(hours=3)).isoformat()}
    await client.put(
        "/admin/human_resources/config",
        json={"handling_hours": 5, "batch_interval_ms": day, "outages": [outage]},
    )
    await client.put("/admin/clock", json={"now": MONDAY.isoformat()})
    await client.post("/departments/human_resources/submissions", json=submission("B1:card", mode="batch"))
    await client.put("/admin/clock", json={"now": (MONDAY + timedelta(hours=2, minutes=30)).isoformat()})
    during = await client.get("/departments/human_resources/submissions/B1:card")
    assert during.status_code == 503  # the outage window is in simulated time
    await client.put("/admin/clock", json={"now": (MONDAY + timedelta(hours=12)).isoformat()})
    waiting = (await client.get("/departments/human_resources/submissions/B1:card")).json()
    assert waiting["status"] == "accepted"  # handled by now, but the daily batch has not run yet
    await client.put("/admin/clock", json={"now": (MONDAY + timedelta(hours=25)).isoformat()})
    done = (await client.get("/departments/human_resources/submissions/B1:card")).json()
    assert done["status"] == "completed"  # decided by the batch run the clock's move triggered
