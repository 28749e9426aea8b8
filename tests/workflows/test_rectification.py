"""Rectification (整改) on the time-skipping server: 15 working days, red when late, confirm and contest.

March 2027 has no public holiday: 15 working days counted from Mon 1 March end with Mon 22 March.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from persistence.db import make_engine
from persistence.rectifications import get_rectification, rectification_figures
from tests.support.histories import record_history
from tests.workflows.harness import Harness, harness
from workflows.contracts import CitizenVerdict, RectificationInput, RectificationReply, RectificationState
from workflows.rectification import RectificationWorkflow, rectification_id

SH = ZoneInfo("Asia/Shanghai")
MONDAY_1_MARCH = datetime(2027, 3, 1, 10, 0, tzinfo=SH)
DUE = datetime(2027, 3, 23, 0, 0, tzinfo=SH)


async def start(h: Harness, case_no: str) -> WorkflowHandle[Any, RectificationState]:
    request = RectificationInput(
        case_no=case_no,
        thing="newborn",
        department="alpha",
        owner="citizen-1",
        score=1,
        comment="三次电话无人接听",
        rated_at=await h.env.get_current_time(),
    )
    return await h.env.client.start_workflow(
        RectificationWorkflow.run,
        request,
        id=rectification_id(case_no, "alpha"),
        task_queue=h.settings.task_queue,
    )


async def until(
    handle: WorkflowHandle[Any, RectificationState], check: Callable[[RectificationState], bool], timeout: float = 20
) -> RectificationState:
    deadline = time.monotonic() + timeout
    while True:
        state = await handle.query(RectificationWorkflow.status)
        if check(state):
            return state
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not reached; state: {state.model_dump_json(indent=1)}")
        await asyncio.sleep(0.1)


def projected(h: Harness, rectification: str) -> dict[str, Any]:
    """The row pages read."""
    with Session(make_engine(h.settings.projection_url)) as session:
        record = get_rectification(session, rectification_id=rectification)
        assert record is not None
        return record.model_dump()


async def test_unanswered_rectification_turns_red_after_fifteen_working_days(
    skipping_env: WorkflowEnvironment, data_dir: Path
) -> None:
    async with harness(skipping_env, data_dir) as h:
        await h.skip_to(MONDAY_1_MARCH)
        handle = await start(h, "RECT-RED")
        state = await until(handle, lambda s: s.due_at is not None)
        assert state.due_at == DUE
        assert state.light == "green"

        await h.skip_to(datetime(2027, 3, 22, 18, 0, tzinfo=SH))
        assert (await handle.query(RectificationWorkflow.status)).light == "green"  # the last day is still in time
        await h.skip_to(datetime(2027, 3, 23, 9, 0, tzinfo=SH))
        state = await until(handle, lambda s: s.light == "red")
        assert state.overdue_at is not None
        assert state.status == "open"
        await until(handle, lambda s: projected(h, s.id)["light"] == "red")

        # Late is recorded, not the end: the department can still answer, and red stays on the record.
        await handle.execute_update(RectificationWorkflow.reply, RectificationReply(text="已整改", staff="clerk"))
        await handle.execute_update(RectificationWorkflow.confirm, CitizenVerdict())
        result = await handle.result()
        await record_history(handle, "rectification_red")
        assert result.status == "confirmed"
        assert result.light == "red"


async def test_reply_then_confirm_closes_it(skipping_env: WorkflowEnvironment, data_dir: Path) -> None:
    async with harness(skipping_env, data_dir) as h:
        await h.skip_to(MONDAY_1_MARCH)
        handle = await start(h, "RECT-OK")
        await until(handle, lambda s: s.due_at is not None)
        refused = await _refusal(handle.execute_update(RectificationWorkflow.confirm, CitizenVerdict()))
        assert "no reply" in refused

        state = await handle.execute_update(
            RectificationWorkflow.reply, RectificationReply(text="已约谈窗口人员并改进接听制度", staff="clerk-a")
        )
        assert state.status == "replied"
        assert "not waiting for a reply" in await _refusal(
            handle.execute_update(RectificationWorkflow.reply, RectificationReply(text="again", staff="clerk-a"))
        )
        await handle.execute_update(RectificationWorkflow.confirm, CitizenVerdict(note="满意"))
        result = await handle.result()
        assert result.status == "confirmed"
        assert result.light == "green"
        assert result.closed_at is not None
        await until(handle, lambda s: projected(h, s.id)["status"] == "confirmed")
        row = projected(h, result.id)
        assert [reply["text"] for reply in row["replies"]] == ["已约谈窗口人员并改进接听制度"]
        assert row["citizen_note"] == "满意"
        assert row["history_length"] > 3  # with seq, the write's order (persistence/write_order.py)


async def test_contest_returns_it_to_the_department_with_the_remaining_days_then_escalates(
    skipping_env: WorkflowEnvironment, data_dir: Path
) -> None:
    async with harness(skipping_env, data_dir) as h:
        await h.skip_to(MONDAY_1_MARCH)
        handle = await start(h, "RECT-CONTEST")
        await until(handle, lambda s: s.due_at is not None)

        await h.skip_to(datetime(2027, 3, 5, 10, 0, tzinfo=SH))  # replied with 11 working days left
        await handle.execute_update(RectificationWorkflow.reply, RectificationReply(text="已处理", staff="clerk"))
        await h.skip_to(datetime(2027, 3, 12, 10, 0, tzinfo=SH))  # a week later the citizen contests
        assert "say what is still wrong" in await _refusal(
            handle.execute_update(RectificationWorkflow.contest, CitizenVerdict())
        )
        await handle.execute_update(RectificationWorkflow.contest, CitizenVerdict(note="问题仍未解决"))
        # The 11 days are granted again from Mon 15 March: the new deadline is Tue 30 March 00:00.
        state = await until(handle, lambda s: s.due_at != DUE)
        assert state.status == "contested"
        assert state.contest_note == "问题仍未解决"
        assert state.due_at == datetime(2027, 3, 30, 0, 0, tzinfo=SH)

        await h.skip_to(datetime(2027, 3, 23, 9, 0, tzinfo=SH))  # past the first deadline, not the shifted one
        await asyncio.sleep(0.5)
        assert (await handle.query(RectificationWorkflow.status)).light == "green"

        await handle.execute_update(RectificationWorkflow.reply, RectificationReply(text="再次整改", staff="clerk"))
        await handle.execute_update(RectificationWorkflow.contest, CitizenVerdict(note="仍不满意"))
        result = await handle.result()
        assert result.status == "escalated"  # a second contest goes to the supervisor
        assert [reply.text for reply in result.replies] == ["已处理", "再次整改"]
        await record_history(handle, "rectification_contested")


async def _refusal(call: Any) -> str:
    try:
        await call
    except WorkflowUpdateFailedError as error:
        return str(getattr(error.cause, "message", error.cause))
    raise AssertionError("the update was accepted")


async def test_a_contest_after_the_old_deadline_gives_back_the_days_without_turning_red(
    skipping_env: WorkflowEnvironment, data_dir: Path
) -> None:
    async with harness(skipping_env, data_dir) as h:
        await h.skip_to(MONDAY_1_MARCH)
        handle = await start(h, "RECT-LATE-CONTEST")
        await until(handle, lambda s: s.due_at is not None)

        await h.skip_to(datetime(2027, 3, 19, 10, 0, tzinfo=SH))  # Fri: replied with 2 working days left
        await handle.execute_update(RectificationWorkflow.reply, RectificationReply(text="已处理", staff="clerk"))
        await h.skip_to(datetime(2027, 3, 25, 10, 0, tzinfo=SH))  # after the old deadline, within the citizen's window
        await handle.execute_update(RectificationWorkflow.contest, CitizenVerdict(note="问题仍未解决"))
        state = await until(handle, lambda s: s.due_at != DUE)
        assert state.due_at is not None
        assert state.due_at > datetime(2027, 3, 25, 10, 0, tzinfo=SH)
        assert state.light == "green"
        assert state.overdue_at is None


async def test_supervision_figures_count_open_overdue_and_replies_in_time(
    skipping_env: WorkflowEnvironment, data_dir: Path
) -> None:
    """Three bad reviews of alpha on 1 March: one answered in time, one never, one answered after the deadline."""
    async with harness(skipping_env, data_dir) as h:
        engine = make_engine(h.settings.projection_url)
        await h.skip_to(MONDAY_1_MARCH)
        in_time, silent, late = [await start(h, case_no) for case_no in ("RF-1", "RF-2", "RF-3")]
        for handle in (in_time, silent, late):
            await until(handle, lambda s: s.due_at is not None)
        await h.skip_to(datetime(2027, 3, 4, 10, 0, tzinfo=SH))
        await in_time.execute_update(RectificationWorkflow.reply, RectificationReply(text="已改进", staff="clerk"))
        await in_time.execute_update(RectificationWorkflow.confirm, CitizenVerdict())
        await h.skip_to(datetime(2027, 3, 24, 10, 0, tzinfo=SH))
        await until(late, lambda s: s.light == "red")
        await late.execute_update(RectificationWorkflow.reply, RectificationReply(text="迟到的答复", staff="clerk"))
        await until(silent, lambda s: s.light == "red")
        await until(late, lambda s: s.status == "replied")
        now = datetime(2027, 3, 24, 11, 0, tzinfo=SH)
        for _ in range(100):  # the projection lands a moment after the workflow's state
            with Session(engine) as session:
                figures = rectification_figures(session, since=MONDAY_1_MARCH, until=now, now=now)
            if figures and figures[0].replied == 2:
                break
            await asyncio.sleep(0.1)
        engine.dispose()
    [alpha] = figures
    assert (alpha.department, alpha.opened, alpha.open, alpha.overdue) == ("alpha", 3, 1, 1)
    assert (alpha.replied, alpha.replied_on_time, alpha.escalated) == (2, 1, 0)
    assert alpha.on_time_rate == 0.5
