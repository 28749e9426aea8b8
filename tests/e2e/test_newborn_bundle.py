"""A newborn bundle end to end: real dev server, real stubs over HTTP, real API, real worker."""

from __future__ import annotations

import asyncio
import hashlib
import json
import subprocess
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlmodel import Session, select

from core.auth import Role
from core.database import create_sql_engine
from one_things.catalog import load_catalog
from one_things.demo import DEMO_PHOTO, demo_request
from persistence.data_access import PersonalDataRead
from persistence.db import make_engine
from persistence.tables import ApplicationRequest
from tests.support.histories import record_history
from tests.support.people import held_personal_data
from tests.support.servers import TEMPORAL_CLI
from tests.support.stack import running_stack
from tests.support.staff import approve_queue

pytestmark = pytest.mark.e2e

NEWBORN_ITEMS = {
    "birth_certificate": ("health", "birth_cert_no"),
    "vaccination_certificate": ("cdc", "vaccination_cert_no"),
    "hukou_registration": ("public_security", "hukou_no"),
    "social_security_card": ("human_resources", "social_security_card_no"),
    "medical_insurance": ("medical_insurance", "medical_insurance_no"),
}


def application() -> dict:
    return demo_request(load_catalog().get("newborn"), date.today())


def overlaps(a: dict, b: dict) -> bool:
    start = max(datetime.fromisoformat(a["started_at"]), datetime.fromisoformat(b["started_at"]))
    end = min(datetime.fromisoformat(a["finished_at"]), datetime.fromisoformat(b["finished_at"]))
    return start < end


async def test_newborn_completes_with_five_results_under_one_case_number(dev_env, data_dir: Path) -> None:
    async with running_stack(dev_env.client, data_dir) as stack:
        for department in ("health", "public_security", "human_resources", "medical_insurance"):
            await stack.configure(department, latency_ms=400, jitter_ms=0, batch_interval_ms=200)
        citizen = stack.as_user(Role.CITIZEN, "citizen-e2e-1")
        staff = stack.as_user(Role.STAFF, "clerk-1", department="cdc")
        stop = asyncio.Event()
        clerk = asyncio.create_task(approve_queue(staff, stop))
        body = application()

        response = await citizen.post("/api/v1/applications", json=body, headers={"Idempotency-Key": "e2e-1"})
        assert response.status_code == 201, response.text
        case_no = response.json()["case_no"]
        repeat = await citizen.post("/api/v1/applications", json=body, headers={"Idempotency-Key": "e2e-1"})
        assert repeat.status_code == 200
        assert repeat.json()["case_no"] == case_no

        case = await stack.wait_case(citizen, case_no, {"completed", "rejected", "withdrawn"})
        await record_history(stack.client.get_workflow_handle(f"case-{case_no}"), "newborn_completed")
        stop.set()
        await clerk

        assert case["status"] == "completed", case
        items = {item["code"]: item for item in case["items"]}
        assert set(items) == set(NEWBORN_ITEMS)
        for code, (department, output) in NEWBORN_ITEMS.items():
            assert items[code]["department"] == department
            assert items[code]["status"] == "completed"
            assert items[code]["output"][output], f"{code} returned no {output}"
            assert items[code]["due_at"] is not None
            assert items[code]["light"] == "green"
        # Independent items run at the same time; dependants start only after what they need.
        assert overlaps(items["birth_certificate"], items["vaccination_certificate"])
        assert overlaps(items["social_security_card"], items["medical_insurance"])
        assert items["hukou_registration"]["started_at"] >= items["birth_certificate"]["finished_at"]

        # Each department holds exactly one record for the case, however often it was called.
        for code, (department, _output) in NEWBORN_ITEMS.items():
            if code == "vaccination_certificate":
                continue  # standard handling module: handled inside the platform, no department system
            records = (await stack.stubs.get(f"/admin/{department}/records")).json()
            mine = [record for record in records if record["case_no"] == case_no]
            assert [record["idempotency_key"] for record in mine] == [f"{case_no}:{code}"]

        # Materials travel with the submission: the social security card's department downloaded the
        # newborn's photo by its signed URL, intact; exempt materials came as references to their registers.
        received = (await stack.stubs.get("/admin/human_resources/materials")).json()
        photo = [m for m in received if m["idempotency_key"] == f"{case_no}:social_security_card"]
        assert photo == [
            {
                "idempotency_key": f"{case_no}:social_security_card",
                "code": "newborn_photo",
                "source": "citizen",
                "how": "downloaded",
                "sha256": hashlib.sha256(DEMO_PHOTO).hexdigest(),
                "size": len(DEMO_PHOTO),
                "content_type": "image/png",
                "reference": None,
            }
        ]
        police = (await stack.stubs.get("/admin/public_security/materials")).json()
        exempt = {m["code"]: m["reference"] for m in police if m["idempotency_key"] == f"{case_no}:hukou_registration"}
        assert exempt["marriage_certificate"] == "licence_library:marriage_certificate"
        assert exempt["household_register"] == "shared_data:household_register"
        # The download is on the personal-data access log, as the department's system.
        with Session(create_sql_engine(stack.settings.projection_url)) as session:
            reads = session.exec(select(PersonalDataRead).where(PersonalDataRead.case_no == case_no)).all()
        assert [(r.reader, r.what) for r in reads if r.role == "department_system"] == [
            ("system:human_resources", "materials")
        ]


async def test_history_shows_no_plaintext_personal_data(dev_env, data_dir: Path) -> None:
    async with running_stack(dev_env.client, data_dir) as stack:
        citizen = stack.as_user(Role.CITIZEN, "citizen-e2e-2")
        body = application()
        response = await citizen.post("/api/v1/applications", json=body)
        assert response.status_code == 201, response.text
        case_no = response.json()["case_no"]
        await stack.wait_case(citizen, case_no, {"running", "waiting_citizen", "completed"})
        shown = subprocess.run(
            [
                str(TEMPORAL_CLI),
                "workflow",
                "show",
                "--workflow-id",
                f"case-{case_no}",
                "--address",
                stack.settings.temporal_address,
                "--output",
                "json",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert case_no in shown  # the history is there …
        engine = create_sql_engine(stack.settings.projection_url)
        personal = held_personal_data(engine, "citizen-e2e-2")
        engine.dispose()
        for value in personal:
            assert value not in shown  # … but its payloads are ciphertext
        assert json.loads(shown)


async def test_bad_application_is_rejected_naming_the_field_and_starts_nothing(dev_env, data_dir: Path) -> None:
    async with running_stack(dev_env.client, data_dir, with_worker=False) as stack:
        citizen = stack.as_user(Role.CITIZEN, "citizen-e2e-3")
        body = application()
        body["form"]["contact_phone"] = "02161234567"  # typed (editable), and not a mobile number
        body["answers"]["hukou_location"] = "mars"
        response = await citizen.post("/api/v1/applications", json=body)
        assert response.status_code == 422
        assert response.headers["content-type"].startswith("application/problem+json")
        problem = response.json()
        fields = {error["field"] for error in problem["errors"]}
        assert {"form.contact_phone", "answers.hukou_location"} <= fields
        assert body["form"]["contact_phone"] not in response.text
        assert (await citizen.get("/api/v1/applications")).json() == []
        with Session(make_engine(stack.settings.projection_url)) as session:
            assert session.exec(select(ApplicationRequest)).all() == []  # not even an Idempotency-Key row
        started = [wf async for wf in dev_env.client.list_workflows(f"TaskQueue = '{stack.settings.task_queue}'")]
        assert started == []
