"""A CDC clerk's day in real Chromium: sign in, the department's queue with its deadline, claim, approve."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import expect
from temporalio.testing import WorkflowEnvironment

from core.auth import Role
from tests.api.test_case_actions import application
from tests.pages.browser import chromium, screenshot_path
from tests.support.stack import running_stack


async def test_clerk_claims_and_approves_from_the_queue(dev_env: WorkflowEnvironment, data_dir: Path) -> None:
    async with running_stack(dev_env.client, data_dir) as stack, chromium() as browser:
        citizen = stack.as_user(Role.CITIZEN, "citizen-staff-page")
        case_no = (await citizen.post("/api/v1/applications", json=application())).json()["case_no"]
        context = await browser.new_context(
            viewport={"width": 1280, "height": 900}, locale="zh-CN", base_url=stack.settings.api_url
        )
        page = await context.new_page()
        await page.goto("/signin/official")
        await page.get_by_label(re.compile("疾病预防控制中心 · 窗口工作人员")).check()
        await page.get_by_role("button", name="登录").click()
        await expect(page).to_have_url(re.compile(r".*/staff$"))
        card = page.locator(f'section[data-case="{case_no}"]')
        for _ in range(150):  # the item reaches the queue once projected, its deadline and light a moment later
            if await card.locator(".light").count():
                break
            await page.wait_for_timeout(200)
            await page.reload()
        await expect(card).to_contain_text("预防接种证")
        await expect(card.locator(".light")).to_have_text("正常")
        await card.get_by_role("button", name="认领").click()
        await expect(card).to_contain_text("clerk-cdc", timeout=15_000)
        await page.screenshot(path=screenshot_path("staff", "01-claimed"), full_page=True)
        await card.get_by_label("vaccination_cert_no").fill("YM0000000042")
        await card.get_by_role("button", name="提交").click()
        await expect(page.locator("#decided")).to_contain_text(case_no, timeout=15_000)
        case = await stack.wait_case(citizen, case_no, {"completed"})
        vaccination = next(i for i in case["items"] if i["code"] == "vaccination_certificate")
        assert vaccination["output"] == {"vaccination_cert_no": "YM0000000042"}
        await citizen.aclose()
        await context.close()
