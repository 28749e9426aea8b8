"""The statutory clock on the time-skipping server: lights, escalation, 补正 pausing, withdrawal.

March 2027 has no public holiday, so the expected dates below are plain working-day arithmetic.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from temporalio.testing import WorkflowEnvironment

from core.calendar_year import store_year
from tests.support.histories import record_history
from tests.workflows.harness import definition, harness, until
from workflows.bundle import OneThingWorkflow
from workflows.contracts import StaffDecision, Supplement, Withdrawal

SH = ZoneInfo("Asia/Shanghai")
MONDAY_1_MARCH = datetime(2027, 3, 1, 10, 0, tzinfo=SH)


async def test_item_turns_yellow_then_red_is_escalated_and_still_completes(
    skipping_env: WorkflowEnvironment, data_dir: Path
) -> None:
    async with harness(skipping_env, data_dir) as h:
        await h.skip_to(MONDAY_1_MARCH)
        handle = await h.start(definition(), "LIGHTS-1")
        # The deadline is computed while the item is already with the staff: wait for both.
        state = await until(
            handle, lambda s: s.item("second").holder is not None and s.item("second").due_at is not None
        )
        second = state.item("second")
        # 20 working days counted from Tue 2 March end with Mon 29 March.
        assert second.due_at == datetime(2027, 3, 30, 0, 0, tzinfo=SH)
        assert second.yellow_at == datetime(2027, 3, 26, 0, 0, tzinfo=SH)
        assert second.light == "green"

        await h.skip_to(datetime(2027, 3, 26, 9, 0, tzinfo=SH))
        await until(handle, lambda s: s.item("second").light == "yellow")

        await h.skip_to(datetime(2027, 3, 30, 9, 0, tzinfo=SH))
        state = await until(handle, lambda s: s.item("second").light == "red")
        assert state.status == "running"  # a breach is recorded, never a failure of the case
        assert state.item("second").breached_at is not None
        escalations = (await h.stubs.get("/admin/beta/escalations")).json()
        assert [(e["case_no"], e["item_code"]) for e in escalations] == [("LIGHTS-1", "second")]

        await handle.execute_update(
            OneThingWorkflow.staff_decision,
            StaffDecision(item_code="second", decision="approve", output={"second_no": "B-1"}, staff="clerk"),
        )
        result = await handle.result()
        assert result.status == "completed"
        assert result.item("second").light == "red"
        assert result.item("second").output == {"second_no": "B-1"}
        await record_history(handle, "lights_escalation")


async def test_correction_stops_the_clock_until_the_citizen_answers(
    skipping_env: WorkflowEnvironment, data_dir: Path
) -> None:
    async with harness(skipping_env, data_dir) as h:
        await h.configure("alpha", correction_rate=1.0)
        await h.skip_to(MONDAY_1_MARCH)
        handle = await h.start(definition(), "PAUSE-1")
        state = await until(handle, lambda s: s.status == "waiting_citizen")
        first = state.item("first")
        assert first.status == "waiting_citizen"
        assert first.holder == "citizen"
        assert first.reason
        # 5 working days from Mon 1 March: Tue 2 … Mon 8 March.
        assert first.due_at == datetime(2027, 3, 9, 0, 0, tzinfo=SH)

        # The citizen answers a week later: the five working days lost while waiting are granted again.
        await h.skip_to(datetime(2027, 3, 8, 10, 0, tzinfo=SH))
        await handle.execute_update(
            OneThingWorkflow.supplement, Supplement(item_code="first", form={"applicant": "Fixed"})
        )
        state = await until(handle, lambda s: s.item("first").status == "completed")
        first = state.item("first")
        assert first.round == 1
        assert first.due_at == datetime(2027, 3, 16, 0, 0, tzinfo=SH)
        assert first.light == "green"
        records = (await h.stubs.get("/admin/alpha/records")).json()
        keys = sorted(record["idempotency_key"] for record in records)
        assert keys == ["PAUSE-1:first", "PAUSE-1:first:r1"]
        await handle.execute_update(
            OneThingWorkflow.staff_decision,
            StaffDecision(item_code="second", decision="approve", output={"second_no": "B-2"}, staff="clerk"),
        )
        assert (await handle.result()).status == "completed"
        await record_history(handle, "correction_resubmitted")


async def test_withdrawal_cancels_outstanding_items_and_tells_the_departments(
    skipping_env: WorkflowEnvironment, data_dir: Path
) -> None:
    async with harness(skipping_env, data_dir) as h:
        await h.configure("alpha", batch_interval_ms=86_400_000)  # the pipeline never runs during the test
        thing = definition(first={"mode": "batch"})
        handle = await h.start(thing, "WITHDRAW-1")
        await until(handle, lambda s: s.item("first").holder == "department")
        await handle.execute_update(OneThingWorkflow.withdraw, Withdrawal(reason="moved abroad"))
        result = await handle.result()
        assert result.status == "withdrawn"
        assert [item.status for item in result.items] == ["withdrawn", "withdrawn"]
        record = (await h.stubs.get("/departments/alpha/submissions/WITHDRAW-1:first")).json()
        assert record["status"] == "withdrawn"
        await record_history(handle, "withdrawal")


async def test_final_rejection_ends_the_case_with_the_reason(skipping_env: WorkflowEnvironment, data_dir: Path) -> None:
    async with harness(skipping_env, data_dir) as h:
        await h.configure("alpha", reject_rate=1.0)
        handle = await h.start(definition(), "REJECT-1")
        result = await handle.result()
        assert result.status == "rejected"
        assert result.reason
        assert result.reason.startswith("first: ")
        assert result.item("second").status == "cancelled"  # it never started: its input was never produced
        assert result.item("second").started_at is None
        await record_history(handle, "rejection")


async def test_twenty_working_days_across_spring_festival_and_a_make_up_workday(
    skipping_env: WorkflowEnvironment, data_dir: Path
) -> None:
    # The holidays package knows the 2027 Spring Festival days off (5–10 February) but not the make-up
    # workdays, which the State Council announces late in the year: operators add them in the
    # calendar adjustments file. Saturday 20 February stands for such an announcement here.
    adjustments = data_dir / "calendar.yaml"
    adjustments.write_text("workdays: [2027-02-20]\n", encoding="utf-8")
    async with harness(skipping_env, data_dir, calendar_adjustments=adjustments) as h:
        await h.skip_to(datetime(2027, 2, 1, 10, 0, tzinfo=SH))
        handle = await h.start(definition(first={"promised_days": 20}), "HOLIDAY-1")
        state = await until(handle, lambda s: s.item("first").status == "completed")
        # Counted: 2–4 Feb (3), 11–12 (5), 15–19 (10), Sat 20 (11), 22–26 (16), 1–4 March (20).
        assert state.item("first").due_at == datetime(2027, 3, 5, 0, 0, tzinfo=SH)


async def test_a_calendar_loaded_after_acceptance_moves_none_of_the_case_deadlines(
    skipping_env: WorkflowEnvironment, data_dir: Path
) -> None:
    async with harness(skipping_env, data_dir) as h:
        await h.configure("alpha", correction_rate=1.0)
        await h.skip_to(MONDAY_1_MARCH)
        handle = await h.start(definition(), "FIXED-1")
        state = await until(handle, lambda s: s.status == "waiting_citizen")
        assert state.item("first").due_at == datetime(2027, 3, 9, 0, 0, tzinfo=SH)  # Tue 2 … Mon 8 March

        # The operator then loads a 2027 schedule that gives Tue 2 to Fri 5 March off.
        announcement = data_dir / "2027-announcement.yaml"
        announcement.write_text("year: 2027\ndays_off: [2027-03-02..2027-03-05]\n", encoding="utf-8")
        store_year(h.settings.calendar_folder, announcement)
        await h.configure("alpha", correction_rate=0.0)
        await handle.execute_update(
            OneThingWorkflow.supplement, Supplement(item_code="first", form={"applicant": "Fixed"})
        )
        state = await until(handle, lambda s: s.item("second").due_at is not None)
        # Counted on the days the case was accepted with: the shift after 补正 (paused and resumed the same day)
        # and the second item, started after the load, end where they would have without it.
        assert state.item("first").due_at == datetime(2027, 3, 9, 0, 0, tzinfo=SH)
        assert state.item("second").due_at == datetime(2027, 3, 30, 0, 0, tzinfo=SH)  # Tue 2 … Mon 29 March

        # A case accepted after the load counts the new days off: 8-12, 15-19, 22-26 March, 29 March-2 April.
        later = await h.start(definition(), "LOADED-1")
        loaded = await until(later, lambda s: s.item("second").due_at is not None)
        assert loaded.item("first").due_at == datetime(2027, 3, 13, 0, 0, tzinfo=SH)  # Mon 8 … Fri 12 March
        assert loaded.item("second").due_at == datetime(2027, 4, 3, 0, 0, tzinfo=SH)

        for case, number in ((handle, "B-1"), (later, "B-2")):
            await case.execute_update(
                OneThingWorkflow.staff_decision,
                StaffDecision(item_code="second", decision="approve", output={"second_no": number}, staff="clerk"),
            )
            assert (await case.result()).status == "completed"
        await record_history(handle, "deadline_inside_correction")
