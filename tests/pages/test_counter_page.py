"""A window clerk serves a citizen end to end on the counter page (一窗受理), in real headless Chromium against
the real stack: identity against the register (a mismatch first), consent (missing first), the citizen's own
pre-filled form with a scanned paper material, the printable receipt; then the case runs the same workflow
and shows on the citizen's own pages.

Screenshots of every step land in artifacts/screenshots/counter/.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from playwright.async_api import Browser, Page, expect
from sqlmodel import Session, select
from temporalio.testing import WorkflowEnvironment

from core.auth import Role
from persistence.counter import CounterVisit
from persistence.data_access import PersonalDataRead
from persistence.db import make_engine
from persistence.register import get_resident
from persistence.tables import CaseRecord
from tests.pages.browser import chromium, screenshot_path
from tests.pages.test_citizen_journey import PNG, all_id_numbers
from tests.support.stack import Stack, running_stack
from tests.support.staff import approve_queue

JOURNEY = "counter"
CITIZEN = "demo-mother-1"
CLERK = "counter-xuhui"
RECEIPT_URL = re.compile(r".*/counter/receipts/(\d{8}-[0-9A-Z]{8})$")


class Steps:
    """A screenshot per step; no page may show a full resident ID number."""

    def __init__(self, page: Page, id_numbers: list[str]) -> None:
        self.page, self.id_numbers, self.step = page, id_numbers, 0

    async def snap(self, name: str) -> None:
        self.step += 1
        await self.page.screenshot(path=screenshot_path(JOURNEY, f"{self.step:02d}-{name}"), full_page=True)
        html = await self.page.content()
        assert not [n for n in self.id_numbers if n in html], f"step {name}: a full resident ID number is on the page"


def identity(stack: Stack) -> tuple[str, str]:
    engine = make_engine(stack.settings.projection_url)
    with Session(engine) as session:
        resident = get_resident(session, subject=CITIZEN)
        assert resident is not None
        found = resident.id_no, resident.name
    engine.dispose()
    return found


async def test_a_counter_clerk_serves_a_citizen_end_to_end(dev_env: WorkflowEnvironment, data_dir: Path) -> None:
    async with running_stack(dev_env.client, data_dir) as stack, chromium() as browser:
        staff = stack.as_user(Role.STAFF, "clerk-1", department="cdc")
        stop = asyncio.Event()
        approving = asyncio.create_task(approve_queue(staff, stop))
        context = await browser.new_context(
            viewport={"width": 1280, "height": 900}, locale="zh-CN", base_url=stack.settings.api_url
        )
        page = await context.new_page()
        steps = Steps(page, all_id_numbers(stack))
        try:
            case_no = await serve(page, steps, stack)
            await citizen_sees_it(browser, stack, case_no)
        finally:
            stop.set()
            await approving
            await staff.aclose()
            await context.close()


async def serve(page: Page, steps: Steps, stack: Stack) -> str:
    id_no, name = identity(stack)
    await page.goto("/signin/official")
    await page.get_by_label(re.compile("徐汇区行政服务中心 · 综合窗口")).check()
    await page.get_by_role("button", name="登录").click()
    await expect(page).to_have_url(re.compile(r".*/counter$"))
    await steps.snap("counter")

    # A mismatch is refused without saying which part differs; nothing typed is shown back.
    await page.get_by_label("身份证号").fill(id_no)
    await page.get_by_label("姓名").fill("李某")
    await page.get_by_role("button", name="核验").click()
    await expect(page.locator("#verify-error")).to_contain_text("与人口库不一致")
    await steps.snap("identity-mismatch")
    await page.get_by_label("身份证号").fill(id_no)
    await page.get_by_label("姓名").fill(name)
    await page.get_by_role("button", name="核验").click()
    await expect(page.locator("#serving")).to_contain_text("身份已核验")
    await steps.snap("verified")

    # Consent: refused unticked, then recorded.
    await page.get_by_role("button", name="记录授权").click()
    await expect(page.locator("#consent-error")).to_contain_text("未同意授权")
    await page.get_by_label("申请人已阅读并同意以上内容").check()
    await steps.snap("consent")
    await page.get_by_role("button", name="记录授权").click()
    await expect(page.locator("#consented")).to_be_visible()
    await page.get_by_role("link", name="新生儿出生一件事").click()

    # The guidance questions, asked across the desk, decide which items apply.
    await page.get_by_role("radio", name="本区").check()
    await steps.snap("questions")
    await page.get_by_role("button", name="继续").click()

    # The citizen's own pre-filled form, the paper photo scanned in.
    await expect(page.locator("#prefill-summary")).to_contain_text("7")
    await expect(page.locator('[data-prefilled="mother_id_no"]')).to_contain_text("****")
    await steps.snap("form-prefilled")
    await page.get_by_label("新生儿姓名").fill("王小宝")
    await page.get_by_label("新生儿性别").select_option("female")
    day = await page.evaluate("new Date(Date.now() - 3 * 86400000).toISOString().slice(0, 10)")
    await page.get_by_label("新生儿出生日期").fill(day)
    await page.get_by_label("出生医院").fill("上海市第一妇婴保健院")
    await page.get_by_label("上传: 新生儿免冠照片").set_input_files(
        files=[{"name": "scan.png", "mimeType": "image/png", "buffer": PNG}]
    )
    await steps.snap("form-filled")
    await page.get_by_role("button", name="提交申请").click()

    # The receipt: the case number, the items, the promise; the ID number masked.
    await expect(page).to_have_url(RECEIPT_URL)
    match = RECEIPT_URL.match(page.url)
    assert match is not None
    case_no = match.group(1)
    await expect(page.locator("#receipt-case-no")).to_have_text(case_no)
    await expect(page.locator("#receipt")).to_contain_text("****")
    await expect(page.locator("#receipt-items li")).to_have_count(5)
    await expect(page.locator("#receipt-promised")).to_contain_text("14")
    await steps.snap("receipt")
    await page.emulate_media(media="print")
    await steps.snap("receipt-print")
    return case_no


async def citizen_sees_it(browser: Browser, stack: Stack, case_no: str) -> None:
    """The same workflow runs the case to completion, and it is on the citizen's own pages."""
    citizen = stack.as_user(Role.CITIZEN, CITIZEN)
    try:
        case = await stack.wait_case(citizen, case_no, {"completed"}, timeout=120)
    finally:
        await citizen.aclose()
    assert (case["owner"], case["acted_by"]) == (CITIZEN, CLERK)
    engine = make_engine(stack.settings.projection_url)
    with Session(engine) as session:
        record = session.get(CaseRecord, case_no)
        assert record is not None
        assert record.channel == "counter"
        visits = session.exec(select(CounterVisit).where(CounterVisit.citizen == CITIZEN)).all()
        assert [v.clerk for v in visits] == [CLERK]
        assert visits[0].consented_at is not None
        reads = session.exec(select(PersonalDataRead).where(PersonalDataRead.reader == CLERK)).all()
        assert {r.purpose for r in reads} == {"counter"}
        assert case_no in {r.case_no for r in reads}
    engine.dispose()
    context = await browser.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN", base_url=stack.settings.api_url
    )
    page = await context.new_page()
    try:
        await page.goto("/signin")
        await page.get_by_role("radio", name=re.compile("李梅")).check()
        await page.get_by_role("button", name="登录").click()
        await page.goto("/cases")
        await expect(page.get_by_text(case_no)).to_be_visible()
        await page.screenshot(path=screenshot_path(JOURNEY, "10-citizen-cases"), full_page=True)
        await page.goto("/data-access")
        await expect(page.locator("main")).to_contain_text(CLERK)
        await page.screenshot(path=screenshot_path(JOURNEY, "11-citizen-data-access"), full_page=True)
    finally:
        await context.close()
