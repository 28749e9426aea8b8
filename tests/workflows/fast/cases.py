"""Starting and watching cases on the shared time-skipping server, with fake activities (fakes.py)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from temporalio.client import WorkflowExecutionStatus, WorkflowHandle
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from core.calendar import NONE, TZ, YearsCalendar, years_calendar
from one_things.schema import OneThing
from tests.workflows.fast.fakes import FakeActivities
from workflows.bundle import OneThingWorkflow
from workflows.contracts import BundleInput, CaseState, WorkingCalendar

Case = WorkflowHandle[Any, CaseState]


def item(code: str, department: str, mode: str, **changes: Any) -> dict[str, Any]:
    """One item of a test definition: promised 5 days, statutory 30, one output named `<code>_no`."""
    return {
        "code": code,
        "item_no": f"T-{code}",
        "department": department,
        "name": {"zh": code, "en": code},
        "mode": mode,
        "statutory_days": 30,
        "promised_days": 5,
        "inputs": {"applicant": "form.applicant"},
        "outputs": [f"{code}_no"],
        **changes,
    }


def thing(*items: dict[str, Any], yellow_before_days: int = 2) -> OneThing:
    departments = sorted({entry["department"] for entry in items})
    return OneThing.model_validate(
        {
            "code": "fast",
            "version": 1,
            "name": {"zh": "快测", "en": "Fast"},
            "life_event": {"zh": "测试", "en": "Test"},
            "departments": [{"code": code, "name": {"zh": code, "en": code}} for code in departments],
            "items": list(items),
            "form": [
                {"code": "applicant", "name": {"zh": "申请人", "en": "Applicant"}, "type": "text", "personal": True}
            ],
            "baseline": {"steps": 4, "days": 40, "materials": 2, "trips": 2},
            "sla": {"yellow_before_days": yellow_before_days},
        }
    )


def every_day_worked(around: datetime) -> YearsCalendar:
    """A calendar of the years around `around` on which every day is a working day: plain day arithmetic."""
    years = frozenset({around.astimezone(TZ).year, around.astimezone(TZ).year + 1})
    days = (date(year, 1, 1) + timedelta(days=n) for year in years for n in range(366))
    return YearsCalendar(years=years, workdays=frozenset(day for day in days if day.weekday() >= 5))


@dataclass
class Cases:
    env: WorkflowEnvironment
    task_queue: str
    fakes: FakeActivities
    started: list[Case] = field(default_factory=list)

    async def start(
        self,
        definition: OneThing,
        case_no: str,
        included: list[str] | None = None,
        calendar: YearsCalendar | None = None,
        carries_calendar: bool = True,
    ) -> Case:
        """Accepts a case now with `calendar`, by default its acceptance year and the next as the `holidays`
        package has them (as services/submission.py does); without one (`carries_calendar=False`) it is a
        case accepted before cases carried their calendar, whose items ask the calendar activity."""
        accepted_at = await self.env.get_current_time()
        if calendar is None and carries_calendar:
            year = accepted_at.astimezone(TZ).year
            calendar = years_calendar(frozenset({year, year + 1}), NONE)
        bundle = BundleInput(
            case_no=case_no,
            thing=definition,
            included=included or [entry.code for entry in definition.items],
            form={"applicant": "Test Applicant"},
            owner="tester",
            accepted_at=accepted_at,
            calendar=WorkingCalendar.of(calendar) if calendar is not None else None,
        )
        handle = await self.env.client.start_workflow(
            OneThingWorkflow.run, bundle, id=f"{self.task_queue}-{case_no}", task_queue=self.task_queue
        )
        self.started.append(handle)
        return handle

    async def skip(self, duration: timedelta) -> None:
        """Moves the shared server's clock forward: tests move it by durations, never to a fixed date,
        because every test of the run shares that one clock."""
        await self.env.sleep(duration)

    async def close(self, timeout: float = 10) -> None:
        """Terminates what a test left open, once its in-flight work is done: the time-skipping server
        never releases the clock for an activity or workflow task outstanding when its workflow ends
        (temporalio/sdk-java#1138), and every later test of the run shares that clock."""
        deadline = time.monotonic() + timeout
        for handle in self.started:
            while True:
                described = await handle.describe()
                if described.status != WorkflowExecutionStatus.RUNNING:
                    break
                raw = described.raw_description
                busy = bool(raw.pending_activities) or raw.HasField("pending_workflow_task")
                if not busy or time.monotonic() > deadline:
                    try:
                        await handle.terminate("test over")
                    except RPCError:  # it may have finished between the describe and the terminate
                        if (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
                            raise
                    break
                await asyncio.sleep(0.02)
