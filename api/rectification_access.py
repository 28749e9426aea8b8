"""Rectifications (整改) as the API shows them, and running their workflow updates."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.service import RPCError

from api.problems import ProblemError
from one_things.catalog import Catalog
from workflows.contracts import RectificationState
from workflows.rectification import RectificationWorkflow


class ReplyView(BaseModel):
    text: str
    at: datetime | None
    """Who replied stays inside the department: only the text and the time are shown."""


class RectificationView(BaseModel):
    id: str
    case_no: str
    thing: str
    department: str
    department_name: str = ""
    score: int
    comment: str
    status: str
    """open, replied, contested (waiting for a second reply), confirmed, escalated or closed_no_response."""
    light: str
    """green, or red once the department is past its 15 working days."""
    started_at: datetime
    due_at: datetime | None
    overdue_at: datetime | None
    replies: list[ReplyView]
    contest_note: str | None
    citizen_note: str | None
    closed_at: datetime | None


class ReplyIn(BaseModel):
    text: str = Field(min_length=1, max_length=2000, description="What the department did about the complaint")


class VerdictIn(BaseModel):
    note: str = Field(default="", max_length=500, description="Required when contesting: what is still wrong")


def rectification_view(catalog: Catalog, values: dict[str, Any]) -> RectificationView:
    """From a projection row's or a workflow state's fields (both carry the same names)."""
    view = RectificationView.model_validate(values)
    try:
        view.department_name = catalog.get(view.thing).department(view.department).name.zh
    except KeyError:
        view.department_name = view.department
    return view


async def run_update(call: Awaitable[RectificationState], rectification_id: str) -> RectificationState:
    """A refusal by the workflow becomes a 409 with its reason; a closed workflow a 409 too."""
    try:
        return await call
    except WorkflowUpdateFailedError as error:
        detail = str(getattr(error.cause, "message", error.cause))
        raise ProblemError(409, "Not possible now", detail, rectification=rectification_id) from None
    except RPCError as error:
        if "not found" in str(error).lower() or "completed" in str(error).lower():
            raise ProblemError(409, "Not possible now", "This rectification is already closed.") from None
        raise ProblemError(503, "Service temporarily unavailable", "The case engine is not reachable.") from error


def handle_for(temporal: Client, rectification_id: str) -> WorkflowHandle[RectificationWorkflow, RectificationState]:
    return temporal.get_workflow_handle_for(RectificationWorkflow.run, rectification_id)
