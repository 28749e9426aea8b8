"""The projection write on SQLite and PostgreSQL: newer states only, each write sends only what changed, a decided
item is counted once, and notices are added in the same transaction, each once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from activities.case_notices import notice_keys, owed_notices
from activities.projection import ProjectionActivities
from one_things.schema import IntegrationMode, Names
from persistence.cases import get_case, project_case, record_accepted_case
from persistence.licences import Licence
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
        self.reads = 2
        """SELECTs of the case (its row locked) and of its items."""

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


def state(
    seq: int, *items: ItemState, status: CaseStatus = CaseStatus.RUNNING, names: bool = False, history: int = 0
) -> CaseState:
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
        history_length=history,
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
    assert statements == Counter({"select": db.reads, "insert": 2})  # the case, then its three items in one statement

    started = item("birth", ItemStatus.RUNNING, started_at=NOW)
    applied, statements = db.write(state(2, started, item("hukou"), item("card")))
    assert applied
    assert statements == Counter({"select": db.reads, "update": 2})  # the case (seq, updated_at) and the one item
    assert stored(db) == (2, "running", {"birth": ("running", 2), "hukou": ("pending", 1), "card": ("pending", 1)})


def test_an_older_or_repeated_state_changes_nothing(db: Counted) -> None:
    db.write(state(1, item("birth")))
    db.write(state(3, item("birth", ItemStatus.RUNNING, started_at=NOW)))
    for stale in (state(3, item("birth", ItemStatus.REJECTED)), state(2, item("birth", ItemStatus.COMPLETED))):
        applied, statements = db.write(stale)
        assert not applied
        assert statements == Counter({"select": 1})  # the case's seq, and nothing written
    assert stored(db) == (3, "running", {"birth": ("running", 3)})


def test_a_write_after_a_lost_workflow_task_supersedes_that_tasks_writes_of_the_same_seq(db: Counted) -> None:
    """A worker killed after its task's writes committed: the task is never completed, so the worker that takes it
    over counts its writes from the same seq again, from a longer history. The case left "running" for good while
    its notices said done (tests/e2e/test_worker_crash.py on PostgreSQL, docs/reliability.md)."""
    write = ProjectionActivities(db.engine, clock=FixedClock()).project_case_state
    due = NOW + timedelta(days=5)
    running = item("birth", ItemStatus.RUNNING, started_at=NOW, due_at=due)
    decided = item("birth", ItemStatus.COMPLETED, started_at=NOW, finished_at=NOW + timedelta(hours=1), due_at=due)
    assert write(state(2, running, history=14, names=True))
    # the lost task, history 20: two writes (a task writes again while its local activities run)
    assert write(state(3, running, history=20, names=True))
    assert write(state(4, decided, history=20, names=True))
    # the task that took it over, history 26: its first write is seq 3 again, and has the case done
    assert write(state(3, decided, status=CaseStatus.COMPLETED, history=26, names=True))
    assert stored(db) == (3, "completed", {"birth": ("completed", 4)})
    # a write of the lost task committing late (its worker had only stalled) is refused whatever its seq
    assert not write(state(5, running, history=20, names=True))
    assert not write(state(3, decided, status=CaseStatus.COMPLETED, history=26, names=True))  # a retried write
    assert stored(db) == (3, "completed", {"birth": ("completed", 4)})
    with Session(db.engine) as session:
        counted = session.exec(select(ItemOutcomeDay)).all()
        notices = session.exec(select(InboxMessage.kind, InboxMessage.item_code)).all()
    assert [(row.item, row.finished, row.on_time) for row in counted] == [("birth", 1, 1)]  # decided once
    assert sorted(notices) == [("accepted", ""), ("all_done", ""), ("item_done", "birth")]  # each once


def test_a_write_without_a_history_length_is_ordered_by_seq_alone(db: Counted) -> None:
    """A worker from before the history length was sent (a rolling upgrade), and the row written at acceptance."""
    running = item("birth", ItemStatus.RUNNING, started_at=NOW)
    assert db.write(state(1, item("birth")))[0]
    assert db.write(state(2, running, history=14))[0]
    assert db.write(state(3, item("birth", ItemStatus.REJECTED)))[0]  # an old worker's newer write
    assert not db.write(state(3, running, history=30))[0]  # its seq is not newer, and the row has no length
    assert not db.write(state(2, item("birth")))[0]
    assert stored(db) == (3, "running", {"birth": ("rejected", 3)})


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


def done(code: str, number: str) -> ItemState:
    finished = item(code, ItemStatus.COMPLETED, started_at=NOW, finished_at=NOW + timedelta(hours=1))
    return finished.model_copy(update={"output": {f"{code}_no": number}})


def wallet(db: Counted) -> list[tuple[str, str]]:
    with Session(db.engine) as session:
        return sorted(session.exec(select(Licence.item_code, Licence.number).where(Licence.case_no == CASE)).all())


def test_a_write_looks_up_licences_and_notices_only_when_the_state_owes_new_ones(db: Counted) -> None:
    """Most writes change a deadline or start an item: they send the case's and the item's UPDATE and nothing
    more. A reader still sees every licence and every notice, each once, as soon as the write that owes it."""
    projection = ProjectionActivities(db.engine, clock=FixedClock())
    due = NOW + timedelta(days=5)

    def write(case: CaseState) -> Counter[str]:
        db.statements.clear()
        projection.project_case_state(case)
        return Counter(db.statements)

    write(state(1, item("birth", ItemStatus.RUNNING, started_at=NOW), item("hukou"), names=True))
    assert write(
        state(2, item("birth", ItemStatus.RUNNING, started_at=NOW, due_at=due), item("hukou"), names=True)
    ) == (
        Counter({"select": db.reads, "update": 2})  # the case and its items read; the case and the one item updated
    )
    birth = done("birth", "B-1")
    write(state(3, birth, item("hukou"), names=True))
    assert wallet(db) == [("birth", "B-1")]  # issued by the write that shows the item finished
    assert inbox_keys(db) == [("accepted", "", 0), ("item_done", "birth", 0)]

    started = item("hukou", ItemStatus.RUNNING, started_at=NOW)
    assert write(state(4, birth, started, names=True)) == Counter({"select": db.reads, "update": 2})
    waiting = started.model_copy(update={"status": ItemStatus.WAITING_CITIZEN, "round": 1, "reason": "照片不清晰"})
    statements = write(state(5, birth, waiting, names=True))
    assert statements["select"] == db.reads + 1  # the case, its items and the inbox; the wallet not looked up
    assert ("correction_needed", "hukou", 1) in inbox_keys(db)

    finished = [birth, done("hukou", "H-2")]
    write(state(6, *finished, status=CaseStatus.COMPLETED, names=True))
    assert write(state(6, *finished, status=CaseStatus.COMPLETED, names=True)) == Counter(
        {"select": 3}
    )  # retried: all looked up
    assert write(state(7, *finished, status=CaseStatus.COMPLETED, names=True)) == Counter(
        {"select": db.reads, "update": 1}
    )
    assert wallet(db) == [("birth", "B-1"), ("hukou", "H-2")]
    assert inbox_keys(db) == [
        ("accepted", "", 0),
        ("all_done", "", 0),
        ("correction_needed", "hukou", 1),
        ("item_done", "birth", 0),
        ("item_done", "hukou", 0),
    ]
    with Session(db.engine) as session:
        assert queued(session) == 10  # SMS and e-mail of each notice, once


def test_the_first_write_over_the_accepted_row_looks_everything_up(db: Counted) -> None:
    """The API's row of an accepted case (seq 0) was written with no licence and no notice: the workflow's first
    write owes them all, even with nothing else to change."""
    with Session(db.engine) as session:
        record_accepted_case(session, case_no=CASE, thing="newborn", version=1, owner="citizen-p", accepted_at=NOW)
        session.commit()
    ProjectionActivities(db.engine, clock=FixedClock()).project_case_state(state(1, done("birth", "B-1"), names=True))
    assert wallet(db) == [("birth", "B-1")]
    assert inbox_keys(db) == [("accepted", "", 0), ("item_done", "birth", 0)]


@pytest.mark.parametrize("status", list(CaseStatus))
def test_notice_keys_are_the_keys_of_the_notices_a_state_owes(status: CaseStatus) -> None:
    waiting = item("hukou", ItemStatus.WAITING_CITIZEN).model_copy(update={"round": 2})
    case = state(1, done("birth", "B-1"), waiting, item("card", ItemStatus.RUNNING), status=status, names=True)
    assert case.notice_names is not None
    owed = {(notice.kind.value, notice.item_code, notice.round) for notice in owed_notices(case, case.notice_names)}
    assert notice_keys(case.status, ((i.code, i.status, i.round) for i in case.items)) == owed


def inbox_keys(db: Counted) -> list[tuple[str, str, int]]:
    with Session(db.engine) as session:
        return sorted(session.exec(select(InboxMessage.kind, InboxMessage.item_code, InboxMessage.round)).all())


def test_a_write_that_waited_for_another_of_its_case_compares_against_that_ones_items(db: Counted) -> None:
    """Two writes of one case at once (a retried write still running beside the next): the second waits for the
    first's row lock, then must see the items the first committed, or it counts the item the first decided again."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no row locks: a writer that read before another's commit cannot write at all")
    due = NOW + timedelta(days=5)
    decided = item("birth", ItemStatus.COMPLETED, started_at=NOW, finished_at=NOW + timedelta(hours=1), due_at=due)
    db.write(state(1, item("birth", ItemStatus.RUNNING, started_at=NOW, due_at=due)))

    def second_write() -> bool:
        with Session(db.engine) as session:
            applied = project_case(session, state=state(3, decided, status=CaseStatus.COMPLETED), now=NOW)
            session.commit()
            return applied

    with Session(db.engine) as first, ThreadPoolExecutor(max_workers=1) as pool:
        assert project_case(first, state=state(2, decided), now=NOW)  # the case's row locked until commit
        second = pool.submit(second_write)
        with db.engine.connect() as watcher:  # until the second write waits for the lock
            waiting = text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
            while not watcher.execute(waiting).scalar_one() and not second.done():
                watcher.rollback()
        first.commit()
        assert second.result()
    with Session(db.engine) as session:
        counted = session.exec(select(ItemOutcomeDay)).all()
    assert [(row.item, row.finished) for row in counted] == [("birth", 1)]
