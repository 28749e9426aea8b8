"""The counter (一窗受理) through the real API in-process: a window clerk serves a citizen who came in person."""

from __future__ import annotations

from typing import Any

import httpx
from sqlmodel import Session, select

from core.auth import Role
from persistence.cases import get_case
from persistence.counter import CounterVisit
from persistence.data_access import PersonalDataRead
from persistence.register import get_resident
from tests.routers.test_applications import assert_problem
from tests.support.fake_gateway import FakeCaseGateway
from tests.support.inprocess import InProcessApi
from tests.support.people import register_parents

CLERK = "counter-xuhui"
POINT = "xuhui-centre"


def _clerk(api: InProcessApi) -> httpx.AsyncClient:
    return api.as_user(Role.CLERK, CLERK, POINT)


def _identity(api: InProcessApi, citizen: str) -> dict[str, str]:
    register_parents(api.engine, citizen)
    with Session(api.engine) as session:
        resident = get_resident(session, subject=citizen)
        assert resident is not None
        return {"id_no": resident.id_no, "name": resident.name}


async def _visit(api: InProcessApi, clerk: httpx.AsyncClient, citizen: str, *, consent: bool = True) -> str:
    verified = await clerk.post("/api/v1/counter/verifications", json=_identity(api, citizen))
    assert verified.status_code == 201, verified.text
    visit: str = verified.json()["id"]
    if consent:
        agreed = await clerk.post(f"/api/v1/counter/verifications/{visit}/consent", json={"agreed": True})
        assert agreed.status_code == 200, agreed.text
    return visit


async def test_a_mismatched_identity_is_refused_without_saying_which_part(api: InProcessApi) -> None:
    identity = _identity(api, "citizen-counter-mismatch")
    async with _clerk(api) as clerk:
        wrong_name = await clerk.post("/api/v1/counter/verifications", json={**identity, "name": "王五"})
        other = {**identity, "id_no": "110101199003074514"}  # a valid number the register does not hold
        wrong_number = await clerk.post("/api/v1/counter/verifications", json=other)
        bad_checksum = await clerk.post("/api/v1/counter/verifications", json={**identity, "id_no": "1234"})
    first, second = assert_problem(wrong_name, 422), assert_problem(wrong_number, 422)
    assert first["rule"] == second["rule"] == "identity_mismatch"
    assert first["detail"] == second["detail"]
    assert first["errors"] == second["errors"]
    assert identity["name"] not in wrong_name.text
    assert identity["id_no"] not in wrong_name.text
    assert assert_problem(bad_checksum, 422)["rule"] == "id_no_invalid"
    with Session(api.engine) as session:
        citizen = "citizen-counter-mismatch"
        assert session.exec(select(CounterVisit).where(CounterVisit.citizen == citizen)).first() is None


async def test_without_consent_nothing_is_filed(api: InProcessApi, gateway: FakeCaseGateway) -> None:
    async with _clerk(api) as clerk:
        visit = await _visit(api, clerk, "citizen-counter-no-consent", consent=False)
        refused = await clerk.post("/api/v1/counter/applications", json={**api.newborn(), "visit": visit})
        declined = await clerk.post(f"/api/v1/counter/verifications/{visit}/consent", json={"agreed": False})
    assert assert_problem(refused, 403)["rule"] == "consent_missing"
    assert assert_problem(declined, 422)["rule"] == "consent_missing"
    assert gateway.started == []


async def test_the_clerk_files_for_the_citizen_who_then_sees_the_case(
    api: InProcessApi, gateway: FakeCaseGateway
) -> None:
    citizen = "citizen-counter-served"
    async with _clerk(api) as clerk:
        visit = await _visit(api, clerk, citizen)
        shown = (await clerk.get(f"/api/v1/counter/verifications/{visit}")).json()
        filed = await clerk.post("/api/v1/counter/applications", json={**api.newborn(), "visit": visit})
        assert filed.status_code == 201, filed.text
        case_no = filed.json()["case_no"]
        receipt = (await clerk.get(f"/api/v1/counter/applications/{case_no}/receipt")).json()
    identity = _identity(api, citizen)
    assert shown["consented_at"]
    assert shown["id_no_masked"] != identity["id_no"]
    [bundle] = gateway.started
    assert (bundle.owner, bundle.acted_by) == (citizen, CLERK)
    with Session(api.engine) as session:
        found = get_case(session, case_no=case_no)
        assert found is not None
        assert (found[0].owner, found[0].acted_by, found[0].channel) == (citizen, CLERK, "counter")
        reads = session.exec(select(PersonalDataRead).where(PersonalDataRead.reader == CLERK)).all()
        assert {(r.case_no, r.purpose) for r in reads} >= {(case_no, "counter")}
        assert all(r.department == POINT for r in reads)
        visit_row = session.get(CounterVisit, visit)
        assert visit_row is not None
        assert visit_row.consent_text
        assert visit_row.consented_at
    assert receipt["case_no"] == case_no
    assert receipt["items"]
    assert receipt["promised_days"] > 0
    assert identity["id_no"] not in str(receipt)
    assert receipt["id_no_masked"].count("*") >= 4
    async with api.as_user(Role.CLERK, "counter-pudong", "pudong-centre") as other_clerk:
        assert_problem(await other_clerk.get(f"/api/v1/counter/applications/{case_no}/receipt"), 404)
    async with api.as_user(Role.CITIZEN, citizen) as owner:
        [summary] = (await owner.get("/api/v1/applications")).json()
        assert (summary["case_no"], summary["acted_by"]) == (case_no, CLERK)
        entries = (await owner.get("/api/v1/me/data-access")).json()["entries"]
    assert any(e["reader"] == CLERK and e["purpose"] == "counter" for e in entries)


async def test_who_may_apply_is_checked_for_the_citizen_not_the_clerk(
    api: InProcessApi, gateway: FakeCaseGateway
) -> None:
    async with _clerk(api) as clerk:
        visit = await _visit(api, clerk, "citizen-counter-not-parent")
        other_parents = api.newborn(mother_id_no="110101199003074522")
        refused = await clerk.post("/api/v1/counter/applications", json={**other_parents, "visit": visit})
    assert refused.status_code in (403, 422), refused.text
    assert gateway.started == []


async def test_only_window_clerks_use_the_counter_and_only_their_own_visits(api: InProcessApi) -> None:
    async with _clerk(api) as clerk:
        visit = await _visit(api, clerk, "citizen-counter-roles")
    body: dict[str, Any] = {**api.newborn(), "visit": visit}
    callers = [
        api.as_user(Role.CITIZEN, "citizen-counter-roles"),
        api.as_user(Role.STAFF, "clerk-police", "police"),
        api.as_user(Role.SUPERVISOR, "supervisor-1"),
        api.as_user(Role.LEADER, "leader-1"),
    ]
    for caller in callers:
        async with caller as client:
            assert_problem(await client.post("/api/v1/counter/verifications", json={"id_no": "x", "name": "y"}), 403)
            assert_problem(await client.post("/api/v1/counter/applications", json=body), 403)
            assert_problem(await client.get(f"/api/v1/counter/verifications/{visit}"), 403)
    async with api.as_user(Role.CLERK, "counter-pudong", "pudong-centre") as other_clerk:
        assert_problem(await other_clerk.get(f"/api/v1/counter/verifications/{visit}"), 404)
        assert_problem(await other_clerk.post("/api/v1/counter/applications", json=body), 404)
    async with api.client() as anonymous:
        assert_problem(await anonymous.post("/api/v1/counter/verifications", json={"id_no": "x", "name": "y"}), 401)
