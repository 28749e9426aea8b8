"""What a citizen does to a running case (supplement, withdraw), shared by the JSON API and the pages."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, TypeVar

from sqlmodel import Session
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.service import RPCError

from api.case_access import load_case
from api.problems import ProblemError, invalid_input
from api.submission import today_local
from core.auth import Principal
from core.ids import workflow_id
from one_things.catalog import Catalog
from one_things.forms import validate_fields
from workflows.bundle import OneThingWorkflow
from workflows.contracts import Supplement, Withdrawal

T = TypeVar("T")


async def send_supplement(
    *,
    session: Session,
    temporal: Client,
    catalog: Catalog,
    principal: Principal,
    case_no: str,
    item_code: str,
    form: dict[str, Any],
    note: str | None = None,
) -> None:
    """补正: checks the corrected fields like the form, then hands them to the waiting item."""
    case, _ = load_case(session, principal, case_no)
    checked, problems = validate_fields(catalog.get(case.thing), form, today=today_local())
    if problems:
        raise invalid_input([problem.model_dump() for problem in problems])
    handle = temporal.get_workflow_handle(workflow_id(case.thing, case_no))
    message = Supplement(item_code=item_code, form=checked, note=note)
    await run_update(handle.execute_update(OneThingWorkflow.supplement, message), case_no)


async def withdraw_case(*, session: Session, temporal: Client, principal: Principal, case_no: str, reason: str) -> None:
    case, _ = load_case(session, principal, case_no)
    handle = temporal.get_workflow_handle(workflow_id(case.thing, case_no))
    await run_update(handle.execute_update(OneThingWorkflow.withdraw, Withdrawal(reason=reason)), case_no)


async def run_update(call: Awaitable[T], case_no: str) -> T:
    """Runs a workflow update; a refusal by the workflow becomes a 409 the citizen can understand."""
    try:
        return await call
    except WorkflowUpdateFailedError as error:
        detail = str(error.cause.message if hasattr(error.cause, "message") else error.cause)
        raise ProblemError(409, "Not possible now", detail, case_no=case_no) from None
    except RPCError as error:
        if "not found" in str(error).lower() or "completed" in str(error).lower():
            raise ProblemError(409, "Not possible now", f"Case {case_no} is already finished.") from None
        raise ProblemError(
            503, "Service temporarily unavailable", "The case engine is not reachable; try again."
        ) from error
