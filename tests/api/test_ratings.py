"""好差评 and 整改 through the real stack: rating rules, access rules, reply, contest and confirm."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.auth import Role
from one_things.catalog import load_catalog
from one_things.demo import demo_request
from tests.support.stack import Stack, running_stack
from tests.support.staff import approve_queue

pytestmark = pytest.mark.e2e

DEPARTMENTS = ("cdc", "health", "human_resources", "medical_insurance", "public_security")


def rating(**low: int) -> dict[str, Any]:
    scores = [{"department": d, "score": low.get(d, 5), "comment": "太慢" if d in low else ""} for d in DEPARTMENTS]
    return {"overall": {"score": 4, "comment": "总体不错"}, "departments": scores}


def fields(response: httpx.Response) -> set[str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return {error["field"] for error in response.json()["errors"]}


async def poll(fetch: Callable[[], Any], check: Callable[[Any], bool], timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = await fetch()
        if check(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not reached; last seen {value}")
        await asyncio.sleep(0.2)


async def completed_case(stack: Stack, citizen: httpx.AsyncClient) -> str:
    for department in ("health", "public_security", "human_resources", "medical_insurance"):
        await stack.configure(department, latency_ms=50, jitter_ms=0, batch_interval_ms=100)
    body = demo_request(load_catalog().get("newborn"), date.today())
    case_no: str = (await citizen.post("/api/v1/applications", json=body)).json()["case_no"]
    await stack.wait_case(citizen, case_no, {"running", "waiting_citizen"})
    early = await citizen.post(f"/api/v1/applications/{case_no}/rating", json=rating())
    assert early.status_code == 409  # nothing to rate before the case is finished
    stop = asyncio.Event()
    clerk = asyncio.create_task(approve_queue(stack.as_user(Role.STAFF, "clerk", department="cdc"), stop))
    await stack.wait_case(citizen, case_no, {"completed"})
    stop.set()
    await clerk
    return case_no


async def test_rating_rules_and_a_rectification_from_reply_to_confirmation(dev_env, data_dir: Path) -> None:
    async with running_stack(dev_env.client, data_dir) as stack:
        citizen = stack.as_user(Role.CITIZEN, "citizen-rate-1")
        other = stack.as_user(Role.CITIZEN, "citizen-rate-2")
        case_no = await completed_case(stack, citizen)
        url = f"/api/v1/applications/{case_no}/rating"

        before = (await citizen.get(url)).json()
        assert before["rateable"] is True
        assert [d["department"] for d in before["departments"]] == list(DEPARTMENTS)
        assert all(d["score"] is None for d in before["departments"])

        bad = rating()
        bad["overall"]["score"] = 6
        bad["departments"][1]["score"] = 0
        assert fields(await citizen.post(url, json=bad)) == {"overall.score", "departments.1.score"}
        unknown = rating()
        unknown["departments"].append({"department": "tax", "score": 3})
        assert fields(await citizen.post(url, json=unknown)) == {"departments.5.department"}
        missing = rating()
        missing["departments"].pop()
        assert fields(await citizen.post(url, json=missing)) == {"departments"}
        silent = rating(health=1)
        silent["departments"][1]["comment"] = ""
        assert fields(await citizen.post(url, json=silent)) == {"departments.1.comment"}
        assert (await other.post(url, json=rating())).status_code == 404
        assert (await other.get(url)).status_code == 404

        response = await citizen.post(url, json=rating(health=1))
        assert response.status_code == 201, response.text
        rated = response.json()
        assert rated["rateable"] is False
        assert rated["overall"] == {"score": 4, "comment": "总体不错"}
        health = next(d for d in rated["departments"] if d["department"] == "health")
        assert health["score"] == 1
        assert health["rectification"] == f"rectification-{case_no}-health"
        assert (await citizen.get(url)).json() == rated
        assert (await citizen.post(url, json=rating())).status_code == 409  # rated once

        # 整改: only the health commission owes a reply, within 15 working days.
        listing = f"/api/v1/applications/{case_no}/rectifications"
        [rectification] = await poll(lambda: _json(citizen.get(listing)), lambda rows: len(rows) == 1)
        assert rectification["department"] == "health"
        assert rectification["status"] == "open"
        assert rectification["light"] == "green"
        assert rectification["due_at"] is not None
        assert (await other.get(listing)).status_code == 404

        cdc_staff = stack.as_user(Role.STAFF, "clerk-cdc", department="cdc")
        health_staff = stack.as_user(Role.STAFF, "clerk-health", department="health")
        reply_url = f"/api/v1/staff/rectifications/{rectification['id']}/reply"
        assert (await cdc_staff.get("/api/v1/staff/rectifications")).json() == {"items": []}
        assert (await cdc_staff.post(reply_url, json={"text": "不是我们"})).status_code == 404
        assert (await citizen.post(reply_url, json={"text": "x"})).status_code == 403
        queue = (await health_staff.get("/api/v1/staff/rectifications")).json()["items"]
        assert [row["id"] for row in queue] == [rectification["id"]]
        assert queue[0]["comment"] == "太慢"

        confirm = f"{listing}/health/confirm"
        contest = f"{listing}/health/contest"
        assert (await citizen.post(confirm)).status_code == 409  # nothing replied yet
        replied = await health_staff.post(reply_url, json={"text": "已优化出证流程"})
        assert replied.status_code == 200, replied.text
        assert replied.json()["status"] == "replied"
        assert (await health_staff.post(reply_url, json={"text": "again"})).status_code == 409

        [seen] = await poll(lambda: _json(citizen.get(listing)), lambda rows: rows[0]["status"] == "replied")
        assert [reply["text"] for reply in seen["replies"]] == ["已优化出证流程"]
        assert "staff" not in seen["replies"][0]  # who answered stays inside the department
        assert (await other.post(contest, json={"note": "x"})).status_code == 404
        assert (await citizen.post(contest, json={"note": ""})).status_code == 409
        contested = await citizen.post(contest, json={"note": "证件仍未寄到"})
        assert contested.json()["status"] == "contested"
        assert (await health_staff.post(reply_url, json={"text": "已补寄"})).json()["status"] == "replied"
        closed = await citizen.post(confirm, json={"note": "收到了"})
        assert closed.status_code == 200, closed.text
        assert closed.json()["status"] == "confirmed"
        await poll(lambda: _json(citizen.get(listing)), lambda rows: rows[0]["status"] == "confirmed")
        assert (await citizen.post(confirm)).status_code == 409
        assert (await citizen.post(f"{listing}/cdc/confirm")).status_code == 404  # cdc was rated well


async def _json(call: Any) -> Any:
    return (await call).json()
