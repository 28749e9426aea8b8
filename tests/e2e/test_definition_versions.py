"""A changed definition deployed while a case of it runs: the old case finishes on its version, new ones
use the new one. Real dev server, real stubs, API and worker stopped and started again on the v2 files.

"v1" is the catalogue's newborn as it is; "v2" is it with its version raised by one, and it drops the
vaccination certificate, promises the social security card in 3 working days
instead of 7, and renames the birth certificate item. Case A is accepted on v1 and parked: its hukou
registration waits out an outage of the police system (so the card and insurance items only start after
the switch) and its vaccination item waits for the CDC's staff. Then the platform is redeployed on v2.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.client import Client
from temporalio.worker import Replayer

from api.app import create_app as create_api
from api.sessions import SESSION_COOKIE
from core.auth import Role
from core.calendar import add_working_days
from core.ids import workflow_id
from core.settings import Settings
from departments.app import create_app as create_departments
from departments.behaviour import StubConfig
from one_things.catalog import CATALOG_DIR, load_catalog
from one_things.demo import demo_request
from one_things.eligibility import individual_definition
from one_things.problems import CatalogError
from persistence.db import make_engine
from tests.conftest import stack_settings
from tests.support.db import sqlite_pass_only
from tests.support.histories import record_history
from tests.support.people import register_if_test_citizen
from tests.support.servers import ThreadedServer
from tests.support.stack import token
from worker import build_worker
from workflows.registry import WORKFLOWS

pytestmark = [
    pytest.mark.e2e,
    sqlite_pass_only("workflow versioning; its projection writes are test_newborn_bundle's, which runs on both"),
]

CURRENT = load_catalog().get("newborn").version
V1_BIRTH = "出生医学证明签发"
V2_BIRTH = "出生医学证明办理"
VACCINATION = "vaccination_certificate"
FINISHED = {"completed", "rejected", "withdrawn"}


def write_v2(folder: Path) -> Path:
    text = (CATALOG_DIR / "newborn.yaml").read_text(encoding="utf-8")
    start, end = text.index(f"  - code: {VACCINATION}\n"), text.index("  - code: hukou_registration\n")
    edits = [
        (f"version: {CURRENT}\n", f"version: {CURRENT + 1}\n"),
        (text[start:end], ""),
        ("        exclude: [vaccination_certificate]\n", ""),
        ("    promised_days: 7\n", "    promised_days: 3\n"),
        (f"name: {{zh: {V1_BIRTH},", f"name: {{zh: {V2_BIRTH},"),
    ]
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    folder.mkdir()
    (folder / "newborn.yaml").write_text(text, encoding="utf-8")
    return folder


@asynccontextmanager
async def platform(client: Client, settings: Settings) -> AsyncIterator[None]:
    """The API and a worker on `settings` (its catalogue); the departments keep running across deploys."""
    with ThreadedServer(create_api(settings), port=settings.api_port):
        async with build_worker(client, settings) as worker, worker:
            yield


def user(settings: Settings, role: Role, subject: str, department: str | None = None) -> httpx.AsyncClient:
    engine = make_engine(settings.projection_url)
    register_if_test_citizen(engine, subject)  # a parent in the register, so the who-may-apply rule admits them
    engine.dispose()
    return httpx.AsyncClient(
        base_url=settings.api_url,
        headers={"Authorization": f"Bearer {token(settings, role, subject, department)}"},
        timeout=30,
    )


async def case_when(citizen: httpx.AsyncClient, case_no: str, ready: Any, timeout: float = 90) -> dict[str, Any]:
    """Polls the citizen's view of the case until `ready(case)` holds."""
    deadline = asyncio.get_running_loop().time() + timeout
    body: dict[str, Any] = {}
    while asyncio.get_running_loop().time() < deadline:
        response = await citizen.get(f"/api/v1/applications/{case_no}")
        if response.status_code == 200 and ready(body := response.json()):
            return body
        await asyncio.sleep(0.2)
    raise AssertionError(f"case {case_no} never got there; last seen {body}")


def items_of(case: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["code"]: item for item in case["items"]}


def parked(case: dict[str, Any]) -> bool:
    """Birth certificate issued, vaccination with the CDC's staff, hukou waiting for the police system."""
    items = items_of(case)
    return (
        items.get("birth_certificate", {}).get("status") == "completed"
        and items.get(VACCINATION, {}).get("holder") == "staff"
        and items.get("hukou_registration", {}).get("status") == "running"
    )


def due_after(item: dict[str, Any], working_days: int) -> datetime:
    return add_working_days(datetime.fromisoformat(item["started_at"]), working_days)


async def approve(staff: httpx.AsyncClient, case_no: str) -> dict[str, Any]:
    for _ in range(150):
        queue = (await staff.get("/api/v1/staff/queue")).json()["items"]
        entry = next((e for e in queue if e["case_no"] == case_no), None)
        if entry is not None:
            output = {name: f"{name.upper()}-1" for name in entry["outputs"]}
            url = f"/api/v1/staff/items/{case_no}/{entry['item_code']}/decision"
            response = await staff.post(url, json={"decision": "approve", "output": output})
            assert response.status_code == 200, response.text
            return entry
        await asyncio.sleep(0.2)
    raise AssertionError(f"{case_no} never reached the CDC's queue")


async def test_running_case_finishes_on_v1_while_new_cases_use_v2(dev_env, data_dir: Path, tmp_path: Path) -> None:
    client = dev_env.client
    v1 = stack_settings(data_dir, client)
    v2_files = write_v2(tmp_path / "catalog-v2")
    v2 = v1.model_copy(update={"catalog_dir": v2_files})
    body = demo_request(load_catalog().get("newborn"), date.today())
    departments = create_departments(v1, StubConfig(clerk_departments=[]))
    with ThreadedServer(departments, port=v1.departments_port):
        stubs = httpx.AsyncClient(base_url=v1.departments_url, timeout=30)
        police = (await stubs.get("/admin/public_security/config")).json()
        now = datetime.now(UTC)
        outage = {"start": (now - timedelta(minutes=1)).isoformat(), "end": (now + timedelta(hours=1)).isoformat()}
        (await stubs.put("/admin/public_security/config", json={**police, "outages": [outage]})).raise_for_status()

        async with platform(client, v1):
            citizen = user(v1, Role.CITIZEN, "citizen-versions")
            response = await citizen.post("/api/v1/applications", json=body, headers={"Idempotency-Key": "v1"})
            assert response.status_code == 201, response.text
            old = response.json()["case_no"]
            assert VACCINATION in response.json()["included"]
            await case_when(citizen, old, parked)
        deployed_at = datetime.now(UTC)

        async with platform(client, v2):
            citizen = user(v2, Role.CITIZEN, "citizen-versions")
            cdc = user(v2, Role.STAFF, "clerk-versions", department="cdc")
            # The police system is back: the card and insurance items start now, on the v2 worker.
            (await stubs.put("/admin/public_security/config", json={**police, "outages": []})).raise_for_status()
            # The old case, shown by the v2 platform, still has v1's items and names.
            shown = items_of((await citizen.get(f"/api/v1/applications/{old}")).json())
            assert shown[VACCINATION]["name"] == "预防接种证办理"
            assert shown["birth_certificate"]["name"] == V1_BIRTH
            cookie = {SESSION_COOKIE: token(v2, Role.CITIZEN, "citizen-versions")}
            page = (await httpx.AsyncClient(base_url=v2.api_url, cookies=cookie).get(f"/cases/{old}")).text
            assert "预防接种证" in page
            assert V1_BIRTH in page
            assert V2_BIRTH not in page
            # The CDC decides the item v2 no longer has, with the output v1 asks of it.
            entry = await approve(cdc, old)
            assert entry["outputs"] == ["vaccination_cert_no"]

            # A single item applied for on its own first: the version's snapshot is still the whole definition.
            single = individual_definition(load_catalog(v2_files).get("newborn"), "medical_insurance")
            alone = {"thing": "newborn", "individual_item": "medical_insurance"}
            alone["form"] = demo_request(single, date.today())["form"]
            response = await citizen.post("/api/v1/applications", json=alone, headers={"Idempotency-Key": "v2-1"})
            assert response.status_code == 201, response.text
            response = await citizen.post("/api/v1/applications", json=body, headers={"Idempotency-Key": "v2"})
            assert response.status_code == 201, response.text
            new = response.json()["case_no"]
            assert VACCINATION not in response.json()["included"]

            done = await case_when(citizen, old, lambda case: case["status"] in FINISHED)
            assert (done["status"], done["version"]) == ("completed", CURRENT)
            items = items_of(done)
            assert set(items) == {item.code for item in load_catalog().get("newborn").items}
            assert all(item["status"] == "completed" for item in items.values())
            card = items["social_security_card"]
            # Started by the v2 worker, its deadline still counts v1's 7 promised working days.
            assert datetime.fromisoformat(card["started_at"]) > deployed_at
            assert datetime.fromisoformat(card["due_at"]) == due_after(card, 7)

            fresh = await case_when(citizen, new, lambda case: case["status"] in FINISHED)
            assert (fresh["status"], fresh["version"]) == ("completed", CURRENT + 1)
            items = items_of(fresh)
            assert VACCINATION not in items
            assert items["birth_certificate"]["name"] == V2_BIRTH
            assert datetime.fromisoformat(items["social_security_card"]["due_at"]) == due_after(
                items["social_security_card"], 3
            )

            # The old case's history, begun by a v1 worker and finished by a v2 one, replays with v2 loaded.
            handle = client.get_workflow_handle(workflow_id(old))
            await Replayer(workflows=WORKFLOWS, data_converter=client.data_converter).replay_workflow(
                await handle.fetch_history()
            )
            await record_history(handle, "definition_upgrade")

        # Editing v2 without raising its version, now that a case was accepted on it, keeps the API down.
        edited = v2_files / "newborn.yaml"
        edited.write_text(edited.read_text(encoding="utf-8").replace("promised_days: 3\n", "promised_days: 4\n"))
        app = create_api(v2)
        with pytest.raises(CatalogError, match=r"newborn.yaml:\d+: version: definition 'newborn' changed"):
            async with app.router.lifespan_context(app):
                pass
