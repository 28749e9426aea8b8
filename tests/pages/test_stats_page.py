"""The leaders' statistics on the real stack: three newborn cases (one applied for in the browser with its
photo, two through the JSON API without one), rated 5, 4 and 2 overall; then the JSON, the CSV, who may
see them, and the /stats page in real Chromium on a large screen. Screenshots: artifacts/screenshots/stats/.
"""

from __future__ import annotations

import asyncio
import csv
import io
import statistics
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.async_api import Browser, Page, expect
from temporalio.testing import WorkflowEnvironment

from api.sessions import SESSION_COOKIE
from core.auth import Role
from one_things.catalog import load_catalog
from one_things.demo import DEMO_PHOTO, demo_request
from tests.pages.browser import chromium, screenshot_path
from tests.support.stack import Stack, running_stack, token
from tests.support.staff import approve_queue

pytestmark = pytest.mark.e2e
SH = ZoneInfo("Asia/Shanghai")
PNG = DEMO_PHOTO  # a whole PNG: the server decodes every byte of a material
DEPARTMENTS = ("cdc", "health", "human_resources", "medical_insurance", "public_security")
LARGE_SCREEN = {"width": 1600, "height": 1000}


async def apply_in_browser(browser: Browser, stack: Stack) -> str:
    """李梅 applies with the newborn's photo, as in the citizen journey."""
    context = await browser.new_context(locale="zh-CN", base_url=stack.settings.api_url)
    page = await context.new_page()
    await page.goto("/things/newborn/apply?hukou_location=this_district")
    await page.get_by_role("radio", name="李梅").check()
    await page.get_by_role("button", name="登录").click()
    await page.get_by_label("新生儿姓名").fill("王小宝")
    await page.get_by_label("新生儿性别").select_option("female")
    await page.get_by_label("新生儿出生日期").fill(date.today().isoformat())
    await page.get_by_label("出生医院").fill("上海市第一妇婴保健院")
    photo = {"name": "baby.png", "mimeType": "image/png", "buffer": PNG}
    await page.get_by_label("上传: 新生儿免冠照片").set_input_files(files=[photo])
    await page.get_by_role("button", name="提交申请").click()
    await expect(page.locator("#uploaded")).to_contain_text("新生儿免冠照片")
    case_no = page.url.rsplit("/", 1)[-1]
    await context.close()
    return case_no


async def completed_and_rated(stack: Stack, browser: Browser) -> list[dict[str, Any]]:
    for department in ("health", "public_security", "human_resources", "medical_insurance"):
        await stack.configure(department, latency_ms=20, jitter_ms=0, batch_interval_ms=100)
    stop = asyncio.Event()
    clerk = asyncio.create_task(approve_queue(stack.as_user(Role.STAFF, "clerk", department="cdc"), stop))
    mother = stack.as_user(Role.CITIZEN, "demo-mother-1")
    other = stack.as_user(Role.CITIZEN, "citizen-stats")
    body = demo_request(load_catalog().get("newborn"), date.today())
    owners = {await apply_in_browser(browser, stack): mother}
    for key in ("stats-1", "stats-2"):
        response = await other.post("/api/v1/applications", json=body, headers={"Idempotency-Key": key})
        assert response.status_code == 201, response.text
        owners[response.json()["case_no"]] = other
    cases = [await stack.wait_case(citizen, case_no, {"completed"}) for case_no, citizen in owners.items()]
    stop.set()
    await clerk
    for (case_no, citizen), overall in zip(owners.items(), (5, 4, 2), strict=True):
        rating = {
            "overall": {"score": overall, "comment": ""},
            "departments": [{"department": d, "score": 5, "comment": ""} for d in DEPARTMENTS],
        }
        response = await citizen.post(f"/api/v1/applications/{case_no}/rating", json=rating)
        assert response.status_code == 201, response.text
    return cases


def calendar_days(case: dict[str, Any]) -> int:
    accepted, finished = (
        datetime.fromisoformat(case[key]).astimezone(SH).date() for key in ("accepted_at", "finished_at")
    )
    return (finished - accepted).days


async def check_json(stack: Stack, cases: list[dict[str, Any]]) -> None:
    leader = stack.as_user(Role.LEADER, "leader-1")
    things = (await leader.get("/api/v1/stats/things")).json()["things"]
    [newborn] = [thing for thing in things if thing["thing"] == "newborn"]
    assert all(thing["cases"]["accepted"] == 0 for thing in things if thing["thing"] != "newborn")
    assert newborn["baseline"] == {
        "steps": 22,
        "days": 100,
        "materials": 3,
        "trips": 14,
        "source": load_catalog().get("newborn").baseline.source,
    }
    assert newborn["cases"] == {
        "accepted": 3,
        "completed": 3,
        "rejected": 0,
        "withdrawn": 0,
        "running": 0,
        "individual": 0,
    }
    measured = newborn["measured"]
    assert measured["steps"] == 1  # one application each, no correction
    assert measured["calendar_days"]["median"] == statistics.median(calendar_days(c) for c in cases)
    assert measured["materials_provided"] == 1  # the photo, required through the API as on the page
    assert measured["materials_exempt"] == 4  # ID cards, hukou booklet, birth and marriage certificates
    assert measured["trips"] == 0
    assert newborn["reduction"]["steps"] == 95.5
    assert newborn["reduction"]["materials"] == 66.7  # 3 → 1, the seed's figure
    assert newborn["reduction"]["trips"] == 100
    assert newborn["reviews"] == {"ratings": 3, "good": 2, "rate": 66.7}

    today = datetime.now(SH).date()
    weeks = (await leader.get("/api/v1/stats/volumes", params={"from": str(today)})).json()["weeks"]
    volumes = [week for week in weeks if week["thing"] == "newborn"]
    assert all(w["accepted"] == 0 for w in weeks if w["thing"] != "newborn")
    assert [(w["accepted"], w["completed"], w["rejected"], w["withdrawn"]) for w in volumes] == [(3, 3, 0, 0)]
    assert volumes[0]["iso_week"] == f"{today.isocalendar().year}-W{today.isocalendar().week:02d}"
    reviews = (await leader.get("/api/v1/stats/reviews")).json()
    assert reviews["good_at_least"] == 4
    rated = [w for w in reviews["weeks"] if w["thing"] == "newborn"]
    assert [(w["ratings"], w["good"], w["rate"]) for w in rated] == [(3, 2, 66.7)]
    earlier = (await leader.get("/api/v1/stats/things", params={"to": "2020-12-31"})).json()["things"]
    [before] = [thing for thing in earlier if thing["thing"] == "newborn"]
    assert before["cases"]["accepted"] == 0
    assert before["measured"]["steps"] is None

    bad = await leader.get("/api/v1/stats/things", params={"from": "2027-02-01", "to": "2027-01-01"})
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert bad.json()["errors"] == [{"field": "from", "message": "must not be after 'to'"}]
    await leader.aclose()


async def check_csv(stack: Stack) -> None:
    supervisor = stack.as_user(Role.SUPERVISOR, "supervisor-1")
    response = await supervisor.get("/api/v1/stats/things.csv", params={"from": "2020-01-01"})
    await supervisor.aclose()
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="onething-stats_2020-01-01_latest.csv"'
    assert response.content.startswith("\ufeff".encode())  # spreadsheet programs then read the Chinese names
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == len(load_catalog())  # every one-thing, with or without cases
    [row] = [row for row in rows if row["thing"] == "newborn"]
    assert (row["thing"], row["name_zh"], row["from"], row["to"]) == ("newborn", "新生儿出生一件事", "2020-01-01", "")
    assert (row["accepted"], row["completed"], row["steps_before"], row["steps_after"]) == ("3", "3", "22", "1")
    assert (row["materials_before"], row["materials_provided"], row["materials_exempt"]) == ("3", "1", "4")
    assert (row["trips_before"], row["trips_after"], row["good_rate_pct"]) == ("14", "0", "66.7")


async def check_roles(stack: Stack) -> None:
    for role, department in ((Role.CITIZEN, None), (Role.STAFF, "cdc")):
        user = stack.as_user(role, "someone", department)
        for path in (
            "/api/v1/stats/things",
            "/api/v1/stats/things.csv",
            "/api/v1/stats/volumes",
            "/api/v1/stats/reviews",
        ):
            response = await user.get(path)
            assert response.status_code == 403, (role, path)
            assert response.json()["detail"] == "This needs one of the roles: leader, supervisor."
        await user.aclose()
    assert (await stack.api.get("/api/v1/stats/things")).status_code == 401
    cookie = {SESSION_COOKIE: token(stack.settings, Role.CITIZEN, "demo-mother-1")}
    async with httpx.AsyncClient(base_url=stack.settings.api_url, cookies=cookie) as citizen_browser:
        page = await citizen_browser.get("/stats", follow_redirects=False)
    assert page.status_code == 303  # a signed-in citizen is sent to the officials' sign-in
    assert page.headers["location"] == "/signin/official?next=%2Fstats"


async def check_page(browser: Browser, stack: Stack) -> None:
    context = await browser.new_context(viewport=LARGE_SCREEN, locale="zh-CN", base_url=stack.settings.api_url)
    page = await context.new_page()
    await page.goto("/stats")
    await page.get_by_role("radio", name="分管领导").check()
    await page.get_by_role("button", name="登录").click()
    await expect(page).to_have_url(f"{stack.settings.api_url}/stats")
    await check_table(page, "22 → 1", "66.7%")
    await expect(page.locator("svg.chart")).to_have_count(7)  # 4 measures, 2 volume charts, the review rate
    await expect(page.locator("#chart-steps title").first).to_have_text("办事环节")
    await expect(page.locator("#chart-reviews desc")).to_contain_text("新生儿出生一件事 66.7 %")
    assert await page.locator("script[src], link[href^='http']").count() == 0  # nothing from elsewhere
    await page.screenshot(path=screenshot_path("stats", "01-leader-zh"), full_page=True)

    await page.get_by_label("起始日期").fill("2027-02-01")
    await page.get_by_label("截止日期").fill("2027-01-01")
    await page.get_by_role("button", name="查看").click()
    await expect(page.locator("#range-errors")).to_contain_text("起始日期晚于截止日期")
    await page.get_by_role("link", name="全部时间").click()
    await page.get_by_role("link", name="English").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("What each one-thing saves")
    await check_table(page, "22 → 1", "66.7%")
    await page.screenshot(path=screenshot_path("stats", "02-leader-en"), full_page=True)
    async with page.expect_download() as download:
        await page.get_by_role("link", name="Download CSV").click()
    assert (await download.value).suggested_filename == "onething-stats_start_latest.csv"
    await context.close()


async def check_table(page: Page, steps: str, good_rate: str) -> None:
    row = page.locator('#things-table tr[data-thing="newborn"]')
    await expect(row.locator('[data-figure="steps"]')).to_contain_text(steps)
    await expect(row.locator('[data-figure="steps"] .cut')).to_have_text("−95.5%")
    await expect(row.locator('[data-figure="trips"]')).to_contain_text("14 → 0")
    await expect(row.locator('[data-figure="good_rate"]')).to_contain_text(good_rate)


async def test_leaders_statistics_on_the_real_stack(dev_env: WorkflowEnvironment, data_dir: Path) -> None:
    async with running_stack(dev_env.client, data_dir) as stack, chromium() as browser:
        cases = await completed_and_rated(stack, browser)
        await check_json(stack, cases)
        await check_csv(stack)
        await check_roles(stack)
        await check_page(browser, stack)
