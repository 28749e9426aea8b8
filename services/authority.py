"""Who may act for whom: 代办 (a resident authorises another person for one case or one one-thing, for a
period) and 法人授权 (an enterprise's legal representative authorises an employee for named one-things).

Authority is checked at the moment of every action, so a revoked or expired authorisation stops the agent
at once. Refusals name the rule (`rule`) and the fix; they never carry names or ID numbers.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field
from sqlmodel import Session

from core.auth import Principal
from core.bounds import Code, Instant, SingleLine
from one_things.catalog import Catalog
from one_things.schema import ApplicantKind, OneThing
from persistence.authorisations import (
    Authorisation,
    AuthorityKind,
    active_between,
    add_authorisation,
    any_between,
    get_authorisation,
    list_authorisations,
    revoke,
)
from persistence.cases import get_case
from persistence.enterprises import get_enterprise
from persistence.register import get_resident
from persistence.tables import CaseRecord
from services.errors import InvalidError, NotAllowedError, NotFoundError

LONGEST_PERSONAL = timedelta(days=366)
"""代办 is for a period: at most a year, then the citizen authorises again."""


class AuthorisationIn(BaseModel):
    agent: SingleLine = Field(min_length=1, max_length=128, description="The account id of the person authorised")
    things: list[Code] = Field(
        default_factory=list,
        max_length=50,
        description="One-thing codes covered: exactly one for a resident's 代办 (or none with case_no), one or more "
        "for an enterprise's 法人授权",
    )
    case_no: SingleLine | None = Field(default=None, max_length=40, description="代办 for this one case of yours only")
    valid_from: Instant | None = Field(default=None, description="Default: now")
    valid_until: Instant | None = Field(
        default=None, description="End of the period; required for 代办 (at most a year), optional for 法人授权"
    )


class AuthorisationView(BaseModel):
    id: str
    kind: AuthorityKind
    principal: str
    """The account acted for."""
    principal_name: str
    agent: str
    agent_name: str
    things: list[str]
    case_no: str | None
    valid_from: datetime
    valid_until: datetime | None
    revoked_at: datetime | None
    status: Literal["active", "pending", "expired", "revoked"]


class AuthorisationList(BaseModel):
    granted: list[AuthorisationView]
    """Authorisations this account gave."""
    received: list[AuthorisationView]
    """Authorisations given to this account: whom it may act for."""


def _status(authorisation: Authorisation, now: datetime) -> Literal["active", "pending", "expired", "revoked"]:
    if authorisation.revoked_at is not None:
        return "revoked"
    if authorisation.valid_until is not None and now >= authorisation.valid_until:
        return "expired"
    return "pending" if now < authorisation.valid_from else "active"


def display_name(session: Session, subject: str) -> str:
    """The name the register holds for an account, shown only to the two parties of an authorisation."""
    resident = get_resident(session, subject=subject)
    if resident is not None:
        return resident.name
    enterprise = get_enterprise(session, subject=subject)
    return enterprise.name if enterprise is not None else ""


def authorisation_view(session: Session, authorisation: Authorisation, now: datetime) -> AuthorisationView:
    return AuthorisationView(
        id=authorisation.id,
        kind=AuthorityKind(authorisation.kind),
        principal=authorisation.principal,
        principal_name=display_name(session, authorisation.principal),
        agent=authorisation.agent,
        agent_name=display_name(session, authorisation.agent),
        things=list(authorisation.things),
        case_no=authorisation.case_no,
        valid_from=authorisation.valid_from,
        valid_until=authorisation.valid_until,
        revoked_at=authorisation.revoked_at,
        status=_status(authorisation, now),
    )


def _invalid(field: str, message: str) -> InvalidError:
    return InvalidError(f"Please correct: {field}. Nothing was saved.", [{"field": field, "message": message}])


def _thing(catalog: Catalog, code: str, index: int, kind: ApplicantKind) -> OneThing:
    try:
        thing = catalog.get(code)
    except KeyError:
        raise _invalid(f"things.{index}", "unknown one-thing; see GET /api/v1/things") from None
    if thing.applicant is not kind:
        raise _invalid(f"things.{index}", f"this one-thing is for applicants of kind {thing.applicant.value}")
    if not thing.may_apply.agents:
        raise _invalid(f"things.{index}", "this one-thing may only be applied for in person, not by an agent")
    return thing


def grant(
    session: Session, *, catalog: Catalog, grantor: Principal, body: AuthorisationIn, now: datetime
) -> AuthorisationView:
    """A new authorisation from the signed-in resident (代办) or enterprise (法人授权)."""
    enterprise = get_enterprise(session, subject=grantor.subject)
    if enterprise is None and get_resident(session, subject=grantor.subject) is None:
        raise NotAllowedError(
            "Only an account in the population or enterprise register can authorise someone.",
            title="Cannot authorise",
            rule="grantor_not_registered",
        )
    if body.agent == grantor.subject or get_resident(session, subject=body.agent) is None:
        raise _invalid("agent", "not another resident's account id; ask the person for the id they sign in with")
    valid_from = body.valid_from or now
    if body.valid_until is not None and body.valid_until <= max(valid_from, now):
        raise _invalid("valid_until", "must be after the start of the period and in the future")
    kind = ApplicantKind.LEGAL_PERSON if enterprise is not None else ApplicantKind.PERSON
    for index, code in enumerate(body.things):
        _thing(catalog, code, index, kind)
    if enterprise is not None:
        authority = AuthorityKind.LEGAL_PERSON
        if body.case_no is not None or not body.things:
            raise _invalid("things", "name the one-things the employee may handle for the enterprise (no case_no)")
    else:
        authority = AuthorityKind.PERSONAL
        _check_personal(session, catalog, grantor, body, valid_from)
    authorisation = Authorisation(
        kind=authority.value,
        principal=grantor.subject,
        agent=body.agent,
        things=list(dict.fromkeys(body.things)),
        case_no=body.case_no,
        valid_from=valid_from,
        valid_until=body.valid_until,
        created_at=now,
    )
    return authorisation_view(session, add_authorisation(session, authorisation), now)


def _check_personal(
    session: Session, catalog: Catalog, grantor: Principal, body: AuthorisationIn, valid_from: datetime
) -> None:
    if (body.case_no is None) == (len(body.things) != 1):
        raise _invalid("things", "a 代办 covers exactly one one-thing, or one case (case_no) and no things")
    if body.case_no is not None:
        found = get_case(session, case_no=body.case_no)
        if found is None or found[0].owner != grantor.subject:
            raise _invalid("case_no", "not a case of yours; see GET /api/v1/applications")
        _thing(catalog, found[0].thing, 0, ApplicantKind.PERSON)
    if body.valid_until is None or body.valid_until - valid_from > LONGEST_PERSONAL:
        raise _invalid("valid_until", "a 代办 is for a period of at most a year: give its end")


def authorisations_of(session: Session, *, subject: str, now: datetime) -> AuthorisationList:
    rows = list_authorisations(session, subject=subject)
    return AuthorisationList(
        granted=[authorisation_view(session, a, now) for a in rows if a.principal == subject],
        received=[authorisation_view(session, a, now) for a in rows if a.agent == subject],
    )


def withdraw_authority(
    session: Session, *, grantor: Principal, authorisation_id: str, now: datetime
) -> AuthorisationView:
    """Revoked at once; only the account that gave it may revoke it (to anyone else it does not exist)."""
    authorisation = get_authorisation(session, authorisation_id=authorisation_id)
    if authorisation is None or authorisation.principal != grantor.subject:
        raise NotFoundError(f"No authorisation {authorisation_id} given by this account.")
    return authorisation_view(session, revoke(session, authorisation=authorisation, now=now), now)


def _covers(authorisation: Authorisation, *, thing: str, case_no: str | None) -> bool:
    if authorisation.case_no is not None:
        return case_no is not None and authorisation.case_no == case_no
    return thing in authorisation.things


def check_filing(session: Session, *, agent: str, principal: str, thing: OneThing, now: datetime) -> None:
    """The agent may file a new application of `thing` for `principal`; else NotAllowedError naming the rule."""
    if not thing.may_apply.agents:
        raise NotAllowedError(
            "This one-thing may only be applied for by the applicant themself: they sign in with their own account.",
            title="No agents for this one-thing",
            rule="agents_not_allowed",
        )
    active = active_between(session, principal=principal, agent=agent, now=now)
    if any(_covers(a, thing=thing.code, case_no=None) for a in active):
        return
    if active:
        raise NotAllowedError(
            f"Your authority from this account does not cover the one-thing {thing.code}. "
            "Ask them to authorise you for it.",
            title="No authority for this one-thing",
            rule="authority_other_scope",
        )
    raise _no_authority(session, principal=principal, agent=agent)


def _no_authority(session: Session, *, principal: str, agent: str) -> NotAllowedError:
    if any_between(session, principal=principal, agent=agent):
        return NotAllowedError(
            "Your authority to act for this account was revoked or has expired. Ask them to authorise you again.",
            title="Authority ended",
            rule="authority_ended",
        )
    return NotAllowedError(
        "You are not authorised to act for this account. They can authorise you under POST /api/v1/authorisations "
        "(or on their authorisations page).",
        title="Not authorised",
        rule="no_authority",
    )


def may_act_on_case(session: Session, *, agent: str, case: CaseRecord, now: datetime) -> bool:
    """Whether `agent` acts for the case's owner, for this case or its one-thing, right now."""
    active = active_between(session, principal=case.owner, agent=agent, now=now)
    return any(_covers(a, thing=case.thing, case_no=case.case_no) for a in active)


def principals_of(session: Session, *, agent: str, now: datetime) -> dict[str, list[str]]:
    """Whom the agent may file for now, and for which one-things (case-only authority files nothing new)."""
    found: dict[str, list[str]] = {}
    for authorisation in list_authorisations(session, subject=agent):
        if authorisation.agent != agent or _status(authorisation, now) != "active" or authorisation.case_no:
            continue
        found.setdefault(authorisation.principal, []).extend(authorisation.things)
    return found
