"""Finding a case the caller may see, and turning the projection into the API's view of it."""

from __future__ import annotations

from sqlmodel import Session

from api.problems import ProblemError
from api.schemas import CaseView, ItemView
from core.auth import Principal, Role
from one_things.catalog import Catalog
from persistence.applications import application_for_case
from persistence.cases import get_case
from persistence.tables import CaseRecord, ItemRecord


def not_found(case_no: str) -> ProblemError:
    # The same answer whether the case does not exist or belongs to someone else: no probing.
    return ProblemError(404, "Not found", f"No case {case_no} for this account. Check the case number.")


def load_case(session: Session, principal: Principal, case_no: str) -> tuple[CaseRecord, list[ItemRecord]]:
    found = get_case(session, case_no=case_no)
    case, items = found if found is not None else (_just_accepted(session, case_no), [])
    if principal.role is Role.CITIZEN and case.owner != principal.subject:
        raise not_found(case_no)
    return case, items


def _just_accepted(session: Session, case_no: str) -> CaseRecord:
    """A case accepted a moment ago whose workflow has not written its first projection yet.

    The citizen is sent to the case page the instant the application is accepted; showing "not found"
    there would look like the application was lost.
    """
    accepted = application_for_case(session, case_no=case_no)
    if accepted is None:
        raise not_found(case_no)
    return CaseRecord(
        case_no=case_no,
        thing=accepted.thing,
        version=0,
        owner=accepted.owner,
        status="running",
        accepted_at=accepted.created_at,
        updated_at=accepted.created_at,
    )


def case_view(catalog: Catalog, case: CaseRecord, items: list[ItemRecord]) -> CaseView:
    names = _names(catalog, case.thing)
    order = {code: index for index, code in enumerate(names)}
    return CaseView(
        case_no=case.case_no,
        thing=case.thing,
        version=case.version,
        status=case.status,
        accepted_at=case.accepted_at,
        finished_at=case.finished_at,
        reason=case.reason,
        items=[_item_view(catalog, case.thing, item) for item in sorted(items, key=lambda i: order.get(i.code, 99))],
    )


def _names(catalog: Catalog, thing: str) -> dict[str, str]:
    try:
        return {item.code: item.name.zh for item in catalog.get(thing).items}
    except KeyError:
        return {}


def _item_view(catalog: Catalog, thing: str, item: ItemRecord) -> ItemView:
    try:
        definition = catalog.get(thing)
        name = definition.item(item.code).name.zh
        department_name = definition.department(item.department).name.zh
    except KeyError:
        name, department_name = item.code, item.department
    return ItemView(
        code=item.code,
        name=name,
        department=item.department,
        department_name=department_name,
        mode=item.mode,
        status=item.status,
        holder=item.holder,
        started_at=item.started_at,
        finished_at=item.finished_at,
        due_at=item.due_at,
        statutory_due_at=item.statutory_due_at,
        light=item.light,
        breached_at=item.breached_at,
        round=item.round,
        output=item.output,
        reason=item.reason,
    )
