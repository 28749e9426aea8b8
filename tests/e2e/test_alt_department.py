"""A definition runs end to end against a department system written from the contract alone.

The newborn bundle's four departments with systems of their own (sync REST, async callback, batch) are
served by tests/support/alt_department — no stub code — and the case completes with their results, each
department holding exactly one record per item, the async result delivered by a signed callback.

How the platform finds the systems is configuration only, the way main configures it today: one
ONETHING_DEPARTMENTS_URL, each department at `{url}/stub/{code}` (the alt system is served under the
prefix `/stub`), and each callback key derived from the platform's secret (key id `derived`). When the
department registry lands, this test gives each department its own base URL and issued key instead.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from core.auth import Role
from core.settings import Settings
from core.signing import DERIVED_KEY_ID, department_key
from tests.e2e.test_newborn_bundle import NEWBORN_ITEMS, application
from tests.support.alt_department.app import AltConfig, SigningKey, create_alt_department
from tests.support.alt_department.ledger import Ledger
from tests.support.stack import running_stack
from tests.support.staff import approve_queue

pytestmark = pytest.mark.e2e

SYSTEMS = ("health", "public_security", "human_resources", "medical_insurance")
"""The newborn departments with a system of their own; cdc's staff work in the platform's module."""


def alt_systems(database: Path) -> object:
    def build(settings: Settings) -> object:
        keys = {code: SigningKey(DERIVED_KEY_ID, department_key(settings.secret_key, code)) for code in SYSTEMS}
        return create_alt_department(AltConfig(database=database, keys=keys, prefix="/stub", decide_after_s=0.3))

    return build


async def test_newborn_completes_against_a_second_department_implementation(dev_env, data_dir: Path) -> None:
    database = data_dir / "alt-departments.db"
    async with running_stack(dev_env.client, data_dir, departments=alt_systems(database)) as stack:
        citizen = stack.as_user(Role.CITIZEN, "citizen-alt-1")
        stop = asyncio.Event()
        clerk = asyncio.create_task(approve_queue(stack.as_user(Role.STAFF, "clerk-1", department="cdc"), stop))
        response = await citizen.post("/api/v1/applications", json=application())
        assert response.status_code == 201, response.text
        case_no = response.json()["case_no"]
        case = await stack.wait_case(citizen, case_no, {"completed", "rejected", "withdrawn"}, timeout=90)
        stop.set()
        await clerk

    assert case["status"] == "completed", case
    items = {item["code"]: item for item in case["items"]}
    ledger = Ledger(database)
    try:
        for code, (department, output) in NEWBORN_ITEMS.items():
            assert items[code]["status"] == "completed", items[code]
            if department not in SYSTEMS:
                continue
            (record,) = ledger.of_case(department, case_no)  # one record however often it was called
            assert record.idem_key == f"{case_no}:{code}"
            assert record.status == "completed"
            # The result the citizen sees is the one the alt system issued, not a stub's.
            assert items[code]["output"][output] == record.output[output]
            assert record.output[output].startswith("ALT")
        (hukou,) = ledger.of_case("public_security", case_no)
        assert hukou.mode == "async_callback"
        assert hukou.delivered == 1  # the platform took the signed callback
        assert ledger.of_case("human_resources", case_no)[0].mode == "batch"
    finally:
        ledger.close()
