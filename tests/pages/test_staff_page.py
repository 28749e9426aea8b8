"""A CDC clerk's day in real Chromium: sign in, the department's queue with its deadline, claim, open the
workbench, look at the newborn's photo and the parents' masked data, approve with the certificate number."""

from __future__ import annotations

import re
import struct
import zlib
from base64 import b64encode
from datetime import date, datetime, timedelta
from pathlib import Path

from playwright.async_api import BrowserContext, Page, expect
from sqlmodel import Session
from temporalio.testing import WorkflowEnvironment

from api.sessions import SESSION_COOKIE
from core.auth import Principal, Role, issue_token
from core.calendar import TZ, is_working_day
from core.database import create_sql_engine
from core.privacy import mask_id_no, mask_name
from persistence.register import get_resident, get_spouse
from tests.api.test_case_actions import application
from tests.pages.browser import PHONE, chromium, screenshot_path
from tests.support.stack import running_stack

CITIZEN = "citizen-staff-page"


def portrait_png(width: int = 120, height: int = 160) -> bytes:
    """A real PNG the size of an ID photo (a grey face on light blue), made here so the test needs no image files."""
    rows = b""
    for y in range(height):
        row = bytearray(b"\x00")  # filter: none
        for x in range(width):
            face = (x - width / 2) ** 2 / 30**2 + (y - height / 2.4) ** 2 / 40**2 <= 1
            row += bytes((200, 200, 200) if face else (150, 190, 230))
        rows += bytes(row)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def last_day_on_time(started: datetime, working_days: int) -> date:
    """Counted here on its own: the start's Shanghai day does not count, then `working_days` working days."""
    day, counted = started.astimezone(TZ).date(), 0
    while counted < working_days:
        day += timedelta(days=1)
        counted += is_working_day(day)
    return day


async def clerk_claims(context: BrowserContext, case_no: str, *, screenshot: str | None = None) -> Page:
    """Signs in as the CDC's clerk, waits for the case's item in the queue (deadline and light computed),
    claims it and opens its workbench."""
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
    if screenshot:
        await page.screenshot(path=screenshot_path("staff", screenshot), full_page=True)
    await card.get_by_role("link", name="打开办理页").click()
    await expect(page.locator("h1")).to_contain_text(f"预防接种证办理 · {case_no}")
    return page


async def view_photo(context: BrowserContext, page: Page, screenshot: str) -> list[int]:
    """Opens the uploaded photo from the workbench; its size in pixels as the browser decoded it."""
    async with context.expect_page() as opened:
        await page.get_by_role("link", name=re.compile("查看 新生儿免冠照片")).click()
    photo = await opened.value
    await photo.wait_for_load_state()
    size: list[int] = await photo.evaluate("[document.images[0].naturalWidth, document.images[0].naturalHeight]")
    await photo.screenshot(path=screenshot_path("staff", screenshot))
    await photo.close()
    return size


async def test_clerk_views_the_photo_and_masked_parents_then_approves(
    dev_env: WorkflowEnvironment, data_dir: Path
) -> None:
    async with running_stack(dev_env.client, data_dir) as stack, chromium() as browser:
        citizen = stack.as_user(Role.CITIZEN, CITIZEN)
        body = application()
        body["materials"] = {"newborn_photo": b64encode(portrait_png()).decode()}
        case_no = (await citizen.post("/api/v1/applications", json=body)).json()["case_no"]
        with Session(create_sql_engine(stack.settings.projection_url)) as session:
            mother = get_resident(session, subject=CITIZEN)
            assert mother is not None
            father = get_spouse(session, resident=mother)
            assert father is not None
        context = await browser.new_context(
            viewport={"width": 1280, "height": 900}, locale="zh-CN", base_url=stack.settings.api_url
        )
        page = await clerk_claims(context, case_no, screenshot="01-claimed")
        # The parents, masked: this item does not need their ID numbers or the father's name.
        form = page.locator("#application")
        await expect(form.locator('[data-field="mother_id_no"]')).to_contain_text(mask_id_no(mother.id_no))
        await expect(form.locator('[data-field="father_id_no"]')).to_contain_text(mask_id_no(father.id_no))
        await expect(form.locator('[data-field="father_name"]')).to_contain_text(mask_name(father.name))
        await expect(page.locator("#applicant")).to_contain_text(mask_id_no(mother.id_no))
        html = await page.content()
        assert mother.id_no not in html
        assert father.id_no not in html
        # What it needs, in full: the mother's name goes to the CDC with the item.
        await expect(form.locator('[data-field="mother_name"]')).to_have_text(mother.name)
        # The deadline: the last day on time, 3 working days after the day the item came in.
        case = (await citizen.get(f"/api/v1/applications/{case_no}")).json()
        item = next(i for i in case["items"] if i["code"] == "vaccination_certificate")
        due = last_day_on_time(datetime.fromisoformat(item["started_at"]), 3)
        await expect(page.locator("#deadline")).to_contain_text(f"承诺期限(最后一天) {due.isoformat()}")
        await expect(page.locator("#other-items")).to_contain_text("出生医学证明签发")
        await page.screenshot(path=screenshot_path("staff", "02-workbench"), full_page=True)

        assert await view_photo(context, page, "03-photo") == [120, 160]

        await page.get_by_label("预防接种证编号").fill("YM0000000042")
        await page.get_by_role("button", name="提交").click()
        await expect(page.locator("#decided")).to_contain_text(case_no, timeout=15_000)
        await page.screenshot(path=screenshot_path("staff", "04-decided"), full_page=True)
        case = await stack.wait_case(citizen, case_no, {"completed"})
        vaccination = next(i for i in case["items"] if i["code"] == "vaccination_certificate")
        assert vaccination["output"] == {"vaccination_cert_no": "YM0000000042"}
        # Both views are on the citizen's own record of who read their data.
        reads = (await citizen.get("/api/v1/me/data-access")).json()["entries"]
        # (A department system fetching the photo for its own item is on that record too, as `system:<code>`,
        # whenever its call happens to run: tests/routers/test_department_materials.py covers it.)
        clerk_reads = [r for r in reads if r["case_no"] == case_no and not r["reader"].startswith("system:")]
        assert sorted((r["reader"], r["what"]) for r in clerk_reads) == [
            ("clerk-cdc", "form"),
            ("clerk-cdc", "materials"),
        ]
        await citizen.aclose()
        await context.close()


async def test_clerk_asks_for_a_new_photo_and_the_citizen_uploads_it_on_the_case_page(
    dev_env: WorkflowEnvironment, data_dir: Path
) -> None:
    subject = "citizen-staff-fix-page"
    async with running_stack(dev_env.client, data_dir) as stack, chromium() as browser:
        citizen = stack.as_user(Role.CITIZEN, subject)
        body = application()
        body["materials"] = {"newborn_photo": b64encode(portrait_png(60, 80)).decode()}
        case_no = (await citizen.post("/api/v1/applications", json=body)).json()["case_no"]
        clerk = await browser.new_context(
            viewport={"width": 1280, "height": 900}, locale="zh-CN", base_url=stack.settings.api_url
        )
        page = await clerk_claims(clerk, case_no)
        assert await view_photo(clerk, page, "05-small-photo") == [60, 80]
        await page.get_by_role("radio", name="要求补正").check()
        await page.get_by_label("补正内容(要求补正时选择)").select_option(label="新生儿免冠照片(电子版)")
        await page.get_by_label(re.compile("^理由")).fill("照片太小,请上传清晰的免冠照片")
        await page.screenshot(path=screenshot_path("staff", "06-asking-correction"), full_page=True)
        await page.get_by_role("button", name="提交").click()
        await expect(page.locator("#decided")).to_contain_text(case_no, timeout=15_000)

        parent = await browser.new_context(viewport=PHONE, locale="zh-CN", base_url=stack.settings.api_url)
        token = issue_token(stack.settings.secret_key, Principal(role=Role.CITIZEN, subject=subject))
        await parent.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": stack.settings.api_url}])
        phone = await parent.new_page()
        await phone.goto(f"/cases/{case_no}")
        correction = phone.locator("form.correction")
        await expect(correction).to_contain_text("新生儿免冠照片(电子版):照片太小,请上传清晰的免冠照片", timeout=30_000)
        await correction.get_by_label(re.compile("重新上传:新生儿免冠照片")).set_input_files(
            files=[{"name": "baby.png", "mimeType": "image/png", "buffer": portrait_png()}]
        )
        await phone.screenshot(path=screenshot_path("staff", "07-citizen-uploads-again"), full_page=True)
        await correction.get_by_role("button", name="提交补正").click()
        await expect(phone).to_have_url(re.compile(rf".*/cases/{case_no}$"))

        page = await clerk_claims(clerk, case_no)  # back in the queue, round 1, to be claimed again
        await expect(page.locator("h1")).to_contain_text("第 1 次补正后")
        assert await view_photo(clerk, page, "08-new-photo") == [120, 160]
        await expect(page.locator("#history")).to_contain_text("需要补正:预防接种证办理")
        await expect(page.locator("#history")).to_contain_text("认领 (第 1 次补正后) · clerk-cdc")
        await page.get_by_label("预防接种证编号").fill("YM0000000043")
        await page.get_by_role("button", name="提交").click()
        case = await stack.wait_case(citizen, case_no, {"completed"})
        vaccination = next(i for i in case["items"] if i["code"] == "vaccination_certificate")
        assert (vaccination["output"], vaccination["round"]) == ({"vaccination_cert_no": "YM0000000043"}, 1)
        await citizen.aclose()
        await clerk.close()
        await parent.close()
