"""The citizen's "who viewed my data" page: the personal-data access log of their own cases (PIPL)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from api.deps import CatalogDep, SessionDep
from api.pages.case_view import local_time
from api.pages.rendering import CitizenPageDep
from api.pages.supervision import Labels
from services.audit import my_data_access

router = APIRouter(include_in_schema=False)


@router.get("/data-access", response_class=HTMLResponse)
def data_access_page(page: CitizenPageDep, session: SessionDep, catalog: CatalogDep) -> Response:
    assert page.principal is not None
    reads = my_data_access(session, page.principal).entries
    return page.render("data_access.html", reads=reads, label=Labels(page, catalog), moment=local_time)
