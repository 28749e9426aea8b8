"""好差评 on the case page: the rating form after completion, and the rectifications a low score opened."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from api.deps import CatalogDep, ClockDep, SessionDep, SettingsDep, TemporalDep
from api.pages.case_view import thing_or_none
from api.pages.rendering import CitizenPageDep, Page, control_characters, due_day
from api.params import CaseNo, Code
from api.problems import from_domain
from one_things.catalog import Catalog
from persistence.ratings import get_rating
from persistence.tables import CaseRecord, ItemRecord
from services.cases import load_own_case
from services.errors import InvalidError
from services.ratings import DepartmentScore, RatingIn, Score, handling_departments, rating_view, submit_rating
from services.rectifications import case_rectification_views, give_verdict

router = APIRouter(include_in_schema=False)


def feedback_context(
    page: Page, session: Session, catalog: Catalog, case: CaseRecord, items: list[ItemRecord]
) -> dict[str, Any]:
    """The rating (and what can still be rated) and the rectifications, for the case page."""
    rating = rating_view(catalog, case, items, get_rating(session, case_no=case.case_no))
    # The services name departments in Chinese (for the JSON API); the page names them in its language.
    thing = thing_or_none(catalog, case)
    names = {d.code: page.name(d.name) for d in thing.departments} if thing else {}
    targets = [{"code": d.department, "label": names.get(d.department, d.department_name)} for d in rating.departments]
    rectifications = [
        {**r.model_dump(), "due": due_day(r.due_at)} for r in case_rectification_views(session, catalog, case.case_no)
    ]
    return {
        "rating": rating,
        "rating_targets": targets,
        "rectifications": rectifications,
        "department_names": names,
    }


class ScoreMissingError(ValueError):
    """No score chosen: the form pre-selects none, so one click cannot inflate the good-review rate."""


def _score(posted: Any, code: str) -> Score:
    raw = str(posted.get(f"score.{code}") or "")
    if not raw.isdigit():
        raise ScoreMissingError(code)
    return Score(score=int(raw), comment=str(posted.get(f"comment.{code}") or "")[:500])


@router.post("/cases/{case_no}/rating")
async def rate(
    clock: ClockDep,
    case_no: CaseNo,
    page: CitizenPageDep,
    session: SessionDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    catalog: CatalogDep,
) -> Response:
    assert page.principal is not None
    posted = await page.request.form()
    # The applicant's own say, not an agent's; SQL in the thread pool, as every query of an async route.
    case, items = await run_in_threadpool(load_own_case, session, page.principal, case_no)
    try:
        body = RatingIn(
            overall=_score(posted, "overall"),
            departments=[
                DepartmentScore(department=d, **_score(posted, d).model_dump()) for d in handling_departments(items)
            ],
        )
        await submit_rating(
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
    except ScoreMissingError:
        return page.render("error.html", status_code=422, message=page.t("rate_choose"))
    except ValueError as error:  # a score outside 1–5 from a tampered form
        return page.render("error.html", status_code=422, message=str(error))
    except InvalidError as error:
        # Other refusals propagate to the one error page, which also rolls back a half-saved rating.
        detail = "; ".join(e["message"] for e in error.errors) or error.detail
        return page.render("error.html", status_code=from_domain(error).status, message=detail)
    return RedirectResponse(f"/cases/{case_no}#rating", status_code=303)


@router.post("/cases/{case_no}/rectifications/{department}")
async def verdict(
    case_no: CaseNo,
    department: Code,
    page: CitizenPageDep,
    session: SessionDep,
    temporal: TemporalDep,
    catalog: CatalogDep,
    settings: SettingsDep,
) -> Response:
    assert page.principal is not None
    posted = await page.request.form()
    choice: Literal["confirm", "contest"] = "contest" if posted.get("verdict") == "contest" else "confirm"
    note = str(posted.get("note") or "")[:500]
    if (refused := control_characters(page, texts=(note,))) is not None:
        return refused
    await run_in_threadpool(load_own_case, session, page.principal, case_no)
    await give_verdict(
        session=session,
        temporal=temporal,
        catalog=catalog,
        case_no=case_no,
        department=department,
        verdict=choice,
        note=note,
        timeout_seconds=settings.temporal_rpc_seconds,
    )
    return RedirectResponse(f"/cases/{case_no}#rating", status_code=303)
