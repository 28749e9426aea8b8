"""Revision 0008 marks the cases that were simulated before anything recorded it: those of the simulation's
fictional applicants, and no other, and moves their decided items to the rollup's simulated rows. Runs on
SQLite and on PostgreSQL (when the run offers one: conftest.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import create_engine, text

from persistence import migrate

CASE = (
    "INSERT INTO cases (case_no, thing, version, owner, district, channel, status, accepted_at, seq, updated_at) "
    "VALUES (:case_no, 'newborn', 1, :owner, '徐汇区', 'bundle', 'completed', :at, 1, :at)"
)
ITEM = (
    "INSERT INTO case_items (case_no, code, department, mode, status, finished_at, due_at, clock_days, round, seq) "
    "VALUES (:case_no, 'birth_certificate', 'health', 'sync_rest', 'completed', :finished, :due, 1, 0, 1)"
)
# What the projection counted at 0006 for the two decided items: one row, both on time (finished 2 March Shanghai).
ROLLUP = (
    "INSERT INTO item_outcomes_daily (day, thing, district, department, item, clock_days, finished, on_time, "
    "on_time_statutory) VALUES (:day, 'newborn', '徐汇区', 'health', 'birth_certificate', 1, 2, 2, 2)"
)
ROLLUP_ROWS = "SELECT simulated, finished, on_time FROM item_outcomes_daily ORDER BY simulated"


def test_cases_of_the_simulations_applicants_are_marked_and_no_other(empty_database: str) -> None:
    migrate.upgrade(empty_database, "0006")
    engine = create_engine(empty_database)
    owners = {"C1": "demo-mother-1", "C2": "demo-father-3", "C3": "citizen-real", "C4": "demo-grandmother-1"}
    at = datetime(2027, 3, 1, 2, tzinfo=UTC)
    finished = at + timedelta(days=1)
    with engine.begin() as connection:
        for case_no, owner in owners.items():
            connection.execute(text(CASE), {"case_no": case_no, "owner": owner, "at": at})
        for case_no in ("C1", "C3"):
            connection.execute(text(ITEM), {"case_no": case_no, "finished": finished, "due": finished + timedelta(1)})
        connection.execute(text(ROLLUP), {"day": date(2027, 3, 2)})
    engine.dispose()

    migrate.upgrade(empty_database)

    engine = create_engine(empty_database)
    with engine.connect() as connection:
        marked = dict(connection.execute(text("SELECT case_no, simulated FROM cases ORDER BY case_no")).all())
        rollup = [tuple(row) for row in connection.execute(text(ROLLUP_ROWS)).all()]
    engine.dispose()
    # The grandmother is a demo persona the simulation never applies as: her cases are somebody's demo by hand.
    assert {case_no: bool(flag) for case_no, flag in marked.items()} == {
        "C1": True,
        "C2": True,
        "C3": False,
        "C4": False,
    }
    assert [(bool(simulated), count, on_time) for simulated, count, on_time in rollup] == [(False, 1, 1), (True, 1, 1)]
    migrate.check(empty_database)

    migrate.downgrade(empty_database, "0006")
    engine = create_engine(empty_database)
    with engine.connect() as connection:
        merged = connection.execute(text("SELECT finished, on_time FROM item_outcomes_daily")).all()
    engine.dispose()
    assert [tuple(row) for row in merged] == [(2, 2)]  # back as the projection had counted them
