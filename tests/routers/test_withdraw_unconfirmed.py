"""Withdrawing without ticking the confirmation: the page says nothing was withdrawn and what to tick, in the page's
language, and leads back to the case (before, it showed only the checkbox's own words, as if confirmed)."""

from __future__ import annotations

from core.auth import Role
from tests.routers.test_staff_workbench import page_client, text
from tests.support.fake_gateway import FakeCaseGateway, Method
from tests.support.inprocess import InProcessApi

SAID = {
    "zh": "申请未撤回:请先勾选“我确认撤回,未完成的事项将停止办理”,再点“撤回申请”。",
    "en": "Nothing was withdrawn: tick “I confirm: unfinished items will be stopped”, then press “Withdraw the "
    "application”.",
}


async def test_an_unticked_withdrawal_says_what_to_do_and_leads_back(
    api: InProcessApi, gateway: FakeCaseGateway
) -> None:
    case_no = await api.submit("citizen-withdraw-unticked")
    for lang, sentence in SAID.items():
        citizen, csrf = page_client(api, Role.CITIZEN, "citizen-withdraw-unticked", lang=lang)
        async with citizen:
            page = await citizen.post(f"/cases/{case_no}/withdraw", data={"csrf_token": csrf})
        assert page.status_code == 422
        assert sentence in text(page.text), text(page.text)[-300:]
        assert f'href="/cases/{case_no}"' in page.text
    assert gateway.messages(Method.WITHDRAW) == []
