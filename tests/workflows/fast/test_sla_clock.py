"""The case's one SLA timer (workflows/sla_clock.py): every item's light still turns at its own moment.

Calendars on which every day is worked, so the moments are plain day arithmetic (promised n days, yellow 2
days before: yellow at the start of day n - 1 after acceptance, red at the start of day n + 1).
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

import pytest
from temporalio.api.enums.v1 import EventType

from core.calendar import TZ
from tests.support.histories import record_history
from tests.workflows.fast.cases import Case, Cases, every_day_worked, item, thing
from tests.workflows.fast.test_case_course import midnight_after
from tests.workflows.harness import until
from workflows.bundle import OneThingWorkflow
from workflows.contracts import CaseState, DepartmentCallback, StaffDecision

pytestmark = pytest.mark.fast


async def timer_events(case: Case) -> Counter[str]:
    counts: Counter[str] = Counter()
    async for event in case.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_TIMER_STARTED:
            counts["started"] += 1
        elif event.event_type == EventType.EVENT_TYPE_TIMER_CANCELED:
            counts["canceled"] += 1
        elif event.event_type == EventType.EVENT_TYPE_TIMER_FIRED:
            counts["fired"] += 1
    return counts


def lights(state: CaseState) -> dict[str, str | None]:
    return {entry.code: entry.light for entry in state.items}


async def skip_past(cases: Cases, instant: datetime) -> None:
    await cases.skip(instant - await cases.env.get_current_time() + timedelta(minutes=1))


async def accepted_on(case: Case, *codes: str) -> date:
    state = await until(case, lambda s: all(s.item(code).due_at is not None for code in codes))
    started = state.item(codes[0]).started_at
    assert started is not None
    return started.astimezone(TZ).date()


async def test_items_with_different_deadlines_turn_at_their_own_moments_on_one_timer(timed_cases: Cases) -> None:
    cases = timed_cases
    now = await cases.env.get_current_time()
    definition = thing(item("a", "alpha", "standard_module"), item("b", "beta", "standard_module", promised_days=8))
    case = await cases.start(definition, "CLOCK-1", calendar=every_day_worked(now))
    day = await accepted_on(case, "a", "b")
    state = await case.query(OneThingWorkflow.status)
    assert (state.item("a").yellow_at, state.item("a").due_at) == (midnight_after(day, 4), midnight_after(day, 6))
    assert (state.item("b").yellow_at, state.item("b").due_at) == (midnight_after(day, 7), midnight_after(day, 9))
    assert await timer_events(case) == {"started": 1}  # one for the case, not one per item

    await skip_past(cases, midnight_after(day, 4))
    await until(case, lambda s: lights(s) == {"a": "yellow", "b": "green"})
    assert cases.fakes.escalations == []

    await skip_past(cases, midnight_after(day, 6))
    state = await until(case, lambda s: lights(s) == {"a": "red", "b": "green"})
    assert state.item("a").breached_at is not None
    assert state.item("b").breached_at is None
    await until(case, lambda _s: len(cases.fakes.escalations) == 1)
    assert [(e.item_code, e.level) for e in cases.fakes.escalations] == [("a", "overdue")]

    await skip_past(cases, midnight_after(day, 7))
    await until(case, lambda s: lights(s) == {"a": "red", "b": "yellow"})

    await skip_past(cases, midnight_after(day, 9))
    state = await until(case, lambda s: lights(s) == {"a": "red", "b": "red"})
    assert state.status == "running"  # breaches are recorded and escalated, never a failure
    await until(case, lambda _s: len(cases.fakes.escalations) == 2)
    assert [(e.item_code, e.level) for e in cases.fakes.escalations] == [("a", "overdue"), ("b", "overdue")]
    # One timer at a time, each armed by the one before as it fired; none cancelled.
    assert await timer_events(case) == {"started": 4, "fired": 4}

    for code in ("a", "b"):
        await case.execute_update(
            OneThingWorkflow.staff_decision,
            StaffDecision(item_code=code, decision="approve", output={f"{code}_no": "N-1"}, staff="k"),
        )
    final = await case.result()
    assert (final.status, lights(final)) == ("completed", {"a": "red", "b": "red"})
    assert (await timer_events(case))["canceled"] == 0
    await record_history(case, "sla_clock_lights")


async def test_an_item_started_later_with_an_earlier_turn_arms_an_earlier_timer(timed_cases: Cases) -> None:
    cases = timed_cases
    now = await cases.env.get_current_time()
    definition = thing(
        item("a", "alpha", "standard_module", promised_days=8),
        item("c", "gamma", "async_callback", promised_days=20),
        item("b", "beta", "standard_module", promised_days=3, depends_on=["c"]),
    )
    case = await cases.start(definition, "CLOCK-2", calendar=every_day_worked(now))
    day = await accepted_on(case, "a", "c")
    assert await timer_events(case) == {"started": 1}  # for a's yellow light

    await case.execute_update(
        OneThingWorkflow.receive_department_result,
        DepartmentCallback(
            item_code="c", department="gamma", idempotency_key="CLOCK-2:c", status="completed", output={"c_no": "C-1"}
        ),
    )
    state = await until(case, lambda s: s.item("b").yellow_at is not None)
    assert state.item("b").started_at is not None
    assert state.item("b").started_at.astimezone(TZ).date() == day, "the test ran across midnight"
    assert state.item("b").yellow_at == midnight_after(day, 2)  # before a's yellow at the start of day 7
    assert await timer_events(case) == {"started": 2}  # a's timer stays pending: cancelling it costs an event

    await skip_past(cases, midnight_after(day, 2))
    await until(case, lambda s: lights(s) == {"a": "green", "c": "green", "b": "yellow"})
    await skip_past(cases, midnight_after(day, 7))
    await until(case, lambda s: lights(s) == {"a": "yellow", "c": "green", "b": "red"})
    assert [(e.item_code, e.level) for e in cases.fakes.escalations] == [("b", "overdue")]
    assert (await timer_events(case))["canceled"] == 0
