"""The citizen's applications: submit once, follow one case number, supplement, withdraw."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Response, status
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError

from api.case_access import case_view, load_case
from api.deps import CatalogDep, CitizenDep, SessionDep, SettingsDep, TemporalDep
from api.problems import ProblemError, invalid_input
from api.schemas import ApplicationAccepted, ApplicationIn, CaseSummary, CaseView, SupplementIn, WithdrawIn
from api.submission import accept, today_local
from core.ids import workflow_id
from one_things.forms import validate_fields
from persistence.cases import list_cases
from workflows.bundle import OneThingWorkflow
from workflows.contracts import Supplement, Withdrawal

router = APIRouter(prefix="/applications", tags=["applications"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ApplicationAccepted)
async def submit_application(
    body: ApplicationIn,
    response: Response,
    principal: CitizenDep,
    session: SessionDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    catalog: CatalogDep,
    idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
) -> ApplicationAccepted:
    case_no, plan, created = await accept(
        session=session,
        temporal=temporal,
        settings=settings,
        catalog=catalog,
        owner=principal.subject,
        idempotency_key=idempotency_key,
        body=body,
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    response.headers["Location"] = f"/api/v1/applications/{case_no}"
    return ApplicationAccepted(
        case_no=case_no,
        thing=body.thing,
        status="running",
        included=plan.included,
        links={"self": f"/api/v1/applications/{case_no}"},
    )


@router.get("", response_model=list[CaseSummary])
def my_applications(principal: CitizenDep, session: SessionDep) -> list[CaseSummary]:
    return [
        CaseSummary(
            case_no=case.case_no,
            thing=case.thing,
            status=case.status,
            accepted_at=case.accepted_at,
            finished_at=case.finished_at,
        )
        for case in list_cases(session, owner=principal.subject)
    ]


@router.get("/{case_no}", response_model=CaseView)
def get_application(case_no: str, principal: CitizenDep, session: SessionDep, catalog: CatalogDep) -> CaseView:
    case, items = load_case(session, principal, case_no)
    return case_view(catalog, case, items)


@router.post("/{case_no}/supplements", status_code=status.HTTP_202_ACCEPTED, response_model=CaseView)
async def supplement(
    case_no: str,
    body: SupplementIn,
    principal: CitizenDep,
    session: SessionDep,
    temporal: TemporalDep,
    catalog: CatalogDep,
) -> CaseView:
    case, items = load_case(session, principal, case_no)
    form, problems = validate_fields(catalog.get(case.thing), body.form, today=today_local())
    if problems:
        raise invalid_input([problem.model_dump() for problem in problems])
    handle = temporal.get_workflow_handle(workflow_id(case.thing, case_no))
    message = Supplement(item_code=body.item_code, form=form, note=body.note)
    await _update(handle.execute_update(OneThingWorkflow.supplement, message), case_no)
    return case_view(catalog, case, items)


@router.post("/{case_no}/withdraw", status_code=status.HTTP_202_ACCEPTED, response_model=CaseView)
async def withdraw(
    case_no: str,
    principal: CitizenDep,
    session: SessionDep,
    temporal: TemporalDep,
    catalog: CatalogDep,
    body: WithdrawIn | None = None,
) -> CaseView:
    case, items = load_case(session, principal, case_no)
    handle = temporal.get_workflow_handle(workflow_id(case.thing, case_no))
    await _update(
        handle.execute_update(OneThingWorkflow.withdraw, Withdrawal(reason=(body or WithdrawIn()).reason)), case_no
    )
    return case_view(catalog, case, items)


async def _update(call, case_no: str):  # type: ignore[no-untyped-def]
    """Runs a workflow update; a refusal by the workflow becomes a 409 the citizen can understand."""
    try:
        return await call
    except WorkflowUpdateFailedError as error:
        detail = str(error.cause.message if hasattr(error.cause, "message") else error.cause)
        raise ProblemError(409, "Not possible now", detail, case_no=case_no) from None
    except RPCError as error:
        if "not found" in str(error).lower() or "completed" in str(error).lower():
            raise ProblemError(409, "Not possible now", f"Case {case_no} is already finished.") from None
        raise ProblemError(
            503, "Service temporarily unavailable", "The case engine is not reachable; try again."
        ) from error
