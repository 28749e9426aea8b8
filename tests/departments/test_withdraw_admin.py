"""Withdrawals, escalations, listings and per-department config."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest

from core.settings import Settings
from departments.app import create_app
from tests.departments.conftest import SECRET, fast_config, serve, submission
from tests.departments.receiver import Receiver


async def test_withdraw_pending_async_cancels_the_callback(settings: Settings) -> None:
    receiver = Receiver(SECRET)
    with serve(receiver.app()) as platform, serve(create_app(settings, fast_config(latency_ms=800))) as stub:
        async with httpx.AsyncClient(base_url=stub) as client:
            body = submission("W1:x", "async_callback", callback_url=f"{platform}/api/v1/callbacks/cdc")
            await client.post("/departments/cdc/submissions", json=body)
            first = (await client.post("/departments/cdc/submissions/W1:x/withdraw")).json()
            again = (await client.post("/departments/cdc/submissions/W1:x/withdraw")).json()
            await asyncio.sleep(1.2)  # past the latency: a callback would have been sent
            after = (await client.get("/departments/cdc/submissions/W1:x")).json()
            records = (await client.get("/admin/cdc/records")).json()
    assert first["status"] == again["status"] == after["status"] == "withdrawn"
    assert first["receipt_no"] == again["receipt_no"]
    assert after["output"] is None
    assert receiver.attempts == 0
    assert records[0]["withdrawn_at"] is not None
    assert records[0]["decided_at"] is None


async def test_withdraw_after_decision_keeps_it(client: httpx.AsyncClient) -> None:
    decided = (await client.post("/departments/health/submissions", json=submission("W2:birth"))).json()
    reply = (await client.post("/departments/health/submissions/W2:birth/withdraw")).json()
    assert reply["status"] == "completed"
    assert reply["output"] == decided["output"]
    [record] = (await client.get("/admin/health/records")).json()
    assert record["withdrawn_at"] is not None
    assert record["decided_at"] is not None


async def test_withdraw_unknown_key_refuses_a_late_submission(client: httpx.AsyncClient) -> None:
    tomb = (await client.post("/departments/health/submissions/W3:birth/withdraw")).json()
    assert tomb["status"] == "withdrawn"
    assert tomb["submissions"] == 0
    late = (await client.post("/departments/health/submissions", json=submission("W3:birth"))).json()
    assert late["status"] == "withdrawn"
    assert late["receipt_no"] == tomb["receipt_no"]
    assert late["output"] is None
    assert late["submissions"] == 1


async def test_withdraw_pending_batch(client: httpx.AsyncClient) -> None:
    await client.put("/admin/pipe/config", json={"batch_interval_ms": 60_000})
    await client.post("/departments/pipe/submissions", json=submission("W4:x", "batch"))
    assert (await client.post("/departments/pipe/submissions/W4:x/withdraw")).json()["status"] == "withdrawn"
    assert (await client.get("/departments/pipe/submissions/W4:x")).json()["status"] == "withdrawn"


async def test_escalations_are_idempotent(client: httpx.AsyncClient) -> None:
    notice = {"case_no": "E1", "item_code": "hukou", "level": "red", "note": "超过承诺时限 / promised limit passed"}
    first = await client.post("/departments/police/escalations", json=notice)
    second = await client.post("/departments/police/escalations", json=notice)
    await client.post("/departments/police/escalations", json={**notice, "level": "yellow"})
    assert first.status_code == second.status_code == 200
    listed = (await client.get("/admin/police/escalations")).json()
    assert [(e["level"], e["notices"]) for e in listed] == [("red", 2), ("yellow", 1)]
    assert (await client.get("/admin/health/escalations")).json() == []
    bad = await client.post("/departments/police/escalations", json={"case_no": "E1"})
    assert bad.status_code == 422
    assert "item_code" in bad.json()["detail"]


async def test_records_listing(client: httpx.AsyncClient) -> None:
    await client.post("/departments/health/submissions", json=submission("L1:birth"))
    await client.post("/departments/police/submissions", json=submission("L1:hukou"))
    health = (await client.get("/admin/health/records")).json()
    assert len(health) == 1
    assert set(health[0]) == {
        "idempotency_key", "case_no", "item_code", "mode", "receipt_no", "status",
        "submissions", "created_at", "decided_at", "withdrawn_at", "output",
    }  # fmt: skip
    assert health[0]["mode"] == "sync_rest"
    everything = (await client.get("/admin/records")).json()
    assert sorted((r["department"], r["idempotency_key"]) for r in everything) == [
        ("health", "L1:birth"),
        ("police", "L1:hukou"),
    ]


async def test_config_update(client: httpx.AsyncClient) -> None:
    default = (await client.get("/admin/anything_new/config")).json()
    assert default["latency_ms"] == 20  # the test defaults; any department code gets them
    assert set(default) == {
        "latency_ms", "jitter_ms", "failure_rate", "reject_rate", "correction_rate", "outages", "batch_interval_ms",
        "handling_hours", "handling_spread",
    }  # fmt: skip
    updated = (await client.put("/admin/police/config", json={"reject_rate": 0.5})).json()
    assert updated["reject_rate"] == 0.5
    assert updated["latency_ms"] == 20  # left out: back to the default
    assert (await client.get("/admin/police/config")).json() == updated
    assert (await client.get("/admin/health/config")).json() == default
    bad = await client.put("/admin/police/config", json={"reject_rate": 2})
    assert bad.status_code == 422
    assert "reject_rate" in bad.json()["detail"]
    unknown = await client.put("/admin/police/config", json={"latency": 5})
    assert unknown.status_code == 422
    assert "latency" in unknown.json()["detail"]


async def test_no_personal_data_in_logs(client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    await client.put("/admin/police/config", json={"correction_rate": 1.0, "latency_ms": 0})
    await client.post("/departments/police/submissions", json=submission("P1:hukou"))
    await client.post("/departments/police/submissions", json=submission("P1:hukou", mode="batch"))
    await client.post("/departments/police/submissions/P1:hukou/withdraw")
    assert "P1" in caplog.text  # the logs are there...
    assert "310101199001011234" not in caplog.text  # ...without the payload's values
    assert "张三" not in caplog.text
