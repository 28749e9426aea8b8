"""How items run inside a case: dependencies, sync, async, batch, staff (fast tier, fake departments)."""

from __future__ import annotations

import pytest

from services.case_gateway import Delivery, TemporalCaseGateway
from services.errors import InvalidError
from tests.workflows.fast.cases import Cases, item, thing
from tests.workflows.fast.refusals import refusal
from tests.workflows.harness import until
from workflows.bundle import OneThingWorkflow
from workflows.contracts import (
    RESULT_IGNORED,
    RESULT_REFUSED,
    RESULT_TOO_EARLY,
    DepartmentCallback,
    StaffDecision,
    Supplement,
)

pytestmark = pytest.mark.fast


def result(case_no: str, code: str, department: str, **changes: object) -> DepartmentCallback:
    values: dict[str, object] = {
        "item_code": code,
        "department": department,
        "idempotency_key": f"{case_no}:{code}",
        "status": "completed",
        "output": {f"{code}_no": f"{code.upper()}-1"},
    }
    return DepartmentCallback.model_validate({**values, **changes})


DIAMOND = thing(
    item("a", "alpha", "async_callback"),
    item("b", "beta", "async_callback"),
    item(
        "c",
        "gamma",
        "sync_rest",
        depends_on=["a", "b"],
        inputs={"a_no": "items.a.a_no", "b_no": "items.b.b_no", "applicant": "form.applicant"},
    ),
)


async def test_items_start_when_their_dependencies_complete_and_in_parallel_otherwise(cases: Cases) -> None:
    case = await cases.start(DIAMOND, "DEP-1")
    state = await until(case, lambda s: s.item("a").holder == "department" and s.item("b").holder == "department")
    assert state.item("c").status == "pending"
    assert sorted(s.item_code for s in cases.fakes.submissions) == ["a", "b"]

    await case.execute_update(OneThingWorkflow.receive_department_result, result("DEP-1", "a", "alpha"))
    state = await until(case, lambda s: s.item("a").status == "completed")
    assert state.item("c").status == "pending"  # b is not done yet

    await case.execute_update(OneThingWorkflow.receive_department_result, result("DEP-1", "b", "beta"))
    final = await case.result()
    assert final.status == "completed"
    (third,) = [s for s in cases.fakes.submissions if s.item_code == "c"]
    # What the earlier items produced flows into the item that depends on them.
    assert third.payload == {"a_no": "A-1", "b_no": "B-1", "applicant": "Test Applicant"}
    assert final.item("c").output == {"c_no": "c-c_no"}
    assert final.item("c").started_at >= max(final.item("a").finished_at, final.item("b").finished_at)  # type: ignore[operator,type-var]


async def test_a_department_result_is_applied_once_and_a_repeat_is_ignored(cases: Cases) -> None:
    case = await cases.start(DIAMOND, "ONCE-1")
    await until(case, lambda s: s.item("a").holder == "department")
    first = result("ONCE-1", "a", "alpha")
    await case.execute_update(OneThingWorkflow.receive_department_result, first)
    await until(case, lambda s: s.item("a").status == "completed")

    repeat = await refusal(case.execute_update(OneThingWorkflow.receive_department_result, first))
    assert repeat.type == RESULT_IGNORED
    assert "already completed" in repeat.message
    stale = result("ONCE-1", "b", "beta", idempotency_key="ONCE-1:b:r1")  # a round that was never sent
    assert (await refusal(case.execute_update(OneThingWorkflow.receive_department_result, stale))).type == (
        RESULT_IGNORED
    )
    assert (await case.query(OneThingWorkflow.status)).item("b").status == "running"


async def test_results_that_cannot_apply_are_refused_with_the_reason(cases: Cases) -> None:
    definition = thing(
        item("a", "alpha", "async_callback"),
        item("s", "beta", "standard_module"),
        item("p", "gamma", "async_callback", depends_on=["a"]),
    )
    case = await cases.start(definition, "REFUSE-1")
    await until(case, lambda s: s.item("a").holder == "department" and s.item("s").holder == "staff")
    send = OneThingWorkflow.receive_department_result

    wrong_department = await refusal(case.execute_update(send, result("REFUSE-1", "a", "beta")))
    assert wrong_department.type == RESULT_REFUSED
    assert "has no item a of beta" in wrong_department.message
    by_staff = await refusal(case.execute_update(send, result("REFUSE-1", "s", "beta")))
    assert by_staff.type == RESULT_REFUSED
    assert "decided by staff" in by_staff.message
    no_outputs = await refusal(case.execute_update(send, result("REFUSE-1", "a", "alpha", output={})))
    assert no_outputs.type == RESULT_REFUSED
    assert "a_no" in no_outputs.message
    assert no_outputs.details == ({"rule": "declared-outputs", "field": "output.a_no"},)
    blank = await refusal(case.execute_update(send, result("REFUSE-1", "a", "alpha", output={"a_no": "  "})))
    assert blank.details == ({"rule": "declared-outputs", "field": "output.a_no"},)
    extra = {"a_no": "A-1", "secret_note": "x"}
    undeclared = await refusal(case.execute_update(send, result("REFUSE-1", "a", "alpha", output=extra)))
    assert undeclared.details == ({"rule": "undeclared-output", "field": "output.secret_note"},)
    assert "declares the outputs a_no" in undeclared.message
    silent = result("REFUSE-1", "a", "alpha", status="rejected", output=None)
    no_reason = await refusal(case.execute_update(send, silent))
    assert no_reason.details == ({"rule": "reason-required", "field": "reason"},)
    assert by_staff.details == ({"rule": "staff-handled", "field": "item_code"},)
    assert wrong_department.details == ({"rule": "own-item", "field": "item_code"},)
    too_early = await refusal(case.execute_update(send, result("REFUSE-1", "p", "gamma")))
    assert too_early.type == RESULT_TOO_EARLY
    assert "has not been submitted yet" in too_early.message

    state = await case.query(OneThingWorkflow.status)
    assert [(i.code, i.status) for i in state.items] == [("a", "running"), ("s", "running"), ("p", "pending")]
    # The refused results changed nothing: the real one is still taken.
    await case.execute_update(send, result("REFUSE-1", "a", "alpha"))
    await until(case, lambda s: s.item("a").status == "completed" and s.item("p").holder == "department")


async def test_a_batch_item_is_pulled_until_the_department_has_processed_it(cases: Cases) -> None:
    cases.fakes.batch_not_ready = 2
    case = await cases.start(thing(item("a", "alpha", "batch")), "BATCH-1")
    final = await case.result()
    assert final.status == "completed"
    assert final.item("a").output == {"a_no": "a-a_no"}
    assert [ref.idempotency_key for ref in cases.fakes.pulls] == ["BATCH-1:a"] * 3


async def test_a_batch_item_of_a_department_that_calls_back_takes_its_callback_and_a_pulled_one_refuses_it(
    cases: Cases,
) -> None:
    cases.fakes.calling_back = {"alpha"}
    cases.fakes.batch_not_ready = 1  # the pulled item's first pull finds nothing: it is still pulling below
    case = await cases.start(thing(item("a", "alpha", "batch"), item("b", "beta", "batch")), "BATCH-CB-1")
    await until(case, lambda s: s.item("a").holder == "department" and s.item("b").holder == "department")
    send = OneThingWorkflow.receive_department_result

    pulled = await refusal(case.execute_update(send, result("BATCH-CB-1", "b", "beta")))
    assert pulled.type == RESULT_REFUSED
    assert pulled.details == ({"rule": "results-pulled", "field": "item_code"},)
    await case.execute_update(send, result("BATCH-CB-1", "a", "alpha"))  # taken: no refusal

    final = await case.result()
    assert final.status == "completed"
    assert final.item("a").output == {"a_no": "A-1"}  # the callback's
    assert final.item("b").output == {"b_no": "b-b_no"}  # the pull's
    assert {ref.idempotency_key for ref in cases.fakes.pulls} == {"BATCH-CB-1:b"}  # a was never pulled


async def test_staff_decide_only_items_with_them_and_only_with_what_the_citizen_needs(cases: Cases) -> None:
    definition = thing(item("s", "beta", "standard_module"), item("a", "alpha", "async_callback"))
    case = await cases.start(definition, "STAFF-1")
    await until(case, lambda s: s.item("s").holder == "staff")
    decide = OneThingWorkflow.staff_decision

    no_output = await refusal(case.execute_update(decide, StaffDecision(item_code="s", decision="approve", staff="k")))
    assert "needs output fields: s_no" in no_output.message
    blank = StaffDecision(item_code="s", decision="approve", output={"s_no": " "}, staff="k")
    assert "needs output fields: s_no" in (await refusal(case.execute_update(decide, blank))).message
    extra = StaffDecision(item_code="s", decision="approve", output={"s_no": "S-1", "x": "1"}, staff="k")
    assert "issues only s_no" in (await refusal(case.execute_update(decide, extra))).message
    no_reason = await refusal(case.execute_update(decide, StaffDecision(item_code="s", decision="reject", staff="k")))
    assert "needs a reason" in no_reason.message
    not_theirs = await refusal(
        case.execute_update(decide, StaffDecision(item_code="a", decision="approve", output={"a_no": "1"}, staff="k"))
    )
    assert "not waiting for a staff decision" in not_theirs.message

    answered = await case.execute_update(
        decide, StaffDecision(item_code="s", decision="approve", output={"s_no": "S-9"}, staff="k")
    )
    assert (answered.status, answered.holder, answered.output) == ("completed", None, {"s_no": "S-9"})
    approved = (await until(case, lambda s: s.item("s").finished)).item("s")
    assert approved.status == "completed"
    assert approved.output == {"s_no": "S-9"}
    again = await refusal(
        case.execute_update(
            decide, StaffDecision(item_code="s", decision="approve", output={"s_no": "S-10"}, staff="k")
        )
    )
    assert "not waiting for a staff decision" in again.message


async def test_the_case_gateway_names_the_broken_rule_and_field_of_a_refused_result(cases: Cases) -> None:
    case = await cases.start(thing(item("a", "alpha", "async_callback")), "RULE-1")
    await until(case, lambda s: s.item("a").holder == "department")

    async def this_case(case_no: str) -> str:
        return f"{cases.task_queue}-{case_no}"

    gateway = TemporalCaseGateway(cases.env.client, cases.task_queue, legacy_ids=this_case)
    with pytest.raises(InvalidError) as refused:
        await gateway.department_result("RULE-1", result("RULE-1", "a", "alpha", output={"a_no": ""}))
    assert refused.value.context["rule"] == "declared-outputs"
    assert refused.value.errors == [{"field": "output.a_no", "message": refused.value.errors[0]["message"]}]
    assert "(rule declared-outputs)" in refused.value.detail
    assert "needs its declared outputs: a_no" in refused.value.detail
    receipt = await gateway.department_result("RULE-1", result("RULE-1", "a", "alpha"))
    assert receipt.delivery is Delivery.APPLIED
    repeat = await gateway.department_result("RULE-1", result("RULE-1", "a", "alpha"))
    assert repeat.delivery is Delivery.IGNORED


async def test_a_correction_answered_with_a_material_alone_comes_back_to_the_clerk(cases: Cases) -> None:
    case = await cases.start(thing(item("s", "beta", "standard_module")), "FIX-1")
    await until(case, lambda s: s.item("s").holder == "staff")
    ask = StaffDecision(item_code="s", decision="correction", reason="照片:不清晰", staff="k")
    asked = await case.execute_update(OneThingWorkflow.staff_decision, ask)
    assert (asked.status, asked.holder, asked.reason) == ("waiting_citizen", "citizen", "照片:不清晰")

    await case.execute_update(OneThingWorkflow.supplement, Supplement(item_code="s", materials=["photo"]))
    back = (await until(case, lambda s: s.item("s").holder == "staff" and s.item("s").round == 1)).item("s")
    assert back.status == "running"
