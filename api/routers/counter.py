"""The counter (一窗受理) for window clerks: verify the citizen, record their consent, file for them, the receipt."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from api.deps import CaseGatewayDep, CatalogDep, ClerkDep, ClockDep, SessionDep, SettingsDep
from api.openapi import problems
from api.params import CaseNo, IdempotencyKey, OpaqueId
from api.schemas import ApplicationAccepted
from services.cases import STARTING
from services.counter import (
    CONSENT_TEXT,
    ConsentIn,
    ConsentText,
    CounterApplicationIn,
    Receipt,
    VerificationIn,
    VisitView,
    consent,
    receipt,
    submit,
    verify,
    visit_view,
)
from services.errors import ConflictError, InvalidError, NotAllowedError, NotFoundError, TooManyError
from workflows.contracts import CaseStatus

router = APIRouter(prefix="/counter", tags=["counter"])


@router.get("/consent", response_model=ConsentText)
def consent_text(clerk: ClerkDep) -> ConsentText:
    """The text the citizen agrees to, in both languages; the one shown is stored with the consent."""
    return ConsentText(**CONSENT_TEXT)


@router.post(
    "/verifications",
    status_code=status.HTTP_201_CREATED,
    response_model=VisitView,
    responses=problems(InvalidError),
)
def verify_identity(body: VerificationIn, clerk: ClerkDep, session: SessionDep, clock: ClockDep) -> VisitView:
    """Opens a visit when the ID number and name match the population register (422 `identity_mismatch`
    otherwise, without saying which part differs)."""
    return verify(session, clerk=clerk, body=body, now=clock.now())


@router.get("/verifications/{visit}", response_model=VisitView, responses=problems(NotFoundError, ConflictError))
def get_visit(visit: OpaqueId, clerk: ClerkDep, session: SessionDep, clock: ClockDep) -> VisitView:
    return visit_view(session, clerk=clerk, visit_id=visit, now=clock.now())


@router.post(
    "/verifications/{visit}/consent",
    response_model=VisitView,
    responses=problems(NotFoundError, ConflictError, InvalidError),
)
def record_consent(
    visit: OpaqueId, body: ConsentIn, clerk: ClerkDep, session: SessionDep, clock: ClockDep
) -> VisitView:
    return consent(session, clerk=clerk, visit_id=visit, body=body, now=clock.now())


@router.post(
    "/applications",
    status_code=status.HTTP_201_CREATED,
    response_model=ApplicationAccepted,
    responses=problems(NotFoundError, ConflictError, InvalidError, NotAllowedError, TooManyError),
)
async def file_for_citizen(
    body: CounterApplicationIn,
    response: Response,
    clerk: ClerkDep,
    session: SessionDep,
    cases: CaseGatewayDep,
    settings: SettingsDep,
    catalog: CatalogDep,
    clock: ClockDep,
    idempotency_key: IdempotencyKey = None,
) -> ApplicationAccepted:
    """Files the application for the visit's citizen: the case is theirs, `acted_by` the clerk, channel
    `counter`; who may apply is checked for the citizen (403 naming the rule), consent first (403
    `consent_missing`)."""
    accepted = await submit(
        session=session,
        cases=cases,
        settings=settings,
        catalog=catalog,
        clerk=clerk,
        body=body,
        idempotency_key=idempotency_key,
        now=clock.now(),
    )
    if not accepted.created:
        response.status_code = status.HTTP_200_OK
    return ApplicationAccepted(
        case_no=accepted.case_no,
        thing=body.thing,
        status=CaseStatus.RUNNING if accepted.started else STARTING,
        included=accepted.plan.included,
        links={"receipt": f"/api/v1/counter/applications/{accepted.case_no}/receipt"},
    )


@router.get("/applications/{case_no}/receipt", response_model=Receipt, responses=problems(NotFoundError))
def get_receipt(
    case_no: CaseNo,
    clerk: ClerkDep,
    session: SessionDep,
    catalog: CatalogDep,
    clock: ClockDep,
    lang: Annotated[str, Query(pattern="^(zh|en)$")] = "zh",
) -> Receipt:
    return receipt(session, clerk=clerk, catalog=catalog, case_no=case_no, lang=lang, now=clock.now())
