"""督办: a supervisor pushes a department on a running item; the case is told by number, and who and when are logged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.auth import Role
from tests.routers.test_applications import assert_problem
from tests.support.fake_gateway import FakeCaseGateway, Method, Outcome
from tests.support.inprocess import InProcessApi
from workflows.contracts import ItemStatus, SupervisorEscalation

ITEM = "birth_certificate"


def escalations_url(case_no: str, item_code: str = ITEM) -> str:
    return f"/api/v1/supervision/cases/{case_no}/items/{item_code}/escalations"


async def test_an_escalation_reaches_the_case_and_is_logged_with_who_and_when(
    api: InProcessApi, gateway: FakeCaseGateway
) -> None:
    case_no = await api.submit("citizen-escalated")
    async with api.as_user(Role.SUPERVISOR, "supervisor-wu") as supervisor:
        before = datetime.now(UTC)
        response = await supervisor.post(escalations_url(case_no), json={"note": "请今日办结"})
        assert response.status_code == 201, response.text
        logged = response.json()
        assert (logged["case_no"], logged["item_code"], logged["department"]) == (case_no, ITEM, "health")
        assert (logged["supervisor"], logged["note"]) == ("supervisor-wu", "请今日办结")
        assert before - timedelta(seconds=1) <= datetime.fromisoformat(logged["at"]) <= datetime.now(UTC)
        assert gateway.messages(Method.ESCALATE, case_no) == [SupervisorEscalation(item_code=ITEM, note="请今日办结")]

        detail = (await supervisor.get(f"/api/v1/supervision/cases/{case_no}")).json()
        assert [(e["supervisor"], e["item_code"]) for e in detail["escalations"]] == [("supervisor-wu", ITEM)]


async def test_a_finished_item_cannot_be_pushed(api: InProcessApi, gateway: FakeCaseGateway) -> None:
    case_no = await api.submit("citizen-finished")
    await gateway.put(case_no, ITEM, status=ItemStatus.COMPLETED, holder=None, finished_at=datetime.now(UTC))
    async with api.as_user(Role.SUPERVISOR, "supervisor-late") as supervisor:
        problem = assert_problem(await supervisor.post(escalations_url(case_no), json={}), 409)
        assert problem["detail"] == f"Item {ITEM} is completed: only an item being handled can be pushed."
        assert gateway.messages(Method.ESCALATE) == []
        assert (await supervisor.get(f"/api/v1/supervision/cases/{case_no}")).json()["escalations"] == []


async def test_a_case_the_engine_has_closed_is_refused_and_nothing_is_logged(
    api: InProcessApi, gateway: FakeCaseGateway
) -> None:
    case_no = await api.submit("citizen-closed")  # the projection still shows it running
    gateway.answer(Method.ESCALATE, Outcome.REFUSE, f"Case {case_no} is already finished.")
    async with api.as_user(Role.SUPERVISOR, "supervisor-lagging") as supervisor:
        problem = assert_problem(await supervisor.post(escalations_url(case_no), json={"note": "催办"}), 409)
        assert problem["detail"] == f"Case {case_no} is already finished."
        assert (await supervisor.get(f"/api/v1/supervision/cases/{case_no}")).json()["escalations"] == []


async def test_only_supervisors_push_and_only_existing_items(api: InProcessApi, gateway: FakeCaseGateway) -> None:
    case_no = await api.submit("citizen-pushed")
    async with api.as_user(Role.LEADER, "leader-reads") as leader:
        assert_problem(await leader.post(escalations_url(case_no), json={}), 403)
        assert (await leader.get(f"/api/v1/supervision/cases/{case_no}")).status_code == 200
    async with api.as_user(Role.CITIZEN, "citizen-pushed") as citizen:
        assert_problem(await citizen.post(escalations_url(case_no), json={}), 403)
    async with api.as_user(Role.SUPERVISOR, "supervisor-typo") as supervisor:
        no_item = assert_problem(await supervisor.post(escalations_url(case_no, "flying_licence"), json={}), 404)
        assert "has no item flying_licence" in no_item["detail"]
        assert_problem(await supervisor.post(escalations_url("20990101-NOSUCH22"), json={}), 404)
        long_note = await supervisor.post(escalations_url(case_no), json={"note": "催" * 201})
        assert [e["field"] for e in assert_problem(long_note, 422)["errors"]] == ["note"]
    assert gateway.messages(Method.ESCALATE) == []
