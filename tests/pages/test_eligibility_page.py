"""An ineligible family in real Chromium: told why on the form, offered the items one by one, and the
single item's form asks for the certificate number they already hold."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

from playwright.async_api import expect
from temporalio.testing import WorkflowEnvironment

from tests.pages.browser import PHONE, chromium, screenshot_path
from tests.pages.test_citizen_journey import PNG
from tests.support.stack import running_stack


async def test_a_baby_over_a_year_old_is_routed_to_single_items(dev_env: WorkflowEnvironment, data_dir: Path) -> None:
    async with running_stack(dev_env.client, data_dir, with_worker=False) as stack, chromium() as browser:
        context = await browser.new_context(viewport=PHONE, locale="zh-CN", base_url=stack.settings.api_url)
        page = await context.new_page()
        await page.goto("/signin?next=/things/newborn/apply?hukou_location%3Dthis_district")
        await page.get_by_role("radio", name=re.compile("李梅")).check()
        await page.get_by_role("button", name="登录").click()
        await page.get_by_label("新生儿姓名").fill("王小宝")
        await page.get_by_label("新生儿性别").select_option("female")
        await page.get_by_label("新生儿出生日期").fill((date.today() - timedelta(days=400)).isoformat())
        await page.get_by_label("出生医院").fill("上海市第一妇婴保健院")
        await page.get_by_label("上传: 新生儿免冠照片").set_input_files(
            files=[{"name": "baby.png", "mimeType": "image/png", "buffer": PNG}]
        )
        await page.get_by_role("button", name="提交申请").click()
        await expect(page.locator("#form-errors")).to_contain_text("宝宝已满一年")
        offered = page.locator("#individual-items a")
        await expect(offered).to_have_count(5)
        await page.screenshot(path=screenshot_path("eligibility", "01-ruled-out"), full_page=True)

        await page.locator("#individual-items").get_by_role("link", name="户口").click()
        await expect(page).to_have_url(re.compile(r".*/things/newborn/apply\?item=hukou_registration$"))
        await expect(page.get_by_label("出生医学证明编号")).to_be_visible()  # from the certificate they hold
        await expect(page.get_by_label("出生医院")).to_have_count(0)  # the hukou item does not read it
        await page.screenshot(path=screenshot_path("eligibility", "02-single-item"), full_page=True)
        await context.close()
