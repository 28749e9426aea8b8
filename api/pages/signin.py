"""Sign-in through OpenID Connect: start the flow, take the provider's callback, sign out.

The browser carries the flow's secrets (state, nonce, PKCE verifier, where to go next) in a short-lived signed
cookie scoped to the callback path, so any API process can finish a flow another one started. After the
provider vouched for the person, they get our own session cookie (api/sessions.py), as before.
"""

from __future__ import annotations

import hmac
import logging
import time
from typing import Annotated, Any

import jwt
from anyio import to_thread
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response

from api.deps import SettingsDep
from api.pages.officials import HOME_BY_ROLE, OFFICIAL_SIGNIN
from api.pages.rendering import SignedInPageDep
from api.params import NextUrl
from api.problems import ProblemError
from api.rate_limits import limited
from api.sessions import end_session, start_session
from core.auth import issue_token
from core.identity import IdentityRefusedError, principal_from_claims
from core.oidc import OidcClient, OidcError
from core.settings import CALLBACK_PATH, Settings
from services.ended_sessions import EndedSessions

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)
FLOW_COOKIE = "onething_signin"
FLOW_SECONDS = 600


def local_path(url: str) -> str:
    """Only paths on this site: `next` must not send anyone to another site after signing in."""
    # "//host" and "/\\host" are other sites to a browser; control characters can split a header.
    if url.startswith("/") and not url.startswith("//") and "\\" not in url and url.isprintable():
        return url
    return "/"


def oidc(request: Request) -> OidcClient:
    client: OidcClient = request.app.state.oidc
    return client


async def start(request: Request, settings: Settings, next_url: str, *, official: bool) -> Response:
    try:
        flow = await oidc(request).authorization_request(**({"kind": "official"} if official else {}))
    except OidcError as error:
        log.warning("sign-in could not start: %s", error.rule)
        raise ProblemError(
            503, "Sign-in unavailable", f"{error.rule}. {error.fix}", rule="signin_unavailable"
        ) from None
    secrets = {
        "state": flow.state,
        "nonce": flow.nonce,
        "verifier": flow.code_verifier,
        "next": local_path(next_url or "/"),
        "official": official,
        "exp": int(time.time()) + FLOW_SECONDS,
    }
    response = RedirectResponse(flow.url, status_code=303)
    response.set_cookie(
        FLOW_COOKIE,
        jwt.encode(secrets, settings.secret_key, algorithm="HS256"),
        max_age=FLOW_SECONDS,
        path=CALLBACK_PATH,
        httponly=True,
        samesite="lax",  # the provider's redirect back is a top-level GET: Lax cookies come along
        secure=settings.environment == "production",
    )
    return response


@router.get("/signin", dependencies=[Depends(limited("signin"))])
async def signin(request: Request, settings: SettingsDep, next: NextUrl = "/") -> Response:
    return await start(request, settings, next, official=False)


@router.get(OFFICIAL_SIGNIN, dependencies=[Depends(limited("signin"))])
async def signin_official(request: Request, settings: SettingsDep, next: NextUrl = "") -> Response:
    return await start(request, settings, next, official=True)


@router.get(CALLBACK_PATH, dependencies=[Depends(limited("signin"))])
async def callback(
    request: Request,
    settings: SettingsDep,
    state: Annotated[str, Query(max_length=512)] = "",
    code: Annotated[str, Query(max_length=4096)] = "",
    error: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    flow = _flow(request, settings)
    if not hmac.compare_digest(str(flow["state"]), state):
        raise ProblemError(
            400,
            "Sign-in state mismatch",
            "This answer is not for the sign-in you started; start again.",
            rule="signin_state_mismatch",
        )
    if error or not code:
        raise ProblemError(
            401, "Sign-in refused", "The identity provider did not sign you in; start again.", rule="signin_refused"
        )
    try:
        claims = await oidc(request).exchange_code(code, code_verifier=str(flow["verifier"]), nonce=str(flow["nonce"]))
        principal = principal_from_claims(claims, settings)
    except OidcError as refused:
        log.warning("sign-in refused: %s", refused.rule)
        raise ProblemError(401, "Sign-in refused", f"{refused.rule}. {refused.fix}", rule="signin_refused") from None
    except IdentityRefusedError as refused:
        log.warning("sign-in refused: %s", refused.rule)
        named: dict[str, Any] = {"rule": refused.key, **refused.values}  # for the page to word it in its language
        raise ProblemError(403, "Not allowed to sign in", f"{refused.rule}. {refused.fix}", **named) from None
    token = issue_token(settings.secret_key, principal, ttl_seconds=settings.session_minutes * 60, source="signin")
    target = str(flow["next"])
    if flow["official"] and target == "/":
        target = HOME_BY_ROLE.get(principal.role, "/")
    log.info("signed in as %s", principal.role.value)  # the role only: no subject, no name
    response = RedirectResponse(local_path(target), status_code=303)
    response.delete_cookie(FLOW_COOKIE, path=CALLBACK_PATH)
    start_session(response, token, max_age=settings.session_minutes * 60, secure=settings.environment == "production")
    return response


def _flow(request: Request, settings: Settings) -> dict[str, Any]:
    cookie = request.cookies.get(FLOW_COOKIE)
    try:
        found: dict[str, Any] = jwt.decode(cookie or "", settings.secret_key, algorithms=["HS256"])
    except jwt.PyJWTError:
        raise ProblemError(
            400,
            "Sign-in expired",
            "The sign-in took too long or began in another browser; start again.",
            rule="signin_expired",
        ) from None
    return found


@router.post("/signout")
async def signout(page: SignedInPageDep, settings: SettingsDep) -> Response:
    """Ends our session (every session of the account, on every device: services/ended_sessions.py), then the
    provider's too when it offers RP-initiated logout."""
    assert page.principal is not None  # a signed-in page
    ended: EndedSessions = page.request.app.state.ended_sessions
    await to_thread.run_sync(ended.end, page.principal.subject)
    origin = settings.redirect_url.removesuffix(CALLBACK_PATH)
    target = await oidc(page.request).end_session_url(f"{origin}/") or "/"
    response = RedirectResponse(target, status_code=303)
    end_session(response)
    return response
