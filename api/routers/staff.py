"""The standard handling module: staff of departments without their own system decide here."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import CaseGatewayDep, CatalogDep, ClockDep, SessionDep, StaffDep
from api.openapi import problems
from api.params import CaseNo, Code
from api.schemas import StaffDecisionIn, StaffQueue
from persistence.staff_claims import StaffClaim
from services import staff_work
from services.errors import ConflictError, InvalidError, NotFoundError
from services.staff_work import Workbench
from workflows.contracts import ItemState

router = APIRouter(prefix="/staff", tags=["staff"])


@router.get("/queue")
def queue(clock: ClockDep, principal: StaffDep, session: SessionDep, catalog: CatalogDep) -> StaffQueue:
    """The items of the caller's department waiting for a decision, the nearest deadline first."""
    return StaffQueue(items=staff_work.queue(session, catalog, principal, clock.now()))


@router.get("/items/{case_no}/{item_code}", responses=problems(NotFoundError, ConflictError))
async def application(
    clock: ClockDep,
    case_no: CaseNo,
    item_code: Code,
    principal: StaffDep,
    session: SessionDep,
    cases: CaseGatewayDep,
    catalog: CatalogDep,
) -> Workbench:
    """The item's application as its department receives it (the rest of the form masked where personal), while
    it waits for a decision by the caller's department; every read is recorded in the personal-data access log
    the citizen sees."""
    return await staff_work.application(
        session, cases, catalog, principal, case_no=case_no, item_code=item_code, now=clock.now()
    )


@router.post("/items/{case_no}/{item_code}/claim", responses=problems(NotFoundError, ConflictError))
def claim(clock: ClockDep, case_no: CaseNo, item_code: Code, principal: StaffDep, session: SessionDep) -> StaffClaim:
    """Take an item, so no colleague decides it too; claiming it again is harmless."""
    return staff_work.claim(session, principal, case_no=case_no, item_code=item_code, now=clock.now())


@router.post("/items/{case_no}/{item_code}/decision", responses=problems(NotFoundError, ConflictError, InvalidError))
async def decide(
    case_no: CaseNo,
    item_code: Code,
    body: StaffDecisionIn,
    principal: StaffDep,
    session: SessionDep,
    cases: CaseGatewayDep,
    catalog: CatalogDep,
) -> ItemState:
    return await staff_work.decide(
        session,
        cases,
        principal,
        case_no=case_no,
        item_code=item_code,
        decision=body.decision,
        output=body.output,
        reason=body.reason,
        about=body.about,
        catalog=catalog,
    )
