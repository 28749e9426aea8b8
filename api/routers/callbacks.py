"""Signed callbacks from department systems (asynchronous integration mode).

Department systems do not hold user tokens: a callback proves itself with an HMAC over a timestamp and
the raw body, with a key per department. A verified result goes straight to the case's workflow as an
update, whose validator takes it, ignores it (a repeat, an earlier round, a closed case: 200, stop sending)
or refuses it (422, or 409 for an item not yet submitted); the answer is the workflow's own.

Before any of that the body is read with a cap (413, the rest never read, so a huge unsigned body costs the
process no memory) and senders of bad signatures are limited per department path and address (429).
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Annotated, Literal

from anyio import to_thread
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ValidationError
from sqlalchemy import Engine
from sqlmodel import Session

from api.callback_failures import CallbackFailures, callback_failures
from api.capped_body import read_capped
from api.deps import CaseGatewayDep, ClockDep, EngineDep, SettingsDep
from api.openapi import problems
from api.params import Code
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


FailuresDep = Annotated[CallbackFailures, Depends(callback_failures)]


async def signed_body(
    department: Code,
    request: Request,
    settings: SettingsDep,
    failures: FailuresDep,
    engine: EngineDep,
    clock: ClockDep,
) -> bytes:
    """The raw body, once its size and signature are good. A dependency listed before the case gateway, so a
    body is judged (413, 401, 429) even while the case engine is down."""
    address = request.client.host if request.client else "unknown"
    # The key id header picks which of the department's keys (two during a rotation) must have signed. Looked up
    # with the limit's count in one trip through the thread pool, in a session closed there: no connection is held
    # while the body is read or the case engine called, and a callback costs one trip, not five (the session
    # dependency's two and the limit's, docs/benchmarks.md "The API's CPU per bundle").
    key_id = request.headers.get(KEY_ID_HEADER, "")
    allowed, key = await to_thread.run_sync(
        partial(_limit_and_key, engine, settings, failures, department, address, key_id, clock.now())
    )
    if not allowed:
        await failures.refuse(department, address)
    body = await read_capped(request, settings.callback_max_bytes, what="department callback body")
    if key is None:
        await failures.count(department, address)
        detail = f"{KEY_ID_HEADER} names no key of department {department} that verifies now (unknown or expired)"
        raise ProblemError(401, "Bad signature", detail)
    refusal = verify(
        key,
        request.headers.get(TIMESTAMP_HEADER, ""),
        request.headers.get(SIGNATURE_HEADER, ""),
        body,
    )
    if refusal:
        await failures.count(department, address)
        raise ProblemError(401, "Bad signature", refusal)
    return body


def _limit_and_key(
    engine: Engine,
    settings: Settings,
    failures: CallbackFailures,
    department: str,
    address: str,
    key_id: str,
    now: datetime,
) -> tuple[bool, bytes | None]:
    """Whether the sender is under the bad-signature limit, and the key that must have signed (None: no such key
    verifies now); the key is not looked up for a sender over the limit."""
    if not failures.under_limit(department, address):
        return False, None
    with Session(engine) as session:
        return True, verifying_key(session, settings, department=department, key_id=key_id, now=now)


# The body is read raw, as the signature covers its bytes: its 401, 413, 422 and 429 are this router's own.
@router.post("/{department}", responses=problems(401, 413, 422, 429, NotFoundError, ConflictError, InvalidError))
async def department_callback(
    department: Code, body: Annotated[bytes, Depends(signed_body)], cases: CaseGatewayDep
) -> CallbackReceipt:
    try:
        result = CallbackBody.model_validate_json(body)
    except ValidationError as error:
        fields = ", ".join(".".join(str(p) for p in issue["loc"]) for issue in error.errors())
        raise ProblemError(422, "Invalid callback", f"Fix these fields of the callback body: {fields}") from None
    message = DepartmentCallback(department=department, **result.model_dump(exclude={"case_no"}))
    receipt = await cases.department_result(result.case_no, message)
    return CallbackReceipt(status=receipt.delivery.value, detail=receipt.detail)
