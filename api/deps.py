"""Request dependencies: database session, Temporal client, the calling principal, the catalogue."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Annotated, Any

import jwt
from anyio import to_thread
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlmodel import Session
from temporalio.client import Client

from api.openapi import sends
from api.problems import ProblemError
from api.sessions import CSRF_HEADER, SAFE_METHODS, csrf_matches, session_token
from core.auth import ALGORITHM, InvalidTokenError, Principal, Role, TokenClaims, VerifiedTokens
from core.clock import Clock
from core.identity import IdentityRefusedError, check_principal, principal_from_claims
from core.ids import legacy_workflow_id
from core.oidc import OidcClient, OidcError
from core.settings import Settings
from one_things.catalog import Catalog
from one_things.live import LiveCatalog
from persistence.cases import get_case
from services.case_gateway import CaseGateway, TemporalCaseGateway
from services.ended_sessions import EndedSessions

bearer = HTTPBearer(auto_error=False)


# Dependencies that do no I/O are `async def`: FastAPI runs a plain `def` dependency in the thread pool, and
# each such hop (limiter, queue, wake-up of the event loop) cost more CPU than a whole status read's SQL
# (docs/benchmarks.md, status reads).


async def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


async def get_engine(request: Request) -> Engine:
    """For a read that opens its session inside its handler's one trip through the thread pool: the session
    dependency costs two more trips (open, then commit and close)."""
    engine: Engine = request.app.state.engine
    return engine


def get_session(request: Request) -> Iterator[Session]:
    """The request's one commit point: committed after the handler returns without an error. A handler that calls
    the case engine commits its SQL before each call instead (services/in_thread.py); objects it read stay
    readable after such a commit without another query (expire_on_commit=False), as a query on the event loop
    would block it."""
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        yield session
        session.commit()


@sends(503)
async def get_temporal(request: Request) -> Client:
    client: Client | None = await request.app.state.temporal.get()
    if client is None:
        raise ProblemError(
            503,
            "Service temporarily unavailable",
            "The case engine is not reachable; try again shortly.",
            headers={"Retry-After": "5"},
        )
    return client


@sends(503)
async def get_case_gateway(request: Request) -> CaseGateway:  # async: no I/O, so no hop through the thread pool
    """The way into cases (the app's one gateway, app.py); tests of routers override this dependency with a fake.
    Temporal being down is found when a call is made, so an application is still accepted (services/outbox.py)."""
    cases: CaseGateway = request.app.state.cases
    return cases


def temporal_gateway(app_state: Any) -> TemporalCaseGateway:
    """Built once by the lifespan: calls bounded by `temporal_rpc_seconds`, the client connected on first need."""
    engine = app_state.engine

    async def legacy_ids(case_no: str) -> str | None:
        # Only on a miss: cases started before ids came from the case number alone need their thing's code.
        def lookup() -> str | None:
            with Session(engine) as session:
                found = get_case(session, case_no=case_no)
            return legacy_workflow_id(found[0].thing, case_no) if found else None

        return await asyncio.to_thread(lookup)

    settings: Settings = app_state.settings
    return TemporalCaseGateway(
        app_state.temporal.get,
        settings.task_queue,
        timeout_seconds=settings.temporal_rpc_seconds,
        legacy_ids=legacy_ids,
    )


async def get_catalog(request: Request) -> Catalog:
    """One catalogue for the whole request, even if a definition is published meanwhile."""
    live: LiveCatalog = request.app.state.catalog
    if live.due():  # a look at the folder (and a reload if it changed): file I/O, in the thread pool
        return await to_thread.run_sync(live.current)
    return live.current()  # only returns the catalogue: no I/O, no hop through the thread pool


# 403: a write signed by the session cookie without its CSRF token.
@sends(401, on_writes=(403,))
async def get_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Principal:
    """The caller, from a bearer token or else the browser's session cookie (CSRF-checked on writes).

    A bearer token is ours (HS256: a session, or in development a demo token from `onething token`) or a
    JWT the identity provider signed (checked against its JWKS, issuer, audience and expiry, docs/identity.md).
    """
    settings: Settings = request.app.state.settings
    demo_allowed = settings.environment == "development"
    tokens: VerifiedTokens = request.app.state.verified_tokens
    known: TokenClaims | None = None
    if credentials is not None:
        token = credentials.credentials
        # A token this process verified is ours: no need to parse its header again to know whose checks it takes.
        known = tokens.cached(settings.secret_key, token, demo_allowed=demo_allowed)
        if known is None and not _ours(token):
            return await _provider_principal(request, token)
    elif (cookie := session_token(request)) is not None:
        token = cookie
        if request.method not in SAFE_METHODS and not csrf_matches(
            settings.secret_key, token, request.headers.get(CSRF_HEADER)
        ):
            raise ProblemError(403, "Missing CSRF token", f"Send the page's CSRF token in the {CSRF_HEADER} header.")
    else:
        raise ProblemError(401, "Not signed in", "Send 'Authorization: Bearer <token>' (docs/identity.md).")
    try:
        claims = known or tokens.read(settings.secret_key, token, demo_allowed=demo_allowed)
        principal = check_principal(claims.principal)
    except InvalidTokenError:
        raise ProblemError(401, "Not signed in", "The token is invalid or expired; sign in again.") from None
    except IdentityRefusedError as error:
        raise ProblemError(401, "Not signed in", f"{error.rule}. {error.fix}") from None
    ended: EndedSessions = request.app.state.ended_sessions
    if await ended.ended(principal.subject, claims.issued_at):
        raise ProblemError(
            401, "Not signed in", "This session was ended (signed out, or ended by an operator); sign in again."
        )
    return principal


def _ours(token: str) -> bool:
    """Our tokens are HS256; anything else (RS256, ES256… and `none`) goes to the provider's checks."""
    try:
        return jwt.get_unverified_header(token).get("alg") == ALGORITHM
    except jwt.PyJWTError:
        return True  # not a JWT at all: our reader refuses it with the usual answer


async def _provider_principal(request: Request, token: str) -> Principal:
    oidc: OidcClient = request.app.state.oidc
    try:
        return principal_from_claims(await oidc.validate_bearer(token), request.app.state.settings)
    except OidcError as error:
        raise ProblemError(401, "Not signed in", f"{error.rule}. {error.fix}") from None
    except IdentityRefusedError as error:
        raise ProblemError(401, "Not signed in", f"{error.rule}. {error.fix}") from None


def require(*roles: Role):  # type: ignore[no-untyped-def]
    @sends(403)
    async def check(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        if principal.role not in roles:
            allowed = ", ".join(role.value for role in roles)
            raise ProblemError(403, "Not allowed", f"This needs one of the roles: {allowed}.")
        return principal

    return check


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
EngineDep = Annotated[Engine, Depends(get_engine)]
ClockDep = Annotated[Clock, Depends(get_clock)]
# scope="function": the commit runs when the handler returns, before the response is sent. With the default
# scope it ran after the response, so a client could be told "claimed" or "accepted" before the row existed
# (a second claim sent at once then met the first one's insert: a 500), or at all, had the commit failed.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
TemporalDep = Annotated[Client, Depends(get_temporal)]
CaseGatewayDep = Annotated[CaseGateway, Depends(get_case_gateway)]
CatalogDep = Annotated[Catalog, Depends(get_catalog)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
# Citizens only: a supervisor or staff token never acts as a citizen (roles never widen one another).
CitizenDep = Annotated[Principal, Depends(require(Role.CITIZEN))]
StaffDep = Annotated[Principal, Depends(require(Role.STAFF))]
ClerkDep = Annotated[Principal, Depends(require(Role.CLERK))]
