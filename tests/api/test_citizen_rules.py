"""The citizen-facing rules over real HTTP: search, one notice, guidance, held data filled in, rate limit,
CSRF on cookie sessions, pages that never show one citizen another's case, and pages with no CDN."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from api.sessions import CSRF_HEADER, SESSION_COOKIE, csrf_token
from core.auth import Role
from one_things.catalog import load_catalog
from one_things.demo import demo_materials
from tests.support.stack import Stack, running_stack, token

pytestmark = pytest.mark.e2e

TYPED_ONLY = {"newborn_name": "王小宝", "newborn_sex": "female", "birth_hospital": "上海市第一妇婴保健院"}
ANSWERS = {"hukou_location": "this_district"}
MATERIALS = demo_materials(load_catalog().get("newborn"))


def typed_form() -> dict[str, str]:
    birth_date = (date.today() - timedelta(days=3)).isoformat()
    return {**TYPED_ONLY, "newborn_birth_date": birth_date}


def browser(stack: Stack, subject: str) -> tuple[httpx.AsyncClient, str]:
    """A client holding a citizen's session cookie, and that session's CSRF token."""
    session = token(stack.settings, Role.CITIZEN, subject)
    client = httpx.AsyncClient(base_url=stack.settings.api_url, cookies={SESSION_COOKIE: session}, timeout=30)
    return client, csrf_token(stack.settings.secret_key, session)


async def test_search_notice_and_guidance(dev_env: WorkflowEnvironment, data_dir: Path) -> None:
    async with running_stack(dev_env.client, data_dir, with_worker=False) as stack:
        citizen = stack.as_user(Role.CITIZEN, "demo-mother-1")
        for words in ("生孩子", "宝宝出生了", "my baby was born"):
            found = (await citizen.get("/api/v1/things", params={"q": words})).json()
            assert [thing["code"] for thing in found] == ["newborn"], words
        assert (await citizen.get("/api/v1/things", params={"q": "卖房子"})).json() == []

        notice = (await citizen.get("/api/v1/things/newborn")).json()["notice"]
        assert notice["before"] == {"steps": 22, "days": 100, "materials": 3, "trips": 14}
        assert notice["after"]["steps"] == 2
        assert notice["after"]["trips"] == 0
        assert [m["code"] for m in notice["materials_to_provide"]] == ["newborn_photo"]
        assert {m["source"] for m in notice["materials_exempt"]} == {"shared_data", "licence_library"}

        here = (await citizen.post("/api/v1/things/newborn/plan", json={"answers": ANSWERS})).json()
        assert [item["code"] for item in here["items"]] == [
            "birth_certificate",
            "vaccination_certificate",
            "hukou_registration",
            "social_security_card",
            "medical_insurance",
        ]
        assert here["promised_days"] == 14
        assert here["sequential_days"] == sum(item["promised_days"] for item in here["items"])
        elsewhere = await citizen.post(
            "/api/v1/things/newborn/plan", json={"answers": {"hukou_location": "other_province", "born_in_city": "no"}}
        )
        assert [item["code"] for item in elsewhere.json()["items"]] == ["birth_certificate"]
        bad = await citizen.post("/api/v1/things/newborn/plan", json={"answers": {"hukou_location": "mars"}})
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["field"] == "answers.hukou_location"


async def test_held_data_is_filled_in_and_new_applications_are_rate_limited(
    dev_env: WorkflowEnvironment, data_dir: Path
) -> None:
    async with running_stack(dev_env.client, data_dir, with_worker=False, submissions_per_hour=2) as stack:
        citizen = stack.as_user(Role.CITIZEN, "demo-mother-1")
        body = {"thing": "newborn", "answers": ANSWERS, "form": typed_form(), "materials": MATERIALS}
        first = await citizen.post("/api/v1/applications", json=body, headers={"Idempotency-Key": "a-1"})
        assert first.status_code == 201, first.text  # only the four fields the government cannot know
        second = await citizen.post("/api/v1/applications", json=body, headers={"Idempotency-Key": "a-2"})
        assert second.status_code == 201
        third = await citizen.post("/api/v1/applications", json=body, headers={"Idempotency-Key": "a-3"})
        assert third.status_code == 429
        assert third.headers["Retry-After"]
        assert "per hour" in third.json()["detail"]
        repeat = await citizen.post("/api/v1/applications", json=body, headers={"Idempotency-Key": "a-1"})
        assert repeat.status_code == 200  # a repeat of an accepted application is not a new one
        assert repeat.json()["case_no"] == first.json()["case_no"]
        # Someone the register does not know is not a parent it records: refused, naming the rule.
        stranger = stack.as_user(Role.CITIZEN, "not-in-the-register")
        refused = await stranger.post("/api/v1/applications", json=body, headers={"Idempotency-Key": "s-1"})
        assert refused.status_code == 403
        assert refused.json()["rule"] == "applicant_not_registered"


async def test_cookie_sessions_need_the_csrf_token_to_change_anything(
    dev_env: WorkflowEnvironment, data_dir: Path
) -> None:
    async with running_stack(dev_env.client, data_dir, with_worker=False) as stack:
        client, csrf = browser(stack, "demo-mother-1")
        async with client:
            assert (await client.get("/api/v1/applications")).status_code == 200  # reading needs no token
            body = {"thing": "newborn", "answers": ANSWERS, "form": typed_form(), "materials": MATERIALS}
            forged = await client.post("/api/v1/applications", json=body)
            assert forged.status_code == 403
            assert CSRF_HEADER in forged.json()["detail"]
            accepted = await client.post("/api/v1/applications", json=body, headers={CSRF_HEADER: csrf})
            assert accepted.status_code == 201
            page_post = await client.post(f"/cases/{accepted.json()['case_no']}/withdraw", data={"confirm": "yes"})
            assert page_post.status_code == 403  # a page form without its token


async def test_pages_show_no_one_another_citizens_case(dev_env: WorkflowEnvironment, data_dir: Path) -> None:
    async with running_stack(dev_env.client, data_dir) as stack:
        owner = stack.as_user(Role.CITIZEN, "demo-mother-1")
        body = {"thing": "newborn", "answers": ANSWERS, "form": typed_form(), "materials": MATERIALS}
        case_no = (await owner.post("/api/v1/applications", json=body)).json()["case_no"]
        other, csrf = browser(stack, "demo-mother-2")
        async with other:
            for path in (f"/cases/{case_no}", f"/cases/{case_no}/live"):
                response = await other.get(path)
                assert response.status_code == 404, path
                assert "text/html" in response.headers["content-type"]
            for path, form in (
                (f"/cases/{case_no}/withdraw", {"confirm": "yes"}),
                (f"/cases/{case_no}/supplement", {"item_code": "medical_insurance", "field.contact_phone": "1"}),
                (f"/cases/{case_no}/rating", {"score.overall": "1"}),
            ):
                response = await other.post(path, data={**form, "csrf_token": csrf})
                assert response.status_code == 404, path
            assert case_no not in (await other.get("/cases")).text
        # The owner withdraws from the page, confirming first.
        mine, my_csrf = browser(stack, "demo-mother-1")
        async with mine:
            unconfirmed = await mine.post(f"/cases/{case_no}/withdraw", data={"csrf_token": my_csrf})
            assert unconfirmed.status_code == 422
            done = await mine.post(f"/cases/{case_no}/withdraw", data={"csrf_token": my_csrf, "confirm": "yes"})
            assert done.status_code == 303
        assert (await stack.wait_case(owner, case_no, {"withdrawn"}))["status"] == "withdrawn"


async def test_pages_load_nothing_from_other_sites(dev_env: WorkflowEnvironment, data_dir: Path) -> None:
    async with running_stack(dev_env.client, data_dir, with_worker=False) as stack:
        client, _ = browser(stack, "demo-mother-1")
        async with client:
            for path in (
                "/",
                "/signin",
                "/things/newborn",
                "/things/newborn/apply?hukou_location=this_district",
                "/cases",
                "/wallet",
                "/inbox",
            ):
                response = await client.get(path, follow_redirects=True)  # /signin: to the provider's page
                assert response.status_code == 200, path
                external = re.findall(r'(?:src|href)="((?:https?:)?//[^"]+)"', response.text)
                assert external == [], (path, external)
                assert "/static/app.css" in response.text
