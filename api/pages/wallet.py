"""统一发证 and the inbox as pages: the e-licence wallet with QR codes, public verification, messages."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from api.deps import CatalogDep, SessionDep
from api.licence_views import licence_view, qr_svg, verification_view, verify_page_path
from api.pages.case_view import local_day, local_time
from api.pages.rendering import CitizenPageDep, PageDep
from persistence.licences import by_verification_code, list_licences
from persistence.messages import list_inbox, mark_read

router = APIRouter(include_in_schema=False)


@router.get("/wallet", response_class=HTMLResponse)
def wallet_page(page: CitizenPageDep, session: SessionDep, catalog: CatalogDep) -> Response:
    assert page.principal is not None
    now = datetime.now(UTC)
    base = str(page.request.base_url).rstrip("/")
    licences = []
    for licence in list_licences(session, holder=page.principal.subject):
        view = licence_view(catalog, licence, now=now)
        # The SVG is drawn here, from our own segno output: safe to inline, and no image request per licence.
        svg = qr_svg(base + verify_page_path(licence.verification_code)).decode()
        licences.append(
            {
                **view.model_dump(),
                "issued": local_day(view.issued_at),
                "expires": local_day(view.expires_at),
                "verify": verify_page_path(licence.verification_code),
                "qr": Markup(svg[svg.index("<svg") :]),  # noqa: S704 - our own SVG, no user input in it
            }
        )
    return page.render("wallet.html", licences=licences)


@router.get("/verify/{code}", response_class=HTMLResponse)
def verify_page(code: str, page: PageDep, session: SessionDep, catalog: CatalogDep) -> Response:
    """Public: anyone holding the QR code can check the licence; it shows no personal data."""
    licence = by_verification_code(session, code=code)
    if licence is None:
        return page.render("verify.html", status_code=404, result=None)
    return page.render("verify.html", result=verification_view(catalog, licence, now=datetime.now(UTC)))


@router.get("/inbox", response_class=HTMLResponse)
def inbox_page(page: CitizenPageDep, session: SessionDep) -> Response:
    assert page.principal is not None
    messages, unread = list_inbox(session, owner=page.principal.subject)
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
        for message in messages
    ]
    return page.render("inbox.html", messages=views, unread=unread)


@router.post("/inbox/{message_id}/read")
def read_message(message_id: int, page: CitizenPageDep, session: SessionDep) -> Response:
    assert page.principal is not None
    mark_read(session, owner=page.principal.subject, message_id=message_id)
    return RedirectResponse("/inbox", status_code=303)
