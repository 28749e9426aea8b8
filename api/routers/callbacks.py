"""Signed callbacks from department systems (asynchronous integration mode).

Department systems do not hold user tokens: a callback proves itself with an HMAC over a timestamp and
the raw body, with a key per department. A verified result goes straight to the case's workflow as an
update, whose validator takes it, ignores it (a repeat, an earlier round, a closed case: 200, stop sending)
or refuses it (422, or 425 for an item not yet submitted); the answer is the workflow's own.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ValidationError
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.deps import CaseGatewayDep, ClockDep, SettingsDep
from api.openapi import problems
from api.problems import ProblemError
from core.settings import Settings
from core.signing import KEY_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from services.department_keys import verifying_key
from services.errors import ConflictError, InvalidError, NotFoundError
from workflows.contracts import DepartmentCallback, DepartmentResult

router = APIRouter(prefix="/callbacks", tags=["department callbacks"])


class CallbackBody(DepartmentResult):
    case_no: str


class CallbackReceipt(BaseModel):
    status: Literal["applied", "ignored"]
    detail: str


# The body is read raw, as the signature covers its bytes: its 401 and 422 are this router's own.
@router.post("/{department}", responses=problems(401, 422, NotFoundError, ConflictError, InvalidError))
async def department_callback(
    department: str,
    request: Request,
    settings: SettingsDep,
    cases: CaseGatewayDep,
    clock: ClockDep,
) -> CallbackReceipt:
    body = await request.body()
    # The key id header picks which of the department's keys (two during a rotation) must have signed.
    key_id = request.headers.get(KEY_ID_HEADER, "")
    key = await asyncio.to_thread(_key_for, request.app.state.engine, settings, department, key_id, clock.now())
    if key is None:
        detail = f"{KEY_ID_HEADER} names no key of department {department} that verifies now (unknown or expired)"
        raise ProblemError(401, "Bad signature", detail)
    refusal = verify(
        key,
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
    message = DepartmentCallback(department=department, **result.model_dump(exclude={"case_no"}))
    receipt = await cases.department_result(result.case_no, message)
    return CallbackReceipt(status=receipt.delivery.value, detail=receipt.detail)


def _key_for(engine: Engine, settings: Settings, department: str, key_id: str, now: datetime) -> bytes | None:
    # A session of its own, closed before the case is called: no connection is held across a Temporal call.
    with Session(engine) as session:
        return verifying_key(session, settings, department=department, key_id=key_id, now=now)
