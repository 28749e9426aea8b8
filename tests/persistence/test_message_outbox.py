"""Citizen notices written by the projection, on SQLite and PostgreSQL: the inbox row and its SMS and e-mail are
queued in the projection's transaction, each once however often the state is written, and the sender sends each
once, retrying a channel that failed."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from activities.message_sender import MessageSender
from activities.messages import Outgoing, RecordingTransport
from activities.projection import ProjectionActivities
from core.settings import Settings
from one_things.schema import IntegrationMode, Names
from persistence.message_outbox import QueuedMessage, claim_due, queue_message, queued
from persistence.messages import InboxMessage, list_outgoing
from persistence.sql_counts import count_sql
from tests.support.db import migrated_engine
from workflows.contracts import CaseState, CaseStatus, ItemState, ItemStatus, NoticeNames

NOW = datetime(2026, 12, 6, 4, 0, tzinfo=UTC)
CASE = "20261206-MSGQ0001"


class Clock:
    def __init__(self) -> None:
        self.at = NOW

    def now(self) -> datetime:
        return self.at


def case(*items: ItemState, status: CaseStatus = CaseStatus.RUNNING, seq: int = 1) -> CaseState:
    return CaseState(
        case_no=CASE,
        thing="newborn",
        version=1,
        owner="citizen-q",
        status=status,
        accepted_at=NOW,
        items=list(items),
        seq=seq,
        notice_names=NoticeNames(
            thing=Names(zh="新生儿出生一件事", en="Newborn"),
            items={"birth": Names(zh="出生医学证明", en="Birth certificate"), "hukou": Names(zh="户口", en="Hukou")},
        ),
    )


def item(code: str, status: ItemStatus, round_: int = 0, reason: str | None = None) -> ItemState:
    return ItemState(
        code=code, department="d", mode=IntegrationMode.SYNC_REST, status=status, round=round_, reason=reason
    )


def inbox(engine) -> list[tuple[str, str, int]]:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        rows = session.exec(select(InboxMessage).where(InboxMessage.case_no == CASE)).all()
        assert all(row.title_zh and row.title_en and row.body_zh and row.body_en for row in rows)
        return sorted((row.kind, row.item_code, row.round) for row in rows)


def test_the_projection_owes_each_notice_once_in_its_own_transaction(empty_database: str) -> None:
    engine = migrated_engine(empty_database)
    try:
        projection = ProjectionActivities(engine, clock=Clock())
        waiting = case(item("birth", ItemStatus.WAITING_CITIZEN, 0, "照片不清晰"), item("hukou", ItemStatus.RUNNING))
        projection.project_case_state(waiting)
        projection.project_case_state(waiting)  # a retried write
        assert inbox(engine) == [("accepted", "", 0), ("correction_needed", "birth", 0)]
        with Session(engine) as session:
            assert queued(session) == 4  # SMS and e-mail of each
            correction = session.get(QueuedMessage, f"{CASE}:correction_needed:birth:0:sms")
            assert correction is not None
            assert "照片不清晰" in correction.text

        done = case(item("birth", ItemStatus.COMPLETED, 1), item("hukou", ItemStatus.COMPLETED), seq=2)
        done.status = CaseStatus.COMPLETED
        projection.project_case_state(done)
        projection.project_case_state(waiting)  # an older write arriving late adds nothing either
        assert inbox(engine) == [
            ("accepted", "", 0),
            ("all_done", "", 0),
            ("correction_needed", "birth", 0),
            ("item_done", "birth", 1),
            ("item_done", "hukou", 0),
        ]
        with Session(engine) as session:
            assert queued(session) == 10
    finally:
        engine.dispose()


def test_a_state_without_notice_names_writes_no_notice(empty_database: str) -> None:
    """Cases recorded before the patch send through the activity: their projection adds nothing."""
    engine = migrated_engine(empty_database)
    try:
        state = case(item("birth", ItemStatus.COMPLETED))
        state.notice_names = None
        ProjectionActivities(engine, clock=Clock()).project_case_state(state)
        assert inbox(engine) == []
    finally:
        engine.dispose()


class FlakyGateway(RecordingTransport):
    """Fails each key's first send, as a gateway that is briefly away."""

    def __init__(self, engine, clock: Clock) -> None:  # type: ignore[no-untyped-def]
        super().__init__(engine, clock)
        self.tries: Counter[str] = Counter()

    def send(self, outgoing: Outgoing) -> None:
        self.tries[outgoing.key] += 1
        if self.tries[outgoing.key] == 1:
            raise ConnectionError("gateway away")
        super().send(outgoing)


def test_a_failed_send_is_retried_with_backoff_and_sent_once(empty_database: str) -> None:
    engine = migrated_engine(empty_database)
    try:
        clock = Clock()
        projection = ProjectionActivities(engine, clock=clock)
        state = case(item("birth", ItemStatus.COMPLETED), item("hukou", ItemStatus.RUNNING))
        projection.project_case_state(state)
        gateway = FlakyGateway(engine, clock)
        sender = MessageSender(engine, gateway, Settings(), clock)

        assert sender.send_due() == 4  # all four taken, all four failed
        with Session(engine) as session:
            assert list_outgoing(session, case_no=CASE) == []
            assert queued(session) == 4
        assert sender.send_due() == 0  # not due again before its backoff
        clock.at += timedelta(seconds=5)
        assert sender.send_due() == 4
        with Session(engine) as session:
            sent = list_outgoing(session, case_no=CASE)
            assert Counter(row.channel for row in sent) == Counter({"sms": 2, "email": 2})
            assert queued(session) == 0

        # Written again, replayed, later: nothing is queued or sent twice.
        projection.project_case_state(state)
        clock.at += timedelta(minutes=10)
        assert sender.send_due() == 0
        assert set(gateway.tries.values()) == {2}
    finally:
        engine.dispose()


def test_a_queued_send_is_taken_by_one_sender_until_its_lease_runs_out(empty_database: str) -> None:
    engine = migrated_engine(empty_database)
    try:
        ProjectionActivities(engine, clock=Clock()).project_case_state(case())
        lease = timedelta(seconds=60)
        with Session(engine) as first, Session(engine) as second:
            assert len(claim_due(first, now=NOW, lease=lease, limit=10)) == 2
            first.commit()
            assert claim_due(second, now=NOW + timedelta(seconds=1), lease=lease, limit=10) == []
            second.commit()
            assert len(claim_due(second, now=NOW + lease + timedelta(seconds=1), lease=lease, limit=10)) == 2
    finally:
        engine.dispose()


def test_a_sender_takes_the_oldest_due_sends_up_to_its_batch(empty_database: str) -> None:
    engine = migrated_engine(empty_database)
    try:
        with Session(engine) as session:
            for minutes, key in ((3, "c"), (1, "b"), (1, "a"), (-5, "later")):
                queue_message(
                    session,
                    key=key,
                    owner="o",
                    case_no=CASE,
                    channel="sms",
                    text="t",
                    now=NOW - timedelta(minutes=minutes),
                )
            session.commit()
        with Session(engine) as session:
            taken = claim_due(session, now=NOW, lease=timedelta(seconds=60), limit=2)
            assert [row.key for row in taken] == ["c", "a"]  # due longest first; "later" is not due yet
            assert all(row.leased_until is not None for row in taken)
            session.commit()
            assert [row.key for row in claim_due(session, now=NOW, lease=timedelta(seconds=60), limit=2)] == ["b"]
    finally:
        engine.dispose()


def test_an_idle_sender_only_reads(empty_database: str) -> None:
    """Nothing due: no write, so no write lock (on SQLite one for the whole database) that a worker stopped
    mid-poll would hold while it stands still."""
    engine = migrated_engine(empty_database)
    verbs: list[str] = []
    count_sql(engine, transaction=lambda: None, statement=verbs.append)
    try:
        with Session(engine) as session:
            queue_message(session, key="later", owner="o", case_no=CASE, channel="sms", text="t", now=NOW)
            session.commit()
        verbs.clear()
        with Session(engine) as session:
            assert claim_due(session, now=NOW - timedelta(minutes=1), lease=timedelta(seconds=60), limit=10) == []
            session.commit()
        assert verbs
        assert set(verbs) == {"select"}, verbs
        with Session(engine) as session:  # once something is due it is leased as before
            assert [row.key for row in claim_due(session, now=NOW, lease=timedelta(seconds=60), limit=10)] == ["later"]
    finally:
        engine.dispose()
