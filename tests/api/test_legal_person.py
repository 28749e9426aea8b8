"""A legal person's one-thing through the real API: the enterprise account's form is pre-filled from the
enterprise register, the application runs on the real workflow to the end, and a resident is refused."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from core.auth import Role
from core.calendar import TZ
from one_things.catalog import load_catalog
from one_things.demo import demo_request
from persistence.demo_seed import ENTERPRISES
from tests.support.stack import running_stack
from tests.support.staff import approve_queue

pytestmark = pytest.mark.e2e

RESTAURANT = load_catalog().get("restaurant")


async def test_enterprise_applies_for_a_restaurant_with_held_data_filled_in(dev_env, data_dir: Path) -> None:
    async with running_stack(dev_env.client, data_dir) as stack:
        for department in {item.department for item in RESTAURANT.items}:
            await stack.configure(department, latency_ms=20, jitter_ms=0)
        company = stack.as_user(Role.CITIZEN, "demo-enterprise-1")
        form = (await company.get("/api/v1/things/restaurant/form")).json()
        held = {field["code"]: field["value"] for field in form["fields"] if field["prefilled"]}
        assert held["credit_code"] == ENTERPRISES[0].credit_code
        assert {f["source"] for f in form["fields"] if f["prefilled"]} == {"enterprise_register"}

        body = demo_request(RESTAURANT, date.today())
        body["form"] = {code: value for code, value in body["form"].items() if code not in held}
        accepted = await company.post("/api/v1/applications", json=body)
        assert accepted.status_code == 201, accepted.text
        case_no = accepted.json()["case_no"]
        clerks = [
            stack.as_user(Role.STAFF, f"clerk-{d}", department=d)
            for d in {i.department for i in RESTAURANT.items if i.mode == "standard_module"}
        ]
        stop = asyncio.Event()
        deciding = [asyncio.create_task(approve_queue(clerk, stop, {case_no})) for clerk in clerks]
        case = await stack.wait_case(company, case_no, {"completed"}, timeout=90)
        stop.set()
        await asyncio.gather(*deciding)
        assert {item["code"] for item in case["items"]} == set(accepted.json()["included"])
        assert all(item["output"] for item in case["items"])

        resident = stack.as_user(Role.CITIZEN, "demo-mother-1")
        refused = await resident.post("/api/v1/applications", json=body)
        assert refused.status_code == 403
        assert "enterprise" in refused.json()["detail"]
        for client in (company, resident, *clerks):
            await client.aclose()


async def test_an_events_date_must_leave_the_safety_permit_its_20_days(dev_env, data_dir: Path) -> None:
    """sports_event's event_date (min_days_ahead: 20): the form offers only days from today + 20 on (Asia/Shanghai),
    and an application for an earlier day is refused naming the rule and the first day it accepts."""
    sports = load_catalog().get("sports_event")
    async with running_stack(dev_env.client, data_dir, with_worker=False) as stack:
        company = stack.as_user(Role.CITIZEN, "demo-enterprise-1")
        today = datetime.now(TZ).date()
        first = today + timedelta(days=20)
        form = (await company.get("/api/v1/things/sports_event/form")).json()
        [event_date] = [field for field in form["fields"] if field["code"] == "event_date"]
        assert (event_date["earliest"], event_date["latest"]) == (first.isoformat(), "2099-12-31")

        body = demo_request(sports, today)
        held = {field["code"] for field in form["fields"] if field["prefilled"]}
        body["form"] = {code: value for code, value in body["form"].items() if code not in held}
        body["form"]["event_date"] = (first - timedelta(days=1)).isoformat()
        refused = await company.post("/api/v1/applications", json=body)
        assert refused.status_code == 422, refused.text
        [problem] = [p for p in refused.json()["errors"] if p["field"] == "form.event_date"]
        assert (problem["rule"], problem["earliest"]) == ("date_too_soon", first.isoformat())

        body["form"]["event_date"] = first.isoformat()
        accepted = await company.post("/api/v1/applications", json=body)
        assert accepted.status_code == 201, accepted.text
        await company.aclose()
