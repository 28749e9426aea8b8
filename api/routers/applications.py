"""The citizen's applications: submit once, follow one case number, supplement, withdraw."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from api.deps import CaseGatewayDep, CatalogDep, CitizenDep, ClockDep, EngineDep, SessionDep, SettingsDep
from api.openapi import problems
from api.params import CaseNo, IdempotencyKey
from api.schemas import ApplicationAccepted, CaseSummary, SupplementIn, WithdrawIn
from core.bounds import SingleLine
from services.cases import (
    STARTING,
    CaseView,
    case_list,
    case_status,
    case_view,
    send_supplement,
    shown_status,
    withdraw_case,
)
from services.errors import ConflictError, InvalidError, NotAllowedError, NotFoundError, TooManyError
from services.submission import ApplicationIn, accept
from workflows.contracts import CaseStatus

router = APIRouter(prefix="/applications", tags=["applications"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ApplicationAccepted,
    responses=problems(InvalidError, NotAllowedError, TooManyError),
)
async def submit_application(
    clock: ClockDep,
    body: ApplicationIn,
    response: Response,
    principal: CitizenDep,
    session: SessionDep,
    cases: CaseGatewayDep,
    settings: SettingsDep,
    catalog: CatalogDep,
    idempotency_key: IdempotencyKey = None,
) -> ApplicationAccepted:
    accepted = await accept(
        session=session,
        cases=cases,
        settings=settings,
        catalog=catalog,
        caller=principal.subject,
        idempotency_key=idempotency_key,
        body=body,
        now=clock.now(),
    )
    if not accepted.created:
        response.status_code = status.HTTP_200_OK
    response.headers["Location"] = f"/api/v1/applications/{accepted.case_no}"
    return ApplicationAccepted(
        case_no=accepted.case_no,
        thing=body.thing,
        status=CaseStatus.RUNNING if accepted.started else STARTING,
        included=accepted.plan.included,
        links={"self": f"/api/v1/applications/{accepted.case_no}"},
    )


@router.get("", response_model=list[CaseSummary], responses=problems(NotAllowedError))
def my_applications(
    principal: CitizenDep,
    session: SessionDep,
    clock: ClockDep,
    on_behalf_of: Annotated[SingleLine | None, Query(max_length=128, description="An account you act for")] = None,
) -> list[CaseSummary]:
    """My cases (those an agent filed for me too, `acted_by` naming the agent); with `on_behalf_of`, the cases of
    an account I act for that my authority covers."""
    cases = case_list(session, principal=principal, on_behalf_of=on_behalf_of, now=clock.now())
    return [
        CaseSummary(
            case_no=case.case_no,
            thing=case.thing,
            status=shown_status(case),
            accepted_at=case.accepted_at,
            finished_at=case.finished_at,
            acted_by=case.acted_by,
        )
        for case in cases
    ]


@router.get("/{case_no}", response_model=CaseView, responses=problems(NotFoundError))
def get_application(
    case_no: CaseNo, principal: CitizenDep, engine: EngineDep, catalog: CatalogDep, clock: ClockDep
) -> Response:
    # The most frequent request (a citizen following a case): it commits nothing, so it reads through a connection
    # opened here, in the handler's one trip through the thread pool, not by the session dependency.
    with engine.connect() as connection:
        view = case_status(connection, principal, case_no, now=clock.now(), catalog=catalog)
    # The view is a CaseView the service built and validated from our own rows: its JSON is sent as it is, so
    # FastAPI does not dump it to a dict, validate that against `response_model` again and serialise it a second
    # time (~13 % of a read's CPU: docs/benchmarks.md). `response_model` still declares it in the OpenAPI document.
    return Response(view.model_dump_json(), media_type="application/json")


@router.post(
    "/{case_no}/supplements",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=CaseView,
    responses=problems(NotFoundError, ConflictError, InvalidError),
)
async def supplement(
    clock: ClockDep,
    case_no: CaseNo,
    body: SupplementIn,
    principal: CitizenDep,
    session: SessionDep,
    cases: CaseGatewayDep,
    catalog: CatalogDep,
    settings: SettingsDep,
) -> CaseView:
    case, items = await send_supplement(
        session=session,
        cases=cases,
        catalog=catalog,
        principal=principal,
        case_no=case_no,
        item_code=body.item_code,
        form=body.form,
        now=clock.now(),
        note=body.note,
        materials=body.materials,
        max_material_bytes=settings.material_max_bytes,
    )
    return case_view(catalog, case, items)


@router.post(
    "/{case_no}/withdraw",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=CaseView,
    responses=problems(NotFoundError, ConflictError),
)
async def withdraw(
    clock: ClockDep,
    case_no: CaseNo,
    principal: CitizenDep,
    session: SessionDep,
    cases: CaseGatewayDep,
    catalog: CatalogDep,
    body: WithdrawIn | None = None,
) -> CaseView:
    reason = (body or WithdrawIn()).reason
    case, items = await withdraw_case(
        session=session, cases=cases, principal=principal, case_no=case_no, reason=reason, now=clock.now()
    )
    return case_view(catalog, case, items)
