"""Eligibility and the way out, through the real API: a baby over a year old is not the newborn bundle's;
the parents are told why and apply for the one item they still need on its own, which runs and is counted
apart from the bundle. Accounts of the wrong kind are refused before anything starts."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session

from core.auth import Role
from one_things.catalog import load_catalog
from one_things.demo import demo_request
from one_things.eligibility import individual_definition
from persistence.db import make_engine
from persistence.tables import CaseRecord
from tests.support.stack import running_stack

pytestmark = pytest.mark.e2e


def old_baby() -> dict:
    body = demo_request(load_catalog().get("newborn"), date.today())
    body["form"]["newborn_birth_date"] = (date.today() - timedelta(days=400)).isoformat()
    return body


async def test_ineligible_applicant_is_told_why_and_applies_item_by_item(dev_env, data_dir: Path) -> None:
    async with running_stack(dev_env.client, data_dir) as stack:
        await stack.configure("public_security", latency_ms=20, jitter_ms=0, correction_rate=1.0)
        mother = stack.as_user(Role.CITIZEN, "demo-mother-1")
        refused = await mother.post("/api/v1/applications", json=old_baby())
        assert refused.status_code == 422
        problem = refused.json()
        assert problem["errors"] == [
            {
                "field": "eligibility.newborn_under_one_year",
                "message": "新生儿出生一件事面向出生一年内的婴儿;宝宝已满一年,请按需分别办理各事项。",
                "rule": "eligibility",
            }
        ]
        assert "one by one" in problem["detail"]
        assert [item["code"] for item in problem["individual_items"]][:3] == [
            "birth_certificate",
            "vaccination_certificate",
            "hukou_registration",
        ]
        assert (await mother.get("/api/v1/applications")).json() == []  # nothing was started

        single = individual_definition(load_catalog().get("newborn"), "hukou_registration")
        body = demo_request(single, date.today())
        assert "birth_cert_no" in body["form"]  # read from the certificate the parents hold, not another item
        body = {"thing": "newborn", "individual_item": "hukou_registration", "form": body["form"]}
        accepted = await mother.post("/api/v1/applications", json=body)
        assert accepted.status_code == 201, accepted.text
        assert accepted.json()["included"] == ["hukou_registration"]
        case_no = accepted.json()["case_no"]
        # The police ask for a correction: the single item's own field (the certificate number) may be corrected.
        await stack.wait_case(mother, case_no, {"waiting_citizen"})
        fix = {"item_code": "hukou_registration", "form": {"birth_cert_no": "Q3100000001"}}
        corrected = await mother.post(f"/api/v1/applications/{case_no}/supplements", json=fix)
        assert corrected.status_code == 202, corrected.text
        case = await stack.wait_case(mother, case_no, {"completed"})
        assert [item["code"] for item in case["items"]] == ["hukou_registration"]
        records = (await stack.stubs.get("/admin/public_security/records")).json()
        mine = sorted((r["idempotency_key"], r["status"]) for r in records if r["case_no"] == case_no)
        assert mine == [
            (f"{case_no}:hukou_registration", "correction_requested"),
            (f"{case_no}:hukou_registration:r1", "completed"),
        ]

        leader = stack.as_user(Role.LEADER, "leader-1")
        report = (await leader.get("/api/v1/stats/things")).json()
        newborn = next(row for row in report["things"] if row["thing"] == "newborn")
        assert (newborn["cases"]["accepted"], newborn["cases"]["individual"]) == (0, 1)  # not a bundle case
        await leader.aclose()

        engine = make_engine(stack.settings.projection_url)
        with Session(engine) as session:
            stored = session.get(CaseRecord, case_no)
            assert stored is not None
            assert (stored.channel, stored.district) == ("individual", "徐汇区")
        engine.dispose()

        unknown = await mother.post("/api/v1/applications", json={**body, "individual_item": "passport"})
        assert unknown.status_code == 422
        assert unknown.json()["errors"][0]["field"] == "individual_item"
        await mother.aclose()


async def test_accounts_of_the_wrong_kind_are_refused(dev_env, data_dir: Path) -> None:
    async with running_stack(dev_env.client, data_dir, with_worker=False) as stack:
        enterprise = stack.as_user(Role.CITIZEN, "demo-enterprise-1")
        body = demo_request(load_catalog().get("newborn"), date.today())
        refused = await enterprise.post("/api/v1/applications", json=body)
        assert refused.status_code == 403
        assert "personal account" in refused.json()["detail"]
        await enterprise.aclose()
