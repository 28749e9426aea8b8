"""Reading and writing the case projection. Keyword-only functions; callers own the session and commit."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, case, insert, update
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from persistence.outcomes import HANDLED, count_decided_item
from persistence.supervision import OPEN, item_light
from persistence.tables import CaseRecord, ItemRecord
from persistence.write_order import supersedes
from workflows.contracts import CaseState, CaseStatus, ItemState

CASES: Table = CaseRecord.__table__  # type: ignore[attr-defined]  # SQLModel declares it only at runtime
ITEMS: Table = ItemRecord.__table__  # type: ignore[attr-defined]
CASE_COLUMNS = [column for column in CASES.c if column.name not in ("case_no", "acted_by", "channel")]
"""What a projection write compares or needs (district, simulated); written at acceptance only, the rest not read."""
ITEM_COLUMNS = [column for column in ITEMS.c if column.name not in ("case_no", "seq")]
CASE_COLUMN_NAMES = [column.name for column in CASE_COLUMNS]
ITEM_COLUMN_NAMES = [column.name for column in ITEM_COLUMNS]
READ_CASE = select_columns(*CASE_COLUMNS).where(CASES.c.case_no == bindparam("case_no")).with_for_update()
READ_ITEMS = select_columns(*ITEM_COLUMNS).where(ITEMS.c.case_no == bindparam("case_no"))
"""A projection write's two reads, built once (the worker sends them at every write). Two, not one join: under
PostgreSQL's READ COMMITTED a statement that waited for a row lock re-reads the locked row but not the rows joined
to it, so the items are read by a statement of their own once the case's row is locked (else a write waiting on a
concurrent one of the same case compared against items from before it, and counted a decided item twice)."""


@dataclass(frozen=True)
class CaseFigures:
    """SLA figures derived from a state by the projection activity (core/sla.py), stored beside it."""

    promised_at: datetime | None = None
    forecast_at: datetime | None = None
    light: str | None = None
    clock_days: dict[str, int] = field(default_factory=dict)
    """Per finished item code."""


@dataclass(frozen=True)
class ProjectedWrite:
    """What a projection write found and did: whether it applied, and the case as the last applied write left it
    (read anyway to compare), so the rest of the transaction can tell what changed without asking again."""

    applied: bool
    before_seq: int | None = None
    """The stored case's seq; None when there was no case row (0: only the acceptance's row)."""
    before_status: str | None = None
    before_items: dict[str, dict[str, Any]] = field(default_factory=dict)
    """The stored items by code (their ITEM_COLUMNS), as the last applied write left them."""


def project_case(session: Session, *, state: CaseState, now: datetime, figures: CaseFigures | None = None) -> bool:
    """Upsert the case and its items if `state` is newer than the stored one. Returns whether it applied."""
    return project_case_write(session, state=state, now=now, figures=figures).applied


def project_case_write(
    session: Session, *, state: CaseState, now: datetime, figures: CaseFigures | None = None
) -> ProjectedWrite:
    """Upsert the case and its items if `state` is newer than the stored one; says whether it applied and what
    was stored before.

    Workflow retries, replays, lost workflow tasks and out-of-order deliveries all send states with a `seq` and a
    history length; a write that does not supersede the stored one (persistence/write_order.py) is ignored, which
    makes the projection idempotent and ordered.

    A case is written several times a bundle and most of its items change in few of those writes, so a write
    reads the case (its row locked) and its items in two SELECTs and sends an UPDATE only
    for the columns that changed; Core statements on row tuples, because loading and flushing ORM objects cost the
    worker more than the SQL.
    """
    figures = figures or CaseFigures()
    key = {"case_no": state.case_no}
    case_row = session.execute(READ_CASE, key).first()
    stored = dict(zip(CASE_COLUMN_NAMES, case_row, strict=True)) if case_row is not None else None
    if stored is not None and not supersedes(
        seq=state.seq,
        history_length=state.history_length,
        stored_seq=stored["seq"],
        stored_history_length=stored["history_length"],
    ):
        return ProjectedWrite(applied=False, before_seq=stored["seq"], before_status=stored["status"])
    item_rows = session.execute(READ_ITEMS, key).all()
    values: dict[str, Any] = {
        "thing": state.thing,
        "version": state.version,
        "owner": state.owner,
        "status": state.status.value,
        "accepted_at": state.accepted_at,
        "finished_at": state.finished_at,
        "reason": state.reason,
        "seq": state.seq,
        "history_length": state.history_length,
        "updated_at": now,
        "promised_at": figures.promised_at,
        "forecast_at": figures.forecast_at,
        "light": figures.light,
    }
    if stored is None:
        session.execute(insert(CASES).values(case_no=state.case_no, **values))
        district, simulated = "", False
    else:
        session.execute(update(CASES).where(CASES.c.case_no == state.case_no).values(**_changed(stored, values)))
        district, simulated = stored["district"], stored["simulated"]
    stored_items = {row.code: dict(zip(ITEM_COLUMN_NAMES, row, strict=True)) for row in item_rows}
    new_items = [
        row
        for item in state.items
        if (
            row := _project_item(
                session,
                state=state,
                district=district,
                simulated=simulated,
                item=item,
                stored=stored_items.get(item.code),
                clock_days=figures.clock_days,
            )
        )
        is not None
    ]
    if new_items:  # a new case's items in one statement
        session.execute(insert(ITEMS), new_items)
    return ProjectedWrite(
        applied=True,
        before_seq=None if stored is None else stored["seq"],
        before_status=None if stored is None else stored["status"],
        before_items=stored_items,
    )


def _changed(stored: Mapping[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """The values that differ from the stored row (enums and aware datetimes compare equal to what was read)."""
    return {name: value for name, value in values.items() if stored[name] != value}


def record_accepted_case(
    session: Session,
    *,
    case_no: str,
    thing: str,
    version: int,
    owner: str,
    accepted_at: datetime,
    district: str = "",
    channel: str = "bundle",
    acted_by: str | None = None,
    simulated: bool = False,
) -> None:
    """The case as accepted, before its workflow's first write (seq 1 and up replaces it; `channel` and
    `simulated` are written here only).

    Written with the application, so the citizen's case page and case list show the case the instant
    it is accepted, not only once the workflow has run its first task.
    """
    if session.get(CaseRecord, case_no) is None:
        session.add(
            CaseRecord(
                case_no=case_no,
                thing=thing,
                version=version,
                owner=owner,
                acted_by=acted_by,
                district=district,
                channel=channel,
                simulated=simulated,
                status=CaseStatus.RUNNING,
                accepted_at=accepted_at,
                seq=0,
                updated_at=accepted_at,
            )
        )


def _project_item(
    session: Session,
    *,
    state: CaseState,
    district: str,
    simulated: bool,
    item: ItemState,
    stored: Mapping[str, Any] | None,
    clock_days: dict[str, int],
) -> dict[str, Any] | None:
    """Updates the stored item where it changed and counts it once decided; an item not stored yet is returned as
    the row to insert."""
    values = item.model_dump(mode="python", exclude={"code", "depends_on"})
    values["clock_days"] = clock_days.get(item.code)
    values["mode"] = item.mode.value
    values["status"] = item.status.value
    values["holder"] = item.holder.value if item.holder else None
    values["light"] = item.light.value if item.light else None
    if _decided(item.status.value, item.due_at) and (
        stored is None or not _decided(stored["status"], stored["due_at"])
    ):
        assert item.finished_at is not None
        assert item.due_at is not None
        count_decided_item(
            session,
            thing=state.thing,
            district=district,
            department=item.department,
            item=item.code,
            finished_at=item.finished_at,
            due_at=item.due_at,
            statutory_due_at=item.statutory_due_at,
            clock_days=values["clock_days"],
            simulated=simulated,
        )
    if stored is None:
        return {"case_no": state.case_no, "code": item.code, "seq": state.seq, **values}
    changed = _changed(stored, values)
    if changed:  # an item's `seq` is the state that last changed it: an unchanged item is not written at all
        key = (ITEMS.c.case_no == state.case_no) & (ITEMS.c.code == item.code)
        session.execute(update(ITEMS).where(key).values(seq=state.seq, **changed))
    return None


def _decided(status: str, due_at: datetime | None) -> bool:
    """Counted in the daily outcomes: decided, with the deadline known (computed beside the submission, it
    may land in a later write than a quick decision)."""
    return status in HANDLED and due_at is not None


def get_case(session: Session, *, case_no: str) -> tuple[CaseRecord, list[ItemRecord]] | None:
    case = session.get(CaseRecord, case_no)
    if case is None:
        return None
    items = session.exec(select(ItemRecord).where(ItemRecord.case_no == case_no)).all()
    return case, list(items)


def case_seq(session: Session, *, case_no: str) -> int | None:
    """The seq of the case's row; None when there is no row."""
    return session.exec(select(CaseRecord.seq).where(CaseRecord.case_no == case_no)).first()


def open_case_numbers(session: Session, *, after: str | None, limit: int) -> list[str]:
    """The numbers of the cases the projection shows open (a row still at seq 0, only accepted, says running too),
    in order, `limit` after `after` (a page of a walk)."""
    query = select(CaseRecord.case_no).where(col(CaseRecord.status).in_(OPEN))
    if after is not None:
        query = query.where(col(CaseRecord.case_no) > after)
    return list(session.exec(query.order_by(col(CaseRecord.case_no)).limit(limit)).all())


def list_cases(session: Session, *, owner: str, things: list[str] | None = None, limit: int = 100) -> list[CaseRecord]:
    """The owner's cases, newest first; `things`: only cases of these one-things."""
    query = select(CaseRecord).where(CaseRecord.owner == owner)
    if things is not None:
        query = query.where(col(CaseRecord.thing).in_(things))
    return list(session.exec(query.order_by(col(CaseRecord.accepted_at).desc()).limit(limit)).all())


def staff_queue(
    session: Session, *, department: str, now: datetime, limit: int = 200
) -> list[tuple[ItemRecord, str | None]]:
    """Items waiting for a decision by this department's staff in the standard handling module, each with
    its light now (the supervisors' rule), or None while its deadline is still being computed."""
    light = case((col(ItemRecord.due_at).is_(None), None), else_=item_light(now))
    query = (
        select(ItemRecord, light)
        .where(ItemRecord.department == department, ItemRecord.holder == "staff")
        .order_by(col(ItemRecord.due_at))
        .limit(limit)
    )
    return list(session.exec(query).all())
