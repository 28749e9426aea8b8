"""A case's course over time: 补正, rejection, withdrawal, the SLA clock, 督办, what pages and citizens get
(fast tier: fake departments; each case counts its deadlines on the calendar it carries, tests/core tests that
arithmetic day by day)."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle

from core.calendar import TZ, YearsCalendar, last_day_on_time
from tests.workflows.fast.cases import Cases, every_day_worked, item, thing
from tests.workflows.fast.refusals import refusal
from tests.workflows.harness import until
from workflows.bundle import OneThingWorkflow
from workflows.contracts import DepartmentCallback, StaffDecision, SupervisorEscalation, Supplement, Withdrawal

pytestmark = pytest.mark.fast


async def test_a_correction_waits_for_the_citizen_then_resubmits_in_a_new_round(cases: Cases) -> None:
    cases.fakes.answers["a"] = ["correction_requested", "completed"]
    case = await cases.start(thing(item("a", "alpha", "sync_rest"), item("b", "beta", "async_callback")), "FIX-1")
    waiting = await until(case, lambda s: s.status == "waiting_citizen")
    first = waiting.item("a")
    assert (first.status, first.holder, first.reason) == (
        "waiting_citizen",
        "citizen",
        "correction_requested by the department",
    )
    not_asked = await refusal(case.execute_update(OneThingWorkflow.supplement, Supplement(item_code="b")))
    assert "not waiting for a correction" in not_asked.message

    await case.execute_update(OneThingWorkflow.supplement, Supplement(item_code="a", form={"applicant": "Fixed"}))
    state = await until(case, lambda s: s.item("a").status == "completed")
    assert state.status == "running"
    assert state.item("a").round == 1
    # Each round is its own submission for the department: the key is made of the case, the item and the round.
    assert cases.fakes.submitted_keys("a") == ["FIX-1:a", "FIX-1:a:r1"]
    assert cases.fakes.submissions[-1].payload == {"applicant": "Fixed"}
    # Notices leave with the projection write that shows the item done, which may land just after the query.
    for _ in range(100):
        sent = [(m.kind.value, m.item_code, m.round) for m in cases.fakes.messages]
        if ("item_done", "a", 1) in sent:
            break
        await asyncio.sleep(0.05)
    assert ("correction_needed", "a", 0) in sent
    assert ("item_done", "a", 1) in sent


async def test_a_final_rejection_cancels_the_rest_and_tells_departments_that_have_their_item(cases: Cases) -> None:
    definition = thing(
        item("a", "alpha", "async_callback"),
        item("b", "beta", "async_callback"),
        item("s", "delta", "standard_module"),
        item("c", "gamma", "sync_rest", depends_on=["a"]),
    )
    case = await cases.start(definition, "REJ-1")
    # Rejected only once every started item has its deadline: the time-skipping server hangs when a
    # workflow cancels an activity in the task where it completes (temporalio/sdk-java#2391).
    await until(case, lambda s: all(s.item(code).due_at and s.item(code).holder for code in ("a", "b", "s")))
    rejection = DepartmentCallback(
        item_code="a", department="alpha", idempotency_key="REJ-1:a", status="rejected", reason="not resident here"
    )
    await case.execute_update(OneThingWorkflow.receive_department_result, rejection)
    final = await case.result()
    assert final.status == "rejected"
    assert final.reason == "a: not resident here"
    assert [(i.code, i.status) for i in final.items] == [
        ("a", "rejected"),
        ("b", "cancelled"),
        ("s", "cancelled"),
        ("c", "cancelled"),
    ]
    assert final.item("c").started_at is None
    assert all(i.holder is None and i.finished_at is not None for i in final.items)
    # Only b's department holds a submission: s is with our own staff, c was never sent.
    assert [ref.idempotency_key for ref in cases.fakes.withdrawals] == ["REJ-1:b"]


async def test_a_department_refusing_the_submission_rejects_the_item_with_its_reason(cases: Cases) -> None:
    cases.fakes.answers["a"] = ["refused"]
    final = await (await cases.start(thing(item("a", "alpha", "sync_rest")), "REFUSED-1")).result()
    assert final.status == "rejected"
    assert final.reason == "a: the department refuses this request"
    assert len(cases.fakes.submissions) == 1  # a refusal is never retried


async def test_an_item_failing_for_good_halts_its_case_visibly_instead_of_ending_silently(cases: Cases) -> None:
    cases.fakes.answers["a"] = ["broken"]
    case = await cases.start(thing(item("a", "alpha", "sync_rest"), item("b", "beta", "sync_rest")), "BROKEN-1")
    failure = await _first_workflow_task_failure(cases, case)
    # The case is not closed (not completed, not failed): it waits, retried by Temporal, until a fix lands.
    assert failure.endswith("item a stopped on ActivityError; the case waits for a fix")
    assert (await case.describe()).status == WorkflowExecutionStatus.RUNNING
    assert "unexpected answer" not in failure  # the error's own text (a department's words) stays out


async def _first_workflow_task_failure(cases: Cases, case: WorkflowHandle[Any, Any]) -> str:
    """The message of the case's first failed workflow task, decrypted as an operator's tools show it."""
    for _ in range(100):
        async for event in case.fetch_history_events():
            if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
                failure = event.workflow_task_failed_event_attributes.failure
                return str(await cases.env.client.data_converter.decode_failure(failure))
        await asyncio.sleep(0.1)
    raise AssertionError("the case's workflow task never failed")


async def test_withdrawal_stops_every_open_item(cases: Cases) -> None:
    definition = thing(
        item("a", "alpha", "async_callback"),
        item("s", "beta", "standard_module"),
        item("p", "gamma", "sync_rest", depends_on=["a"]),
    )
    case = await cases.start(definition, "WD-1")
    await until(case, lambda s: all(s.item(code).due_at and s.item(code).holder for code in ("a", "s")))
    await case.execute_update(OneThingWorkflow.withdraw, Withdrawal(reason="moved abroad"))
    final = await case.result()
    assert (final.status, final.reason) == ("withdrawn", "moved abroad")
    assert [i.status for i in final.items] == ["withdrawn", "withdrawn", "withdrawn"]
    assert [ref.idempotency_key for ref in cases.fakes.withdrawals] == ["WD-1:a"]
    assert "all_done" not in [m.kind for m in cases.fakes.messages]


def midnight_after(day: date, days: int) -> datetime:
    """00:00 Asia/Shanghai `days` days after `day`."""
    return datetime.combine(day + timedelta(days=days), time(0), tzinfo=TZ)


async def test_a_late_item_turns_yellow_then_red_is_escalated_and_still_completes(timed_cases: Cases) -> None:
    cases = timed_cases
    now = await cases.env.get_current_time()
    # Promised 5 days, yellow 2 days before, on a calendar where every day is worked.
    case = await cases.start(thing(item("s", "beta", "standard_module")), "SLA-1", calendar=every_day_worked(now))
    state = await until(case, lambda s: s.item("s").holder == "staff" and s.item("s").due_at is not None)
    started = state.item("s").started_at
    assert started is not None
    accepted_on = started.astimezone(TZ).date()
    # The day of acceptance does not count: days 1-5 follow it, and the limit ends as day 5 does.
    assert state.item("s").due_at == midnight_after(accepted_on, 6)
    assert state.item("s").yellow_at == midnight_after(accepted_on, 4)  # day 5 is the last, day 4 the one before
    assert state.item("s").light == "green"
    assert cases.fakes.deadlines == []  # counted by the workflow itself

    await cases.skip(midnight_after(accepted_on, 4) - await cases.env.get_current_time() + timedelta(minutes=1))
    await until(case, lambda s: s.item("s").light == "yellow")
    assert cases.fakes.escalations == []
    await cases.skip(timedelta(days=2))
    state = await until(case, lambda s: s.item("s").light == "red")
    assert state.status == "running"  # a breach is recorded and escalated, never a failure
    assert state.item("s").breached_at is not None
    assert [(e.item_code, e.level) for e in cases.fakes.escalations] == [("s", "overdue")]

    await case.execute_update(
        OneThingWorkflow.staff_decision,
        StaffDecision(item_code="s", decision="approve", output={"s_no": "S-1"}, staff="k"),
    )
    final = await case.result()
    assert final.status == "completed"
    assert final.item("s").light == "red"  # the breach stays on the record


async def test_a_deadline_over_a_holiday_week_counts_only_working_days(cases: Cases) -> None:
    now = await cases.env.get_current_time()
    today = now.astimezone(TZ).date()
    # A week off right after acceptance, then every day worked, weekends included (调休): 5 days end 12 days on.
    week_off = {today + timedelta(days=n) for n in range(1, 8)}
    after = {today + timedelta(days=n) for n in range(8, 40)}
    years = frozenset({today.year, today.year + 1})
    calendar = YearsCalendar(
        years=years,
        days_off=frozenset(week_off),
        workdays=frozenset(day for day in after if day.weekday() >= 5),
    )
    case = await cases.start(thing(item("s", "beta", "standard_module")), "HOLIDAY-1", calendar=calendar)
    state = await until(case, lambda s: s.item("s").due_at is not None)
    started = state.item("s").started_at
    assert started is not None
    assert started.astimezone(TZ).date() == today, "the test ran across midnight"
    due = state.item("s").due_at
    assert due == midnight_after(today, 13)
    assert last_day_on_time(due) == today + timedelta(days=12)
    assert state.item("s").yellow_at == midnight_after(today, 11)
    assert cases.fakes.deadlines == []


async def test_a_case_accepted_without_a_calendar_asks_the_calendar_activity(cases: Cases) -> None:
    case = await cases.start(thing(item("s", "beta", "standard_module")), "OLD-1", carries_calendar=False)
    state = await until(case, lambda s: s.item("s").due_at is not None)
    (request,) = cases.fakes.deadlines
    assert (request.start, request.promised_days) == (state.item("s").started_at, 5)
    # The fake counts calendar days; the real activity is tested in tests/activities.
    assert state.item("s").due_at == request.start + timedelta(days=5)


async def test_the_clock_stops_while_the_citizen_corrects(timed_cases: Cases) -> None:
    cases = timed_cases
    now = await cases.env.get_current_time()
    case = await cases.start(thing(item("s", "beta", "standard_module")), "PAUSE-1", calendar=every_day_worked(now))
    state = await until(case, lambda s: s.item("s").holder == "staff" and s.item("s").due_at is not None)
    due = state.item("s").due_at
    assert due is not None
    await case.execute_update(
        OneThingWorkflow.staff_decision,
        StaffDecision(item_code="s", decision="correction", reason="photo unreadable", staff="k"),
    )
    waiting = await until(case, lambda s: s.item("s").status == "waiting_citizen")
    assert waiting.item("s").reason == "photo unreadable"
    paused_at = waiting.item("s").paused_at
    assert paused_at is not None

    await cases.skip(timedelta(days=10))  # far past the promised date, but the citizen had the item
    state = await case.query(OneThingWorkflow.status)
    assert (state.item("s").light, state.item("s").breached_at) == ("green", None)
    assert cases.fakes.escalations == []

    resumed_on = (await cases.env.get_current_time()).astimezone(TZ).date()
    await case.execute_update(OneThingWorkflow.supplement, Supplement(item_code="s", form={"applicant": "Fixed"}))
    state = await until(case, lambda s: s.item("s").holder == "staff" and s.item("s").round == 1)
    assert cases.fakes.shifts == []  # counted by the workflow itself
    # The whole days left after the day of the pause are given back, counted from the day after the resumption.
    left = (last_day_on_time(due) - paused_at.astimezone(TZ).date()).days
    assert state.item("s").due_at == midnight_after(resumed_on, left + 1)
    assert (state.item("s").light, state.item("s").paused_at) == ("green", None)


async def test_a_supervisor_pushes_only_an_item_under_way(cases: Cases) -> None:
    definition = thing(item("a", "alpha", "async_callback"), item("p", "beta", "sync_rest", depends_on=["a"]))
    case = await cases.start(definition, "PUSH-1")
    await until(case, lambda s: s.item("a").holder == "department")
    await case.signal(OneThingWorkflow.escalate, SupervisorEscalation(item_code="p", note="not yet started"))
    await case.signal(OneThingWorkflow.escalate, SupervisorEscalation(item_code="a", note="citizen waiting"))
    await until(case, lambda _s: bool(cases.fakes.escalations))
    assert [(e.item_code, e.level, e.note) for e in cases.fakes.escalations] == [("a", "supervisor", "citizen waiting")]


async def test_the_last_state_is_projected_and_the_citizen_told_before_the_case_closes(cases: Cases) -> None:
    final = await (await cases.start(thing(item("a", "alpha", "sync_rest")), "PROJ-1")).result()
    projected = cases.fakes.projected
    assert [p.seq for p in projected] == sorted({p.seq for p in projected})  # one write per change, in order
    # each write carries the history it was made from, so a task taken over after a worker died writes over the
    # dead task's writes of the same seq (persistence/write_order.py)
    lengths = [p.history_length for p in projected]
    assert lengths == sorted(lengths)
    assert lengths[-1] > lengths[0] >= 3
    last = projected[-1]
    assert (last.seq, last.status, last.finished_at) == (final.seq, "completed", final.finished_at)
    assert last.item("a").output == final.item("a").output == {"a_no": "a-a_no"}
    assert [(m.kind.value, m.item_code) for m in cases.fakes.messages] == [
        ("accepted", ""),
        ("item_done", "a"),
        ("all_done", ""),
    ]
