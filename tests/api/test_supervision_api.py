"""Supervision through the real API on a real newborn case: the board, roles, the drill-down and 督办."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from core.auth import Role
from core.metrics import ESCALATIONS
from tests.api.test_case_actions import application
from tests.support.scrape import sample
from tests.support.stack import running_stack

pytestmark = pytest.mark.e2e

MOTHER = "demo-mother-1"
"""The main demo resident: hukou in 徐汇区."""


async def test_board_roles_drill_down_and_escalation(dev_env, data_dir: Path) -> None:
    async with running_stack(dev_env.client, data_dir) as stack:
        for department in ("health", "public_security", "human_resources", "medical_insurance"):
            await stack.configure(department, latency_ms=20, jitter_ms=0, batch_interval_ms=200)
        citizen = stack.as_user(Role.CITIZEN, MOTHER)
        supervisor = stack.as_user(Role.SUPERVISOR, "supervisor-1")
        leader = stack.as_user(Role.LEADER, "leader-1")
        staff = stack.as_user(Role.STAFF, "clerk-cdc", department="cdc")
        case_no = (await citizen.post("/api/v1/applications", json=application())).json()["case_no"]
        # The vaccination certificate waits for CDC staff (no auto-clerk here); everything else completes.
        for _ in range(200):
            case = (await citizen.get(f"/api/v1/applications/{case_no}")).json()
            others = [item["status"] for item in case["items"] if item["code"] != "vaccination_certificate"]
            if set(others) == {"completed"}:
                break
            await asyncio.sleep(0.2)
        assert set(others) == {"completed"}

        for outsider in (citizen, staff):
            response = await outsider.get("/api/v1/supervision/board")
            assert response.status_code == 403
            assert "supervisor" in response.json()["detail"]
        board = (await leader.get("/api/v1/supervision/board")).json()
        cdc = next(row for row in board["item_lights"]["department"] if row["key"] == "cdc")
        assert (cdc["running"], cdc["green"]) == (1, 1)
        assert [(row["key"], row["running"]) for row in board["case_lights"]["district"]] == [("徐汇区", 1)]
        health = next(row for row in board["performance"]["department"] if row["key"] == "health")
        assert (health["finished"], health["on_time_rate"], health["median_days"]) == (1, 1.0, 0)

        green = (
            await supervisor.get("/api/v1/supervision/items", params={"light": "green", "department": "cdc"})
        ).json()
        assert [(row["case_no"], row["item_code"]) for row in green] == [(case_no, "vaccination_certificate")]
        assert (await supervisor.get("/api/v1/supervision/items", params={"light": "red"})).json() == []

        bad_range = await supervisor.get(
            "/api/v1/supervision/board", params={"since": "2026-12-31", "until": "2026-01-01"}
        )
        assert bad_range.status_code == 422
        assert bad_range.json()["errors"][0]["field"] == "since"

        pushed_before = sample((await stack.api.get("/metrics")).text, ESCALATIONS, department="cdc")
        url = f"/api/v1/supervision/cases/{case_no}/items/vaccination_certificate/escalations"
        assert (await leader.post(url, json={"note": "请今日办结"})).status_code == 403  # leaders read, supervisors act
        done = await supervisor.post(
            f"/api/v1/supervision/cases/{case_no}/items/birth_certificate/escalations", json={}
        )
        assert done.status_code == 409
        assert "completed" in done.json()["detail"]
        escalated = await supervisor.post(url, json={"note": "请今日办结"})
        assert escalated.status_code == 201, escalated.text
        assert escalated.json()["supervisor"] == "supervisor-1"
        assert escalated.json()["department"] == "cdc"
        # Counted once in the API's /metrics: the refused and the impossible attempts are not.
        assert sample((await stack.api.get("/metrics")).text, ESCALATIONS, department="cdc") == pushed_before + 1

        for _ in range(100):
            notices = (await stack.stubs.get("/admin/cdc/escalations")).json()
            if notices:
                break
            await asyncio.sleep(0.2)
        assert [(n["case_no"], n["item_code"], n["level"]) for n in notices] == [
            (case_no, "vaccination_certificate", "supervisor")
        ]
        detail = (await supervisor.get(f"/api/v1/supervision/cases/{case_no}")).json()
        assert [e["supervisor"] for e in detail["escalations"]] == ["supervisor-1"]
        assert detail["temporal_url"].endswith(f"/workflows/case-{case_no}")
        assert detail["district"] == "徐汇区"
        board = (await supervisor.get("/api/v1/supervision/board")).json()
        assert board["escalations"] == {"cdc": 1}
        for client in (citizen, supervisor, leader, staff):
            await client.aclose()
