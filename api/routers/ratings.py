"""The citizen's say on a finished case: 好差评, and following the 整改 a bad score opened."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, status
from starlette.concurrency import run_in_threadpool

from api.deps import CatalogDep, CitizenDep, ClockDep, SessionDep, SettingsDep, TemporalDep
from api.openapi import problems
from api.params import CaseNo, Code
from persistence.ratings import get_rating
from services.cases import load_own_case
from services.errors import ConflictError, InvalidError, NotFoundError, UnavailableError
from services.ratings import RatingIn, RatingView, rating_view, submit_rating
from services.rectifications import RectificationView, VerdictIn, case_rectification_views, give_verdict

router = APIRouter(prefix="/applications", tags=["ratings"])


@router.get("/{case_no}/rating", response_model=RatingView, responses=problems(NotFoundError))
def get_case_rating(case_no: CaseNo, principal: CitizenDep, session: SessionDep, catalog: CatalogDep) -> RatingView:
    # The applicant's own say, like the rating itself: an agent acting on the case does not read it.
    case, items = load_own_case(session, principal, case_no)
    return rating_view(catalog, case, items, get_rating(session, case_no=case_no))


@router.post(
    "/{case_no}/rating",
    status_code=status.HTTP_201_CREATED,
    response_model=RatingView,
    responses=problems(NotFoundError, ConflictError, InvalidError, UnavailableError),
)
async def rate_case(
    clock: ClockDep,
    case_no: CaseNo,
    body: RatingIn,
    principal: CitizenDep,
    session: SessionDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    catalog: CatalogDep,
) -> RatingView:
    # The applicant's own say about the service: not an agent's, nor an official's.
    case, items = await run_in_threadpool(load_own_case, session, principal, case_no)
    return await submit_rating(
        session=session,
        temporal=temporal,
        task_queue=settings.task_queue,
        catalog=catalog,
        case=case,
        items=items,
        body=body,
        now=clock.now(),
        timeout_seconds=settings.temporal_rpc_seconds,
    )


@router.get("/{case_no}/rectifications", response_model=list[RectificationView], responses=problems(NotFoundError))
def my_rectifications(
    case_no: CaseNo, principal: CitizenDep, session: SessionDep, catalog: CatalogDep
) -> list[RectificationView]:
    load_own_case(session, principal, case_no)
    return case_rectification_views(session, catalog, case_no)


@router.post(
    "/{case_no}/rectifications/{department}/{verdict}",
    response_model=RectificationView,
    responses=problems(NotFoundError, ConflictError, UnavailableError),
)
async def answer_reply(
    case_no: CaseNo,
    department: Code,
    verdict: Literal["confirm", "contest"],
    principal: CitizenDep,
    session: SessionDep,
    temporal: TemporalDep,
    catalog: CatalogDep,
    settings: SettingsDep,
    body: VerdictIn | None = None,
) -> RectificationView:
    """`confirm` closes it; `contest` sends it back to the department for a second reply under its remaining
    deadline (a second contest escalates). Only the applicant who rated answers, as with the rating itself."""
    await run_in_threadpool(load_own_case, session, principal, case_no)
    return await give_verdict(
        session=session,
        temporal=temporal,
        catalog=catalog,
        case_no=case_no,
        department=department,
        verdict=verdict,
        note=(body or VerdictIn()).note,
        timeout_seconds=settings.temporal_rpc_seconds,
    )
