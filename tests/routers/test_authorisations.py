"""代办 and 法人授权 through the real API in-process: who may act for whom, and both names on the record."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlmodel import Session

from core.auth import Role
from one_things.demo import demo_request
from persistence.authorisations import Authorisation, add_authorisation
from tests.routers.test_applications import assert_problem
from tests.support.fake_gateway import FakeCaseGateway, Method
from tests.support.inprocess import InProcessApi

GRANDMOTHER = "demo-grandmother-1"


def _until(days: int = 30) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


async def _grant(api: InProcessApi, grantor: str, **body: Any) -> dict[str, Any]:
    async with api.as_user(Role.CITIZEN, grantor) as client:
        response = await client.post("/api/v1/authorisations", json=body)
    assert response.status_code == 201, response.text
    granted: dict[str, Any] = response.json()
    return granted


async def _file(api: InProcessApi, agent: str, principal: str, body: dict[str, Any] | None = None) -> Any:
    async with api.as_user(Role.CITIZEN, agent) as client:
        return await client.post("/api/v1/applications", json={**(body or api.newborn()), "on_behalf_of": principal})


async def test_an_authorised_grandparent_files_for_the_parents_and_both_are_named(
    api: InProcessApi, gateway: FakeCaseGateway
) -> None:
    parents = "citizen-grandma-helps"
    granted = await _grant(api, parents, agent=GRANDMOTHER, things=["newborn"], valid_until=_until())
    assert (granted["kind"], granted["status"], granted["agent_name"]) == ("personal", "active", "张兰")

    response = await _file(api, GRANDMOTHER, parents)
    assert response.status_code == 201, response.text
    case_no = response.json()["case_no"]
    [bundle] = gateway.started
    assert (bundle.owner, bundle.acted_by) == (parents, GRANDMOTHER)  # in the case's history

    async with api.as_user(Role.CITIZEN, parents) as parent:
        [summary] = (await parent.get("/api/v1/applications")).json()
        assert (summary["case_no"], summary["acted_by"]) == (case_no, GRANDMOTHER)
        case = (await parent.get(f"/api/v1/applications/{case_no}")).json()
        assert (case["owner"], case["acted_by"]) == (parents, GRANDMOTHER)
    async with api.as_user(Role.CITIZEN, GRANDMOTHER) as agent:
        assert (await agent.get(f"/api/v1/applications/{case_no}")).status_code == 200
        assert [c["case_no"] for c in (await agent.get(f"/api/v1/applications?on_behalf_of={parents}")).json()] == [
            case_no
        ]
        assert (await agent.get("/api/v1/applications")).json() == []  # not her own case
        withdrawn = await agent.post(f"/api/v1/applications/{case_no}/withdraw")
        assert withdrawn.status_code == 202, withdrawn.text
    [withdrawal] = gateway.messages(Method.WITHDRAW, case_no)
    assert withdrawal.acted_by == GRANDMOTHER


async def test_revoked_authority_is_refused_at_once(api: InProcessApi, gateway: FakeCaseGateway) -> None:
    parents = "citizen-revokes"
    granted = await _grant(api, parents, agent=GRANDMOTHER, things=["newborn"], valid_until=_until())
    case_no = (await _file(api, GRANDMOTHER, parents)).json()["case_no"]
    async with api.as_user(Role.CITIZEN, GRANDMOTHER) as agent:
        assert (await agent.post(f"/api/v1/authorisations/{granted['id']}/revoke")).status_code == 404  # not hers
    async with api.as_user(Role.CITIZEN, parents) as parent:
        revoked = await parent.post(f"/api/v1/authorisations/{granted['id']}/revoke")
        assert revoked.json()["status"] == "revoked"
    problem = assert_problem(await _file(api, GRANDMOTHER, parents), 403)
    assert problem["rule"] == "authority_ended"
    async with api.as_user(Role.CITIZEN, GRANDMOTHER) as agent:
        assert (await agent.get(f"/api/v1/applications/{case_no}")).status_code == 404
    assert len(gateway.started) == 1


async def test_expired_authority_is_refused(api: InProcessApi, gateway: FakeCaseGateway) -> None:
    parents = "citizen-expired"
    api.as_user(Role.CITIZEN, parents)
    long_ago = datetime.now(UTC) - timedelta(days=60)
    with Session(api.engine) as session:
        expired = Authorisation(
            kind="personal",
            principal=parents,
            agent=GRANDMOTHER,
            things=["newborn"],
            valid_from=long_ago,
            valid_until=long_ago + timedelta(days=30),
            created_at=long_ago,
        )
        add_authorisation(session, expired)
        session.commit()
    assert assert_problem(await _file(api, GRANDMOTHER, parents), 403)["rule"] == "authority_ended"
    assert gateway.started == []


async def test_no_authority_or_authority_for_another_one_thing_is_refused(
    api: InProcessApi, gateway: FakeCaseGateway
) -> None:
    parents = "citizen-other-scope"
    assert assert_problem(await _file(api, GRANDMOTHER, parents), 403)["rule"] == "no_authority"
    await _grant(api, parents, agent=GRANDMOTHER, things=["retirement"], valid_until=_until())
    assert assert_problem(await _file(api, GRANDMOTHER, parents), 403)["rule"] == "authority_other_scope"
    assert gateway.started == []


async def test_a_case_authority_covers_that_case_only(api: InProcessApi, gateway: FakeCaseGateway) -> None:
    parents = "citizen-one-case"
    first, second = await api.submit(parents), await api.submit(parents, newborn_name="王二宝")
    await _grant(api, parents, agent=GRANDMOTHER, case_no=first, valid_until=_until())
    async with api.as_user(Role.CITIZEN, GRANDMOTHER) as agent:
        assert (await agent.get(f"/api/v1/applications/{first}")).status_code == 200
        assert (await agent.get(f"/api/v1/applications/{second}")).status_code == 404
    assert assert_problem(await _file(api, GRANDMOTHER, parents), 403)["rule"] == "authority_other_scope"


async def test_an_authorisation_is_checked_before_it_is_saved(api: InProcessApi) -> None:
    async with api.as_user(Role.CITIZEN, "citizen-grants-badly") as citizen:
        for body, field in (
            ({"agent": "nobody-here", "things": ["newborn"], "valid_until": _until()}, "agent"),
            ({"agent": "citizen-grants-badly", "things": ["newborn"], "valid_until": _until()}, "agent"),
            ({"agent": GRANDMOTHER, "things": ["newborn"]}, "valid_until"),
            ({"agent": GRANDMOTHER, "things": ["newborn"], "valid_until": _until(400)}, "valid_until"),
            ({"agent": GRANDMOTHER, "things": ["newborn", "retirement"], "valid_until": _until()}, "things"),
            ({"agent": GRANDMOTHER, "things": ["restaurant"], "valid_until": _until()}, "things.0"),
            ({"agent": GRANDMOTHER, "case_no": "20260101-NOTMINE1", "valid_until": _until()}, "case_no"),
        ):
            response = await citizen.post("/api/v1/authorisations", json=body)
            assert [e["field"] for e in assert_problem(response, 422)["errors"]] == [field], body
        assert (await citizen.get("/api/v1/authorisations")).json() == {"granted": [], "received": []}


async def test_an_enterprise_employee_files_with_authority_and_not_without(
    api: InProcessApi, gateway: FakeCaseGateway
) -> None:
    restaurant = demo_request(api.catalog.get("restaurant"), date.today())
    enterprise, employee, other = "demo-enterprise-1", "citizen-employee", "citizen-not-employee"
    api.as_user(Role.CITIZEN, employee)
    granted = await _grant(api, enterprise, agent=employee, things=["restaurant"])
    assert (granted["kind"], granted["valid_until"]) == ("legal_person", None)

    response = await _file(api, employee, enterprise, restaurant)
    assert response.status_code == 201, response.text
    [bundle] = gateway.started
    assert (bundle.owner, bundle.acted_by) == (enterprise, employee)
    api.as_user(Role.CITIZEN, other)
    assert assert_problem(await _file(api, other, enterprise, restaurant), 403)["rule"] == "no_authority"
    change = demo_request(api.catalog.get("enterprise_change"), date.today())
    assert assert_problem(await _file(api, employee, enterprise, change), 403)["rule"] == "authority_other_scope"
    async with api.as_user(Role.CITIZEN, employee) as client:
        [received] = (await client.get("/api/v1/authorisations")).json()["received"]
        assert received["principal_name"] == "上海示例餐饮管理有限公司"
    assert len(gateway.started) == 1
