"""A citizen's case: finding one the caller may see, its view, and what a citizen does to it (supplement,
withdraw); shared by the JSON API and the pages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, Literal

from anyio import to_thread
from pydantic import BaseModel, computed_field
from sqlalchemy import Row
from sqlalchemy.engine import Connection
from sqlmodel import Session

from core.auth import Principal, Role
from core.calendar import day_on_time, local_today
from one_things.catalog import Catalog
from one_things.eligibility import individual_definition
from one_things.forms import validate_fields
from one_things.schema import IntegrationMode, OneThing
from persistence.case_reads import case_rows
from persistence.cases import get_case, list_cases
from persistence.materials import replace_upload
from persistence.outbox import pending_for_case
from persistence.tables import CaseRecord, ItemRecord
from services.authority import may_act_on_case, principals_of
from services.case_gateway import CaseGateway
from services.errors import NotAllowedError, NotFoundError, UnavailableError
from services.in_thread import committed
from services.materials import DEFAULT_MAX_BYTES, inspect, material_error
from services.outbox import START
from services.submission import invalid_application
from workflows.contracts import CaseStatus, Holder, ItemStatus, Light, Supplement, Withdrawal

STARTING: Literal["starting"] = "starting"
ShownStatus = CaseStatus | Literal["starting"]
"""A case's status as people see it: `starting` until its workflow first reports (its start may still wait in
the outbox for the case engine, services/outbox.py), then the workflow's own."""


def shown_status(case: CaseRecord | Row[Any]) -> ShownStatus:
    # seq 0 is the row written at acceptance; the workflow's first projection replaces it.
    return STARTING if case.seq == 0 else case.status


class ItemView(BaseModel):
    code: str
    name: str
    department: str
    department_name: str
    mode: IntegrationMode
    status: ItemStatus
    holder: Holder | None
    started_at: datetime | None
    finished_at: datetime | None
    due_at: datetime | None
    statutory_due_at: datetime | None
    light: Light | None
    breached_at: datetime | None
    round: int
    output: dict[str, Any] | None
    reason: str | None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def due_on(self) -> date | None:
        """The last day on time (Asia/Shanghai), as people read the deadline; `due_at` is the instant ending it."""
        return day_on_time(self.due_at)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def statutory_due_on(self) -> date | None:
        """The statutory limit's last day on time (Asia/Shanghai); `statutory_due_at` is the instant ending it."""
        return day_on_time(self.statutory_due_at)


class CaseView(BaseModel):
    case_no: str
    thing: str
    version: int
    owner: str
    """The applicant's account id: the caller's own, or the account they act for."""
    acted_by: str | None
    """The agent's account id when an agent (代办, 法人授权) filed the case; None: the applicant did."""
    status: ShownStatus
    accepted_at: datetime
    finished_at: datetime | None
    reason: str | None
    items: list[ItemView]


def not_found(case_no: str) -> NotFoundError:
    # The same answer whether the case does not exist or belongs to someone else: no probing.
    return NotFoundError(f"No case {case_no} for this account. Check the case number.")


def load_case(
    session: Session, principal: Principal, case_no: str, *, now: datetime
) -> tuple[CaseRecord, list[ItemRecord]]:
    """The case if the caller is its applicant, or acts for them right now under an authorisation.

    Every caller is checked, whatever their role: a supervisor's or a clerk's token never reads or acts on a
    case as its citizen (roles never widen one another)."""
    case, items = _citizen_case(session, principal, case_no)
    if case.owner != principal.subject and not may_act_on_case(session, agent=principal.subject, case=case, now=now):
        raise not_found(case_no)
    return case, items


def case_status(
    connection: Connection, principal: Principal, case_no: str, *, now: datetime, catalog: Catalog
) -> CaseView:
    """The view of a case the caller may see (as `load_case` decides), read as rows: the status read's path."""
    found = case_rows(connection, case_no=case_no)
    if found is None or principal.role is not Role.CITIZEN:
        raise not_found(case_no)
    case, items = found
    if case.owner != principal.subject:  # an agent: whose authority covers it is `load_case`'s to decide
        with Session(bind=connection) as session:
            return case_view(catalog, *load_case(session, principal, case_no, now=now))
    return case_view(catalog, case, items)


def load_own_case(session: Session, principal: Principal, case_no: str) -> tuple[CaseRecord, list[ItemRecord]]:
    """The case if the caller is its applicant, not an agent: the rating and the verdict on a rectification are
    the applicant's own say about the service they received."""
    case, items = _citizen_case(session, principal, case_no)
    if case.owner != principal.subject:
        raise not_found(case_no)
    return case, items


def _citizen_case(session: Session, principal: Principal, case_no: str) -> tuple[CaseRecord, list[ItemRecord]]:
    found = get_case(session, case_no=case_no)
    if found is None or principal.role is not Role.CITIZEN:
        raise not_found(case_no)
    return found


def case_list(session: Session, *, principal: Principal, on_behalf_of: str | None, now: datetime) -> list[CaseRecord]:
    """The caller's cases, or those of an account they act for that their authority covers right now."""
    if on_behalf_of is None or on_behalf_of == principal.subject:
        return list_cases(session, owner=principal.subject)
    cases = list_cases(session, owner=on_behalf_of)
    covered = [case for case in cases if may_act_on_case(session, agent=principal.subject, case=case, now=now)]
    if not covered and not principals_of(session, agent=principal.subject, now=now).get(on_behalf_of):
        raise NotAllowedError(
            "You are not authorised to act for this account now; they can authorise you (代办).",
            title="Not authorised",
            rule="no_authority",
        )
    return covered


def case_view(catalog: Catalog, case: CaseRecord | Row[Any], items: Sequence[ItemRecord | Row[Any]]) -> CaseView:
    """The view of a case from its records, or from its rows (persistence/case_reads.py: the same names)."""
    names = _names(catalog, case.thing, case.version)
    order = {code: index for index, code in enumerate(names)}
    return CaseView(
        case_no=case.case_no,
        thing=case.thing,
        version=case.version,
        owner=case.owner,
        acted_by=case.acted_by,
        status=shown_status(case),
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


def _item_view(catalog: Catalog, thing: str, version: int, item: ItemRecord | Row[Any]) -> ItemView:
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


async def send_supplement(
    *,
    session: Session,
    cases: CaseGateway,
    catalog: Catalog,
    principal: Principal,
    case_no: str,
    item_code: str,
    form: dict[str, Any],
    now: datetime,
    note: str | None = None,
    materials: dict[str, bytes] | None = None,
    max_material_bytes: int = DEFAULT_MAX_BYTES,
) -> tuple[CaseRecord, list[ItemRecord]]:
    """补正: checks the corrected fields like the form and the re-uploaded materials by their content, stores the
    materials, then hands the correction to the waiting item.

    Returns the case as projected before the update, so callers need not read it again."""
    case, items = await committed(session, load_case, session, principal, case_no, now=now)
    thing = catalog.get(case.thing, case.version)
    if case.channel == "individual" and len(items) == 1:
        thing = individual_definition(thing, items[0].code)  # its form, e.g. the certificate number typed in
    checked, problems = validate_fields(thing, form, today=local_today(now))
    # Decoding a whole image or PDF is CPU work: in the thread pool, not on the event loop, and done once (the
    # content type stored is the one the check found).
    kinds, material_errors = await to_thread.run_sync(_checked_materials, thing, materials or {}, max_material_bytes)
    errors = [problem.as_error() for problem in problems] + material_errors
    if errors:
        raise invalid_application(errors)
    # Stored (and committed, in the thread pool) before the case is told, so the clerk finds the new material
    # when the item comes back; and no connection is held across the call into the engine.
    await committed(session, _store_materials, session, case, materials or {}, kinds, now)
    acted_by = _agent(principal, case)
    supplement = Supplement(
        item_code=item_code, form=checked, materials=sorted(materials or {}), note=note, acted_by=acted_by
    )
    await cases.supplement(case_no, supplement)
    return case, items


def _store_materials(
    session: Session, case: CaseRecord, materials: dict[str, bytes], kinds: dict[str, str], now: datetime
) -> None:
    for code, data in materials.items():
        replace_upload(
            session,
            case_no=case.case_no,
            owner=case.owner,
            material=code,
            content_type=kinds[code],
            data=data,
            now=now,
        )


def _checked_materials(
    thing: OneThing, materials: dict[str, bytes], max_bytes: int
) -> tuple[dict[str, str], list[dict[str, str]]]:
    """Each material's content type, and what is wrong: only materials the applicant provides (not those the
    government holds), each a whole accepted file."""
    provided = {material.code for material in thing.materials if not material.exempt}
    kinds: dict[str, str] = {}
    errors = []
    for code, data in materials.items():
        kind, wrong = (None, "unknown") if code not in provided else inspect(data, max_bytes)
        if kind is None:
            errors.append(material_error(code, wrong or "bad_type", max_bytes))
        else:
            kinds[code] = kind
    return kinds, errors


async def withdraw_case(
    *, session: Session, cases: CaseGateway, principal: Principal, case_no: str, reason: str, now: datetime
) -> tuple[CaseRecord, list[ItemRecord]]:
    """Withdraws the case; returns it as projected before the update."""
    case, items = await committed(session, load_case, session, principal, case_no, now=now)
    try:
        await cases.withdraw(case_no, Withdrawal(reason=reason, acted_by=_agent(principal, case)))
    except NotFoundError:
        if await committed(session, pending_for_case, session, case_no=case_no, kind=START):
            raise still_starting(case_no) from None
        raise
    return case, items


def still_starting(case_no: str) -> UnavailableError:
    """The case was accepted but the engine does not know it yet: its start still waits in the outbox."""
    return UnavailableError(
        f"Case {case_no} is accepted and still starting; send this again in a minute.", retry_after=30, case_no=case_no
    )


def _agent(principal: Principal, case: CaseRecord) -> str | None:
    """Who acted, when it is not the applicant: recorded in the message, so the case's history holds it."""
    return None if principal.subject == case.owner else principal.subject
