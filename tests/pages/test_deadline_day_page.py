"""In real Chromium: a case accepted on a Sunday with a 1-working-day item reads "due Monday" to the citizen,
the CDC's clerk and the supervisor (the API over real HTTP; the deadline from the real calendar activity)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import expect

from api.sessions import SESSION_COOKIE
from core.auth import Principal, Role, issue_token
from tests.pages.browser import chromium, screenshot_path
from tests.routers.test_deadline_days import ITEM, MONDAY, TUESDAY, sunday_case
from tests.support.inprocess import in_process_api
from tests.support.servers import ThreadedServer

pytestmark = pytest.mark.e2e  # Chromium: the slow tier


async def test_every_reader_sees_monday_in_the_browser(tmp_path: Path) -> None:
    async with in_process_api(tmp_path / "api") as api:
        case_no = await sunday_case(api, api.gateway, "citizen-sunday-browser")
        clerk = Principal(role=Role.STAFF, subject="cdc-sunday", department="cdc")
        readers = {
            "citizen": (Principal(role=Role.CITIZEN, subject="citizen-sunday-browser"), f"/cases/{case_no}"),
            "clerk": (clerk, f"/staff/items/{case_no}/{ITEM}"),
            "supervisor": (Principal(role=Role.SUPERVISOR, subject="sv-sunday"), f"/supervision/cases/{case_no}"),
        }
        with ThreadedServer(api.app, lifespan="off") as server:
            async with chromium() as browser:
                for reader, (principal, path) in readers.items():
                    context = await browser.new_context(base_url=server.url, locale="zh-CN")
                    token = issue_token(api.settings.secret_key, principal)
                    await context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": server.url}])
                    page = await context.new_page()
                    await page.goto(path)
                    await expect(page.locator("main")).to_contain_text(MONDAY)
                    await expect(page.locator("main")).not_to_contain_text(TUESDAY)
                    await page.screenshot(path=screenshot_path("deadline-day", reader), full_page=True)
                    await context.close()
