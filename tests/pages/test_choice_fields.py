"""Choice fields as choices in real Chromium: a yes/no field is two radio buttons 是 / 否 (Yes / No), a choice
field a select of the definition's names, in the page's language; what they post is exactly what the server
accepts, so the citizen can neither type "是" into a text box nor be refused for choosing.

The real app is served over HTTP on a catalogue with one more definition: the newborn one-thing with a yes/no
field (no package definition has one yet). The case engine is the fast tier's fake (the form is the subject here,
not the workflow), so only Chromium makes this a stack-tier test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from api.sessions import SESSION_COOKIE
from core.auth import Principal, Role, issue_token
from core.calendar import TZ
from tests.pages.browser import PHONE, chromium, screenshot_path
from tests.pages.test_citizen_journey import PNG
from tests.support.catalog import package_copy, publish_copy
from tests.support.inprocess import in_process_api
from tests.support.people import register_parents
from tests.support.servers import ThreadedServer

THING = "newborn_choices"
CONSENT = (
    "  - code: birth_hospital\n",
    "  - code: wants_paper_copy\n    name: {zh: 是否需要纸质证件, en: Paper copies wanted}\n    type: boolean\n"
    "  - code: birth_hospital\n",
)
CITIZEN = "citizen-choice-fields"


@dataclass(frozen=True)
class Words:
    """What the page says in one language."""

    lang: str
    yes: str
    no: str
    sexes: tuple[str, str]
    sex: str
    paper: str
    submit: str
    required: str


ZH = Words("zh", "是", "否", ("男", "女"), "新生儿性别", "是否需要纸质证件", "提交申请", "必填,请填写")
EN = Words("en", "Yes", "No", ("Male", "Female"), "Newborn's sex", "Paper copies wanted", "Submit", "required: please")


@pytest.mark.e2e
@pytest.mark.parametrize("words", [ZH, EN], ids=["zh", "en"])
async def test_yes_no_and_choice_fields_are_chosen_not_typed(tmp_path: Path, words: Words) -> None:
    folder = package_copy(tmp_path / "catalog")
    publish_copy(folder, THING, "新生儿出生一件事(选择项)", edits=(CONSENT,))
    async with in_process_api(tmp_path / "data", catalog_dir=folder) as api:
        register_parents(api.engine, CITIZEN)
        token = issue_token(api.settings.secret_key, Principal(role=Role.CITIZEN, subject=CITIZEN))
        with ThreadedServer(api.app, lifespan="off") as server:
            async with chromium() as browser:
                context = await browser.new_context(viewport=PHONE, base_url=server.url)
                await context.add_cookies(
                    [
                        {"name": SESSION_COOKIE, "value": token, "url": server.url},
                        {"name": "onething_lang", "value": words.lang, "url": server.url},
                    ]
                )
                page = await context.new_page()
                await fill_and_send(page, words)
                await context.close()
        started = api.gateway.started[-1]
        assert started.form["wants_paper_copy"] is True
        assert started.form["newborn_sex"] == "female"


async def fill_and_send(page: Page, words: Words) -> None:
    await page.goto(f"/things/{THING}/apply?born_in_city=yes&hukou_location=this_district")
    sex = page.get_by_label(words.sex)
    await expect(sex).to_have_js_property("tagName", "SELECT")
    await expect(sex.locator("option")).to_have_text(["—", *words.sexes])
    yes = page.get_by_role("radio", name=words.yes, exact=True)
    no = page.get_by_role("radio", name=words.no, exact=True)
    await expect(page.get_by_role("radiogroup", name=words.paper).get_by_role("radio")).to_have_count(2)
    await expect(yes).to_have_value("true")
    await expect(no).to_have_value("false")
    await expect(page.locator('input[name="field.wants_paper_copy"]:not([type="radio"])')).to_have_count(0)

    # Chosen, not typed; the hospital left out, so the form comes back with the choices kept.
    await sex.select_option(label=words.sexes[1])
    await yes.check()
    await page.locator("#f-newborn_name").fill("王小宝")
    birth = page.locator("#f-newborn_birth_date")
    today = datetime.now(TZ).date()
    await expect(birth).to_have_attribute("max", today.isoformat())  # not_in_future: the picker ends at today
    await birth.fill((today + timedelta(days=1)).isoformat())
    assert await birth.evaluate("input => input.validity.rangeOverflow")  # Chromium will not send it
    await birth.fill((date.today() - timedelta(days=3)).isoformat())
    await page.locator('input[type="file"]').set_input_files(
        files=[{"name": "baby.png", "mimeType": "image/png", "buffer": PNG}]
    )
    await page.get_by_role("button", name=words.submit).click()
    errors = page.locator("#form-errors")
    await expect(errors).to_contain_text(words.required)
    await expect(errors.locator("li")).to_have_count(1)  # the hospital only: both choices were accepted
    await expect(sex).to_have_value("female")
    await expect(yes).to_be_checked()
    await page.screenshot(path=screenshot_path("choice-fields", f"{words.lang}-kept"), full_page=True)

    await page.locator("#f-birth_hospital").fill("上海市第一妇婴保健院")
    await page.locator('input[type="file"]').set_input_files(
        files=[{"name": "baby.png", "mimeType": "image/png", "buffer": PNG}]
    )
    await page.get_by_role("button", name=words.submit).click()
    await expect(page).to_have_url(re.compile(r".*/cases/\d{8}-\w+$"))
