"""统一发证 and the inbox as pages: the e-licence wallet with QR codes, public verification, messages."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from api.deps import CatalogDep, ClockDep, SessionDep
from api.pages.case_view import local_day, local_time
from api.pages.rendering import CitizenPageDep, PageDep
from api.params import Code, RowId
from api.qr import qr_svg
from api.rate_limits import limited
from persistence.licences import Licence
from services import inbox, licences
from services.errors import NotFoundError
from services.licences import LicenceView, verify_page_path

router = APIRouter(include_in_schema=False)


@router.get("/wallet", response_class=HTMLResponse)
def wallet_page(clock: ClockDep, page: CitizenPageDep, session: SessionDep, catalog: CatalogDep) -> Response:
    assert page.principal is not None
    now = clock.now()
    base = str(page.request.base_url).rstrip("/")
    people = []
    for person in licences.wallet_by_person(session, catalog, holder=page.principal.subject, now=now):
        kinds = [
            {
                "kind": group.kind,
                "name": group.name,
                "licences": [shown(base, lic, view) for lic, view in group.licences],
            }
            for group in person.kinds
        ]
        people.append({"holder": person.holder_masked, "kinds": kinds})
    return page.render("wallet.html", people=people)


def shown(base: str, licence: Licence, view: LicenceView) -> dict[str, object]:
    # The SVG is drawn here, from our own segno output: safe to inline, and no image request per licence.
    svg = qr_svg(base + verify_page_path(licence.verification_code)).decode()
    return {
        **view.model_dump(),
        "issued": local_day(view.issued_at),
        "valid_until": view.valid_until.isoformat() if view.valid_until else None,
        "verify": verify_page_path(licence.verification_code),
        "qr": Markup(svg[svg.index("<svg") :]),  # noqa: S704 - our own SVG, no user input in it
    }


@router.get("/verify/{code}", response_class=HTMLResponse, dependencies=[Depends(limited("verify"))])
def verify_page(clock: ClockDep, code: Code, page: PageDep, session: SessionDep, catalog: CatalogDep) -> Response:
    """Public: anyone holding the QR code can check the licence; it shows no personal data."""
    try:
        result = licences.verify(session, catalog, verification_code=code, now=clock.now())
    except NotFoundError:
        return page.render("verify.html", status_code=404, result=None)
    return page.render("verify.html", result=result)


@router.get("/inbox", response_class=HTMLResponse)
def inbox_page(page: CitizenPageDep, session: SessionDep) -> Response:
    assert page.principal is not None
    box = inbox.inbox(session, owner=page.principal.subject)
    views = [
        {
            "id": message.id,
            "case_no": message.case_no,
            "kind": message.kind,
            "title": message.title_zh if page.lang == "zh" else message.title_en,
            "body": message.body_zh if page.lang == "zh" else message.body_en,
            "at": local_time(message.created_at),
            "unread": message.read_at is None,
        }
        for message in box.messages
    ]
    return page.render("inbox.html", messages=views, unread=box.unread)


@router.post("/inbox/{message_id}/read")
def read_message(message_id: RowId, page: CitizenPageDep, session: SessionDep, clock: ClockDep) -> Response:
    assert page.principal is not None
    # Someone else's message is refused like a missing one (the error page), never silently "done".
    inbox.mark_read(session, owner=page.principal.subject, message_id=message_id, now=clock.now())
    return RedirectResponse("/inbox", status_code=303)
