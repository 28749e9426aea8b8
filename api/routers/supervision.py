"""Supervision (效能监督): SLA lights, on-time rates, late and at-risk work, 督办. Supervisors only; leaders
read the figures too."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status
from pydantic import BaseModel, Field

from api.deps import CaseGatewayDep, CatalogDep, ClockDep, SessionDep, SettingsDep, require
from api.openapi import problems
from api.params import DAYS, CaseNo, Code, CodeFilter, Offset
from core.auth import Principal, Role
from core.bounds import Day, MultiLine, SingleLine
from persistence.escalations import EscalationRecord
from persistence.supervision import (
    AtRiskCase,
    AttentionItem,
    Dimension,
    LightCount,
    LightName,
    Performance,
    at_risk_cases,
    attention_items,
    case_lights,
    item_lights,
    performance,
)
from services import audit
from services.audit import DataAccessPage
from services.errors import ConflictError, InvalidError, NotFoundError
from services.supervision import (
    Board,
    RectificationReport,
    SupervisedCase,
    board,
    case_detail,
    escalate,
    period,
    rectification_report,
)

router = APIRouter(prefix="/supervision", tags=["supervision"])
SupervisorDep = Annotated[Principal, Depends(require(Role.SUPERVISOR))]
ReaderDep = Annotated[Principal, Depends(require(Role.SUPERVISOR, Role.LEADER))]
Since = Annotated[Day | None, Query(description=f"First day (Shanghai), YYYY-MM-DD, {DAYS}; default 29 days before")]
Until = Annotated[Day | None, Query(description=f"Last day (Shanghai), YYYY-MM-DD, included, {DAYS}; default today")]
Simulated = Annotated[bool, Query(description="Count the cases made by `onething simulate` too (left out by default)")]


class EscalationIn(BaseModel):
    note: MultiLine = Field(default="", max_length=200, description="What the department must do; no personal data")


@router.get("/board", responses=problems(InvalidError))
def get_board(
    clock: ClockDep,
    _reader: ReaderDep,
    session: SessionDep,
    since: Since = None,
    until: Until = None,
    simulated: Simulated = False,
) -> Board:
    """The whole dashboard in one read."""
    now = clock.now()
    return Board.model_validate(board(session, now=now, span=period(since, until, now), with_simulated=simulated))


@router.get("/lights")
def lights(
    clock: ClockDep,
    _reader: ReaderDep,
    session: SessionDep,
    by: Annotated[Dimension, Query()] = "department",
    simulated: Simulated = False,
) -> list[LightCount]:
    """Open work by light now: items per department or item; bundles (with their forecast) per thing or district."""
    now = clock.now()
    if by in ("thing", "district"):
        return case_lights(session, by=by, now=now, with_simulated=simulated)
    return item_lights(session, by=by, now=now, with_simulated=simulated)


@router.get("/performance", responses=problems(InvalidError))
def get_performance(
    clock: ClockDep,
    _reader: ReaderDep,
    session: SessionDep,
    by: Annotated[Dimension, Query()] = "department",
    since: Since = None,
    until: Until = None,
    simulated: Simulated = False,
) -> list[Performance]:
    """Items decided in the period: on-time rates (promised and statutory) and clock days (median, p90)."""
    span = period(since, until, clock.now())
    return performance(session, by=by, first=span.first, last=span.last, with_simulated=simulated)


@router.get("/items")
def items(
    clock: ClockDep,
    _reader: ReaderDep,
    session: SessionDep,
    light: Annotated[list[LightName], Query()] = ["red"],  # noqa: B006 - FastAPI copies query defaults
    department: CodeFilter = None,
    item: CodeFilter = None,
    thing: CodeFilter = None,
    district: CodeFilter = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    simulated: Simulated = False,
) -> list[AttentionItem]:
    """The drill-down: open items in the given lights (red = overdue, yellow = due soon), most overdue first."""
    return attention_items(
        session,
        now=clock.now(),
        lights=light,
        department=department,
        item=item,
        thing=thing,
        district=district,
        limit=limit,
        with_simulated=simulated,
    )


@router.get("/cases/at-risk")
def at_risk(
    clock: ClockDep,
    _reader: ReaderDep,
    session: SessionDep,
    thing: CodeFilter = None,
    district: CodeFilter = None,
    simulated: Simulated = False,
) -> list[AtRiskCase]:
    """Open bundles whose forecast misses the promise or that are late now, even while no single item is."""
    return at_risk_cases(session, now=clock.now(), thing=thing, district=district, with_simulated=simulated)


@router.get("/cases/{case_no}", responses=problems(NotFoundError))
def case(
    clock: ClockDep, case_no: CaseNo, reader: ReaderDep, session: SessionDep, catalog: CatalogDep, settings: SettingsDep
) -> SupervisedCase:
    """One case with its items' results; each read is recorded in the personal-data access log."""
    detail = case_detail(session, catalog, settings, case_no, reader=reader, now=clock.now())
    return SupervisedCase.model_validate(detail)


@router.post(
    "/cases/{case_no}/items/{item_code}/escalations",
    status_code=status.HTTP_201_CREATED,
    responses=problems(NotFoundError, ConflictError),
)
async def post_escalation(
    clock: ClockDep,
    case_no: CaseNo,
    item_code: Code,
    body: EscalationIn,
    supervisor: SupervisorDep,
    session: SessionDep,
    cases: CaseGatewayDep,
) -> EscalationRecord:
    """督办: the case's workflow sends the department a notice; the escalation is logged with who and when."""
    return await escalate(
        session, cases, supervisor, case_no=case_no, item_code=item_code, note=body.note, now=clock.now()
    )


@router.get("/rectifications", responses=problems(InvalidError))
def rectifications(
    clock: ClockDep, _reader: ReaderDep, session: SessionDep, since: Since = None, until: Until = None
) -> RectificationReport:
    """整改 after bad reviews: per department opened, open, overdue, replied on time; and the open ones."""
    now = clock.now()
    return RectificationReport.model_validate(rectification_report(session, span=period(since, until, now), now=now))


@router.get("/data-access", responses=problems(InvalidError))
def data_access(
    _supervisor: SupervisorDep,
    session: SessionDep,
    case_no: Annotated[SingleLine | None, Query(max_length=40, description="One case number")] = None,
    reader: Annotated[SingleLine | None, Query(max_length=128, description="A reader's opaque account id")] = None,
    since: Since = None,
    until: Until = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> DataAccessPage:
    """The personal-data access log (PIPL): who other than the citizen read a case's data, newest first.

    Without since/until it covers every day; `total` counts all matching rows for paging."""
    return audit.search(session, case_no=case_no, reader=reader, since=since, until=until, limit=limit, offset=offset)
