"""Finding a case the caller may see, and turning the projection into the API's view of it."""

from __future__ import annotations

from sqlmodel import Session

from api.problems import ProblemError
from api.schemas import CaseView, ItemView
from core.auth import Principal, Role
from one_things.catalog import Catalog
from persistence.cases import get_case
from persistence.tables import CaseRecord, ItemRecord


def not_found(case_no: str) -> ProblemError:
    # The same answer whether the case does not exist or belongs to someone else: no probing.
    return ProblemError(404, "Not found", f"No case {case_no} for this account. Check the case number.")


def load_case(session: Session, principal: Principal, case_no: str) -> tuple[CaseRecord, list[ItemRecord]]:
    found = get_case(session, case_no=case_no)
    if found is None:
        raise not_found(case_no)
    case, items = found
    if principal.role is Role.CITIZEN and case.owner != principal.subject:
        raise not_found(case_no)
    return case, items


def case_view(catalog: Catalog, case: CaseRecord, items: list[ItemRecord]) -> CaseView:
    names = _names(catalog, case.thing, case.version)
    order = {code: index for index, code in enumerate(names)}
    return CaseView(
        case_no=case.case_no,
        thing=case.thing,
        version=case.version,
        status=case.status,
        accepted_at=case.accepted_at,
        finished_at=case.finished_at,
        reason=case.reason,
        items=[
            _item_view(catalog, case.thing, case.version, item)
            for item in sorted(items, key=lambda i: order.get(i.code, 99))
        ],
    )


def _names(catalog: Catalog, thing: str, version: int) -> dict[str, str]:
    try:
        return {item.code: item.name.zh for item in catalog.get(thing, version).items}
    except KeyError:
        return {}


def department_name(catalog: Catalog, thing: str, department: str, version: int | None = None) -> str:
    """The department's Chinese name in the case's one-thing (its `version`, else the current one); its code
    if the definition is gone."""
    try:
        return catalog.get(thing, version).department(department).name.zh
    except KeyError:
        return department


def _item_view(catalog: Catalog, thing: str, version: int, item: ItemRecord) -> ItemView:
    try:
        definition = catalog.get(thing, version)
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
