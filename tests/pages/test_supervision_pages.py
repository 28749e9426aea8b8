"""The supervisor's journey in real Chromium on a large screen: sign in, the live board, a red cell turning
up without a reload, the drill-down, the case with its workflow link, and 督办 reaching the department.

The stack runs on the time-skipping server, so the promised days of a real newborn case can pass while the
browser watches. Screenshots land in artifacts/screenshots/supervision/.
"""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from pathlib import Path

from playwright.async_api import expect
from temporalio.testing import WorkflowEnvironment

from core.auth import Role
from tests.api.test_case_actions import application
from tests.pages.browser import chromium, screenshot_path
from tests.support.oidc import sign_in
from tests.support.stack import running_stack

JOURNEY = "supervision"
LARGE_SCREEN = {"width": 1600, "height": 1000}


async def test_supervisor_sees_red_drills_down_and_escalates(skipping_env: WorkflowEnvironment, data_dir: Path) -> None:
    async with running_stack(skipping_env.client, data_dir) as stack, chromium() as browser:
        for department in ("health", "public_security", "human_resources", "medical_insurance"):
            await stack.configure(department, latency_ms=20, jitter_ms=0, batch_interval_ms=200)
        citizen = stack.as_user(Role.CITIZEN, "demo-mother-1")
        case_no = (await citizen.post("/api/v1/applications", json=application())).json()["case_no"]
        await citizen.aclose()

        context = await browser.new_context(viewport=LARGE_SCREEN, locale="zh-CN", base_url=stack.settings.api_url)
        page = await context.new_page()
        await page.goto("/supervision")
        await expect(page).to_have_url(re.compile(r".*/demo-idp/authorize\?.*kind=official.*"))
        await page.get_by_label("效能监督 · 督查员").check()
        await page.get_by_role("button", name="登录").click()
        await expect(page).to_have_url(re.compile(r".*/supervision$"))
        cdc = page.locator('[data-table="lights-department"] tr[data-key="cdc"]')
        await expect(cdc.locator('[data-light="green"]')).to_have_text("1", timeout=20_000)
        # The departments' systems answered every call: shown apart from how long their staff take.
        await expect(page.locator('#health tr[data-key="health"] [data-field="error_rate"]')).to_have_text("0.0%")
        await page.screenshot(path=screenshot_path(JOURNEY, "01-board-green"), full_page=True)

        # CDC's staff never decide: eight days later its three promised working days are over.
        await skipping_env.sleep(timedelta(days=8))
        await expect(cdc.locator('[data-light="red"]')).to_have_text("1", timeout=20_000)  # no reload: live
        await expect(page.locator("#overdue")).to_contain_text(case_no)
        await expect(page.locator("#chart-lights")).to_contain_text("上海市疾病预防控制中心")
        await page.screenshot(path=screenshot_path(JOURNEY, "02-board-red"), full_page=True)

        await cdc.locator('[data-light="red"] a').click()
        await expect(page).to_have_url(re.compile(r".*/supervision/items\?light=red&department=cdc$"))
        await expect(page.locator(f'tr[data-case="{case_no}"]')).to_contain_text("预防接种证")
        await page.screenshot(path=screenshot_path(JOURNEY, "03-drill-down"), full_page=True)

        await page.get_by_role("link", name=case_no).click()
        await expect(page.locator("#case-light")).to_have_text("已超期")
        await expect(page.locator("#temporal-link")).to_have_attribute(
            "href", re.compile(rf".*/workflows/case-{case_no}$")
        )
        await expect(page.locator('li[data-item="birth_certificate"]')).to_contain_text("已办结")
        vaccination = page.locator('li[data-item="vaccination_certificate"]')
        await vaccination.get_by_label("督办意见").fill("请今日办结")
        await vaccination.get_by_role("button", name="督办").click()
        await expect(page.locator("#escalated")).to_contain_text("预防接种证")
        await expect(page.locator("#escalation-log")).to_contain_text("supervisor-1")
        await page.screenshot(path=screenshot_path(JOURNEY, "04-escalated"), full_page=True)

        levels: set[str] = set()
        for _ in range(100):
            notices = (await stack.stubs.get("/admin/cdc/escalations")).json()
            levels = {notice["level"] for notice in notices if notice["case_no"] == case_no}
            if "supervisor" in levels:
                break
            await asyncio.sleep(0.2)
        assert levels == {"overdue", "supervisor"}  # the SLA clock's own notice, then the supervisor's
        await context.close()


async def test_a_signed_in_citizen_is_sent_to_the_officials_sign_in(dev_env, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    async with running_stack(dev_env.client, data_dir, with_worker=False) as stack:
        signed_in = await sign_in(stack.api, "demo-mother-1", next_url="/cases")
        assert signed_in.status_code == 303
        board = await stack.api.get("/supervision", follow_redirects=False)
        assert board.status_code == 303
        assert board.headers["location"] == "/signin/official?next=%2Fsupervision"
        assert (await stack.api.get("/cases", follow_redirects=False)).status_code == 200  # still signed in
