"""Rectifications (整改) after a bad rating: their views, the department's reply and the citizen's verdict.

Each is a RectificationWorkflow; its update validators decide, and a refusal or a closed rectification
comes back as a conflict naming why.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field, computed_field
from sqlmodel import Session
from temporalio.client import Client, RPCTimeoutOrCancelledError, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from core.auth import Principal
from core.bounds import MultiLine
from core.calendar import day_on_time
from one_things.catalog import Catalog
from persistence.rectifications import case_rectifications, department_rectifications, get_rectification
from services.case_gateway import NOT_RUN_DETAIL, update_not_run
from services.cases import department_name
from services.errors import ConflictError, NotFoundError, UnavailableError
from services.in_thread import committed
from workflows.contracts import CitizenVerdict, RectificationReply, RectificationState
from workflows.rectification import RectificationWorkflow, rectification_id

RectificationHandle = WorkflowHandle[RectificationWorkflow, RectificationState]


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

    @computed_field  # type: ignore[prop-decorator]
    @property
    def due_on(self) -> date | None:
        """The last day on time (Asia/Shanghai), as people read the deadline; `due_at` is the instant ending it."""
        return day_on_time(self.due_at)


class ReplyIn(BaseModel):
    text: MultiLine = Field(min_length=1, max_length=2000, description="What the department did about the complaint")


class VerdictIn(BaseModel):
    note: MultiLine = Field(default="", max_length=500, description="Required when contesting: what is still wrong")


def rectification_view(catalog: Catalog, values: dict[str, Any]) -> RectificationView:
    """From a projection row's or a workflow state's fields (both carry the same names)."""
    view = RectificationView.model_validate(values)
    view.department_name = department_name(catalog, view.thing, view.department)
    return view


async def _update(
    temporal: Client,
    wanted: str,
    call: Callable[[RectificationHandle], Awaitable[RectificationState]],
    timeout_seconds: float,
) -> RectificationState:
    """Runs an update of one rectification: the validator's reason, or that it is closed, becomes a conflict; no
    answer within `timeout_seconds` (setting temporal_rpc_seconds) a 503 saying it may still apply."""
    try:
        async with asyncio.timeout(timeout_seconds):
            return await call(temporal.get_workflow_handle_for(RectificationWorkflow.run, wanted))
    except (TimeoutError, RPCTimeoutOrCancelledError):
        raise UnavailableError(
            f"The case engine did not answer within {timeout_seconds:g} s. What you sent may still be applied: look "
            "again shortly and send it again if it was not (a repeat is never applied twice).",
            retry_after=5,
        ) from None
    except WorkflowUpdateFailedError as error:
        if update_not_run(error):
            raise UnavailableError(NOT_RUN_DETAIL, retry_after=5) from None
        detail = str(getattr(error.cause, "message", error.cause))
        raise ConflictError(detail, rectification=wanted) from None
    except RPCError as error:
        # NOT_FOUND is also the answer to an update that arrives while the rectification closes ("aborted by
        # closing workflow"): its message names neither "not found" nor "completed", its status does.
        if error.status is RPCStatusCode.NOT_FOUND:
            raise ConflictError("This rectification is already closed.", rectification=wanted) from None
        raise UnavailableError("The case engine is not reachable; try again.", retry_after=5) from error


def department_rectification_views(session: Session, catalog: Catalog, department: str) -> list[RectificationView]:
    """Open ones first, nearest deadline first."""
    return [
        rectification_view(catalog, record.model_dump())
        for record in department_rectifications(session, department=department)
    ]


def case_rectification_views(session: Session, catalog: Catalog, case_no: str) -> list[RectificationView]:
    return [
        rectification_view(catalog, record.model_dump()) for record in case_rectifications(session, case_no=case_no)
    ]


async def give_verdict(
    *,
    session: Session,
    temporal: Client,
    catalog: Catalog,
    case_no: str,
    department: str,
    verdict: Literal["confirm", "contest"],
    note: str,
    timeout_seconds: float,
) -> RectificationView:
    """The citizen's answer to a department's reply; the caller has checked that the case is theirs."""
    wanted = rectification_id(case_no, department)
    record = await committed(session, get_rectification, session, rectification_id=wanted)
    if record is None or record.case_no != case_no:
        raise NotFoundError(f"No rectification for department {department} in case {case_no}.")
    update = RectificationWorkflow.confirm if verdict == "confirm" else RectificationWorkflow.contest
    state = await _update(
        temporal,
        wanted,
        lambda handle: handle.execute_update(update, CitizenVerdict(note=note), rpc_timeout=_rpc(timeout_seconds)),
        timeout_seconds,
    )
    return rectification_view(catalog, state.model_dump())


async def reply(
    *,
    session: Session,
    temporal: Client,
    catalog: Catalog,
    staff: Principal,
    rectification: str,
    text: str,
    timeout_seconds: float,
) -> RectificationView:
    """The department's answer to the complaint; another department's rectification is invisible, not forbidden."""
    record = await committed(session, get_rectification, session, rectification_id=rectification)
    if record is None or record.department != staff.department:
        raise NotFoundError(f"No rectification {rectification} for your department.")
    message = RectificationReply(text=text, staff=staff.subject)
    state = await _update(
        temporal,
        rectification,
        lambda handle: handle.execute_update(RectificationWorkflow.reply, message, rpc_timeout=_rpc(timeout_seconds)),
        timeout_seconds,
    )
    return rectification_view(catalog, state.model_dump())


def _rpc(seconds: float) -> timedelta:
    return timedelta(seconds=seconds)
