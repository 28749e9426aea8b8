"""The standard handling module: a department's staff see and decide only their own items, one clerk each."""

from __future__ import annotations

from core.auth import Role
from tests.routers.test_applications import assert_problem
from tests.support.fake_gateway import FakeCaseGateway, Method, Outcome
from tests.support.inprocess import InProcessApi
from workflows.contracts import StaffDecision

ITEM = "vaccination_certificate"  # the CDC has no system: its staff decide in the platform


async def test_the_queue_holds_the_departments_items_waiting_for_staff(
    api: InProcessApi, gateway: FakeCaseGateway
) -> None:
    case_no = await api.submit("citizen-queue")
    async with api.as_user(Role.STAFF, "cdc-queue", department="cdc") as cdc:
        entries = [e for e in (await cdc.get("/api/v1/staff/queue")).json()["items"] if e["case_no"] == case_no]
    assert [(e["item_code"], e["department"], e["status"], e["claimed_by"]) for e in entries] == [
        (ITEM, "cdc", "running", None)
    ]
    assert entries[0]["outputs"] == ["vaccination_cert_no"]
    async with api.as_user(Role.STAFF, "health-queue", department="health") as health:
        # The health department's item is with its own system, not its staff: not in anyone's queue.
        assert all(e["case_no"] != case_no for e in (await health.get("/api/v1/staff/queue")).json()["items"])


async def test_a_claimed_item_is_decided_by_its_clerk_only(api: InProcessApi, gateway: FakeCaseGateway) -> None:
    case_no = await api.submit("citizen-claims")
    base = f"/api/v1/staff/items/{case_no}/{ITEM}"
    approve = {"decision": "approve", "output": {"vaccination_cert_no": "JZ-1"}}
    async with (
        api.as_user(Role.STAFF, "cdc-clerk-a", department="cdc") as clerk,
        api.as_user(Role.STAFF, "cdc-clerk-b", department="cdc") as colleague,
    ):
        claimed = await clerk.post(f"{base}/claim")
        assert claimed.status_code == 200, claimed.text
        assert claimed.json()["staff"] == "cdc-clerk-a"
        assert (await clerk.post(f"{base}/claim")).json()["staff"] == "cdc-clerk-a"  # again: harmless

        taken = assert_problem(await colleague.post(f"{base}/claim"), 409)
        assert taken["title"] == "Already claimed"
        assert assert_problem(await colleague.post(f"{base}/decision", json=approve), 409)["title"] == "Already claimed"
        assert gateway.messages(Method.DECIDE) == []

        decided = await clerk.post(f"{base}/decision", json=approve)
        assert decided.status_code == 200, decided.text
        assert (decided.json()["code"], decided.json()["status"]) == (ITEM, "completed")
        assert gateway.messages(Method.DECIDE, case_no) == [
            StaffDecision(
                item_code=ITEM, decision="approve", output={"vaccination_cert_no": "JZ-1"}, staff="cdc-clerk-a"
            )
        ]


async def test_the_workflows_refusal_of_a_decision_is_a_conflict_with_its_reason(
    api: InProcessApi, gateway: FakeCaseGateway
) -> None:
    case_no = await api.submit("citizen-refused-decision")
    reason = f"Item {ITEM} is not waiting for a staff decision."
    gateway.answer(Method.DECIDE, Outcome.REFUSE, reason)
    async with api.as_user(Role.STAFF, "cdc-late", department="cdc") as clerk:
        response = await clerk.post(
            f"/api/v1/staff/items/{case_no}/{ITEM}/decision", json={"decision": "reject", "reason": "资料不全"}
        )
    problem = assert_problem(response, 409)
    assert problem["detail"] == reason
    assert gateway.messages(Method.DECIDE)[0].reason == "资料不全"


async def test_other_departments_and_roles_cannot_touch_the_item(api: InProcessApi, gateway: FakeCaseGateway) -> None:
    case_no = await api.submit("citizen-isolation")
    base = f"/api/v1/staff/items/{case_no}/{ITEM}"
    approve = {"decision": "approve", "output": {"vaccination_cert_no": "JZ-1"}}
    async with api.as_user(Role.STAFF, "health-clerk", department="health") as health:
        # Another department's item is answered as if it did not exist.
        assert_problem(await health.post(f"{base}/claim"), 404)
        assert_problem(await health.post(f"{base}/decision", json=approve), 404)
        # Its own item, while with its own system rather than its staff, cannot be claimed.
        busy = await health.post(f"/api/v1/staff/items/{case_no}/birth_certificate/claim")
        assert "not waiting for a staff decision" in assert_problem(busy, 409)["detail"]
    async with api.as_user(Role.CITIZEN, "citizen-isolation") as citizen:
        assert_problem(await citizen.post(f"{base}/decision", json=approve), 403)
    async with api.as_user(Role.SUPERVISOR, "supervisor-meddles") as supervisor:
        assert_problem(await supervisor.post(f"{base}/decision", json=approve), 403)
    async with api.as_user(Role.STAFF, "cdc-typo", department="cdc") as cdc:
        bad = await cdc.post(f"{base}/decision", json={"decision": "maybe"})
        assert [e["field"] for e in assert_problem(bad, 422)["errors"]] == ["decision"]
    assert gateway.messages(Method.DECIDE) == []
