"""A definition runs end to end against a department system written from the contract alone.

The newborn bundle's four departments with systems of their own (sync REST, async callback, batch) are
served by tests/support/alt_department — no stub code — and the case completes with their results, each
department holding exactly one record per item, the async result delivered by a signed callback.

How the platform finds the systems is configuration only (issue 12's "done means"): a registry file of this
test's own (ONETHING_DEPARTMENT_REGISTRY) gives each department its own base URL at the alt system, and each
department signs its callbacks with a key issued to it (`issue_key`, as `onething departments keys issue`
does). human_resources has no `batch:` exchange folder, so its data pipeline is the contract's POST then GET.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.auth import Role
from core.settings import Settings
from core.signing import key_bytes
from persistence.db import make_engine, session_scope
from services.department_keys import issue_key
from tests.e2e.test_newborn_bundle import NEWBORN_ITEMS, application
from tests.support.alt_department.app import AltConfig, SigningKey, create_alt_department
from tests.support.alt_department.ledger import Ledger
from tests.support.servers import free_port
from tests.support.stack import running_stack
from tests.support.staff import approve_queue

pytestmark = pytest.mark.e2e

SYSTEMS = ("health", "public_security", "human_resources", "medical_insurance")
"""The newborn departments with a system of their own; cdc's staff work in the platform's module."""
PREFIX = "/onething/v1"
"""Where the alt system serves each department (`{PREFIX}/{code}`): nothing like the stubs' paths."""


def alt_registry(folder: Path, port: int) -> Path:
    """A production-shaped registry: no `{stubs_url}`, no `unlisted`, every listed system at its own base URL."""
    lines = ["version: 1", "departments:"]
    for code in SYSTEMS:
        lines += [
            f"  {code}:",
            f"    name: {{zh: {code}（另一实现）, en: {code} (second implementation)}}",
            "    modes: [sync_rest, async_callback, batch]",
            f"    base_url: http://127.0.0.1:{port}{PREFIX}/{code}",
        ]
    lines += ["  cdc:", "    name: {zh: 疾控中心, en: CDC}", "    modes: [standard_module]"]
    path = folder / "alt-departments.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def alt_systems(database: Path) -> object:
    def build(settings: Settings) -> object:
        # Each department's callback key is issued by the platform, as an operator does before connecting it.
        engine = make_engine(settings.projection_url)
        keys: dict[str, SigningKey] = {}
        try:
            with session_scope(engine) as session:
                for code in SYSTEMS:
                    issued = issue_key(session, settings, department=code, now=datetime.now(UTC))
                    keys[code] = SigningKey(issued.key_id, key_bytes(issued.key))
        finally:
            engine.dispose()
        return create_alt_department(AltConfig(database=database, keys=keys, prefix=PREFIX, decide_after_s=0.3))

    return build


async def test_newborn_completes_against_a_second_department_implementation(dev_env, data_dir: Path) -> None:
    database = data_dir / "alt-departments.db"
    port = free_port()
    registry = alt_registry(data_dir, port)
    async with running_stack(
        dev_env.client,
        data_dir,
        departments=alt_systems(database),
        departments_port=port,
        department_registry=registry,
    ) as stack:
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
        assert ledger.of_case("human_resources", case_no)[0].mode == "batch"  # pulled over HTTP: no exchange folder
    finally:
        ledger.close()
