"""What a citizen does to a running case (supplement, withdraw), shared by the JSON API and the pages."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from temporalio.client import Client

from api.case_access import load_case
from api.problems import invalid_input
from api.submission import today_local
from api.workflow_updates import run_update
from core.auth import Principal
from core.ids import workflow_id
from one_things.catalog import Catalog
from one_things.eligibility import individual_definition
from one_things.forms import validate_fields
from persistence.tables import CaseRecord, ItemRecord
from workflows.bundle import OneThingWorkflow
from workflows.contracts import Supplement, Withdrawal


async def send_supplement(
    *,
    session: Session,
    temporal: Client,
    catalog: Catalog,
    principal: Principal,
    case_no: str,
    item_code: str,
    form: dict[str, Any],
    note: str | None = None,
) -> tuple[CaseRecord, list[ItemRecord]]:
    """补正: checks the corrected fields like the form, then hands them to the waiting item.

    Returns the case as projected before the update, so callers need not read it again."""
    case, items = load_case(session, principal, case_no)
    thing = catalog.get(case.thing, case.version)
    if case.channel == "individual" and len(items) == 1:
        thing = individual_definition(thing, items[0].code)  # its form, e.g. the certificate number typed in
    checked, problems = validate_fields(thing, form, today=today_local())
    if problems:
        raise invalid_input([problem.model_dump() for problem in problems])
    handle = temporal.get_workflow_handle(workflow_id(case.thing, case_no))
    message = Supplement(item_code=item_code, form=checked, note=note)
    await run_update(
        handle.execute_update(OneThingWorkflow.supplement, message), closed=_closed(case_no), case_no=case_no
    )
    return case, items


async def withdraw_case(
    *, session: Session, temporal: Client, principal: Principal, case_no: str, reason: str
) -> tuple[CaseRecord, list[ItemRecord]]:
    """Withdraws the case; returns it as projected before the update."""
    case, items = load_case(session, principal, case_no)
    handle = temporal.get_workflow_handle(workflow_id(case.thing, case_no))
    withdrawal = Withdrawal(reason=reason)
    await run_update(
        handle.execute_update(OneThingWorkflow.withdraw, withdrawal), closed=_closed(case_no), case_no=case_no
    )
    return case, items


def _closed(case_no: str) -> str:
    return f"Case {case_no} is already finished."
