"""The home-transfer one-thing (format 2) as a citizen meets it: the one notice in both mortgage branches tells
only true things, the utilities are chosen with check boxes, and the loan contract number is asked for (and
required) only when there is a mortgage."""

from __future__ import annotations

import re
from datetime import date

from core.auth import Role
from one_things.demo import demo_request
from tests.support.fake_gateway import FakeCaseGateway
from tests.support.inprocess import InProcessApi

YES_NOTICE = "房屋有抵押:先办理抵押权注销登记"
NO_NOTICE = "房屋无抵押:缴纳交易税费后即办理转移登记,无需办理抵押权注销。"


def not_needed(html: str) -> str | None:
    """The "not needed in your situation" line of the one notice, if the page shows one."""
    found = re.search(r"根据您的情况无需办理: ([^<]*)</p>", html)
    return found.group(1) if found else None


def plan_items(html: str) -> list[str]:
    return re.findall(r'<li data-item="([a-z_]+)">', html)


async def test_without_a_mortgage_only_the_release_is_not_needed(api: InProcessApi) -> None:
    async with api.client({"Cookie": "onething_lang=zh"}) as client:
        page = await client.get("/things/home_transfer?has_mortgage=no")
    assert page.status_code == 200, page.text
    assert not_needed(page.text) == "抵押权注销登记"
    assert NO_NOTICE in page.text
    assert YES_NOTICE not in page.text
    assert "home_transfer_registration" in plan_items(page.text)
    assert "mortgage_release" not in plan_items(page.text)


async def test_with_a_mortgage_nothing_is_said_to_be_unneeded(api: InProcessApi) -> None:
    async with api.client({"Cookie": "onething_lang=zh"}) as client:
        page = await client.get("/things/home_transfer?has_mortgage=yes")
    assert page.status_code == 200, page.text
    assert not_needed(page.text) is None
    assert YES_NOTICE in page.text
    assert NO_NOTICE not in page.text
    assert plan_items(page.text)[:3] == ["home_transaction_tax", "mortgage_release", "home_transfer_registration"]


async def test_utilities_are_chosen_with_check_boxes(api: InProcessApi) -> None:
    async with api.client({"Cookie": "onething_lang=zh"}) as client:
        page = await client.get("/things/home_transfer?has_mortgage=no&utilities=&utilities=gas")
        none = await client.get("/things/home_transfer?has_mortgage=no&utilities=")
    assert plan_items(page.text) == ["home_transaction_tax", "home_transfer_registration", "gas_account_transfer"]
    assert re.search(r'type="checkbox" name="utilities" value="gas"\s+checked', page.text)
    assert not re.search(r'type="checkbox" name="utilities" value="water"\s+checked', page.text)
    # Unticking every box means none, not the default of all four.
    assert plan_items(none.text) == ["home_transaction_tax", "home_transfer_registration"]


async def test_the_loan_contract_number_is_required_only_with_a_mortgage(
    api: InProcessApi, gateway: FakeCaseGateway
) -> None:
    thing = api.catalog.get("home_transfer")
    with_mortgage = demo_request(thing, date.today(), {"has_mortgage": "yes", "utilities": ["water"]})
    form = with_mortgage["form"]
    assert isinstance(form, dict)
    without_loan = {code: value for code, value in form.items() if code != "loan_contract_no"}
    async with api.as_user(Role.CITIZEN, "citizen-home-buyer") as citizen:
        refused = await citizen.post("/api/v1/applications", json={**with_mortgage, "form": without_loan})
        assert refused.status_code == 422, refused.text
        assert [e["field"] for e in refused.json()["errors"]] == ["form.loan_contract_no"]
        no_mortgage = {**with_mortgage, "answers": {"has_mortgage": "no", "utilities": ["water"]}}
        accepted = await citizen.post("/api/v1/applications", json={**no_mortgage, "form": without_loan})
    assert accepted.status_code == 201, accepted.text
    included = ["home_transaction_tax", "home_transfer_registration", "water_account_transfer"]
    assert accepted.json()["included"] == included
    assert gateway.started[0].answers == {"has_mortgage": "no", "first_home": "yes", "utilities": ["water"]}
