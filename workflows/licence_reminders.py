"""LicenceReminderWorkflow: one daily sweep of the licence wallet, started by a Temporal Schedule.

The workflow only fixes the day and the leads (a Shanghai calendar date, from workflow time so a replay sees the
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
        request = ReminderRequest(today=today, within_days=run.within_days)
        if workflow.patched("licence-reminder-leads"):
            # A notice at each lead (90 and 30 days before by default) instead of one inside a window.
            request = ReminderRequest(today=today, lead_days=run.lead_days)
        return await workflow.execute_activity_method(
            LicenceReminderActivities.remind_expiring_licences,
            request,
            **policies.REMINDERS.options(),
        )
