"""The citizen's actions on a running case through the real API: correction, withdrawal, privacy."""

from __future__ import annotations

import asyncio
import json
from datetime import date
from pathlib import Path

import httpx
import pytest

from core.auth import Role
from core.signing import department_key, signed_headers
from one_things.catalog import load_catalog
from one_things.demo import demo_request
from tests.support.stack import running_stack

pytestmark = pytest.mark.e2e


def application() -> dict:
    return demo_request(load_catalog().get("newborn"), date.today())


async def test_correction_request_waits_for_the_citizen_and_resumes(dev_env, data_dir: Path) -> None:
    async with running_stack(dev_env.client, data_dir) as stack:
        await stack.configure("health", correction_rate=1.0, latency_ms=50, jitter_ms=0)
        citizen = stack.as_user(Role.CITIZEN, "citizen-correction")
        case_no = (await citizen.post("/api/v1/applications", json=application())).json()["case_no"]
        case = await stack.wait_case(citizen, case_no, {"waiting_citizen"})
        birth = next(item for item in case["items"] if item["code"] == "birth_certificate")
        assert birth["status"] == "waiting_citizen"
        assert birth["holder"] == "citizen"
        assert birth["reason"]  # what the department asks for

        bad = await citizen.post(
            f"/api/v1/applications/{case_no}/supplements",
            json={"item_code": "birth_certificate", "form": {"newborn_birth_date": "2999-01-01"}},
        )
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["field"] == "form.newborn_birth_date"

        good = await citizen.post(
            f"/api/v1/applications/{case_no}/supplements",
            json={"item_code": "birth_certificate", "form": {"birth_hospital": "复旦大学附属妇产科医院"}},
        )
        assert good.status_code == 202, good.text
        await stack.wait_case(citizen, case_no, {"running", "completed"})
        again = await citizen.post(
            f"/api/v1/applications/{case_no}/supplements", json={"item_code": "birth_certificate", "form": {}}
        )
        assert again.status_code == 409  # nothing is waiting for a correction any more
        records = (await stack.stubs.get("/admin/health/records")).json()
        keys = sorted(r["idempotency_key"] for r in records if r["case_no"] == case_no)
        assert keys == [f"{case_no}:birth_certificate", f"{case_no}:birth_certificate:r1"]


async def test_withdrawal_stops_the_case_and_tells_the_departments(dev_env, data_dir: Path) -> None:
    async with running_stack(dev_env.client, data_dir) as stack:
        await stack.configure("public_security", latency_ms=600_000, jitter_ms=0)  # hukou stays outstanding
        citizen = stack.as_user(Role.CITIZEN, "citizen-withdraw")
        case_no = (await citizen.post("/api/v1/applications", json=application())).json()["case_no"]
        await _wait_item(stack, citizen, case_no, "hukou_registration", holder="department")

        response = await citizen.post(f"/api/v1/applications/{case_no}/withdraw", json={"reason": "changed plans"})
        assert response.status_code == 202, response.text
        case = await stack.wait_case(citizen, case_no, {"withdrawn"})
        statuses = {item["code"]: item["status"] for item in case["items"]}
        assert statuses["birth_certificate"] == "completed"
        assert statuses["hukou_registration"] == "withdrawn"
        assert statuses["social_security_card"] == "withdrawn"
        record = (
            await stack.stubs.get(f"/departments/public_security/submissions/{case_no}:hukou_registration")
        ).json()
        assert record["status"] == "withdrawn"
        repeat = await citizen.post(f"/api/v1/applications/{case_no}/withdraw")
        assert repeat.status_code == 409


async def test_another_citizens_case_is_invisible_on_every_route(dev_env, data_dir: Path) -> None:
    async with running_stack(dev_env.client, data_dir) as stack:
        owner = stack.as_user(Role.CITIZEN, "citizen-owner")
        other = stack.as_user(Role.CITIZEN, "citizen-other")
        case_no = (await owner.post("/api/v1/applications", json=application())).json()["case_no"]
        await stack.wait_case(owner, case_no, {"running", "waiting_citizen", "completed"})
        assert (await other.get(f"/api/v1/applications/{case_no}")).status_code == 404
        assert (await other.post(f"/api/v1/applications/{case_no}/withdraw")).status_code == 404
        supplement = {"item_code": "birth_certificate", "form": {}}
        assert (await other.post(f"/api/v1/applications/{case_no}/supplements", json=supplement)).status_code == 404
        assert (await other.get("/api/v1/applications")).json() == []
        anonymous = await stack.api.get(f"/api/v1/applications/{case_no}")
        assert anonymous.status_code == 401
        assert anonymous.headers["content-type"].startswith("application/problem+json")
        assert (await stack.api.get("/api/v1/things")).status_code == 401


async def test_callbacks_must_carry_a_valid_department_signature(dev_env, data_dir: Path) -> None:
    async with running_stack(dev_env.client, data_dir, with_worker=False) as stack:
        body = json.dumps(
            {
                "case_no": "X",
                "item_code": "hukou_registration",
                "idempotency_key": "X:hukou_registration",
                "status": "completed",
                "output": {"hukou_no": "HK1"},
            }
        ).encode()
        url = "/api/v1/callbacks/public_security"
        unsigned = await stack.api.post(url, content=body)
        assert unsigned.status_code == 401
        wrong_key = signed_headers(department_key(stack.settings.secret_key, "health"), body)
        assert (await stack.api.post(url, content=body, headers=wrong_key)).status_code == 401
        stale = signed_headers(department_key(stack.settings.secret_key, "public_security"), body, now=1_000_000)
        assert (await stack.api.post(url, content=body, headers=stale)).status_code == 401
        good = signed_headers(department_key(stack.settings.secret_key, "public_security"), body)
        assert (await stack.api.post(url, content=body, headers=good)).status_code == 404  # no such case


async def test_a_callback_the_instant_a_case_is_accepted_gets_the_workflows_answer(dev_env, data_dir: Path) -> None:
    """No projection to wait for: the case's workflow itself answers a callback sent as the case is accepted.

    The hukou item waits for the birth certificate, so its result is refused with the workflow's reason (409,
    which senders retry) — never 425. A result for an item the department does not own is refused for good.
    """
    async with running_stack(dev_env.client, data_dir) as stack:
        ready = await stack.api.get("/readyz")  # database and Temporal both answer
        assert ready.json() == {"status": "ready", "database": "ok", "temporal": "ok"}
        citizen = stack.as_user(Role.CITIZEN, "citizen-early-callback")
        case_no = (await citizen.post("/api/v1/applications", json=application())).json()["case_no"]

        async def send(department: str, item_code: str, output: dict[str, str]) -> httpx.Response:
            return await stack.post_result(department, case_no, item_code, output=output)

        early = await send("public_security", "hukou_registration", {"hukou_no": "HK1"})
        assert early.status_code == 409, early.text
        assert "has not been submitted yet" in early.json()["detail"]
        foreign = await send("health", "hukou_registration", {"hukou_no": "HK1"})
        assert foreign.status_code == 422, foreign.text
        assert "has no item hukou_registration of health" in foreign.json()["detail"]
        await citizen.aclose()


async def _wait_item(stack, citizen: httpx.AsyncClient, case_no: str, code: str, holder: str) -> None:  # type: ignore[no-untyped-def]
    for _ in range(300):
        case = (await citizen.get(f"/api/v1/applications/{case_no}")).json()
        if any(item["code"] == code and item["holder"] == holder for item in case.get("items", [])):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{code} never reached holder {holder}")
