"""The projection write on SQLite and PostgreSQL: newer states only, each write sends only what changed, a decided
item is counted once, and notices are added in the same transaction, each once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from activities.projection import ProjectionActivities
from one_things.schema import IntegrationMode, Names
from persistence.cases import get_case, project_case
from persistence.message_outbox import queued
from persistence.messages import InboxMessage
from persistence.outcomes import ItemOutcomeDay
from persistence.sql_counts import count_sql
from tests.support.db import migrated_engine
from workflows.contracts import CaseState, CaseStatus, ItemState, ItemStatus, NoticeNames

NOW = datetime(2026, 12, 6, 4, 0, tzinfo=UTC)
CASE = "20261206-PROJ0001"


class Counted:
    """The projection's engine, and the statements each write sends on it, by verb."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.statements: Counter[str] = Counter()
        count_sql(engine, transaction=lambda: None, statement=lambda verb: self.statements.update([verb]))

    def write(self, case: CaseState) -> tuple[bool, Counter[str]]:
        """Whether the write applied, and the statements it sent."""
        self.statements.clear()
        with Session(self.engine) as session:
            applied = project_case(session, state=case, now=NOW)
            session.commit()
        return applied, Counter(self.statements)


@pytest.fixture
def db(empty_database: str) -> Iterator[Counted]:
    engine = migrated_engine(empty_database)
    yield Counted(engine)
    engine.dispose()


def item(code: str, status: ItemStatus = ItemStatus.PENDING, **fields: datetime) -> ItemState:
    return ItemState(code=code, department="d", mode=IntegrationMode.SYNC_REST, status=status, **fields)


class FixedClock:
    def now(self) -> datetime:
        return NOW


def state(seq: int, *items: ItemState, status: CaseStatus = CaseStatus.RUNNING, names: bool = False) -> CaseState:
    notice_names = NoticeNames(
        thing=Names(zh="新生儿出生一件事", en="Newborn"),
        items={code: Names(zh=code, en=code) for code in ("birth", "hukou", "card")},
    )
    return CaseState(
        case_no=CASE,
        thing="newborn",
        version=1,
        owner="citizen-p",
        status=status,
        accepted_at=NOW,
        items=list(items),
        seq=seq,
        notice_names=notice_names if names else None,
    )


def stored(db: Counted) -> tuple[int, str, dict[str, tuple[str, int]]]:
    """The case's seq and status, and each item's status and seq."""
    with Session(db.engine) as session:
        found = get_case(session, case_no=CASE)
        assert found is not None
        case, items = found
        return case.seq, case.status, {row.code: (row.status, row.seq) for row in items}


def test_a_write_reads_the_case_and_its_items_once_and_updates_only_what_changed(db: Counted) -> None:
    applied, statements = db.write(state(1, item("birth"), item("hukou"), item("card")))
    assert applied
    assert statements == Counter({"select": 2, "insert": 2})  # the case, then its three items in one statement

    started = item("birth", ItemStatus.RUNNING, started_at=NOW)
    applied, statements = db.write(state(2, started, item("hukou"), item("card")))
    assert applied
    assert statements == Counter({"select": 2, "update": 2})  # the case (seq, updated_at) and the one item
    assert stored(db) == (2, "running", {"birth": ("running", 2), "hukou": ("pending", 1), "card": ("pending", 1)})


def test_an_older_or_repeated_state_changes_nothing(db: Counted) -> None:
    db.write(state(1, item("birth")))
    db.write(state(3, item("birth", ItemStatus.RUNNING, started_at=NOW)))
    for stale in (state(3, item("birth", ItemStatus.REJECTED)), state(2, item("birth", ItemStatus.COMPLETED))):
        applied, statements = db.write(stale)
        assert not applied
        assert statements == Counter({"select": 1})  # the case's seq, and nothing written
    assert stored(db) == (3, "running", {"birth": ("running", 3)})


def test_a_decided_item_is_counted_once_however_often_it_is_written(db: Counted) -> None:
    due = NOW + timedelta(days=5)
    decided = item("birth", ItemStatus.COMPLETED, started_at=NOW, finished_at=NOW + timedelta(hours=1), due_at=due)
    db.write(state(1, item("birth", ItemStatus.RUNNING, started_at=NOW, due_at=due)))
    db.write(state(2, decided))
    db.write(state(3, decided, status=CaseStatus.COMPLETED))
    db.write(state(3, decided, status=CaseStatus.COMPLETED))  # a retried write
    with Session(db.engine) as session:
        counted = session.exec(select(ItemOutcomeDay)).all()
    assert [(row.item, row.finished, row.on_time) for row in counted] == [("birth", 1, 1)]


def test_notices_are_added_with_the_write_once_each(db: Counted) -> None:
    projection = ProjectionActivities(db.engine, clock=FixedClock())
    done = item("birth", ItemStatus.COMPLETED, started_at=NOW, finished_at=NOW + timedelta(hours=1))
    projection.project_case_state(state(1, done, item("hukou", ItemStatus.COMPLETED), names=True))
    projection.project_case_state(state(1, done, item("hukou", ItemStatus.COMPLETED), names=True))  # retried
    with Session(db.engine) as session:
        rows = session.exec(select(InboxMessage.kind, InboxMessage.item_code)).all()
        assert sorted(rows) == [("accepted", ""), ("item_done", "birth"), ("item_done", "hukou")]
        assert queued(session) == 6  # SMS and e-mail of each
