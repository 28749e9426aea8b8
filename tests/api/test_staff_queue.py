"""The standard handling module through the real API: a department's queue, claims, decisions, isolation."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from core.auth import Role
from tests.api.test_case_actions import application
from tests.support.stack import running_stack

pytestmark = pytest.mark.e2e


async def test_claim_decide_and_department_isolation(dev_env, data_dir: Path) -> None:
    async with running_stack(dev_env.client, data_dir) as stack:
        citizen = stack.as_user(Role.CITIZEN, "citizen-staff-queue")
        first = stack.as_user(Role.STAFF, "clerk-a", department="cdc")
        second = stack.as_user(Role.STAFF, "clerk-b", department="cdc")
        health = stack.as_user(Role.STAFF, "clerk-h", department="health")
        case_no = (await citizen.post("/api/v1/applications", json=application())).json()["case_no"]
        queue: list = []
        for _ in range(100):  # in the queue once projected; its deadline is computed beside it, a moment later
            queue = (await first.get("/api/v1/staff/queue")).json()["items"]
            if queue and queue[0]["due_at"]:
                break
            await asyncio.sleep(0.2)
        [entry] = queue
        assert (entry["case_no"], entry["item_code"], entry["light"]) == (case_no, "vaccination_certificate", "green")
        assert entry["due_at"]
        assert entry["claimed_by"] is None
        assert entry["outputs"] == ["vaccination_cert_no"]
        assert (await health.get("/api/v1/staff/queue")).json()["items"] == []  # CDC's work is not theirs

        item = f"/api/v1/staff/items/{case_no}/vaccination_certificate"
        assert (await health.post(f"{item}/claim")).status_code == 404
        claimed = await first.post(f"{item}/claim")
        assert claimed.status_code == 200
        assert claimed.json()["staff"] == "clerk-a"
        assert (await first.post(f"{item}/claim")).status_code == 200  # claiming again is harmless
        taken = await second.post(f"{item}/claim")
        assert taken.status_code == 409
        assert "colleague" in taken.json()["detail"]
        assert (await second.post(f"{item}/decision", json={"decision": "approve"})).status_code == 409
        assert (await first.get("/api/v1/staff/queue")).json()["items"][0]["claimed_by"] == "clerk-a"

        # The application, read from the workflow by a query; the read is on the citizen's access log.
        read = await first.get(item)
        assert read.status_code == 200, read.text
        assert (read.json()["item_code"], read.json()["round"]) == ("vaccination_certificate", 0)
        assert read.json()["inputs"]
        assert (await health.get(item)).status_code == 404
        reads = (await citizen.get("/api/v1/me/data-access")).json()["entries"]
        assert [(r["case_no"], r["reader"], r["what"], r["purpose"]) for r in reads] == [
            (case_no, "clerk-a", "form", "handling")
        ]

        missing = await first.post(f"{item}/decision", json={"decision": "approve"})
        assert missing.status_code == 422  # incomplete, not a conflict: the field to fill in is named
        assert "vaccination_cert_no" in missing.json()["detail"]
        assert missing.json()["errors"][0]["field"] == "output.vaccination_cert_no"
        unknown = await first.post(f"{item}/decision", json={"decision": "maybe"})
        assert unknown.status_code == 422
        assert unknown.json()["errors"][0]["field"] == "decision"
        approved = await first.post(
            f"{item}/decision", json={"decision": "approve", "output": {"vaccination_cert_no": "YM0000000001"}}
        )
        assert approved.status_code == 200, approved.text
        case = await stack.wait_case(citizen, case_no, {"completed"})
        vaccination = next(i for i in case["items"] if i["code"] == "vaccination_certificate")
        assert vaccination["output"] == {"vaccination_cert_no": "YM0000000001"}
        for client in (citizen, first, second, health):
            await client.aclose()
