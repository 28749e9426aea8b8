"""The clerk's workbench of the standard handling module: the department's queue, claim, read the whole
application (applicant, labelled form, materials, other items, deadline, history), decide."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import CaseGatewayDep, CatalogDep, ClockDep, SessionDep
from api.pages.case_view import local_time
from api.pages.officials import official_page
from api.pages.rendering import Page, control_characters
from api.pages.supervision import Labels
from api.params import CaseNo, Code, CodeFilter
from core.auth import Role
from services import staff_work

router = APIRouter(include_in_schema=False)
StaffPage = Annotated[Page, Depends(official_page(Role.STAFF))]

EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "application/pdf": "pdf"}


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
        moment=local_time,
    )


@router.get("/staff/items/{case_no}/{item_code}", response_class=HTMLResponse)
async def workbench_page(
    clock: ClockDep,
    case_no: CaseNo,
    item_code: Code,
    page: StaffPage,
    session: SessionDep,
    catalog: CatalogDep,
    cases: CaseGatewayDep,
) -> Response:
    """The item's workbench; every view is recorded in the personal-data access log."""
    assert page.principal is not None
    found = await staff_work.application(
        session, cases, catalog, page.principal, case_no=case_no, item_code=item_code, now=clock.now()
    )
    return page.render(
        "staff_item.html",
        a=found,
        label=Labels(page, catalog),
        moment=local_time,
        kib=lambda size: max(1, round(size / 1024)),
    )


@router.get("/staff/items/{case_no}/{item_code}/materials/{material}")
def material(
    clock: ClockDep, case_no: str, item_code: str, material: str, page: StaffPage, session: SessionDep
) -> Response:
    """A material the citizen uploaded, from the platform's own store (never a public path), for the clerk
    deciding the item; the read is recorded. Served so a browser cannot take it for a page: its checked type,
    nosniff, a sandbox, no caching; images shown inline, anything else downloaded."""
    assert page.principal is not None
    content_type, data = staff_work.material_for_staff(
        session, page.principal, case_no=case_no, item_code=item_code, material=material, now=clock.now()
    )
    shown = "inline" if content_type.startswith("image/") else "attachment"
    filename = f"{case_no}-{material}.{EXTENSIONS.get(content_type, 'bin')}"
    headers = {
        "Content-Disposition": f'{shown}; filename="{filename}"',
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox",
        "Cache-Control": "no-store",
        "Cross-Origin-Resource-Policy": "same-origin",
        "Referrer-Policy": "no-referrer",
    }
    return Response(data, media_type=content_type, headers=headers)


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
    catalog: CatalogDep,
    decision: Annotated[Literal["approve", "reject", "correction"], Form()],
    reason: Annotated[str, Form(max_length=500)] = "",
    about: Annotated[str, Form(max_length=80)] = "",
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
        reason=reason.strip() or None,
        about=about or None,
        catalog=catalog,
        lang=page.lang,
    )
    return RedirectResponse(f"/staff?{urlencode({'done': case_no})}", status_code=303)
