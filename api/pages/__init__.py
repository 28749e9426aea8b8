"""The HTML pages (Jinja2, served by the API process): citizens' journey first, mobile first, no CDN."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from api.pages import (
    citizen,
    counter,
    data_access,
    feedback,
    figures,
    public,
    signin,
    staff,
    stats,
    supervision,
    wallet,
)
from api.pages.messages import problem_message, rules_broken
from api.pages.rendering import CsrfRejectedError, SignInRequiredError, error_page
from api.problems import ProblemError

STATIC_DIR = Path(__file__).parent.parent / "static"


def install_pages(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(public.router)
    app.include_router(citizen.router)
    app.include_router(feedback.router)
    app.include_router(wallet.router)
    app.include_router(data_access.router)
    app.include_router(signin.router)
    app.include_router(supervision.router)
    app.include_router(staff.router)
    app.include_router(counter.router)
    app.include_router(stats.router)
    app.include_router(figures.router)

    @app.exception_handler(SignInRequiredError)
    async def _sign_in(_request: Request, error: SignInRequiredError) -> Response:
        return RedirectResponse(f"{error.signin_path}?{urlencode({'next': error.next_url})}", status_code=303)

    @app.exception_handler(CsrfRejectedError)
    async def _csrf(request: Request, _error: CsrfRejectedError) -> Response:
        page = error_page(request)
        return page.render("error.html", status_code=403, message=page.t("page_expired"))


PROGRAM_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
"""Outside /api/ but read by probes and scrapers, never by a person: their problems stay problem+json."""


def problem_page(request: Request, error: ProblemError) -> Response | None:
    """A problem on a page request as an error page (with the problem's headers, e.g. Retry-After)."""
    if request.url.path.startswith("/api/") or request.url.path in PROGRAM_PATHS:
        return None
    page = error_page(request)
    message = problem_message(page, error.status, error.extra.get("rule"), error.extra)
    if error.errors and not error.extra.get("rule"):  # a refusal says which rule, not only that one was broken
        message = " ".join([message, *rules_broken(page, error.errors)])
    response = page.render("error.html", status_code=error.status, message=message)
    response.headers.update(error.headers)
    return response
