"""The Temporal Schedules the worker keeps in place: created on start, updated on a later start.

A schedule lives in the Temporal server, not in a worker, so every worker start (and every replica)
calls `ensure_schedules`: the first creates each schedule, later ones update it to this code's
definition and never create a second one. An operator's pause is left as it is.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

from workflows.contracts import ReminderRun
from workflows.licence_reminders import LicenceReminderWorkflow

log = logging.getLogger("onething.schedules")

LICENCE_REMINDERS = "licence-expiry-reminders"
"""Schedule id, and the prefix of the ids of the workflows it starts (Temporal appends the time)."""


def licence_reminder_schedule(task_queue: str, lead_days: list[int] | None = None) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            LicenceReminderWorkflow.run,
            ReminderRun() if lead_days is None else ReminderRun(lead_days=lead_days),
            id=LICENCE_REMINDERS,
            task_queue=task_queue,
            # A run never lingers into the next day's.
            execution_timeout=timedelta(hours=23),
        ),
        spec=ScheduleSpec(
            # 09:00 in Shanghai: a reminder lands in office hours, not at midnight.
            calendars=[ScheduleCalendarSpec(hour=[ScheduleRange(9)], minute=[ScheduleRange(0)])],
            time_zone_name="Asia/Shanghai",
        ),
        policy=SchedulePolicy(
            # Runs are idempotent, so a day missed while the server was down is worth catching up,
            # and a run still going when the next is due makes the next one redundant.
            overlap=ScheduleOverlapPolicy.SKIP,
            catchup_window=timedelta(hours=12),
        ),
    )


async def ensure_schedules(client: Client, *, task_queue: str, reminder_lead_days: list[int] | None = None) -> None:
    await ensure_schedule(client, LICENCE_REMINDERS, licence_reminder_schedule(task_queue, reminder_lead_days))


async def ensure_schedule(client: Client, schedule_id: str, schedule: Schedule) -> bool:
    """Creates the schedule, or updates the one already there (two workers starting at once included).

    Returns whether it was created.
    """
    try:
        await client.create_schedule(schedule_id, schedule)
    except ScheduleAlreadyRunningError:
        pass
    else:
        log.info("schedule %s created", schedule_id)
        return True

    def keep_state(current: ScheduleUpdateInput) -> ScheduleUpdate:
        # Spec, action and policy follow the code; paused or not stays the operator's decision.
        return ScheduleUpdate(schedule=dataclasses.replace(schedule, state=current.description.schedule.state))

    await client.get_schedule_handle(schedule_id).update(keep_state)
    log.info("schedule %s already there; updated", schedule_id)
    return False
