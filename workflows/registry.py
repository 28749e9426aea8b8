"""The workflows a worker hosts: one list shared by the worker, the tests and the replayer."""

from __future__ import annotations

from workflows.bundle import OneThingWorkflow
from workflows.licence_reminders import LicenceReminderWorkflow
from workflows.rectification import RectificationWorkflow

WORKFLOWS: list[type] = [OneThingWorkflow, RectificationWorkflow, LicenceReminderWorkflow]
