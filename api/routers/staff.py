"""The standard handling module: staff of departments without their own system decide here."""

from __future__ import annotations

from fastapi import APIRouter
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError

from api.case_access import not_found
from api.deps import CatalogDep, SessionDep, StaffDep, TemporalDep
from api.problems import ProblemError
from api.schemas import QueueEntry, StaffDecisionIn
from core.ids import workflow_id
from persistence.cases import get_case, staff_queue
from workflows.bundle import OneThingWorkflow
from workflows.contracts import ItemState, StaffDecision

router = APIRouter(prefix="/staff", tags=["staff"])


@router.get("/queue")
def queue(principal: StaffDep, session: SessionDep, catalog: CatalogDep) -> dict[str, list[QueueEntry]]:
    assert principal.department is not None
    entries = []
    for item in staff_queue(session, department=principal.department):
        found = get_case(session, case_no=item.case_no)
        if found is None:
            continue
        case, _ = found
        try:
            outputs = list(catalog.get(case.thing).item(item.code).outputs)
        except KeyError:
            outputs = []
        entries.append(
            QueueEntry(
                case_no=item.case_no,
                item_code=item.code,
                department=item.department,
                thing=case.thing,
                status=item.status,
                due_at=item.due_at,
                light=item.light,
                outputs=outputs,
                accepted_at=case.accepted_at,
            )
        )
    return {"items": entries}


@router.post("/items/{case_no}/{item_code}/decision")
async def decide(
    case_no: str, item_code: str, body: StaffDecisionIn, principal: StaffDep, session: SessionDep, temporal: TemporalDep
) -> ItemState:
    found = get_case(session, case_no=case_no)
    if found is None:
        raise not_found(case_no)
    case, items = found
    if not any(item.code == item_code and item.department == principal.department for item in items):
        raise not_found(case_no)  # another department's item is invisible, not forbidden
    decision = StaffDecision(
        item_code=item_code, decision=body.decision, output=body.output, reason=body.reason, staff=principal.subject
    )
    handle = temporal.get_workflow_handle(workflow_id(case.thing, case_no))
    try:
        return await handle.execute_update(OneThingWorkflow.staff_decision, decision)
    except WorkflowUpdateFailedError as error:
        raise ProblemError(409, "Not possible now", _cause(error)) from None
    except RPCError as error:
        raise ProblemError(409, "Not possible now", f"Case {case_no} is not running.") from error


def _cause(error: WorkflowUpdateFailedError) -> str:
    cause = error.cause
    return str(getattr(cause, "message", cause))
