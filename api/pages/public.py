"""Pages anyone may open: search, the one notice with its guidance questions, preferences."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from api.deps import CatalogDep, ClockDep, SettingsDep
from api.pages.messages import field_message
from api.pages.rendering import ELDER_COOKIE, LANG_COOKIE, PageDep
from api.pages.signin import local_path
from api.params import Code, NextUrl
from core.calendar_year import calendar_for
from one_things.graph_svg import dependency_svg
from one_things.plan import PlanError, make_plan
from one_things.search import search
from services.notice import (
    answers_from_query,
    default_plan,
    find_thing,
    notice,
    promise_in_calendar_days,
    question_views,
)

router = APIRouter(include_in_schema=False)
YEAR = 365 * 24 * 3600


@router.get("/", response_class=HTMLResponse)
def home(page: PageDep, catalog: CatalogDep, q: Annotated[str, Query(max_length=100)] = "") -> Response:
    things = search(catalog.all(), q)
    views = [{"code": t.code, "name": t.name, "summary": t.summary, "plan": default_plan(t)} for t in things]
    return page.render("home.html", things=views, query=q)


@router.get("/things/{code}", response_class=HTMLResponse)
def notice_page(code: Code, page: PageDep, catalog: CatalogDep, clock: ClockDep, settings: SettingsDep) -> Response:
    """一次告知 with 情形引导: the query string carries the answers, so the page works without scripts."""
    thing = find_thing(catalog, code)
    answers = answers_from_query(thing, page.request.query_params.multi_items())
    plan, errors = None, []
    try:
        plan = make_plan(thing, answers)
    except PlanError as error:
        # A first visit (nothing answered yet) shows the questions, not a refusal; once the citizen has asked for a
        # plan, each problem names its question, since the box sits below all of them.
        questions = {f"answers.{question.code}": page.name(question.text) for question in thing.questions}
        if answers:
            errors = [
                {"question": questions.get(problem.field), "message": field_message(page, problem.as_error())}
                for problem in error.problems
            ]
    view = notice(thing, plan)
    promised = view["after"]["days"]
    days_now = None if promised is None else promise_in_calendar_days(promised, clock.now(), calendar_for(settings))
    excluded = [page.name(thing.item(code).result_name or thing.item(code).name) for code in view["excluded"]]
    # The order of handling for this citizen's plan (every item while questions are unanswered).
    svg = dependency_svg(thing, [item["code"] for item in view["items"]], lang=page.lang, svg_id="plan-graph")
    graph = Markup(svg)  # noqa: S704 - dependency_svg escapes every text it draws
    return page.render(
        "notice.html",
        n=view,
        questions=question_views(thing),
        answers=answers,
        answers_query=urlencode(plan.answers if plan else answers, doseq=True),
        plan_errors=errors,
        excluded_names=excluded,
        graph=graph,
        days_now=days_now,
    )


@router.get("/prefs/{name}/{value}")
def preference(name: Code, value: Code, next: NextUrl = "/") -> Response:
    """Language and elder mode live in cookies so every later page keeps them."""
    response = RedirectResponse(local_path(next), status_code=303)
    if name == "lang" and value in ("zh", "en"):
        response.set_cookie(LANG_COOKIE, value, max_age=YEAR, samesite="lax")
    elif name == "elder":
        response.set_cookie(ELDER_COOKIE, "1" if value == "on" else "0", max_age=YEAR, samesite="lax")
    return response
