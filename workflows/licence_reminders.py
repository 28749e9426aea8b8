"""LicenceReminderWorkflow: one daily sweep of the licence wallet, started by a Temporal Schedule.

The workflow only fixes the day (a Shanghai calendar date, from workflow time so a replay sees the
same day) and calls the activity; the activity's notices are idempotent, so a manual trigger on top of
the daily run, or a run caught up after an outage, reminds no one twice.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.licence_reminders import LicenceReminderActivities
    from core.calendar import TZ
    from workflows import policies
    from workflows.contracts import ReminderRequest, ReminderRun


@workflow.defn
class LicenceReminderWorkflow:
    @workflow.run
    async def run(self, run: ReminderRun) -> int:
        today = workflow.now().astimezone(TZ).date()
        return await workflow.execute_activity_method(
            LicenceReminderActivities.remind_expiring_licences,
            ReminderRequest(today=today, within_days=run.within_days),
            **policies.REMINDERS.options(),
        )
