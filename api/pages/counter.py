"""The counter page (综合窗口) for window clerks: verify, consent, the citizen's one form, the printable receipt.

Thin: every rule is in services/counter.py. A visit's URL carries only its random id, never the citizen's.
"""

from __future__ import annotations

import base64
from functools import partial
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from api.deps import CaseGatewayDep, CatalogDep, ClockDep, SessionDep, SettingsDep
from api.pages.case_view import local_time
from api.pages.citizen import checked_uploads, posted_application, render_form, rule_message
from api.pages.officials import SERVICE_POINTS, official_page
from api.pages.rendering import Page
from api.params import CaseNo, Code, CodeFilter, OpaqueId
from api.problems import field_errors
from core.auth import Principal, Role
from one_things.catalog import Catalog
from one_things.plan import PlanError
from services.counter import (
    CONSENT_TEXT,
    ConsentIn,
    CounterApplicationIn,
    VerificationIn,
    VisitView,
    consent,
    form_errors,
    prefilled_for,
    receipt,
    submit,
    verify,
    visit_view,
)
from services.errors import ConflictError, InvalidError, NotAllowedError
from services.notice import answers_from_query, question_views
from services.submission import definition_for

router = APIRouter(include_in_schema=False)
ClerkPage = Annotated[Page, Depends(official_page(Role.CLERK))]


def _clerk(page: Page) -> Principal:
    assert page.principal is not None  # official_page let only a signed-in clerk through
    return page.principal


def _point(page: Page) -> str:
    point = _clerk(page).department or ""
    names = SERVICE_POINTS.get(point)
    return page.name(names) if names else point


def _ended(page: Page) -> HTMLResponse:
    return page.render("error.html", status_code=409, message=page.t("ct_visit_ended"))


@router.get("/counter", response_class=HTMLResponse)
def counter_page(page: ClerkPage) -> Response:
    return page.render("counter.html", point=_point(page), error=None)


@router.post("/counter/verify", response_class=HTMLResponse)
async def verify_page(page: ClerkPage, session: SessionDep, clock: ClockDep) -> Response:
    posted = await page.request.form()
    id_no, name = str(posted.get("id_no") or "")[:32], str(posted.get("name") or "")[:60]
    try:
        body = VerificationIn(id_no=id_no, name=name)
        visit = await run_in_threadpool(partial(verify, session, clerk=_clerk(page), body=body, now=clock.now()))
    except (InvalidError, ValueError) as error:  # ValueError: an empty field, refused by the model
        invalid = isinstance(error, InvalidError) and error.context.get("rule") == "id_no_invalid"
        message = page.t("ct_id_invalid" if invalid else "ct_mismatch")
        # Neither typed value is echoed back: the clerk types both again from the card.
        return page.render("counter.html", status_code=422, point=_point(page), error=message)
    return RedirectResponse(f"/counter/visits/{visit.id}", status_code=303)


@router.get("/counter/visits/{visit}", response_class=HTMLResponse)
def visit_page(visit: OpaqueId, page: ClerkPage, session: SessionDep, catalog: CatalogDep, clock: ClockDep) -> Response:
    try:
        view = visit_view(session, clerk=_clerk(page), visit_id=visit, now=clock.now())
    except ConflictError:
        return _ended(page)
    return _render_visit(page, view, catalog)


def _render_visit(
    page: Page, view: VisitView, catalog: Catalog, *, error: str | None = None, status_code: int = 200
) -> HTMLResponse:
    things = [(thing.code, page.name(thing.name)) for thing in catalog.all()]
    return page.render(
        "counter_visit.html",
        status_code=status_code,
        visit=view,
        point=_point(page),
        consent_text=CONSENT_TEXT[page.lang],
        things=things,
        error=error,
    )


@router.post("/counter/visits/{visit}/consent", response_class=HTMLResponse)
async def consent_page(
    visit: OpaqueId, page: ClerkPage, session: SessionDep, catalog: CatalogDep, clock: ClockDep
) -> Response:
    posted = await page.request.form()
    body = ConsentIn(agreed=posted.get("agreed") == "yes", lang=page.lang)
    try:
        await run_in_threadpool(
            partial(consent, session, clerk=_clerk(page), visit_id=visit, body=body, now=clock.now())
        )
    except ConflictError:
        return _ended(page)
    except InvalidError:
        view = await run_in_threadpool(
            partial(visit_view, session, clerk=_clerk(page), visit_id=visit, now=clock.now())
        )
        return _render_visit(page, view, catalog, error=page.t("ct_consent_missing"), status_code=422)
    return RedirectResponse(f"/counter/visits/{visit}", status_code=303)


@router.get("/counter/visits/{visit}/things/{code}", response_class=HTMLResponse)
def form_page(
    visit: OpaqueId,
    code: Code,
    page: ClerkPage,
    session: SessionDep,
    catalog: CatalogDep,
    clock: ClockDep,
    item: CodeFilter = None,
) -> Response:
    thing = definition_for(catalog, code, item)
    answers = answers_from_query(thing, page.request.query_params.multi_items())
    try:
        form = prefilled_for(
            session, clerk=_clerk(page), catalog=catalog, visit_id=visit, code=code, item=item, answers=answers,
            now=clock.now(),
        )  # fmt: skip
    except ConflictError:
        return _ended(page)
    except NotAllowedError as error:
        return page.render("error.html", status_code=403, message=rule_message(page, error))
    except PlanError:
        form = None
    if form is None or form.unanswered:
        return page.render(
            "counter_questions.html", thing_name=page.name(thing.name), questions=question_views(thing), answers=answers
        )
    return render_form(page, thing, form, individual_item=item, action=page.request.url.path)


@router.post("/counter/visits/{visit}/things/{code}", response_class=HTMLResponse)
async def submit_page(
    visit: OpaqueId,
    code: Code,
    page: ClerkPage,
    session: SessionDep,
    cases: CaseGatewayDep,
    settings: SettingsDep,
    catalog: CatalogDep,
    clock: ClockDep,
) -> Response:
    """Like the citizen's own submission: held data from the register again, never from the page."""
    posted = await page.request.form()
    item, pairs, typed, key = posted_application(posted)
    thing = definition_for(catalog, code, item)
    answers = answers_from_query(thing, pairs)
    clerk, now = _clerk(page), clock.now()
    try:
        form = await run_in_threadpool(  # SQL: in the thread pool, as every query of an async route
            partial(
                prefilled_for,
                session,
                clerk=clerk,
                catalog=catalog,
                visit_id=visit,
                code=code,
                item=item,
                answers=answers,
                now=now,
            )
        )
    except ConflictError:
        return _ended(page)
    except NotAllowedError as error:
        return page.render("error.html", status_code=403, message=rule_message(page, error))
    except PlanError:
        return RedirectResponse(
            f"/counter/visits/{visit}/things/{code}?{urlencode(answers, doseq=True)}", status_code=303
        )
    values: dict[str, Any] = {f.code: typed[f.code] for f in form.fields if not f.prefilled and typed.get(f.code)}
    uploads, upload_errors = await checked_uploads(page, form, posted)
    action = page.request.url.path

    def again(errors: list[dict[str, str]]) -> HTMLResponse:
        return render_form(
            page, thing, form, typed=typed, errors=errors, idempotency_key=key, status_code=422,
            individual_item=item, action=action,
        )  # fmt: skip

    try:
        body = CounterApplicationIn(
            visit=visit,
            thing=code,
            answers=answers,
            form=values,
            individual_item=item,
            materials={material: base64.b64encode(data) for material, data in uploads.items()},
        )
    except ValidationError as error:  # e.g. a posted answer with a control character: named, as by the API
        return again(field_errors(error.errors()))
    if upload_errors:  # every problem at once, as on the citizen's own form: the typed fields' too
        try:
            errors = await run_in_threadpool(
                partial(form_errors, session, clerk=clerk, catalog=catalog, body=body, now=now)
            )
        except ConflictError:
            return _ended(page)
        return again(errors + upload_errors)
    try:
        accepted = await submit(
            session=session, cases=cases, settings=settings, catalog=catalog, clerk=clerk, body=body,
            idempotency_key=key, now=now,
        )  # fmt: skip
    except NotAllowedError as error:  # who may apply, checked for the citizen: the rule in the page's language
        return page.render("error.html", status_code=403, message=rule_message(page, error))
    except InvalidError as error:
        return again(error.errors)
    return RedirectResponse(f"/counter/receipts/{accepted.case_no}", status_code=303)


@router.get("/counter/receipts/{case_no}", response_class=HTMLResponse)
def receipt_page(
    case_no: CaseNo, page: ClerkPage, session: SessionDep, catalog: CatalogDep, clock: ClockDep
) -> Response:
    found = receipt(session, clerk=_clerk(page), catalog=catalog, case_no=case_no, lang=page.lang, now=clock.now())
    return page.render(
        "counter_receipt.html", receipt=found, point=_point(page), accepted=local_time(found.accepted_at)
    )
