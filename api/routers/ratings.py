"""The citizen's say on a finished case: 好差评, and following the 整改 a bad score opened."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, status
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session
from temporalio.client import Client

from api.case_access import load_case
from api.deps import CatalogDep, CitizenDep, SessionDep, SettingsDep, TemporalDep
from api.problems import ProblemError
from api.rating import (
    RECTIFY_AT_OR_BELOW,
    DepartmentRatingView,
    RatingIn,
    RatingView,
    Score,
    check_rating,
    handling_departments,
    open_rectifications,
)
from api.rectification_access import RectificationView, VerdictIn, handle_for, rectification_view, run_update
from core.auth import Principal
from one_things.catalog import Catalog
from persistence.ratings import OVERALL, RatingRecord, add_rating, get_rating
from persistence.rectifications import case_rectifications
from persistence.tables import CaseRecord, ItemRecord
from workflows.contracts import CitizenVerdict
from workflows.rectification import RectificationWorkflow, rectification_id

router = APIRouter(prefix="/applications", tags=["ratings"])


@router.get("/{case_no}/rating", response_model=RatingView)
def get_case_rating(case_no: str, principal: CitizenDep, session: SessionDep, catalog: CatalogDep) -> RatingView:
    case, items = load_case(session, principal, case_no)
    return _rating_view(catalog, case, items, get_rating(session, case_no=case_no))


@router.post("/{case_no}/rating", status_code=status.HTTP_201_CREATED, response_model=RatingView)
async def rate_case(
    case_no: str,
    body: RatingIn,
    principal: CitizenDep,
    session: SessionDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    catalog: CatalogDep,
) -> RatingView:
    case, items = load_case(session, principal, case_no)
    check_rating(case, items, body, already_rated=bool(get_rating(session, case_no=case_no)))
    scores = {OVERALL: (body.overall.score, body.overall.comment)}
    scores.update({entry.department: (entry.score, entry.comment) for entry in body.departments})
    try:
        records = add_rating(session, case_no=case_no, thing=case.thing, owner=case.owner, scores=scores)
    except IntegrityError:
        raise ProblemError(409, "Not possible now", "This case has already been rated.", case_no=case_no) from None
    # Started after the rows are flushed (a duplicate rating stops above) and before the request commits: a
    # failed start rolls the rating back so the citizen can simply retry, and a retry finds any started one.
    await open_rectifications(temporal, task_queue=settings.task_queue, case=case, body=body)
    return _rating_view(catalog, case, items, records)


@router.get("/{case_no}/rectifications", response_model=list[RectificationView])
def my_rectifications(
    case_no: str, principal: CitizenDep, session: SessionDep, catalog: CatalogDep
) -> list[RectificationView]:
    load_case(session, principal, case_no)
    records = case_rectifications(session, case_no=case_no)
    return [rectification_view(catalog, record.model_dump()) for record in records]


@router.post("/{case_no}/rectifications/{department}/confirm", response_model=RectificationView)
async def confirm(
    case_no: str,
    department: str,
    principal: CitizenDep,
    session: SessionDep,
    temporal: TemporalDep,
    catalog: CatalogDep,
    body: VerdictIn | None = None,
) -> RectificationView:
    return await _verdict(case_no, department, "confirm", body, principal, session, temporal, catalog)


@router.post("/{case_no}/rectifications/{department}/contest", response_model=RectificationView)
async def contest(
    case_no: str,
    department: str,
    principal: CitizenDep,
    session: SessionDep,
    temporal: TemporalDep,
    catalog: CatalogDep,
    body: VerdictIn | None = None,
) -> RectificationView:
    """Back to the department for a second reply under its remaining deadline; a second contest escalates."""
    return await _verdict(case_no, department, "contest", body, principal, session, temporal, catalog)


async def _verdict(  # the route's dependencies, passed through
    case_no: str,
    department: str,
    verdict: Literal["confirm", "contest"],
    body: VerdictIn | None,
    principal: Principal,
    session: Session,
    temporal: Client,
    catalog: Catalog,
) -> RectificationView:
    load_case(session, principal, case_no)
    wanted = rectification_id(case_no, department)
    if not any(record.id == wanted for record in case_rectifications(session, case_no=case_no)):
        raise ProblemError(404, "Not found", f"No rectification for department {department} in case {case_no}.")
    update = RectificationWorkflow.confirm if verdict == "confirm" else RectificationWorkflow.contest
    message = CitizenVerdict(note=(body or VerdictIn()).note)
    state = await run_update(handle_for(temporal, wanted).execute_update(update, message), wanted)
    return rectification_view(catalog, state.model_dump())


def _rating_view(catalog: Catalog, case: CaseRecord, items: list[ItemRecord], rows: list[RatingRecord]) -> RatingView:
    by_department = {row.department: row for row in rows}
    overall = by_department.get(OVERALL)
    departments = []
    for department in handling_departments(items):
        row = by_department.get(department)
        low = row is not None and row.score <= RECTIFY_AT_OR_BELOW
        departments.append(
            DepartmentRatingView(
                department=department,
                department_name=_department_name(catalog, case.thing, department),
                score=row.score if row else None,
                comment=row.comment if row else None,
                rectification=rectification_id(case.case_no, department) if low else None,
            )
        )
    return RatingView(
        case_no=case.case_no,
        rateable=case.status == "completed" and overall is None,
        rated_at=overall.created_at if overall else None,
        overall=Score(score=overall.score, comment=overall.comment) if overall else None,
        departments=departments,
    )


def _department_name(catalog: Catalog, thing: str, department: str) -> str:
    try:
        return catalog.get(thing).department(department).name.zh
    except KeyError:
        return department
