"""The starter: accepted applications whose start waits in the outbox reach the case engine once it answers,
with backoff meanwhile, each exactly once as a case however often it is tried."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core.settings import Settings
from one_things.catalog import Catalog
from persistence.outbox import OutboxCommand, pending_for_case
from services.outbox import START, Starter, backoff
from tests.services.test_submission import newborn, submit
from tests.support.fake_gateway import FakeCaseGateway, Method, Outcome


class SteppedClock:
    def __init__(self) -> None:
        self.at = datetime.now(UTC)

    def now(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


@pytest.fixture(autouse=True)
def only_this_tests_rows(engine: Engine) -> None:
    """The package shares one database: the starter here sees only the rows the test itself leaves."""
    with Session(engine) as session:
        session.execute(delete(OutboxCommand))
        session.commit()


def _row(engine: Engine, case_no: str) -> OutboxCommand | None:
    with Session(engine) as session:
        return session.exec(select(OutboxCommand).where(OutboxCommand.case_no == case_no)).first()


async def test_the_starter_retries_with_backoff_until_the_engine_takes_the_start(
    engine: Engine, session: Session, gateway: FakeCaseGateway, settings: Settings, catalog: Catalog
) -> None:
    gateway.answer(Method.START, Outcome.UNAVAILABLE)
    case_no, _, _ = await submit(session, gateway, settings, catalog, "citizen-outbox-starter", newborn(catalog))
    assert case_no not in gateway.states
    clock = SteppedClock()
    starter = Starter(engine, gateway, settings, clock)
    clock.advance(settings.temporal_rpc_seconds + 10)  # past the accepting request's own try

    tries, gaps = [], []
    for _ in range(4):  # still down: each try pushes the next one further out, the row is kept
        before = len(gateway.started)
        await starter.deliver_due()
        tries.append(len(gateway.started) - before)
        row = _row(engine, case_no)
        assert row is not None
        assert (row.leased_until, row.last_error) == (None, "UnavailableError")
        gaps.append((row.due_at - clock.at).total_seconds())
        clock.at = row.due_at
    assert tries == [1, 1, 1, 1]
    assert row.attempts == 1 + 4  # the accepting request's own try, then the starter's
    assert gaps == sorted(gaps)
    assert gaps[-1] >= 8

    gateway.answer(Method.START, Outcome.ACCEPT)
    await starter.deliver_due()
    assert case_no in gateway.states
    assert _row(engine, case_no) is None
    await starter.deliver_due()  # nothing left: no second start
    assert [b.case_no for b in gateway.started].count(case_no) == 5 + 1  # the request's try, 4 failed, 1 taken


async def test_a_start_is_not_tried_before_it_is_due(
    engine: Engine, session: Session, gateway: FakeCaseGateway, settings: Settings, catalog: Catalog
) -> None:
    gateway.answer(Method.START, Outcome.UNAVAILABLE)
    case_no, _, _ = await submit(session, gateway, settings, catalog, "citizen-outbox-not-due", newborn(catalog))
    row = _row(engine, case_no)
    assert row is not None
    clock = SteppedClock()
    clock.at = row.due_at - timedelta(milliseconds=1)
    starter = Starter(engine, gateway, settings, clock)
    sent = len(gateway.started)
    await starter.deliver_due()
    assert len(gateway.started) == sent
    with Session(engine) as elsewhere:
        assert pending_for_case(elsewhere, case_no=case_no, kind=START)


def test_backoff_grows_and_stays_under_its_ceiling() -> None:
    waits = [backoff(attempts, ceiling=60).total_seconds() for attempts in range(12)]
    assert 0.5 <= waits[0] <= 1
    assert 4 <= waits[3] <= 8
    assert all(wait <= 60 for wait in waits)
    assert waits[-1] >= 30


async def test_once_the_engine_proves_unreachable_the_rest_of_the_batch_is_released_untried(
    engine: Engine, session: Session, gateway: FakeCaseGateway, settings: Settings, catalog: Catalog
) -> None:
    gateway.answer(Method.START, Outcome.UNAVAILABLE)
    owner = "citizen-outbox-batch"
    first, _, _ = await submit(session, gateway, settings, catalog, owner, newborn(catalog), key="batch-1")
    second, _, _ = await submit(session, gateway, settings, catalog, owner, newborn(catalog), key="batch-2")
    rows = {case_no: _row(engine, case_no) for case_no in (first, second)}
    clock = SteppedClock()
    clock.at = max(row.due_at for row in rows.values() if row is not None)
    sent = len(gateway.started)
    assert await Starter(engine, gateway, settings, clock).deliver_due() == 0
    assert len(gateway.started) == sent + 1  # one try, not one per row against the timeout
    after = {case_no: _row(engine, case_no) for case_no in (first, second)}
    attempts = sorted(row.attempts for row in after.values() if row is not None)
    assert attempts == [1, 2]  # the tried one counts a second failure, the other keeps its first
    assert [row.leased_until for row in after.values() if row is not None] == [None, None]
