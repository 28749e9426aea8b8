"""The citizen's whole journey in real headless Chromium on a phone-sized screen, against the real stack:
search in plain words, one notice with guidance, sign in, the pre-filled form, submit, live progress,
a correction, completion, the e-licence wallet and its public verification, and the rating.

Screenshots of every step land in artifacts/screenshots/citizen-journey/.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from playwright.async_api import Page, expect
from sqlmodel import Session, select
from temporalio.testing import WorkflowEnvironment

from core.auth import Role
from one_things.demo import DEMO_PHOTO
from persistence.db import make_engine
from persistence.register import Resident
from tests.pages.browser import PHONE, chromium, screenshot_path
from tests.support.stack import Stack, running_stack
from tests.support.staff import approve_queue

JOURNEY = "citizen-journey"
PNG = DEMO_PHOTO  # a whole PNG: the server decodes every byte of a material
CASE_URL = re.compile(r".*/cases/(\d{8}-[0-9A-Z]{8})$")


def all_id_numbers(stack: Stack) -> list[str]:
    engine = make_engine(stack.settings.projection_url)
    with Session(engine) as session:
        numbers = [resident.id_no for resident in session.exec(select(Resident)).all()]
    engine.dispose()
    assert numbers, "the demo residents were not seeded"
    return numbers


class Journey:
    """Takes a screenshot of each step and checks that no page shows a full resident ID number."""

    def __init__(self, page: Page, id_numbers: list[str]) -> None:
        self.page, self.id_numbers, self.step = page, id_numbers, 0

    async def snap(self, name: str) -> None:
        self.step += 1
        await self.page.screenshot(path=screenshot_path(JOURNEY, f"{self.step:02d}-{name}"), full_page=True)
        html = await self.page.content()
        leaked = [number for number in self.id_numbers if number in html]
        assert not leaked, f"step {name}: a full resident ID number is on the page"


async def test_newborn_journey_from_search_to_rating(dev_env: WorkflowEnvironment, data_dir: Path) -> None:
    async with running_stack(dev_env.client, data_dir) as stack, chromium() as browser:
        # The item with a sync REST back-end asks for a correction of the first submission.
        await stack.configure("medical_insurance", correction_rate=1.0, latency_ms=50)
        staff = stack.as_user(Role.STAFF, "clerk-1", department="cdc")
        stop = asyncio.Event()
        clerk = asyncio.create_task(approve_queue(staff, stop))
        context = await browser.new_context(viewport=PHONE, locale="zh-CN", base_url=stack.settings.api_url)
        page = await context.new_page()
        journey = Journey(page, all_id_numbers(stack))
        try:
            await walk(page, journey, stack)
        finally:
            stop.set()
            await clerk
            await staff.aclose()
            await context.close()


async def walk(page: Page, journey: Journey, stack: Stack) -> None:
    # Search in plain words.
    await page.goto("/")
    await page.get_by_label("您想办什么事").fill("生孩子")
    await page.get_by_role("button", name="搜索").click()
    await expect(page.get_by_role("link", name="新生儿出生一件事")).to_be_visible()
    await journey.snap("search")
    await page.get_by_role("link", name="新生儿出生一件事").click()

    # One notice: before/after, and guidance deciding what applies.
    await expect(page.locator('[data-figure="steps"]')).to_have_text("22 → 2")
    await page.get_by_role("radio", name="外省市").check()
    await page.get_by_role("button", name="更新办理清单").click()
    await expect(page.locator('[data-item="hukou_registration"]')).to_have_count(0)
    graph = page.get_by_role("img", name=re.compile("办理顺序"))
    await expect(graph.locator("g[data-node]")).to_have_count(2)  # the order of handling follows the plan
    await page.get_by_role("radio", name="本区").check()
    await page.get_by_role("button", name="更新办理清单").click()
    await expect(page.locator("#plan-items li")).to_have_count(5)
    await expect(page.locator("#promised-total")).to_contain_text("14")
    await expect(graph).to_be_visible()
    await expect(graph).to_have_accessible_name(re.compile("关键路径 14 个工作日 · 逐项办理 22 个工作日"))
    await expect(graph.locator("g[data-node]")).to_have_count(5)
    critical = graph.locator('g[data-critical="true"]')
    await expect(critical).to_have_count(3)
    await expect(critical.first).to_contain_text("出生医学证明签发")
    await expect(page.locator("#materials-provide")).to_contain_text("新生儿免冠照片")
    await journey.snap("notice")
    await page.get_by_role("link", name="开始申请").click()

    # Sign in as the demo mother at the (demo) identity provider; back to the form, pre-filled.
    await expect(page).to_have_url(re.compile(r".*/demo-idp/authorize\?.*code_challenge_method=S256.*"))
    await page.get_by_role("radio", name=re.compile("李梅")).check()
    await journey.snap("sign-in")
    await page.get_by_role("button", name="登录").click()
    await expect(page.locator("#prefill-summary")).to_contain_text("已为您自动填好 7 项,您只需填写 4 项")
    await expect(page.locator('[data-prefilled="father_id_no"]')).to_contain_text("****")
    await journey.snap("form-prefilled")

    # A mistake first: the page names the field; then the fix.
    await page.get_by_label("新生儿姓名").fill("王小宝")
    await page.get_by_label("新生儿性别").select_option("female")
    await page.get_by_label("新生儿出生日期").fill("2099-01-01")
    await page.get_by_role("button", name="提交申请").click()
    await expect(page.locator("#form-errors")).to_contain_text("新生儿出生日期")
    await expect(page.locator("#form-errors")).to_contain_text("出生医院")
    await expect(page.locator("#form-errors")).to_contain_text("新生儿免冠照片")  # the one material to provide
    await journey.snap("form-errors")
    today = await page.evaluate("new Date(Date.now() - 3 * 86400000).toISOString().slice(0, 10)")
    await page.get_by_label("新生儿出生日期").fill(today)
    await page.get_by_label("出生医院").fill("上海市第一妇婴保健院")
    await page.get_by_label("上传: 新生儿免冠照片").set_input_files(
        files=[{"name": "baby.png", "mimeType": "image/png", "buffer": PNG}]
    )
    await page.get_by_role("button", name="提交申请").click()
    await expect(page).to_have_url(CASE_URL)
    await expect(page.locator("#uploaded")).to_contain_text("新生儿免冠照片")
    match = CASE_URL.match(page.url)
    assert match is not None
    case_no = match.group(1)

    # Live progress: the correction request appears without a reload.
    correction = page.locator("form.correction")
    await expect(correction).to_be_visible(timeout=30_000)
    await expect(page.locator('[data-item="birth_certificate"]')).to_have_attribute("data-status", "completed")
    await journey.snap("correction-requested")
    await correction.get_by_label("联系电话").fill("13900139000")
    await correction.get_by_role("button", name="提交补正").click()

    # Completion, still live, then the rating form.
    await expect(page.locator("#case-status")).to_have_attribute("data-status", "completed", timeout=60_000)
    await expect(page.locator(".timeline li.completed")).to_have_count(5)
    await journey.snap("completed")
    rating = page.locator("#rating")
    groups = rating.get_by_role("group")
    for index in range(await groups.count()):  # nothing is pre-selected: every score is chosen
        await groups.nth(index).get_by_label("5", exact=False).check()
    cdc = rating.get_by_role("group", name="上海市疾病预防控制中心")
    await cdc.get_by_label("2", exact=False).check()
    await cdc.get_by_label("意见").fill("接种证等了很久")
    await rating.get_by_role("button", name="提交评价").click()
    await expect(page.locator("#rated")).to_be_visible()
    await expect(page.locator('[data-rated="cdc"]')).to_contain_text("已要求部门整改")
    await journey.snap("rated")

    # The wallet holds the five results (and the marriage certificate); one verifies publicly.
    await page.get_by_role("link", name="电子证照").click()
    await expect(page.locator(".licence")).to_have_count(6)
    await expect(page.locator('.licence[data-kind="birth_certificate"] svg')).to_be_visible()
    await journey.snap("wallet")
    await page.locator('.licence[data-kind="birth_certificate"]').get_by_role("link").click()
    await expect(page.locator("#verdict")).to_have_attribute("data-status", "genuine")
    await journey.snap("verified")

    # The inbox told the citizen at every step; English and elder mode change the case page.
    await page.get_by_role("link", name="消息").click()
    await expect(page.locator(".message")).to_have_count(8)  # accepted, correction, 5 items, all done
    await journey.snap("inbox")
    await page.goto(f"/cases/{case_no}")
    await expect(page.locator('[data-rectification="cdc"]')).to_contain_text("等待部门答复")  # 15 working days
    await page.get_by_role("link", name="English").click()
    await expect(page.locator("#case-status")).to_have_text("done")
    await page.get_by_role("link", name="Elder mode").click()
    await expect(page.locator("body")).to_have_class(re.compile("elder"))
    await journey.snap("elder-english")
    records = (await stack.stubs.get("/admin/medical_insurance/records")).json()
    assert [record["idempotency_key"] for record in records if record["idempotency_key"].startswith(case_no)] == [
        f"{case_no}:medical_insurance",
        f"{case_no}:medical_insurance:r1",
    ]
