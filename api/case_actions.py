"""What a citizen does to a running case (supplement, withdraw), shared by the JSON API and the pages."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from api.case_access import load_case
from api.problems import invalid_input
from api.submission import today_local
from core.auth import Principal
from one_things.catalog import Catalog
from one_things.eligibility import individual_definition
from one_things.forms import validate_fields
from persistence.tables import CaseRecord, ItemRecord
from services.case_gateway import CaseGateway
from workflows.contracts import Supplement, Withdrawal


async def send_supplement(
    *,
    session: Session,
    cases: CaseGateway,
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
    await cases.supplement(case_no, Supplement(item_code=item_code, form=checked, note=note))
    return case, items


async def withdraw_case(
    *, session: Session, cases: CaseGateway, principal: Principal, case_no: str, reason: str
) -> tuple[CaseRecord, list[ItemRecord]]:
    """Withdraws the case; returns it as projected before the update."""
    case, items = load_case(session, principal, case_no)
    await cases.withdraw(case_no, Withdrawal(reason=reason))
    return case, items
