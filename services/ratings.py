"""好差评: checking a rating against the case it rates, and opening 整改 for the departments rated badly."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from pydantic import BaseModel, Field
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from core.bounds import Code, MultiLine
from one_things.catalog import Catalog
from persistence.ratings import OVERALL, RatingRecord, add_rating, get_rating
from persistence.tables import CaseRecord, ItemRecord
from services.cases import department_name
from services.errors import ConflictError, InvalidError, UnavailableError
from services.in_thread import committed
from workflows.contracts import RectificationInput
from workflows.rectification import RectificationWorkflow, rectification_id

RECTIFY_AT_OR_BELOW = 2
"""A department score of 1 or 2 (差评) obliges the department to rectify."""


class Score(BaseModel):
    score: int = Field(ge=1, le=5, description="1 (very dissatisfied) … 5 (very satisfied)")
    comment: MultiLine = Field(default="", max_length=500)


class DepartmentScore(Score):
    department: Code = Field(description="A department that handled an item of the case")


class RatingIn(BaseModel):
    overall: Score
    departments: list[DepartmentScore] = Field(max_length=50, description="Each department that handled an item, once")


class DepartmentRatingView(BaseModel):
    department: str
    department_name: str
    score: int | None
    comment: str | None
    rectification: str | None
    """The id of the rectification this score opened, if any."""


class RatingView(BaseModel):
    case_no: str
    rateable: bool
    """True while the case is completed and not yet rated."""
    rated_at: datetime | None
    overall: Score | None
    departments: list[DepartmentRatingView]
    """Every department that handled an item; score None until rated."""


def handling_departments(items: list[ItemRecord]) -> list[str]:
    return sorted({item.department for item in items if item.status == "completed"})


def check_rating(case: CaseRecord, items: list[ItemRecord], body: RatingIn, already_rated: bool) -> None:
    """Conflict when the case cannot be rated now; invalid naming the field when the rating does not fit the case."""
    if case.status != "completed":
        raise ConflictError("A case can be rated once it is completed.", case_no=case.case_no)
    if already_rated:
        raise _already_rated(case)
    handled = handling_departments(items)
    errors: list[dict[str, str]] = []
    seen: set[str] = set()
    for index, entry in enumerate(body.departments):
        field = f"departments.{index}"
        if entry.department not in handled:
            errors.append({"field": f"{field}.department", "message": "this department handled no item of the case"})
        elif entry.department in seen:
            errors.append({"field": f"{field}.department", "message": "this department is rated twice"})
        elif entry.score <= RECTIFY_AT_OR_BELOW and not entry.comment.strip():
            errors.append({"field": f"{field}.comment", "message": "say what went wrong, so it can be put right"})
        seen.add(entry.department)
    missing = [department for department in handled if department not in seen]
    if missing:
        errors.append({"field": "departments", "message": f"rate every department; missing: {', '.join(missing)}"})
    if errors:
        fields = ", ".join(error["field"] for error in errors)
        raise InvalidError(f"Please correct: {fields}. Nothing was saved.", errors, title="Invalid rating")


def _already_rated(case: CaseRecord) -> ConflictError:
    return ConflictError("This case has already been rated.", case_no=case.case_no)


async def open_rectifications(
    temporal: Client,
    *,
    task_queue: str,
    case: CaseRecord,
    body: RatingIn,
    now: datetime,
    timeout_seconds: float,
) -> dict[str, str]:
    """Starts one rectification per badly rated department; a repeat start finds the running one. Each start is
    bounded by `timeout_seconds` (setting temporal_rpc_seconds): past it, 503 with Retry-After."""
    opened: dict[str, str] = {}
    for entry in body.departments:
        if entry.score > RECTIFY_AT_OR_BELOW:
            continue
        request = RectificationInput(
            case_no=case.case_no,
            thing=case.thing,
            department=entry.department,
            owner=case.owner,
            score=entry.score,
            comment=entry.comment,
            rated_at=now,
        )
        workflow_id = rectification_id(case.case_no, entry.department)
        try:
            async with asyncio.timeout(timeout_seconds):
                await temporal.start_workflow(
                    RectificationWorkflow.run,
                    request,
                    id=workflow_id,
                    task_queue=task_queue,
                    id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                    rpc_timeout=timedelta(seconds=timeout_seconds),
                )
        except WorkflowAlreadyStartedError:
            pass
        except (RPCError, TimeoutError) as error:
            raise UnavailableError("The rating could not be saved; please try again.", retry_after=5) from error
        opened[entry.department] = workflow_id
    return opened


def rating_view(catalog: Catalog, case: CaseRecord, items: list[ItemRecord], rows: list[RatingRecord]) -> RatingView:
    by_department = {row.department: row for row in rows}
    overall = by_department.get(OVERALL)
    departments = []
    for department in handling_departments(items):
        row = by_department.get(department)
        low = row is not None and row.score <= RECTIFY_AT_OR_BELOW
        departments.append(
            DepartmentRatingView(
                department=department,
                department_name=department_name(catalog, case.thing, department, case.version),
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


async def submit_rating(
    *,
    session: Session,
    temporal: Client,
    task_queue: str,
    catalog: Catalog,
    case: CaseRecord,
    items: list[ItemRecord],
    body: RatingIn,
    now: datetime,
    timeout_seconds: float,
) -> RatingView:
    """Saves the rating and opens the rectifications; the caller has checked that the case is the rater's.

    The checks commit before Temporal is called and the rating after it answered (services/in_thread.py: no
    connection held across the call): a failed start saves nothing, so the citizen simply sends it again, and a
    retry finds any rectification already started. Two ratings of one case sent at the same instant both pass
    the checks; the second one's rows then meet the unique key and it is told the case is already rated."""
    rated = await committed(session, get_rating, session, case_no=case.case_no)
    check_rating(case, items, body, already_rated=bool(rated))
    await open_rectifications(
        temporal, task_queue=task_queue, case=case, body=body, now=now, timeout_seconds=timeout_seconds
    )
    scores = {OVERALL: (body.overall.score, body.overall.comment)}
    scores.update({entry.department: (entry.score, entry.comment) for entry in body.departments})
    try:
        records = await committed(
            session,
            add_rating,
            session,
            case_no=case.case_no,
            thing=case.thing,
            owner=case.owner,
            scores=scores,
            now=now,
        )
    except IntegrityError:
        raise _already_rated(case) from None
    return rating_view(catalog, case, items, records)
