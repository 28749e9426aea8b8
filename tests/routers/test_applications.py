"""Submitting, following, supplementing and withdrawing an application through the real API in-process.

The case engine is the fake: what the workflow answers is scripted, what the API sent it is recorded.
"""

from __future__ import annotations

import httpx
from sqlmodel import Session

from api.sessions import SESSION_COOKIE
from core.auth import Principal, Role, issue_token
from persistence.outbox import pending_for_case
from services.outbox import START
from tests.routers.conftest import SUBMISSIONS_PER_HOUR
from tests.support.fake_gateway import FakeCaseGateway, Method, Outcome
from tests.support.inprocess import InProcessApi
from workflows.contracts import Holder, ItemStatus, Supplement, Withdrawal

NEWBORN_ITEMS = [
    "birth_certificate",
    "vaccination_certificate",
    "hukou_registration",
    "social_security_card",
    "medical_insurance",
]
PROBLEM_JSON = "application/problem+json"


def assert_problem(response: httpx.Response, status: int) -> dict:  # type: ignore[type-arg]
    """RFC 9457: the media type and the members every problem has."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert body["type"] == "about:blank"
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    return body  # type: ignore[no-any-return]


# --- submitting ---------------------------------------------------------------------------------------


async def test_an_accepted_application_starts_its_case_with_the_plan_and_the_held_data(
    api: InProcessApi, gateway: FakeCaseGateway
) -> None:
    typed = {"newborn_name": "王小宝", "newborn_sex": "female", "birth_hospital": "上海市第一妇婴保健院"}
    birth_date = api.newborn()["form"]["newborn_birth_date"]
    body = {
        "thing": "newborn",
        "answers": {"hukou_location": "this_district"},
        "form": {**typed, "newborn_birth_date": birth_date},
        "materials": api.newborn()["materials"],
    }
    async with api.as_user(Role.CITIZEN, "demo-mother-1") as citizen:
        response = await citizen.post("/api/v1/applications", json=body, headers={"Idempotency-Key": "held-1"})
        assert response.status_code == 201, response.text
        accepted = response.json()
        case_no = accepted["case_no"]
        assert accepted["included"] == NEWBORN_ITEMS
        assert response.headers["Location"] == f"/api/v1/applications/{case_no}"

        [bundle] = gateway.started
        assert bundle.case_no == case_no
        assert bundle.owner == "demo-mother-1"
        assert bundle.thing.code == "newborn"
        assert bundle.included == NEWBORN_ITEMS
        # 两个免于提交: the register's data was filled in; what the citizen typed is kept as typed.
        assert bundle.form["mother_name"] == "李梅"
        assert bundle.form["father_name"] == "王强"
        assert bundle.form["hukou_address"] == "上海市徐汇区示例路1号101室"
        assert {key: bundle.form[key] for key in typed} == typed

        case = (await citizen.get(f"/api/v1/applications/{case_no}")).json()
        assert case["status"] == "running"
        assert [item["code"] for item in case["items"]] == NEWBORN_ITEMS
        assert [c["case_no"] for c in (await citizen.get("/api/v1/applications")).json()] == [case_no]


async def test_the_guidance_answers_decide_which_items_start(api: InProcessApi, gateway: FakeCaseGateway) -> None:
    body = {**api.newborn(), "answers": {"hukou_location": "other_province", "born_in_city": "no"}}
    async with api.as_user(Role.CITIZEN, "citizen-elsewhere") as citizen:
        response = await citizen.post("/api/v1/applications", json=body)
    assert response.status_code == 201, response.text
    assert response.json()["included"] == ["birth_certificate"]
    assert gateway.started[0].included == ["birth_certificate"]


async def test_a_repeat_with_the_same_key_is_the_same_case(api: InProcessApi, gateway: FakeCaseGateway) -> None:
    async with api.as_user(Role.CITIZEN, "citizen-repeat") as citizen:
        key = {"Idempotency-Key": "repeat-1"}
        first = await citizen.post("/api/v1/applications", json=api.newborn(), headers=key)
        again = await citizen.post("/api/v1/applications", json=api.newborn(), headers=key)
        assert first.status_code == 201, first.text
        assert again.status_code == 200, again.text
        assert again.json()["case_no"] == first.json()["case_no"]
        # A repeat of a started case asks the engine nothing (its start left the outbox); no second case.
        assert len(gateway.states) == 1
        assert {b.case_no for b in gateway.started} == {first.json()["case_no"]}

        other_body = await citizen.post("/api/v1/applications", json=api.newborn(newborn_name="王小贝"), headers=key)
        problem = assert_problem(other_body, 422)
        assert problem["errors"] == [{"field": "Idempotency-Key", "message": "already used with a different body"}]
        assert len(gateway.started) == 1
        assert len((await citizen.get("/api/v1/applications")).json()) == 1


async def test_an_invalid_form_names_each_field_and_starts_nothing(api: InProcessApi, gateway: FakeCaseGateway) -> None:
    body = api.newborn(newborn_birth_date="2999-01-01", contact_phone="12")
    del body["form"]["newborn_name"]
    async with api.as_user(Role.CITIZEN, "citizen-invalid") as citizen:
        response = await citizen.post("/api/v1/applications", json=body)
        problem = assert_problem(response, 422)
        fields = {error["field"] for error in problem["errors"]}
        assert fields == {"form.newborn_birth_date", "form.contact_phone", "form.newborn_name"}
        assert all(error["message"] for error in problem["errors"])
        assert "Nothing was started" in problem["detail"]
        assert gateway.sent == []
        assert (await citizen.get("/api/v1/applications")).json() == []

        unknown = await citizen.post("/api/v1/applications", json={**body, "thing": "moving_house_on_mars"})
        assert [e["field"] for e in assert_problem(unknown, 422)["errors"]] == ["thing"]
        missing = await citizen.post("/api/v1/applications", json={"thing": "newborn"})
        assert [e["field"] for e in assert_problem(missing, 422)["errors"]] == ["form"]
    assert gateway.sent == []


async def test_with_the_engine_down_the_application_is_accepted_and_shown_starting(
    api: InProcessApi, gateway: FakeCaseGateway
) -> None:
    """Accepted means started: the start waits in the outbox, the citizen sees 已受理，正在启动 (`starting`) and a
    withdrawal meanwhile is told to come again; a resend (or the starter) delivers the start, the case runs."""
    gateway.answer(Method.START, Outcome.UNAVAILABLE)
    key = {"Idempotency-Key": "engine-down-1"}
    async with api.as_user(Role.CITIZEN, "citizen-engine-down") as citizen:
        down = await citizen.post("/api/v1/applications", json=api.newborn(), headers=key)
        assert down.status_code == 201, down.text
        assert down.json()["status"] == "starting"
        case_no = down.json()["case_no"]
        assert [(c["case_no"], c["status"]) for c in (await citizen.get("/api/v1/applications")).json()] == [
            (case_no, "starting")
        ]
        shown = (await citizen.get(f"/api/v1/applications/{case_no}")).json()
        assert (shown["status"], shown["items"]) == ("starting", [])
        token = issue_token(api.settings.secret_key, Principal(role=Role.CITIZEN, subject="citizen-engine-down"))
        async with api.client({"Cookie": f"{SESSION_COOKIE}={token}"}) as browser:
            assert "已受理，正在启动" in (await browser.get(f"/cases/{case_no}")).text
        gateway.answer(Method.WITHDRAW, Outcome.NOT_FOUND)
        early = await citizen.post(f"/api/v1/applications/{case_no}/withdraw")
        assert "still starting" in assert_problem(early, 503)["detail"]
        assert early.headers["Retry-After"] == "30"
        with Session(api.engine) as session:
            assert pending_for_case(session, case_no=case_no, kind=START)

        gateway.answer(Method.START, Outcome.ACCEPT)
        resent = await citizen.post("/api/v1/applications", json=api.newborn(), headers=key)
        assert resent.status_code == 200, resent.text
        assert (resent.json()["case_no"], resent.json()["status"]) == (case_no, "running")
        assert list(gateway.states) == [case_no]
        assert (await citizen.get(f"/api/v1/applications/{case_no}")).json()["status"] == "running"
        with Session(api.engine) as session:
            assert not pending_for_case(session, case_no=case_no, kind=START)


async def test_new_applications_are_limited_per_hour_but_repeats_are_not(
    api: InProcessApi, gateway: FakeCaseGateway
) -> None:
    async with api.as_user(Role.CITIZEN, "citizen-busy") as citizen:
        for n in range(SUBMISSIONS_PER_HOUR):
            accepted = await citizen.post(
                "/api/v1/applications", json=api.newborn(), headers={"Idempotency-Key": f"b{n}"}
            )
            assert accepted.status_code == 201, accepted.text
        over = await citizen.post("/api/v1/applications", json=api.newborn(), headers={"Idempotency-Key": "b-over"})
        problem = assert_problem(over, 429)
        assert over.headers["Retry-After"] == "600"
        assert "per hour" in problem["detail"]
        assert len(gateway.states) == SUBMISSIONS_PER_HOUR
        repeat = await citizen.post("/api/v1/applications", json=api.newborn(), headers={"Idempotency-Key": "b0"})
        assert repeat.status_code == 200
    async with api.as_user(Role.CITIZEN, "citizen-not-busy") as neighbour:  # a limit per citizen
        assert (await neighbour.post("/api/v1/applications", json=api.newborn())).status_code == 201


async def test_who_may_apply(api: InProcessApi, gateway: FakeCaseGateway) -> None:
    async with api.client() as anonymous:
        unsigned = await anonymous.post("/api/v1/applications", json=api.newborn())
    assert_problem(unsigned, 401)
    assert unsigned.headers["WWW-Authenticate"] == "Bearer"
    async with api.as_user(Role.STAFF, "staff-applies", department="cdc") as staff:
        assert_problem(await staff.post("/api/v1/applications", json=api.newborn()), 403)
    async with api.as_user(Role.CITIZEN, "demo-enterprise-1") as enterprise:
        refused = assert_problem(await enterprise.post("/api/v1/applications", json=api.newborn()), 403)
        assert refused["title"] == "Personal account needed"
    assert gateway.sent == []


# --- supplementing and withdrawing ---------------------------------------------------------------------


async def waiting_for_correction(api: InProcessApi, gateway: FakeCaseGateway, owner: str) -> str:
    case_no = await api.submit(owner)
    await gateway.put(
        case_no, "birth_certificate", status=ItemStatus.WAITING_CITIZEN, holder=Holder.CITIZEN, reason="照片不清晰"
    )
    return case_no


async def test_a_correction_is_checked_then_handed_to_the_waiting_item(
    api: InProcessApi, gateway: FakeCaseGateway
) -> None:
    case_no = await waiting_for_correction(api, gateway, "citizen-correction")
    url = f"/api/v1/applications/{case_no}/supplements"
    async with api.as_user(Role.CITIZEN, "citizen-correction") as citizen:
        shown = (await citizen.get(f"/api/v1/applications/{case_no}")).json()
        birth = next(item for item in shown["items"] if item["code"] == "birth_certificate")
        assert (birth["status"], birth["holder"], birth["reason"]) == ("waiting_citizen", "citizen", "照片不清晰")

        bad = await citizen.post(
            url, json={"item_code": "birth_certificate", "form": {"newborn_birth_date": "2999-01-01"}}
        )
        assert [e["field"] for e in assert_problem(bad, 422)["errors"]] == ["form.newborn_birth_date"]
        stranger_field = await citizen.post(url, json={"item_code": "birth_certificate", "form": {"shoe_size": "42"}})
        assert [e["field"] for e in assert_problem(stranger_field, 422)["errors"]] == ["form.shoe_size"]
        assert gateway.messages(Method.SUPPLEMENT) == []

        good = await citizen.post(
            url,
            json={
                "item_code": "birth_certificate",
                "form": {"birth_hospital": "复旦大学附属妇产科医院"},
                "note": "重拍",
            },
        )
        assert good.status_code == 202, good.text
        assert gateway.messages(Method.SUPPLEMENT, case_no) == [
            Supplement(item_code="birth_certificate", form={"birth_hospital": "复旦大学附属妇产科医院"}, note="重拍")
        ]


async def test_the_workflows_refusal_of_a_correction_is_a_conflict_with_its_reason(
    api: InProcessApi, gateway: FakeCaseGateway
) -> None:
    case_no = await api.submit("citizen-late-correction")
    reason = "Item birth_certificate is not waiting for a correction."
    gateway.answer(Method.SUPPLEMENT, Outcome.REFUSE, reason)
    async with api.as_user(Role.CITIZEN, "citizen-late-correction") as citizen:
        response = await citizen.post(
            f"/api/v1/applications/{case_no}/supplements", json={"item_code": "birth_certificate", "form": {}}
        )
    problem = assert_problem(response, 409)
    assert problem["detail"] == reason
    assert problem["case_no"] == case_no


async def test_withdrawal_goes_to_the_case_by_number(api: InProcessApi, gateway: FakeCaseGateway) -> None:
    case_no = await api.submit("citizen-withdraws")
    async with api.as_user(Role.CITIZEN, "citizen-withdraws") as citizen:
        response = await citizen.post(f"/api/v1/applications/{case_no}/withdraw", json={"reason": "changed plans"})
        assert response.status_code == 202, response.text
        assert gateway.messages(Method.WITHDRAW, case_no) == [Withdrawal(reason="changed plans")]
        without_body = await citizen.post(f"/api/v1/applications/{case_no}/withdraw")
        assert without_body.status_code == 202
        assert gateway.messages(Method.WITHDRAW)[-1] == Withdrawal(reason="withdrawn by the applicant")
        shown = (await citizen.get(f"/api/v1/applications/{case_no}")).json()
        assert shown["status"] == "withdrawn"

        reason = f"Case {case_no} is already finished."
        gateway.answer(Method.WITHDRAW, Outcome.REFUSE, reason)
        again = await citizen.post(f"/api/v1/applications/{case_no}/withdraw")
        assert assert_problem(again, 409)["detail"] == reason

        gateway.answer(Method.WITHDRAW, Outcome.UNAVAILABLE)
        down = await citizen.post(f"/api/v1/applications/{case_no}/withdraw")
        assert assert_problem(down, 503)["detail"] == "The case engine is not reachable; try again shortly."
        assert down.headers["Retry-After"] == "5"


async def test_another_citizens_case_is_not_found_and_nothing_is_sent(
    api: InProcessApi, gateway: FakeCaseGateway
) -> None:
    case_no = await waiting_for_correction(api, gateway, "citizen-owner")
    sent_before = list(gateway.sent)
    async with api.as_user(Role.CITIZEN, "citizen-other") as other:
        responses = [
            await other.get(f"/api/v1/applications/{case_no}"),
            await other.post(f"/api/v1/applications/{case_no}/withdraw"),
            await other.post(
                f"/api/v1/applications/{case_no}/supplements", json={"item_code": "birth_certificate", "form": {}}
            ),
        ]
        nowhere = await other.get("/api/v1/applications/20990101-NOSUCH22")
        assert (await other.get("/api/v1/applications")).json() == []
    # The same answer as for a case that does not exist: whether it exists is not revealed.
    for response in responses:
        problem = assert_problem(response, 404)
        assert problem["detail"] == f"No case {case_no} for this account. Check the case number."
        assert problem.keys() == assert_problem(nowhere, 404).keys()
    assert gateway.sent == sent_before


async def test_a_case_the_engine_does_not_know_is_not_found(api: InProcessApi, gateway: FakeCaseGateway) -> None:
    """The projection lists it, the engine has no such workflow: 404 naming the case, never a 500."""
    case_no = await api.submit("citizen-engine-lost")
    gateway.answer(Method.WITHDRAW, Outcome.NOT_FOUND)
    async with api.as_user(Role.CITIZEN, "citizen-engine-lost") as citizen:
        gone = await citizen.post(f"/api/v1/applications/{case_no}/withdraw")
    assert assert_problem(gone, 404)["case_no"] == case_no
