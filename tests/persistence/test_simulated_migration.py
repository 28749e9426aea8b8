"""Revision 0007 marks the cases that were simulated before anything recorded it: those of the simulation's
fictional applicants, and no other. Runs on SQLite and on PostgreSQL (when the run offers one: conftest.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import create_engine, text

from persistence import migrate

CASE = (
    "INSERT INTO cases (case_no, thing, version, owner, district, channel, status, accepted_at, seq, updated_at) "
    "VALUES (:case_no, 'newborn', 1, :owner, '', 'bundle', 'completed', :at, 1, :at)"
)


def test_cases_of_the_simulations_applicants_are_marked_and_no_other(empty_database: str) -> None:
    migrate.upgrade(empty_database, "0006")
    engine = create_engine(empty_database)
    owners = {"C1": "demo-mother-1", "C2": "demo-father-3", "C3": "citizen-real", "C4": "demo-grandmother-1"}
    at = datetime(2027, 3, 1, tzinfo=UTC)
    with engine.begin() as connection:
        for case_no, owner in owners.items():
            connection.execute(text(CASE), {"case_no": case_no, "owner": owner, "at": at})
    engine.dispose()

    migrate.upgrade(empty_database)

    engine = create_engine(empty_database)
    with engine.connect() as connection:
        marked = dict(connection.execute(text("SELECT case_no, simulated FROM cases ORDER BY case_no")).all())
    engine.dispose()
    # The grandmother is a demo persona the simulation never applies as: her cases are somebody's demo by hand.
    assert {case_no: bool(flag) for case_no, flag in marked.items()} == {
        "C1": True,
        "C2": True,
        "C3": False,
        "C4": False,
    }
    migrate.check(empty_database)
