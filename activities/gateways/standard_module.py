"""标准化受办理一体 (seed 004 §5.1): the department has no system; its staff decide in the platform's queue."""

from __future__ import annotations

from typing import ClassVar

from temporalio.exceptions import ApplicationError

from activities.gateways.base import DepartmentGateway
from one_things.schema import IntegrationMode
from workflows.contracts import DepartmentReply, EscalationNotice, Submission, SubmissionRef


class StandardModuleGateway(DepartmentGateway):
    """Nothing leaves the platform: the case holds the item for staff (the workflow never submits it), a
    withdrawal takes it off the queue with the case, and an escalation is shown on the queue and the board."""

    mode: ClassVar[IntegrationMode] = IntegrationMode.STANDARD_MODULE

    async def submit(self, submission: Submission) -> DepartmentReply:
        raise ApplicationError(
            f"item {submission.item_code} is handled by staff in the platform's module, not submitted",
            type="NotSubmitted",
            non_retryable=True,
        )

    async def result(self, ref: SubmissionRef) -> DepartmentReply:
        return await self.submit_state(ref, "accepted")

    async def withdraw(self, ref: SubmissionRef) -> DepartmentReply:
        return await self.submit_state(ref, "withdrawn")

    async def escalate(self, notice: EscalationNotice) -> None:
        return None

    async def submit_state(self, ref: SubmissionRef, status: str) -> DepartmentReply:
        return DepartmentReply.model_validate(
            {"receipt_no": "", "idempotency_key": ref.idempotency_key, "status": status, "submissions": 0}
        )
