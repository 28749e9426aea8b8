"""A clerk's decision missing what it needs (a reason for a rejection or correction request, the result number for
an approval) is refused before it reaches the case, naming what to fill in, in the clerk's language; before, the
case's own check refused it and the clerk read "cannot be done in the current state"."""

from __future__ import annotations

from core.auth import Role
from tests.routers.test_staff_workbench import page_client, text
from tests.support.fake_gateway import FakeCaseGateway, Method
from tests.support.inprocess import InProcessApi

ITEM = "vaccination_certificate"
SAID = {
    "zh": {
        "reject": "不予办理或要求补正须填写理由(申请人可见):请返回填写后再提交。本次未作出决定。",
        "approve": "准予办理须填写办结信息:预防接种证编号。请返回填写后再提交。本次未作出决定。",
    },
    "en": {
        "reject": "A rejection or a correction request needs a reason the applicant can act on",
        "approve": "Approving needs the result: Vaccination certificate number.",
    },
}


async def test_an_incomplete_decision_names_what_to_fill_in(api: InProcessApi, gateway: FakeCaseGateway) -> None:
    case_no = await api.submit("citizen-incomplete-decision")
    decision = f"/staff/items/{case_no}/{ITEM}/decision"
    for lang, sentences in SAID.items():
        clerk, csrf = page_client(api, Role.STAFF, "cdc-incomplete", department="cdc", lang=lang)
        async with clerk:
            rejected = await clerk.post(decision, data={"csrf_token": csrf, "decision": "reject", "reason": " "})
            approved = await clerk.post(decision, data={"csrf_token": csrf, "decision": "approve"})
        assert rejected.status_code == approved.status_code == 422
        assert sentences["reject"] in text(rejected.text), text(rejected.text)[-300:]
        assert sentences["approve"] in text(approved.text), text(approved.text)[-300:]
    assert gateway.messages(Method.DECIDE, case_no) == []  # nothing reached the case
