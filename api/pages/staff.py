"""The staff page of the standard handling module: the department's queue, claim, decide."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import CaseGatewayDep, CatalogDep, ClockDep, SessionDep
from api.pages.case_view import local_day, local_time
from api.pages.officials import official_page
from api.pages.rendering import Page, control_characters
from api.pages.supervision import Labels
from api.params import CaseNo, Code, CodeFilter
from core.auth import Role
from services import staff_work

router = APIRouter(include_in_schema=False)
StaffPage = Annotated[Page, Depends(official_page(Role.STAFF))]


@router.get("/staff", response_class=HTMLResponse)
def queue_page(
    clock: ClockDep, page: StaffPage, session: SessionDep, catalog: CatalogDep, done: CodeFilter = None
) -> Response:
    assert page.principal is not None
    entries = staff_work.queue(session, catalog, page.principal, clock.now())
    return page.render(
        "staff.html",
        entries=entries,
        done=done,
        department=page.principal.department,
        label=Labels(page, catalog),
        day=local_day,
        moment=local_time,
    )


@router.get("/staff/items/{case_no}/{item_code}", response_class=HTMLResponse)
async def application_page(
    clock: ClockDep,
    case_no: CaseNo,
    item_code: Code,
    page: StaffPage,
    session: SessionDep,
    catalog: CatalogDep,
    cases: CaseGatewayDep,
) -> Response:
    """The item's application; every view is recorded in the personal-data access log."""
    assert page.principal is not None
    found = await staff_work.application(
        session, cases, page.principal, case_no=case_no, item_code=item_code, now=clock.now()
    )
    return page.render("staff_item.html", a=found, label=Labels(page, catalog))


@router.post("/staff/items/{case_no}/{item_code}/claim")
def claim(clock: ClockDep, case_no: CaseNo, item_code: Code, page: StaffPage, session: SessionDep) -> Response:
    assert page.principal is not None
    staff_work.claim(session, page.principal, case_no=case_no, item_code=item_code, now=clock.now())
    return RedirectResponse(f"/staff#{case_no}-{item_code}", status_code=303)


@router.post("/staff/items/{case_no}/{item_code}/decision")
async def decide(
    case_no: CaseNo,
    item_code: Code,
    request: Request,
    page: StaffPage,
    session: SessionDep,
    cases: CaseGatewayDep,
    decision: Annotated[Literal["approve", "reject", "correction"], Form()],
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    assert page.principal is not None
    form = await request.form()
    output = {key.removeprefix("output."): str(value) for key, value in form.items() if key.startswith("output.")}
    if (refused := control_characters(page, lines=(*output, *output.values()), texts=(reason,))) is not None:
        return refused
    await staff_work.decide(
        session,
        cases,
        page.principal,
        case_no=case_no,
        item_code=item_code,
        decision=decision,
        output=output if decision == "approve" else {},
        reason=reason or None,
    )
    return RedirectResponse(f"/staff?{urlencode({'done': case_no})}", status_code=303)
