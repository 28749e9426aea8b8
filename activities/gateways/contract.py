"""The department contract over HTTP, relative to the department's base URL (docs/departments.md):
`POST {base}/submissions`, `GET {base}/submissions/{key}`, `POST {base}/submissions/{key}/withdraw`,
`POST {base}/escalations`. The three modes with a system of their own share it; each says how it submits."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from activities.gateways.base import DepartmentGateway
from workflows.contracts import DepartmentReply, EscalationNotice, Submission, SubmissionRef


class ContractGateway(DepartmentGateway):
    async def submit(self, submission: Submission) -> DepartmentReply:
        body: dict[str, object] = {
            "idempotency_key": submission.idempotency_key,
            "case_no": submission.case_no,
            "item_code": submission.item_code,
            "mode": self.mode.value,
            "payload": self.payload(submission),
            "outputs": submission.outputs,
            "callback_url": self.callback_url(),
        }
        materials = await self.materials(submission)
        if materials:  # left out when there are none: a department that takes no materials sees no new field
            body["materials"] = materials
        response = await self.context.http.request(self.code, self.connection, "POST", "/submissions", body)
        return DepartmentReply.model_validate(response.json())

    async def result(self, ref: SubmissionRef) -> DepartmentReply:
        path = f"/submissions/{_segment(ref.idempotency_key)}"
        response = await self.context.http.request(self.code, self.connection, "GET", path, None)
        return DepartmentReply.model_validate(response.json())

    async def withdraw(self, ref: SubmissionRef) -> DepartmentReply:
        path = f"/submissions/{_segment(ref.idempotency_key)}/withdraw"
        response = await self.context.http.request(self.code, self.connection, "POST", path, {})
        return DepartmentReply.model_validate(response.json())

    async def escalate(self, notice: EscalationNotice) -> None:
        body: dict[str, object] = notice.model_dump(exclude={"department"})
        await self.context.http.request(self.code, self.connection, "POST", "/escalations", body)

    async def materials(self, submission: Submission) -> list[dict[str, object]]:
        if self.context.materials is None:
            return []
        inline = self.connection.item(submission.item_code).materials == "inline"
        return await self.context.materials.describe(submission, inline=inline)

    def callback_url(self) -> str | None:
        """Where the department posts its result; None for modes that answer otherwise."""
        return None

    def platform_callback_url(self) -> str:
        """The platform's callback address for this department (api/routers/callbacks.py)."""
        return f"{self.context.callback_base_url.rstrip('/')}/api/v1/callbacks/{self.code}"

    def payload(self, submission: Submission) -> dict[str, Any]:
        """The item's inputs under the department's own names (registry `items.<item>.fields`), when it gives them."""
        fields = self.connection.item(submission.item_code).fields
        if not fields:
            return dict(submission.payload)
        return {theirs: submission.payload.get(ours) for theirs, ours in fields.items()}


def _segment(key: str) -> str:
    """An idempotency key as one path segment (it contains ':'; nothing in it may add a segment)."""
    return quote(key, safe=":")
