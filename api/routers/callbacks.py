"""Signed callbacks from department systems (asynchronous integration mode).

Department systems do not hold user tokens: a callback proves itself with an HMAC over a timestamp and
the raw body, with a key per department. A verified result is signalled to the case's workflow; a
repeat is harmless because the workflow ignores results it no longer expects.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import ValidationError
from temporalio.service import RPCError, RPCStatusCode

from api.deps import SessionDep, SettingsDep, TemporalDep
from api.problems import ProblemError
from core.ids import workflow_id
from core.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, department_key, verify
from persistence.cases import get_case
from workflows.bundle import OneThingWorkflow
from workflows.contracts import DepartmentResult

router = APIRouter(prefix="/callbacks", tags=["department callbacks"])


class CallbackBody(DepartmentResult):
    case_no: str


@router.post("/{department}")
async def department_callback(
    department: str, request: Request, session: SessionDep, settings: SettingsDep, temporal: TemporalDep
) -> dict[str, str]:
    body = await request.body()
    refusal = verify(
        department_key(settings.secret_key, department),
        request.headers.get(TIMESTAMP_HEADER, ""),
        request.headers.get(SIGNATURE_HEADER, ""),
        body,
    )
    if refusal:
        raise ProblemError(401, "Bad signature", refusal)
    try:
        result = CallbackBody.model_validate_json(body)
    except ValidationError as error:
        fields = ", ".join(".".join(str(p) for p in issue["loc"]) for issue in error.errors())
        raise ProblemError(422, "Invalid callback", f"Fix these fields of the callback body: {fields}") from None
    found = get_case(session, case_no=result.case_no)
    if found is None:
        raise ProblemError(404, "Not found", f"No case {result.case_no}; do not resend this callback.")
    case, items = found
    if not items:
        # Accepted, but its workflow has not written its items yet: a department that answers within
        # milliseconds must try again, not be told the item does not exist (a 404 ends its delivery).
        detail = f"Case {result.case_no} is being set up; send this callback again in a moment."
        raise ProblemError(425, "Too early", detail, headers={"Retry-After": "1"})
    if not any(item.code == result.item_code and item.department == department for item in items):
        raise ProblemError(404, "Not found", f"Case {result.case_no} has no item {result.item_code} of {department}.")
    handle = temporal.get_workflow_handle(workflow_id(case.thing, case.case_no))
    try:
        await handle.signal(OneThingWorkflow.department_result, DepartmentResult.model_validate(result.model_dump()))
    except RPCError as error:
        if error.status is RPCStatusCode.NOT_FOUND:
            return {"status": "ignored", "detail": "the case is already closed"}
        raise ProblemError(503, "Service temporarily unavailable", "Try again shortly.") from error
    return {"status": "received"}
