"""Rendering pages: language, elder mode, the signed-in citizen and the CSRF token for every template."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from api.pages.i18n import Lang, translate
from api.sessions import CSRF_FIELD, csrf_matches, csrf_token, session_token
from core.auth import InvalidTokenError, Principal, Role, VerifiedTokens
from core.bounds import multi_line, single_line
from core.calendar import last_day_on_time
from core.identity import IdentityRefusedError, check_principal
from core.privacy import mask_id_no, mask_name, mask_phone
from services.ended_sessions import EndedSessions

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent.parent / "templates")


def due_day(deadline: datetime | None) -> str | None:
    """A deadline as people read it: the last day on time (`{{ item.due_at | due_day }}` in a template)."""
    return last_day_on_time(deadline).isoformat() if deadline else None


TEMPLATES.env.filters.update(mask_id=mask_id_no, mask_name=mask_name, mask_phone=mask_phone, due_day=due_day)
LANG_COOKIE = "onething_lang"
ELDER_COOKIE = "onething_elder"


class SignInRequiredError(Exception):
    """Raised by page dependencies; the app turns it into a redirect to the sign-in page."""

    def __init__(self, next_url: str, signin_path: str = "/signin") -> None:
        self.next_url = next_url
        self.signin_path = signin_path


class CsrfRejectedError(Exception):
    pass


@dataclass
class Page:
    request: Request
    lang: Lang
    elder: bool
    principal: Principal | None
    csrf: str

    def t(self, key: str, **values: Any) -> str:
        text = translate(key, self.lang)
        return text.format(**values) if values else text

    def name(self, names: Any) -> str:
        """A catalogue name ({zh, en} model or dict) in the page's language."""
        data = names if isinstance(names, dict) else names.model_dump()
        return str(data.get(self.lang) or data.get("zh"))

    def render(self, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        return TEMPLATES.TemplateResponse(
            self.request, template, {"page": self, "t": self.t, "name": self.name, **context}, status_code=status_code
        )


def _principal(request: Request, *, on_event_loop: bool = False) -> tuple[Principal | None, str]:
    token = session_token(request)
    if token is None:
        return None, ""
    settings = request.app.state.settings
    tokens: VerifiedTokens = request.app.state.verified_tokens
    try:
        claims = tokens.read(settings.secret_key, token, demo_allowed=settings.environment == "development")
        principal = check_principal(claims.principal)
    except (InvalidTokenError, IdentityRefusedError):
        return None, ""  # not signed in: the page sends the person to sign in again
    ended: EndedSessions = request.app.state.ended_sessions
    if on_event_loop:  # no SQL on the loop: only what the process remembers
        if ended.ended_if_known(principal.subject, claims.issued_at):
            return None, ""
    elif ended.ended_here(principal.subject, claims.issued_at):  # `get_page` runs in the thread pool
        return None, ""
    return principal, csrf_token(request.app.state.settings.secret_key, token)


def get_page(request: Request) -> Page:
    """The request's page: a dependency, run in the thread pool (it may read whether the session was ended)."""
    return _page(request, on_event_loop=False)


def error_page(request: Request) -> Page:
    """The page of an error handler, which runs on the event loop: nothing it does may wait for the database (under
    pool exhaustion it would freeze the process and turn the 503 into a 500)."""
    return _page(request, on_event_loop=True)


def _page(request: Request, *, on_event_loop: bool) -> Page:
    lang = request.cookies.get(LANG_COOKIE, "zh")
    principal, csrf = _principal(request, on_event_loop=on_event_loop)
    return Page(
        request=request,
        lang="en" if lang == "en" else "zh",
        elder=request.cookies.get(ELDER_COOKIE) == "1",
        principal=principal,
        csrf=csrf,
    )


PageDep = Annotated[Page, Depends(get_page)]


def control_characters(page: Page, *, lines: tuple[str, ...] = (), texts: tuple[str, ...] = ()) -> Response | None:
    """An error page when a posted value carries a control character (the rule of core/bounds.py, which the
    JSON API applies through its models), else None: a page that reads its form by hand checks it here."""
    try:
        for line in lines:
            single_line(line)
        for text in texts:
            multi_line(text)
    except ValueError:
        return page.render("error.html", status_code=422, message=page.t("text_control_chars"))
    return None


def current_url(page: Page) -> str:
    query = page.request.url.query
    return page.request.url.path + (f"?{query}" if query else "")


async def check_form_csrf(page: Page) -> None:
    """Form posts authenticated by the session cookie must carry the session's CSRF token."""
    if page.request.method != "POST":
        return
    form = await page.request.form()
    token = session_token(page.request) or ""
    presented = form.get(CSRF_FIELD)
    secret = page.request.app.state.settings.secret_key
    if not csrf_matches(secret, token, presented if isinstance(presented, str) else None):
        raise CsrfRejectedError


async def get_citizen_page(page: PageDep) -> Page:
    """A page only a signed-in citizen may see; form posts must carry the session's CSRF token."""
    if page.principal is None or page.principal.role is not Role.CITIZEN:
        raise SignInRequiredError(current_url(page))
    await check_form_csrf(page)
    return page


async def get_signed_in_page(page: PageDep) -> Page:
    """A page for anyone signed in, citizen or official (e.g. signing out)."""
    if page.principal is None:
        raise SignInRequiredError(current_url(page))
    await check_form_csrf(page)
    return page


CitizenPageDep = Annotated[Page, Depends(get_citizen_page)]
SignedInPageDep = Annotated[Page, Depends(get_signed_in_page)]
