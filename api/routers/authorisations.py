"""Authorisations: 代办 (a resident for another person) and 法人授权 (an enterprise for an employee)."""

from __future__ import annotations

from fastapi import APIRouter, status

from api.deps import CatalogDep, CitizenDep, ClockDep, SessionDep
from api.openapi import problems
from api.params import OpaqueId
from services.authority import AuthorisationIn, AuthorisationList, AuthorisationView, authorisations_of, grant
from services.authority import withdraw_authority as revoke_authority
from services.errors import InvalidError, NotAllowedError, NotFoundError

router = APIRouter(prefix="/authorisations", tags=["authorisations"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=AuthorisationView,
    responses=problems(InvalidError, NotAllowedError),
)
def create_authorisation(
    body: AuthorisationIn, principal: CitizenDep, session: SessionDep, catalog: CatalogDep, clock: ClockDep
) -> AuthorisationView:
    """A resident authorises another person for one case or one one-thing until `valid_until`; an enterprise's
    account (its legal representative) authorises an employee for the named one-things."""
    return grant(session, catalog=catalog, grantor=principal, body=body, now=clock.now())


@router.get("", response_model=AuthorisationList)
def my_authorisations(principal: CitizenDep, session: SessionDep, clock: ClockDep) -> AuthorisationList:
    """Those I gave and those given to me, each with its status (active, pending, expired, revoked)."""
    return authorisations_of(session, subject=principal.subject, now=clock.now())


@router.post("/{authorisation_id}/revoke", response_model=AuthorisationView, responses=problems(NotFoundError))
def revoke(
    authorisation_id: OpaqueId, principal: CitizenDep, session: SessionDep, clock: ClockDep
) -> AuthorisationView:
    """Ends it at once: the agent's next action is refused. Only the account that gave it may revoke it."""
    return revoke_authority(session, grantor=principal, authorisation_id=authorisation_id, now=clock.now())
