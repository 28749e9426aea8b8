"""Fakes of the activities OneThingWorkflow calls, registered under the real activities' names.

Temporal's documented way to test workflow logic alone: the worker runs the real workflow code and these
stand-ins, so a test decides what each department answers and sees every call the case made.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.case_notices import owed_notices
from one_things.schema import IntegrationMode
from workflows import policies
from workflows.contracts import (
    CaseState,
    Deadline,
    DeadlineRequest,
    DepartmentReply,
    EscalationNotice,
    Message,
    ShiftRequest,
    Submission,
    SubmissionRef,
)


@dataclass
class FakeActivities:
    answers: dict[str, list[str]] = field(default_factory=dict)
    """Per item code, what the department answers each submission in turn: `completed`, `accepted` (a result
    follows by update or batch pull), `rejected`, `correction_requested` or `refused` (a 4xx). Once the list
    runs out, and for items not named: `accepted` in the async and batch modes, else `completed`."""
    batch_not_ready: int = 0
    """How many batch pulls find the result not ready before it is."""
    calling_back: set[str] = field(default_factory=set)
    """Departments registered with `batch_results: callback`: their accepted batch submissions say so."""
    submissions: list[Submission] = field(default_factory=list)
    pulls: list[SubmissionRef] = field(default_factory=list)
    withdrawals: list[SubmissionRef] = field(default_factory=list)
    escalations: list[EscalationNotice] = field(default_factory=list)
    deadlines: list[DeadlineRequest] = field(default_factory=list)
    shifts: list[ShiftRequest] = field(default_factory=list)
    projected: list[CaseState] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)

    def submitted_keys(self, item_code: str) -> list[str]:
        return [s.idempotency_key for s in self.submissions if s.item_code == item_code]

    def activities(self) -> list[object]:
        return [
            self.submit_to_department,
            self.await_batch_result,
            self.withdraw_from_department,
            self.escalate_to_department,
            self.compute_deadline,
            self.shift_deadline,
            self.project_case_state,
            self.send_message,
        ]

    @activity.defn(name="submit_to_department")
    async def submit_to_department(self, submission: Submission) -> DepartmentReply:
        self.submissions.append(submission)
        planned = self.answers.get(submission.item_code, [])
        later = submission.mode in (IntegrationMode.ASYNC_CALLBACK, IntegrationMode.BATCH)
        answer = planned.pop(0) if planned else "accepted" if later else "completed"
        if answer == "refused":
            raise ApplicationError("the department refuses this request", type=policies.REFUSED, non_retryable=True)
        if answer == "broken":  # a failure no retry cures and no rule handles: a bug on either side
            raise ApplicationError("unexpected answer from the gateway", type="GatewayBug", non_retryable=True)
        reply = self._reply(submission, answer)
        if submission.mode is IntegrationMode.BATCH and answer == "accepted":
            return reply.model_copy(update={"results_by_callback": submission.department in self.calling_back})
        return reply

    @activity.defn(name="await_batch_result")
    async def await_batch_result(self, ref: SubmissionRef) -> DepartmentReply:
        self.pulls.append(ref)
        if self.batch_not_ready > 0:
            self.batch_not_ready -= 1
            raise ApplicationError("the department has not processed this batch yet", type="ResultNotReady")
        submission = next(s for s in self.submissions if s.idempotency_key == ref.idempotency_key)
        return self._reply(submission, "completed")

    @activity.defn(name="withdraw_from_department")
    async def withdraw_from_department(self, ref: SubmissionRef) -> DepartmentReply:
        self.withdrawals.append(ref)
        return DepartmentReply(receipt_no="", idempotency_key=ref.idempotency_key, status="withdrawn")

    @activity.defn(name="escalate_to_department")
    async def escalate_to_department(self, notice: EscalationNotice) -> None:
        self.escalations.append(notice)

    @activity.defn(name="compute_deadline")
    async def compute_deadline(self, request: DeadlineRequest) -> Deadline:
        """For cases accepted without a calendar of their own (the others count in the workflow): calendar days
        instead of working days, the activity's arithmetic is tested in tests/activities and tests/core."""
        self.deadlines.append(request)
        due_at = request.start + timedelta(days=request.promised_days)
        return Deadline(
            due_at=due_at,
            statutory_due_at=request.start + timedelta(days=request.statutory_days),
            yellow_at=due_at - timedelta(days=request.yellow_before_days),
        )

    @activity.defn(name="shift_deadline")
    async def shift_deadline(self, request: ShiftRequest) -> Deadline:
        self.shifts.append(request)
        paused = request.resumed_at - request.paused_at
        due_at = request.due_at + paused
        return Deadline(
            due_at=due_at,
            statutory_due_at=request.statutory_due_at + paused,
            yellow_at=due_at - timedelta(days=request.yellow_before_days),
        )

    @activity.defn(name="project_case_state")
    async def project_case_state(self, state: CaseState) -> bool:
        self.projected.append(state)
        # The notices the real projection would add, each once (activities/case_notices.py derives them).
        if state.notice_names is not None:
            for message in owed_notices(state, state.notice_names):
                if (message.kind, message.item_code, message.round) not in {
                    (m.kind, m.item_code, m.round) for m in self.messages
                }:
                    self.messages.append(message)
        return True

    @activity.defn(name="send_message")
    async def send_message(self, message: Message) -> bool:
        self.messages.append(message)
        return True

    @staticmethod
    def _reply(submission: Submission, status: str) -> DepartmentReply:
        number = f"R-{submission.idempotency_key}"
        output = {name: f"{submission.item_code}-{name}" for name in submission.outputs}
        return DepartmentReply.model_validate(
            {
                "receipt_no": number,
                "idempotency_key": submission.idempotency_key,
                "status": status,
                "output": output if status == "completed" else None,
                "reason": None if status in ("completed", "accepted") else f"{status} by the department",
            }
        )
