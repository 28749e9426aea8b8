"""The demo provider's endpoints under /demo-idp: discovery, JWKS, the authorize page (the demo picker),
the token endpoint and logout. Mounted only in development without ONETHING_OIDC_ISSUER (api/app.py)."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any
from urllib.parse import unquote, urlencode, urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlmodel import Session

from api.demo_idp.provider import DemoAccount, DemoIdpError, DemoProvider
from api.deps import CatalogDep, SessionDep
from api.pages.officials import demo_officials
from api.pages.rendering import PageDep
from core.settings import DEMO_IDP_PATH
from one_things.catalog import Catalog
from persistence.enterprises import list_demo_enterprises
from persistence.register import list_demo_citizens

router = APIRouter(prefix=DEMO_IDP_PATH, include_in_schema=False)
AUTHORIZE_PARAMS = (
    "response_type", "client_id", "redirect_uri", "scope", "state", "nonce", "code_challenge",
    "code_challenge_method", "kind",
)  # fmt: skip


def provider(request: Request) -> DemoProvider:
    found: DemoProvider = request.app.state.demo_idp
    return found


def accounts(session: Session, catalog: Catalog, *, officials: bool) -> list[DemoAccount]:
    if officials:
        return [DemoAccount(o.subject, o.role.value, o.department) for o in demo_officials(catalog)]
    people = [c.subject for c in list_demo_citizens(session)] + [e.subject for e in list_demo_enterprises(session)]
    return [DemoAccount(subject, "citizen") for subject in people]


@router.get("/.well-known/openid-configuration")
def discovery(request: Request) -> dict[str, Any]:
    return provider(request).metadata()


@router.get("/jwks")
def jwks(request: Request) -> dict[str, Any]:
    return provider(request).jwks()


@router.get("/authorize", response_class=HTMLResponse)
def authorize_page(page: PageDep, session: SessionDep, catalog: CatalogDep) -> Response:
    params = {k: v for k, v in page.request.query_params.items() if k in AUTHORIZE_PARAMS}
    try:
        provider(page.request).check_authorization(params)
    except DemoIdpError:
        # The OAuth error code and description are the program's; the person reads what to do.
        return page.render("error.html", status_code=400, message=page.t("idp_refused"))
    if params.get("kind") == "official":
        return page.render("signin_official.html", officials=demo_officials(catalog), hidden=params)
    citizens, enterprises = list_demo_citizens(session), list_demo_enterprises(session)
    return page.render("signin.html", citizens=citizens, enterprises=enterprises, hidden=params)


@router.post("/authorize")
async def authorize(
    request: Request, session: SessionDep, catalog: CatalogDep, subject: Annotated[str, Form(max_length=128)]
) -> Response:
    form = await request.form()
    params = {k: str(v) for k, v in form.items() if k in AUTHORIZE_PARAMS}
    idp = provider(request)
    try:
        idp.check_authorization(params)
    except DemoIdpError as error:
        return JSONResponse({"error": error.error, "error_description": error.description}, status_code=400)
    known = accounts(session, catalog, officials=params.get("kind") == "official")
    account = next((a for a in known if a.subject == subject), None)
    if account is None:  # only the listed demo accounts, never a subject typed into the form
        query = {"error": "access_denied", "state": params.get("state", "")}
    else:
        query = {"code": idp.issue_code(account, params), "state": params.get("state", "")}
    return RedirectResponse(f"{params['redirect_uri']}?{urlencode(query)}", status_code=303)


@router.post("/token")
async def token(request: Request) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    client_id, client_secret = _client_credentials(request, form)
    try:
        answer = provider(request).redeem(form, client_id, client_secret)
    except DemoIdpError as error:
        status = 401 if error.error == "invalid_client" else 400
        return JSONResponse({"error": error.error, "error_description": error.description}, status_code=status)
    return JSONResponse(answer, headers={"Cache-Control": "no-store"})


@router.get("/logout")
def logout(request: Request, post_logout_redirect_uri: str = "") -> Response:
    """RP-initiated logout: back only to the registered client's own site, never elsewhere."""
    registered = urlsplit(provider(request).settings.redirect_url)
    target = urlsplit(post_logout_redirect_uri)
    same_site = (target.scheme, target.netloc) == (registered.scheme, registered.netloc)
    return RedirectResponse(post_logout_redirect_uri if same_site else "/", status_code=303)


def _client_credentials(request: Request, form: dict[str, str]) -> tuple[str | None, str | None]:
    header = request.headers.get("Authorization", "")
    if header.startswith("Basic "):
        try:
            decoded = base64.b64decode(header[6:], validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None, None
        client_id, _, secret = decoded.partition(":")
        return unquote(client_id), unquote(secret)
    return form.get("client_id"), form.get("client_secret")
