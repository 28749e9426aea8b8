"""The stubs' database: the only module here that speaks SQL.

Every function opens and commits its own short session. The calls are synchronous and fast (SQLite, one
row), so the async handlers call them directly instead of paying a thread hop per query.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.database import create_sql_engine
from departments.models import (
    DECIDED,
    CallbackState,
    DepartmentsTable,
    StubEscalation,
    StubRecord,
    SubmissionIn,
    as_utc,
)
from departments.outputs import WITHDRAWN_REASON, Decision, receipt_no


class KeyReusedError(Exception):
    """The idempotency key names a different case, item or mode than its first submission."""

    def __init__(self, record: StubRecord) -> None:
        super().__init__(record.idempotency_key)
        self.record = record


def make_engine(url: str) -> Engine:
    engine = create_sql_engine(url)
    DepartmentsTable.metadata.create_all(engine)
    return engine


def ping(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def _find(session: Session, department: str, key: str) -> StubRecord | None:
    query = select(StubRecord).where(StubRecord.department == department, StubRecord.idempotency_key == key)
    return session.exec(query).first()


def get_record(engine: Engine, *, department: str, key: str) -> StubRecord | None:
    with Session(engine, expire_on_commit=False) as session:
        return _find(session, department, key)


def get_record_by_id(engine: Engine, *, record_id: int) -> StubRecord | None:
    with Session(engine, expire_on_commit=False) as session:
        return session.get(StubRecord, record_id)


def record_submission(
    engine: Engine, *, department: str, body: SubmissionIn, now: datetime, decide_at: datetime
) -> tuple[StubRecord, bool]:
    """The existing record with its counter bumped, or a new one; True when it was created now."""
    for _ in range(2):  # a concurrent insert of the same key loses the unique race once, then finds it
        with Session(engine, expire_on_commit=False) as session:
            record = _find(session, department, body.idempotency_key)
            created = record is None
            if record is None:
                record = _new_record(department, body, now, decide_at)
            elif record.mode is None:  # a tombstone learns what was (too late) submitted
                record.mode, record.case_no, record.item_code = body.mode, body.case_no, body.item_code
            elif (record.case_no, record.item_code, record.mode) != (body.case_no, body.item_code, body.mode):
                raise KeyReusedError(record)
            record.submissions += 1
            session.add(record)
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                continue
            return record, created
    raise RuntimeError("could not store the submission")  # pragma: no cover - needs a third writer


def _new_record(department: str, body: SubmissionIn, now: datetime, decide_at: datetime) -> StubRecord:
    return StubRecord(
        department=department,
        idempotency_key=body.idempotency_key,
        case_no=body.case_no,
        item_code=body.item_code,
        mode=body.mode,
        receipt_no=receipt_no(department, body.idempotency_key, now),
        status="accepted",
        outputs=list(body.outputs),
        payload_fields=sorted(body.payload),
        callback_url=body.callback_url,
        callback_state=CallbackState.SCHEDULED if body.mode == "async_callback" else None,
        decide_at=decide_at,
        created_at=now,
    )


def apply_decision(
    engine: Engine, *, record_id: int, decider: Callable[[StubRecord], Decision], now: datetime
) -> StubRecord:
    """Decide a record still waiting; a decided or withdrawn one is returned unchanged (idempotent)."""
    with Session(engine, expire_on_commit=False) as session:
        record = session.get(StubRecord, record_id)
        if record is None:
            raise LookupError(record_id)
        if record.status != "accepted" or record.withdrawn_at is not None:
            return record
        decision = decider(record)
        record.status = decision.status
        record.output = decision.output
        record.reason = decision.reason
        record.decided_at = now
        if record.callback_state == CallbackState.SCHEDULED or (record.mode == "batch" and record.callback_url):
            # An async record, or a batch one that was given a callback_url: the decision is now owed by callback.
            record.callback_state = CallbackState.PENDING
        session.add(record)
        session.commit()
        return record


def withdraw(engine: Engine, *, department: str, key: str, now: datetime) -> StubRecord:
    """Mark withdrawn; an unknown key leaves a tombstone so a late submission is refused."""
    with Session(engine, expire_on_commit=False) as session:
        record = _find(session, department, key)
        if record is None:
            case_no, _, rest = key.partition(":")
            record = StubRecord(
                department=department,
                idempotency_key=key,
                case_no=case_no,
                item_code=rest.partition(":")[0],
                receipt_no=receipt_no(department, key, now),
                status="accepted",
                created_at=now,
            )
        if record.withdrawn_at is None:
            record.withdrawn_at = now
        if record.status not in DECIDED:  # a decision already taken stands; only what is pending stops
            record.status = "withdrawn"
            record.reason = WITHDRAWN_REASON
        if record.callback_state in CallbackState.ACTIVE:
            record.callback_state = CallbackState.CANCELLED
        session.add(record)
        session.commit()
        return record


def set_callback_state(engine: Engine, *, record_id: int, state: str, attempts: int | None = None) -> None:
    with Session(engine) as session:
        record = session.get(StubRecord, record_id)
        if record is None:
            return
        record.callback_state = state
        if attempts is not None:
            record.callback_attempts = attempts
        session.add(record)
        session.commit()


def active_callbacks(engine: Engine) -> list[StubRecord]:
    query = select(StubRecord).where(col(StubRecord.callback_state).in_(CallbackState.ACTIVE))
    with Session(engine, expire_on_commit=False) as session:
        return list(session.exec(query).all())


def pending_batch(engine: Engine, *, now: datetime) -> list[StubRecord]:
    """Undecided batch records whose handling time is over at `now` (compared here: SQLite drops zones)."""
    query = select(StubRecord).where(
        StubRecord.mode == "batch",
        StubRecord.status == "accepted",
        col(StubRecord.withdrawn_at).is_(None),
    )
    with Session(engine, expire_on_commit=False) as session:
        records = session.exec(query.order_by(col(StubRecord.id))).all()
    return [record for record in records if (as_utc(record.decide_at) or now) <= now]


def callbacks_owed(engine: Engine, *, now: datetime) -> int:
    """Async records decided but not yet delivered, or due to be decided at `now`."""
    return sum(
        record.callback_state == CallbackState.PENDING or (as_utc(record.decide_at) or now) <= now
        for record in active_callbacks(engine)
    )


def list_records(engine: Engine, *, department: str | None = None) -> list[StubRecord]:
    query = select(StubRecord)
    if department is not None:
        query = query.where(StubRecord.department == department)
    with Session(engine, expire_on_commit=False) as session:
        return list(session.exec(query.order_by(col(StubRecord.id))).all())


def record_escalation(
    engine: Engine, *, department: str, case_no: str, item_code: str, level: str, note: str, now: datetime
) -> StubEscalation:
    """One row per case, item and level; a repeated notice only bumps its counter."""
    query = select(StubEscalation).where(
        StubEscalation.department == department,
        StubEscalation.case_no == case_no,
        StubEscalation.item_code == item_code,
        StubEscalation.level == level,
    )
    for _ in range(2):
        with Session(engine, expire_on_commit=False) as session:
            row = session.exec(query).first()
            if row is None:
                row = StubEscalation(
                    department=department,
                    case_no=case_no,
                    item_code=item_code,
                    level=level,
                    note=note,
                    received_at=now,
                )
            else:
                row.notices += 1
            session.add(row)
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                continue
            return row
    raise RuntimeError("could not store the escalation")  # pragma: no cover


def list_escalations(engine: Engine, *, department: str) -> list[StubEscalation]:
    query = select(StubEscalation).where(StubEscalation.department == department)
    with Session(engine, expire_on_commit=False) as session:
        return list(session.exec(query.order_by(col(StubEscalation.id))).all())
