"""The e-licence wallet filled by a real newborn case, and the public check of a licence."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import segno
from sqlmodel import Session, select

from activities.projection import ProjectionActivities
from core.auth import Role
from one_things.catalog import load_catalog
from one_things.demo import demo_request
from persistence.db import make_engine
from persistence.licences import Licence, add_licence
from tests.support.stack import Stack, running_stack
from tests.support.staff import approve_queue
from workflows.bundle import OneThingWorkflow

pytestmark = pytest.mark.e2e

MOTHER = "demo-mother-1"
RESULTS = {
    "birth_certificate": ("出生医学证明", "health", "birth_cert_no"),
    "vaccination_certificate": ("预防接种证", "cdc", "vaccination_cert_no"),
    "hukou_registration": ("户口簿新生儿页", "public_security", "hukou_no"),
    "social_security_card": ("社会保障卡", "human_resources", "social_security_card_no"),
    "medical_insurance": ("城乡居民医保参保凭证", "medical_insurance", "medical_insurance_no"),
}


async def completed_case(stack: Stack) -> tuple[str, dict]:
    for department in ("health", "public_security", "human_resources", "medical_insurance"):
        await stack.configure(department, latency_ms=50, jitter_ms=0, batch_interval_ms=200)
    citizen = stack.as_user(Role.CITIZEN, MOTHER)
    stop = asyncio.Event()
    clerk = asyncio.create_task(approve_queue(stack.as_user(Role.STAFF, "clerk-1", department="cdc"), stop))
    body = demo_request(load_catalog().get("newborn"), date.today())
    response = await citizen.post("/api/v1/applications", json=body)
    assert response.status_code == 201, response.text
    case_no = response.json()["case_no"]
    case = await stack.wait_case(citizen, case_no, {"completed", "rejected", "withdrawn"})
    stop.set()
    await clerk
    assert case["status"] == "completed", case
    return case_no, case


async def test_a_completed_case_fills_the_wallet_once(dev_env, data_dir: Path) -> None:
    async with running_stack(dev_env.client, data_dir) as stack:
        case_no, case = await completed_case(stack)
        citizen = stack.as_user(Role.CITIZEN, MOTHER)
        wallet = (await citizen.get("/api/v1/licences")).json()
        from_case = {licence["item_code"]: licence for licence in wallet if licence["case_no"] == case_no}
        outputs = {item["code"]: item["output"] for item in case["items"]}
        assert set(from_case) == set(RESULTS)
        for code, (name, department, output) in RESULTS.items():
            licence = from_case[code]
            assert licence["name"]["zh"] == name
            assert licence["issuer"] == department
            assert licence["issuer_name"]["zh"].startswith("上海市")
            assert licence["number"] == outputs[code][output]
            assert licence["status"] == "valid"
            assert licence["thing"] == "newborn"
        marriage = [licence for licence in wallet if licence["kind"] == "marriage_certificate"]
        assert [licence["name"]["zh"] for licence in marriage] == ["结婚证"]
        assert marriage[0]["issuer_name"]["zh"] == "上海市民政局"

        # Replays and retries of the projection write issue nothing twice.
        state = await stack.client.get_workflow_handle(f"case-{case_no}").query(OneThingWorkflow.status)
        engine = make_engine(stack.settings.projection_url)
        projection = ProjectionActivities(engine)
        for _ in range(2):
            projection.project_case_state(state)
        with Session(engine) as session:
            stored = session.exec(select(Licence).where(Licence.case_no == case_no)).all()
        engine.dispose()
        assert sorted(licence.item_code or "" for licence in stored) == sorted(RESULTS)
        assert {licence.id for licence in stored} == {licence["id"] for licence in from_case.values()}

        # The father's wallet holds his own marriage certificate copy, not the case results.
        father = (await stack.as_user(Role.CITIZEN, "demo-father-1").get("/api/v1/licences")).json()
        assert [licence["kind"] for licence in father] == ["marriage_certificate"]


async def test_another_citizens_licence_is_not_found(dev_env, data_dir: Path) -> None:
    async with running_stack(dev_env.client, data_dir, with_worker=False) as stack:
        mother = stack.as_user(Role.CITIZEN, MOTHER)
        licence = (await mother.get("/api/v1/licences")).json()[0]
        assert (await mother.get(f"/api/v1/licences/{licence['id']}")).json() == licence
        other = stack.as_user(Role.CITIZEN, "demo-mother-2")
        for path in (f"/api/v1/licences/{licence['id']}", f"/api/v1/licences/{licence['id']}/qr.svg"):
            response = await other.get(path)
            assert response.status_code == 404
            assert response.headers["content-type"].startswith("application/problem+json")
            assert licence["number"] not in response.text
        missing = await other.get("/api/v1/licences/0000000000000000")
        theirs = await other.get(f"/api/v1/licences/{licence['id']}")
        assert missing.json()["title"] == theirs.json()["title"] == "Not found"
        assert missing.json()["detail"].replace("0000000000000000", licence["id"]) == theirs.json()["detail"]
        assert (await other.get("/api/v1/licences")).json() == []
        assert (await stack.api.get("/api/v1/licences")).status_code == 401


async def test_qr_code_holds_the_public_verification_url(dev_env, data_dir: Path) -> None:
    async with running_stack(dev_env.client, data_dir, with_worker=False) as stack:
        mother = stack.as_user(Role.CITIZEN, MOTHER)
        licence = (await mother.get("/api/v1/licences")).json()[0]
        response = await mother.get(licence["links"]["qr"])
        assert response.status_code == 200
        assert response.headers["content-type"] == "image/svg+xml"
        assert response.text.lstrip().startswith("<?xml")
        assert "<svg" in response.text
        url = f"{stack.settings.api_url}/verify/{licence['verification_code']}"
        expected = io.BytesIO()
        segno.make(url, error="m").save(expected, kind="svg", scale=4, border=4)
        assert response.content == expected.getvalue()
        page = await stack.api.get(url)  # the URL in it opens the verification page without signing in
        assert page.status_code == 200
        assert "text/html" in page.headers["content-type"]


async def test_verification_is_public_and_free_of_personal_data(dev_env, data_dir: Path) -> None:
    async with running_stack(dev_env.client, data_dir, with_worker=False) as stack:
        mother = stack.as_user(Role.CITIZEN, MOTHER)
        licence = (await mother.get("/api/v1/licences")).json()[0]
        form = (await mother.get("/api/v1/things/newborn/form")).json()
        personal = [field["value"] for field in form["fields"] if field["value"]]

        response = await stack.api.get(licence["links"]["verify"])  # no Authorization header
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == "genuine"
        assert body["kind"] == "marriage_certificate"
        assert body["name"]["zh"] == "结婚证"
        assert body["issuer"] == "civil_affairs"
        assert body["issued_on"] == "2019-05-20"
        assert body["number_masked"].endswith(licence["number"][-4:])
        for secret in [*personal, licence["number"], MOTHER, licence["id"]]:
            assert secret not in response.text
        assert set(body) == {
            "status",
            "kind",
            "name",
            "issuer",
            "issuer_name",
            "issued_on",
            "expires_on",
            "number_masked",
        }

        unknown = await stack.api.get("/api/v1/verify/not-a-real-code")
        assert unknown.status_code == 404
        assert unknown.headers["content-type"].startswith("application/problem+json")
        assert unknown.json()["verification"] == "unknown"

        engine = make_engine(stack.settings.projection_url)
        with Session(engine) as session:
            # Newer than the valid one, so only its expiry keeps it out of the pre-filled form below.
            now = datetime.now(UTC)
            expired = add_licence(
                session, holder=MOTHER, kind="marriage_certificate", number="J310104-2001-000001",
                issuer="civil_affairs", issued_at=now - timedelta(days=2), expires_at=now - timedelta(days=1),
            )  # fmt: skip
            session.commit()
            code = expired.verification_code
        engine.dispose()
        assert (await stack.api.get(f"/api/v1/verify/{code}")).json()["status"] == "expired"
        # An expired certificate is not used to pre-fill a form.
        again = {field["code"]: field for field in (await mother.get("/api/v1/things/newborn/form")).json()["fields"]}
        assert again["marriage_cert_no"]["value"] == licence["number"]
