"""The standard handling module's work: a department's queue, claiming an item, deciding it.

Shared by the staff JSON routes and the staff page. A department's staff see and touch only their own
department's items: anything else is answered as if it did not exist.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel
from sqlmodel import Session

from core.auth import Principal
from one_things.catalog import Catalog
from persistence.cases import get_case, staff_queue
from persistence.materials import uploaded_materials
from persistence.staff_claims import StaffClaim, claim_item, claims_for, get_claim
from persistence.tables import ItemRecord
from services.audit import DataCategory, Purpose, record_read
from services.case_gateway import CaseGateway
from services.cases import not_found
from services.errors import ConflictError
from services.in_thread import committed
from workflows.contracts import ItemApplication, ItemState, ItemStatus, Light, StaffDecision


class QueueEntry(BaseModel):
    case_no: str
    item_code: str
    department: str
    thing: str
    status: ItemStatus
    round: int = 0
    """0 for the first submission; n after the n-th correction (补正)."""
    due_at: datetime | None
    light: Light | None
    outputs: list[str]
    accepted_at: datetime
    claimed_by: str | None = None
    claimed_at: datetime | None = None


def queue(session: Session, catalog: Catalog, staff: Principal, now: datetime) -> list[QueueEntry]:
    assert staff.department is not None
    items = staff_queue(session, department=staff.department, now=now)
    claims = claims_for(session, case_nos=[item.case_no for item, _ in items])
    entries = []
    for item, light in items:
        found = get_case(session, case_no=item.case_no)
        if found is None:
            continue
        case, _ = found
        try:
            outputs = list(catalog.get(case.thing, case.version).item(item.code).outputs)
        except KeyError:
            outputs = []
        claim = claims.get((item.case_no, item.code, item.round))
        entries.append(
            QueueEntry(
                case_no=item.case_no,
                item_code=item.code,
                department=item.department,
                thing=case.thing,
                status=item.status,
                round=item.round,
                due_at=item.due_at,
                light=light,
                outputs=outputs,
                accepted_at=case.accepted_at,
                claimed_by=claim.staff if claim else None,
                claimed_at=claim.claimed_at if claim else None,
            )
        )
    return entries


class StaffApplication(ItemApplication):
    case_no: str
    materials: list[str]
    """The codes of the materials the citizen uploaded for the case."""


async def application(
    session: Session, cases: CaseGateway, staff: Principal, *, case_no: str, item_code: str, now: datetime
) -> StaffApplication:
    """What the clerk reads to decide: the item's inputs as its department would receive them.

    Only while the item waits for a decision by the clerk's department (minimum necessary), and every view is
    recorded in the personal-data access log; the queue itself shows case numbers and deadlines only."""
    materials = await committed(session, _waiting_materials, session, staff, case_no, item_code)
    found = await cases.item_application(case_no, item_code)
    # Recorded after the engine answered, so no write transaction is held across the call into it.
    await committed(
        session, record_read, session, staff, case_no=case_no, what=DataCategory.FORM, purpose=Purpose.HANDLING, now=now
    )
    return StaffApplication(case_no=case_no, materials=materials, **found.model_dump())


def _waiting_materials(session: Session, staff: Principal, case_no: str, item_code: str) -> list[str]:
    _, item = _own_waiting_item(session, staff, case_no, item_code)
    if item.holder != "staff":
        raise ConflictError(f"Item {item_code} is not waiting for a staff decision.")
    return uploaded_materials(session, case_no=case_no)


def _own_waiting_item(session: Session, staff: Principal, case_no: str, item_code: str) -> tuple[str, ItemRecord]:
    found = get_case(session, case_no=case_no)
    if found is None:
        raise not_found(case_no)
    case, items = found
    item = next((i for i in items if i.code == item_code and i.department == staff.department), None)
    if item is None:
        raise not_found(case_no)  # another department's item is invisible, not forbidden
    return case.thing, item


def claim(session: Session, staff: Principal, *, case_no: str, item_code: str, now: datetime) -> StaffClaim:
    _, item = _own_waiting_item(session, staff, case_no, item_code)
    if item.holder != "staff":
        raise ConflictError(f"Item {item_code} is not waiting for a staff decision.")
    taken = claim_item(session, case_no=case_no, item_code=item_code, round=item.round, staff=staff.subject, at=now)
    if taken.staff != staff.subject:
        raise _claimed_by_colleague(case_no, item_code)
    return taken


async def decide(
    session: Session,
    cases: CaseGateway,
    staff: Principal,
    *,
    case_no: str,
    item_code: str,
    decision: Literal["approve", "reject", "correction"],
    output: dict[str, str],
    reason: str | None,
) -> ItemState:
    await committed(session, _check_not_claimed_by_colleague, session, staff, case_no, item_code)
    command = StaffDecision(item_code=item_code, decision=decision, output=output, reason=reason, staff=staff.subject)
    return await cases.decide(case_no, command)


def _check_not_claimed_by_colleague(session: Session, staff: Principal, case_no: str, item_code: str) -> None:
    _, item = _own_waiting_item(session, staff, case_no, item_code)
    taken = get_claim(session, case_no=case_no, item_code=item_code, round=item.round)
    if taken is not None and taken.staff != staff.subject:
        raise _claimed_by_colleague(case_no, item_code)


def _claimed_by_colleague(case_no: str, item_code: str) -> ConflictError:
    return ConflictError(f"Item {item_code} of case {case_no} is claimed by a colleague.", title="Already claimed")
