"""Async callbacks (real HTTP, verified signatures), restarts, and the batch pull."""

from __future__ import annotations

import asyncio

import httpx

from core.settings import Settings
from departments.app import create_app
from departments.behaviour import CallbackKey, DepartmentBehaviour
from departments.models import CallbackState
from departments.store import get_record, make_engine
from tests.departments.conftest import SECRET, fast_config, serve, submission
from tests.departments.receiver import Receiver, eventually


async def test_async_callback_is_signed_and_retried_until_taken(settings: Settings) -> None:
    receiver = Receiver(SECRET, statuses=[503, 429])  # the platform is busy twice before it takes it
    with serve(receiver.app()) as platform, serve(create_app(settings, fast_config())) as stub:
        async with httpx.AsyncClient(base_url=stub) as client:
            body = submission("A1:vacc", mode="async_callback", outputs=["vaccination_cert_no"])
            body["callback_url"] = f"{platform}/api/v1/callbacks/cdc"
            reply = (await client.post("/departments/cdc/submissions", json=body)).json()
            assert reply["status"] == "accepted"
            assert reply["output"] is None
            await eventually(lambda: receiver.received)
            final = (await client.get("/departments/cdc/submissions/A1:vacc")).json()
    assert receiver.attempts == 3
    [callback] = receiver.received
    assert callback["department"] == "cdc"
    assert callback["idempotency_key"] == "A1:vacc"
    assert callback["case_no"] == "A1"
    assert callback["item_code"] == "vacc"
    assert callback["receipt_no"] == reply["receipt_no"]
    assert callback["status"] == "completed"
    assert callback["output"]["vaccination_cert_no"].startswith("YM")
    assert callback["reason"] is None
    assert final["status"] == "completed"
    assert final["output"] == callback["output"]


async def test_callback_refused_with_4xx_stops_retrying(settings: Settings) -> None:
    receiver = Receiver(SECRET, statuses=[400, 400, 400])
    with serve(receiver.app()) as platform, serve(create_app(settings, fast_config())) as stub:
        async with httpx.AsyncClient(base_url=stub) as client:
            body = submission("A2:vacc", mode="async_callback", callback_url=f"{platform}/api/v1/callbacks/cdc")
            await client.post("/departments/cdc/submissions", json=body)
            await eventually(lambda: receiver.attempts >= 1)
            await asyncio.sleep(0.5)  # ten backoff periods: a retry would have happened by now
    assert receiver.attempts == 1
    assert receiver.received == []
    record = get_record(make_engine(settings.departments_db_url), department="cdc", key="A2:vacc")
    assert record is not None
    assert record.callback_state == CallbackState.FAILED


async def test_restart_resumes_pending_callbacks(settings: Settings) -> None:
    receiver = Receiver(SECRET, statuses=[503] * 1000)  # the platform is down while the first stub runs
    config = fast_config()
    config.departments["slow"] = DepartmentBehaviour(latency_ms=1500, jitter_ms=0)
    with serve(receiver.app()) as platform:
        callback_url = f"{platform}/api/v1/callbacks/cdc"
        with serve(create_app(settings, config)) as stub:
            async with httpx.AsyncClient(base_url=stub) as client:
                # decided at once, delivery failing:
                await client.post(
                    "/departments/cdc/submissions", json=submission("R1:x", "async_callback", callback_url=callback_url)
                )
                # still undecided when the stub stops:
                callback_slow = callback_url.replace("/cdc", "/slow")
                await client.post(
                    "/departments/slow/submissions",
                    json=submission("R2:x", "async_callback", callback_url=callback_slow),
                )
                await eventually(lambda: receiver.attempts >= 2)
        assert receiver.received == []
        receiver.statuses.clear()  # the platform recovers while the stub is down
        with serve(create_app(settings, config)):  # a new process on the same database file
            await eventually(lambda: len(receiver.received) == 2)
    assert sorted(c["idempotency_key"] for c in receiver.received) == ["R1:x", "R2:x"]
    assert {c["status"] for c in receiver.received} == {"completed"}


async def test_batch_is_decided_by_the_processor_and_pulled(settings: Settings) -> None:
    config = fast_config()
    config.departments["medical"] = DepartmentBehaviour(batch_interval_ms=600, latency_ms=0)
    with serve(create_app(settings, config)) as stub:
        async with httpx.AsyncClient(base_url=stub) as client:
            body = submission("B1:yb", mode="batch", outputs=["medical_insurance_no"])
            reply = (await client.post("/departments/medical/submissions", json=body)).json()
            assert reply["status"] == "accepted"
            assert (await client.get("/departments/medical/submissions/B1:yb")).json()["status"] == "accepted"
            final = await eventually(lambda: _pull(client, "B1:yb"))
    assert final["receipt_no"] == reply["receipt_no"]
    assert final["output"]["medical_insurance_no"].startswith("YB")


async def test_a_batch_submission_with_a_callback_url_is_decided_by_the_batch_run_and_called_back(
    settings: Settings,
) -> None:
    receiver = Receiver(SECRET, statuses=[503])  # busy once: the callback is retried as an async one is
    config = fast_config()
    config.departments["medical"] = DepartmentBehaviour(batch_interval_ms=600, latency_ms=0)
    with serve(receiver.app()) as platform, serve(create_app(settings, config)) as stub:
        async with httpx.AsyncClient(base_url=stub) as client:
            body = submission("B2:yb", mode="batch", outputs=["medical_insurance_no"])
            body["callback_url"] = f"{platform}/api/v1/callbacks/medical"
            reply = (await client.post("/departments/medical/submissions", json=body)).json()
            assert reply["status"] == "accepted"
            await eventually(lambda: receiver.received)
            final = (await client.get("/departments/medical/submissions/B2:yb")).json()
    [callback] = receiver.received
    assert (callback["department"], callback["idempotency_key"]) == ("medical", "B2:yb")
    assert callback["status"] == "completed"
    assert callback["output"] == final["output"]
    assert receiver.attempts == 2
    record = get_record(make_engine(settings.departments_db_url), department="medical", key="B2:yb")
    assert record is not None
    assert record.callback_state == CallbackState.DELIVERED


async def _pull(client: httpx.AsyncClient, key: str) -> dict[str, object] | None:
    reply: dict[str, object] = (await client.get(f"/departments/medical/submissions/{key}")).json()
    return reply if reply["status"] == "completed" else None


ISSUED_KEY = "c0" * 32
"""An issued key as the department is given it: 64 hex characters."""


async def test_a_department_with_an_issued_key_signs_with_it_and_names_it(settings: Settings) -> None:
    receiver = Receiver(SECRET, issued={"cdc": ("dk_0123456789abcdef", bytes.fromhex(ISSUED_KEY))})
    config = fast_config()
    config.callback_keys["cdc"] = CallbackKey(key_id="dk_0123456789abcdef", key=ISSUED_KEY)
    with serve(receiver.app()) as platform, serve(create_app(settings, config)) as stub:
        async with httpx.AsyncClient(base_url=stub) as client:
            body = submission("K1:vacc", mode="async_callback", callback_url=f"{platform}/api/v1/callbacks/cdc")
            await client.post("/departments/cdc/submissions", json=body)
            await eventually(lambda: receiver.received)
    assert receiver.attempts == 1  # verified with the issued key at the first delivery
