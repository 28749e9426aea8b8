"""The outbox's leases on SQLite and PostgreSQL: of two processes that look at once, one takes a row; a lease that
ran out is taken over; a delivered row is gone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from persistence.outbox import add_command, backlog, claim_due, claim_for_case, delivered, pending_for_case, retry_later
from tests.support.db import migrated_engine

NOW = datetime(2026, 12, 6, 4, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)


def test_a_row_is_taken_by_one_starter_until_its_lease_runs_out(empty_database: str) -> None:
    engine = migrated_engine(empty_database)
    try:
        with Session(engine) as session:
            add_command(session, kind="start", case_no="20261206-AAAA1111", payload="{}", now=NOW, due_at=NOW)
            add_command(session, kind="start", case_no="20261206-BBBB2222", payload="{}", now=NOW, due_at=NOW + LEASE)
            session.commit()
        with Session(engine) as first, Session(engine) as second:
            taken = claim_due(first, now=NOW, lease=LEASE, limit=10)
            first.commit()
            assert [row.case_no for row in taken] == ["20261206-AAAA1111"]  # the other is not due yet
            assert claim_due(second, now=NOW + timedelta(seconds=1), lease=LEASE, limit=10) == []
            assert claim_for_case(second, case_no="20261206-AAAA1111", kind="start", now=NOW, lease=LEASE) == []
            second.commit()
            # The holder died: after its lease another process takes the row over, the not-yet-due one with it.
            later = NOW + LEASE + timedelta(seconds=1)
            again = claim_due(second, now=later, lease=LEASE, limit=10)
            second.commit()
            assert sorted(row.case_no for row in again) == ["20261206-AAAA1111", "20261206-BBBB2222"]
        with Session(engine) as session:
            first_id, second_id = sorted(row.id for row in again if row.id is not None)
            retry_later(session, command_id=second_id, due_at=later + timedelta(seconds=8), error="UnavailableError")
            delivered(session, command_id=first_id)
            session.commit()
            assert not pending_for_case(session, case_no="20261206-AAAA1111", kind="start")
            assert pending_for_case(session, case_no="20261206-BBBB2222", kind="start")
            assert backlog(session) == 1
            # Released with a later attempt: free of any lease, due only then.
            assert claim_due(session, now=later + timedelta(seconds=7), lease=LEASE, limit=10) == []
            retried = claim_due(session, now=later + timedelta(seconds=8), lease=LEASE, limit=10)
            assert [(row.attempts, row.last_error) for row in retried] == [(1, "UnavailableError")]
    finally:
        engine.dispose()
