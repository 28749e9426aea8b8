"""好差评 on the case page: the rating form after completion, and the rectifications a low score opened."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from api.case_access import load_case
from api.deps import CatalogDep, SessionDep, SettingsDep, TemporalDep
from api.pages.case_view import local_day
from api.pages.rendering import CitizenPageDep, Page
from api.problems import ProblemError
from api.rating import DepartmentScore, RatingIn, Score
from api.rectification_access import VerdictIn
from api.routers.ratings import _verdict, get_case_rating, my_rectifications, rate_case
from one_things.catalog import Catalog

router = APIRouter(include_in_schema=False)


def feedback_context(page: Page, session: Session, catalog: Catalog, case_no: str) -> dict[str, Any]:
    """The rating (and what can still be rated) and the rectifications, for the case page."""
    assert page.principal is not None
    rating = get_case_rating(case_no, page.principal, session, catalog)
    targets = [{"code": d.department, "label": d.department_name} for d in rating.departments]
    rectifications = [
        {**r.model_dump(), "due": local_day(r.due_at)}
        for r in my_rectifications(case_no, page.principal, session, catalog)
    ]
    return {"rating": rating, "rating_targets": targets, "rectifications": rectifications}


def _score(posted: Any, code: str) -> Score:
    raw = str(posted.get(f"score.{code}") or "0")
    return Score(score=int(raw) if raw.isdigit() else 0, comment=str(posted.get(f"comment.{code}") or "")[:500])


@router.post("/cases/{case_no}/rating")
async def rate(
    case_no: str,
    page: CitizenPageDep,
    session: SessionDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    catalog: CatalogDep,
) -> Response:
    assert page.principal is not None
    posted = await page.request.form()
    _, items = load_case(session, page.principal, case_no)
    departments = sorted({item.department for item in items if item.status == "completed"})
    try:
        body = RatingIn(
            overall=_score(posted, "overall"),
            departments=[DepartmentScore(department=d, **_score(posted, d).model_dump()) for d in departments],
        )
        await rate_case(case_no, body, page.principal, session, temporal, settings, catalog)
    except (ProblemError, ValueError) as error:
        return page.render("error.html", status_code=422, message=str(error))
    return RedirectResponse(f"/cases/{case_no}#rating", status_code=303)


@router.post("/cases/{case_no}/rectifications/{department}")
async def verdict(
    case_no: str, department: str, page: CitizenPageDep, session: SessionDep, temporal: TemporalDep, catalog: CatalogDep
) -> Response:
    assert page.principal is not None
    posted = await page.request.form()
    choice: Literal["confirm", "contest"] = "contest" if posted.get("verdict") == "contest" else "confirm"
    note = VerdictIn(note=str(posted.get("note") or "")[:500])
    await _verdict(case_no, department, choice, note, page.principal, session, temporal, catalog)
    return RedirectResponse(f"/cases/{case_no}#rating", status_code=303)
