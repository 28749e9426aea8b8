"""The supervisors' figures from real cases on the time-skipping server, against dates worked out by hand.

Five cases of a two-item bundle start around Qingming 2027 (Monday 5 April is a holiday, after the
weekend of 3-4 April). `first` (department alpha, sync REST) promises 2 working days, `second` (beta,
standard handling module, staff decide) promises 3 and the law allows 5; yellow 1 working day ahead.
Started Thursday 1 April 10:00, `second` is due at the end of Wednesday 7 April (Fri 2, Tue 6, Wed 7),
statutorily at the end of Friday 9 April, and turns yellow at the start of Wednesday 7 April.

- A: beta approves on Friday 2 April: 1 clock day, on time.
- B: beta approves on Friday 9 April: late (Thu 8 and Fri 9 come on top of 3: 5 clock days), but within the law.
- C: alpha asks for a correction at once; the citizen answers on Wednesday 7 April, so `first` used none of
  its clock; `second` then starts and beta approves it the next day (1 clock day). While C waited, its
  bundle's forecast moved past its promise (Friday 9 April) although none of its items was late.
- D: beta never decides: red (overdue) and escalated.
- E: starts Friday 9 April; on Wednesday 14 April its `second` is due soon (yellow).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session
from temporalio.testing import WorkflowEnvironment

from one_things.schema import SlaPolicy
from persistence.db import make_engine
from persistence.supervision import at_risk_cases, attention_items, case_lights, item_lights, performance
from persistence.tables import CaseRecord, ItemRecord
from tests.workflows.harness import Harness, definition, harness, until
from workflows.bundle import OneThingWorkflow
from workflows.contracts import StaffDecision, SupervisorEscalation, Supplement

SH = ZoneInfo("Asia/Shanghai")
THING = definition(
    first={"promised_days": 2, "statutory_days": 4}, second={"promised_days": 3, "statutory_days": 5}
).model_copy(update={"sla": SlaPolicy(yellow_before_days=1)})


def sh(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2027, month, day, hour, 0, tzinfo=SH)


def approve(case_no: str) -> StaffDecision:
    return StaffDecision(item_code="second", decision="approve", output={"second_no": f"B-{case_no}"}, staff="clerk")


async def projected(engine, check: Callable[[Session], bool], timeout: float = 20) -> None:  # type: ignore[no-untyped-def]
    """Waits (real seconds) until the projection shows what `check` looks for."""
    deadline = time.monotonic() + timeout
    while True:
        with Session(engine) as session:
            if check(session):
                return
        if time.monotonic() > deadline:
            raise AssertionError("the projection did not catch up")
        await asyncio.sleep(0.1)


async def escalations_received(h: Harness, expected: int, timeout: float = 20) -> list[dict[str, Any]]:
    """The beta stub's escalation notices once `expected` have arrived (each is an activity after its signal or
    timer), or what arrived by the timeout (real seconds)."""
    deadline = time.monotonic() + timeout
    while True:
        received: list[dict[str, Any]] = (await h.stubs.get("/admin/beta/escalations")).json()
        if len(received) >= expected or time.monotonic() > deadline:
            return received
        await asyncio.sleep(0.1)


def item_due(session: Session, case_no: str, code: str) -> datetime | None:
    record = session.get(ItemRecord, (case_no, code))
    return record.due_at if record else None


def case_light(session: Session, case_no: str) -> str | None:
    record = session.get(CaseRecord, case_no)
    return record.light if record else None


async def test_lights_rates_clock_days_and_forecast(skipping_env: WorkflowEnvironment, data_dir: Path) -> None:
    async with harness(skipping_env, data_dir) as h:
        engine = make_engine(h.settings.projection_url)
        await h.skip_to(sh(4, 1))
        a, b = await h.start(THING, "SV-A"), await h.start(THING, "SV-B")
        for handle in (a, b):  # their first items are decided before alpha starts asking for corrections
            await until(handle, lambda s: s.item("first").status == "completed")
        await h.configure("alpha", correction_rate=1.0)
        c = await h.start(THING, "SV-C")
        await until(c, lambda s: s.item("first").status == "waiting_citizen")
        await h.configure("alpha", correction_rate=0.0)
        d = await h.start(THING, "SV-D")
        for handle in (a, b, d):
            # The holder is set before the deadline activity answers: wait for both.
            state = await until(
                handle, lambda s: s.item("second").holder == "staff" and s.item("second").due_at is not None
            )
        assert state.item("second").due_at == sh(4, 8, 0)
        assert state.item("second").statutory_due_at == sh(4, 10, 0)

        await h.skip_to(sh(4, 2, 15))
        await a.execute_update(OneThingWorkflow.staff_decision, approve("A"))

        await h.skip_to(sh(4, 7))
        await c.execute_update(OneThingWorkflow.supplement, Supplement(item_code="first", form={"applicant": "Fixed"}))
        c_now = await until(c, lambda s: s.item("second").holder == "staff" and s.item("second").due_at is not None)
        # C's bundle promised the end of Friday 9 April; its second item may take until the end of Monday 12.
        # The forecast is read from the projection: wait until it holds the second item's deadline too, not only
        # the yellow light (on a loaded machine an earlier write, without it, was read: CI22).
        second_due = c_now.item("second").due_at
        await projected(
            engine, lambda s: case_light(s, "SV-C") == "yellow" and item_due(s, "SV-C", "second") == second_due
        )
        with Session(engine) as session:
            at_risk = {row.case_no: row for row in at_risk_cases(session, now=sh(4, 7, 11))}
            green = attention_items(session, now=sh(4, 7, 11), lights=["green"])
        assert at_risk["SV-C"].promised_at == sh(4, 10, 0)
        assert at_risk["SV-C"].forecast_at == sh(4, 13, 0)
        assert [(row.case_no, row.item_code) for row in green] == [("SV-C", "second")]  # no item of C is late

        await h.skip_to(sh(4, 8, 16))
        await c.execute_update(OneThingWorkflow.staff_decision, approve("C"))
        await h.skip_to(sh(4, 9))
        await b.execute_update(OneThingWorkflow.staff_decision, approve("B"))
        e = await h.start(THING, "SV-E")
        await until(e, lambda s: s.item("second").holder == "staff")

        await h.skip_to(sh(4, 14))
        await until(e, lambda s: s.item("second").light == "yellow")
        await until(d, lambda s: s.item("second").light == "red")
        await d.signal(OneThingWorkflow.escalate, SupervisorEscalation(item_code="second", note="decide today"))
        # Awaiting a result lets the time-skipping server run its clock on to the next timer (E's item turning red
        # at the end of the 14th) while the call waits: the figures below are read at 11:00 on the 14th.
        with h.env.auto_time_skipping_disabled():
            for handle in (a, b, c):
                await handle.result()
        await projected(engine, lambda s: case_light(s, "SV-E") == "yellow" and case_light(s, "SV-D") == "red")

        now = sh(4, 14, 11)
        with Session(engine) as session:
            by_department = {
                row.key: row
                for row in performance(session, by="department", first=date(2027, 4, 1), last=date(2027, 4, 14))
            }
            item_counts = {row.key: row for row in item_lights(session, by="department", now=now)}
            bundle_counts = case_lights(session, by="thing", now=now)
            overdue = attention_items(session, now=now, lights=["red"])
            due_soon = attention_items(session, now=now, lights=["yellow"])
            finished_lights = {case_no: case_light(session, case_no) for case_no in ("SV-A", "SV-B", "SV-C")}
        engine.dispose()
        escalations = await escalations_received(h, expected=3)

    alpha, beta = by_department["alpha"], by_department["beta"]
    assert (alpha.finished, alpha.on_time, alpha.median_days, alpha.p90_days) == (5, 5, 0, 0)
    assert (beta.finished, beta.on_time, beta.on_time_statutory) == (3, 2, 3)
    assert beta.on_time_rate == 2 / 3
    assert (beta.median_days, beta.p90_days) == (1, 5)  # A 1, C 1, B 5
    assert set(item_counts) == {"beta"}
    assert (item_counts["beta"].running, item_counts["beta"].yellow, item_counts["beta"].red) == (2, 1, 1)
    assert [(row.running, row.green, row.yellow, row.red) for row in bundle_counts] == [(2, 0, 1, 1)]
    assert [(row.case_no, row.item_code, row.department) for row in overdue] == [("SV-D", "second", "beta")]
    assert [row.case_no for row in due_soon] == ["SV-E"]
    # Finished bundles: A and C within their promise (green), B late (red).
    assert finished_lights == {"SV-A": "green", "SV-B": "red", "SV-C": "green"}
    assert {(e["case_no"], e["level"]) for e in escalations} == {
        ("SV-B", "overdue"),
        ("SV-D", "overdue"),
        ("SV-D", "supervisor"),
    }
