"""代办 on the pages, rendered in-process: the agent's "acting for" switch, the principal's cases, applying on
their behalf through the page's form, and the submitter named on the principal's own pages."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import httpx

from api.sessions import CSRF_FIELD, SESSION_COOKIE, csrf_token
from core.auth import Principal, Role, issue_token
from tests.support.fake_gateway import FakeCaseGateway
from tests.support.inprocess import InProcessApi
from tests.support.people import register_if_test_citizen

GRANDMOTHER, HER_NAME = "demo-grandmother-1", "张兰"


def browser(api: InProcessApi, subject: str, lang: str = "zh") -> tuple[httpx.AsyncClient, str]:
    """A page client with the citizen's session cookie, and the session's CSRF token for its forms."""
    register_if_test_citizen(api.engine, subject)
    token = issue_token(api.settings.secret_key, Principal(role=Role.CITIZEN, subject=subject))
    client = api.client({"Cookie": f"{SESSION_COOKIE}={token}; onething_lang={lang}"})
    return client, csrf_token(api.settings.secret_key, token)


async def _authorise(api: InProcessApi, parents: str) -> None:
    until = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    async with api.as_user(Role.CITIZEN, parents) as client:
        body = {"agent": GRANDMOTHER, "things": ["newborn"], "valid_until": until}
        assert (await client.post("/api/v1/authorisations", json=body)).status_code == 201


async def test_an_agent_switches_to_the_parents_and_applies_for_them_on_the_page(
    api: InProcessApi, gateway: FakeCaseGateway
) -> None:
    parents = "citizen-acting-page"
    await _authorise(api, parents)
    request = api.newborn()
    agent, csrf = browser(api, GRANDMOTHER)
    async with agent:
        mine = await agent.get("/cases")
        assert "代办 · 为谁办理" in mine.text
        assert f"/cases?for={parents}" in mine.text
        theirs = await agent.get(f"/cases?for={parents}")
        assert theirs.status_code == 200
        assert f"/things/newborn/apply?for={parents}" in theirs.text
        answers = "&".join(f"{k}={v}" for k, v in request["answers"].items())
        form_page = await agent.get(f"/things/newborn/apply?for={parents}&{answers}")
        assert form_page.status_code == 200, form_page.text
        assert f'name="on_behalf_of" value="{parents}"' in form_page.text
        posted = await agent.post(
            "/things/newborn/apply",
            data={
                CSRF_FIELD: csrf,
                "on_behalf_of": parents,
                **{f"answer.{k}": v for k, v in request["answers"].items()},
                **{f"field.{k}": v for k, v in request["form"].items()},
            },
            files={"material.newborn_photo": ("photo.png", base64.b64decode(request["materials"]["newborn_photo"]))},
        )
        assert posted.status_code == 303, posted.text
    [bundle] = gateway.started
    assert (bundle.owner, bundle.acted_by) == (parents, GRANDMOTHER)

    parent, _ = browser(api, parents)
    async with parent:
        listed = await parent.get("/cases")
        assert bundle.case_no in listed.text
        assert f"提交人: {HER_NAME}" in listed.text
        case_page = await parent.get(f"/cases/{bundle.case_no}")
        assert f"提交人: {HER_NAME}" in case_page.text
    english, _ = browser(api, parents, lang="en")
    async with english:
        assert f"Submitted by: {HER_NAME}" in (await english.get(f"/cases/{bundle.case_no}")).text


async def test_without_authority_no_principal_data_and_no_case(api: InProcessApi, gateway: FakeCaseGateway) -> None:
    parents, stranger = "citizen-acting-victim", "citizen-acting-stranger"
    register_if_test_citizen(api.engine, parents)
    request = api.newborn()
    answers = "&".join(f"{k}={v}" for k, v in request["answers"].items())
    client, csrf = browser(api, stranger)
    async with client:
        form_page = await client.get(f"/things/newborn/apply?for={parents}&{answers}")
        assert form_page.status_code == 403
        assert "测试母亲" not in form_page.text  # none of the principal's register data
        cases = await client.get(f"/cases?for={parents}")
        assert cases.status_code == 403
        posted = await client.post("/things/newborn/apply", data={CSRF_FIELD: csrf, "on_behalf_of": parents})
        assert posted.status_code == 403
        assert "代办" not in (await client.get("/cases")).text  # no switch without authority
    assert gateway.started == []
