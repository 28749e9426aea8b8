"""`onething simulate` end to end: a small run, then the figures the dashboards will read from the projection."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from persistence.db import make_engine
from persistence.materials import MaterialUpload
from persistence.ratings import OVERALL, RatingRecord
from persistence.rectifications import RectificationRecord
from persistence.tables import ApplicationRequest, CaseRecord, ItemRecord
from simulation.runner import Plan, simulate
from simulation.scenario import Delay, Scenario
from simulation.timeserver import libfaketime
from tests.support.db import settings_for

pytestmark = pytest.mark.e2e  # a whole stack on the time-skipping server, in its own processes

# Twenty cases are few: the people are made busier than in the default scenario, so corrections, late
# items and bad ratings all occur. The assertions are about consistency, never about these rates.
BUSY = dataclasses.replace(
    Scenario(),
    staff_delay=Delay(median_hours=40, spread=1.0),
    staff_correction_rate=0.3,
    supplement_rate=1.0,
    supplement_days=(0.5, 2),
    rating_rate=1.0,
    rating_within_hours=12,
    scores={5: 0.4, 4: 0.2, 2: 0.2, 1: 0.2},
    reply_rate=1.0,
    reply_delay=Delay(median_hours=24),
)


async def test_a_small_run_fills_the_projection_with_consistent_figures(tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "data")
    lines: list[str] = []
    outcome = await simulate(settings, Plan(count=20, weeks=2, seed=4), scenario=BUSY, echo=lines.append)

    assert outcome.shifted == (libfaketime() is not None)
    if outcome.shifted:  # the simulated weeks end at the machine's now, not in the future
        assert abs(outcome.ends_at - datetime.now(UTC)) < timedelta(minutes=10)
    assert len(lines) >= 13  # a progress line per simulated day
    with Session(make_engine(settings.projection_url)) as session:
        accepted = {row.case_no for row in session.exec(select(ApplicationRequest))}
        cases = {case.case_no: case for case in session.exec(select(CaseRecord))}
        items = list(session.exec(select(ItemRecord)))
        ratings = list(session.exec(select(RatingRecord)))
        rectifications = list(session.exec(select(RectificationRecord)))
        uploads = list(session.exec(select(MaterialUpload)))

    assert len(accepted) == 20
    assert set(cases) == accepted == set(outcome.cases)  # every accepted case is projected
    assert all(case.simulated for case in cases.values())  # so the leaders' figures leave them out by default
    statuses = {case.status for case in cases.values()}
    assert "completed" in statuses
    for case in cases.values():
        case_items = [item for item in items if item.case_no == case.case_no]
        assert case_items, f"case {case.case_no} has no projected items"
        if case.status == "completed":
            assert all(item.status == "completed" for item in case_items)
            assert case.finished_at is not None
            assert case.finished_at >= case.accepted_at
        assert outcome.cases[case.case_no]["status"] == case.status  # the applicant sees what was projected
    assert any(item.round > 0 for item in items), "no correction (补正) was resubmitted"
    late = [item for item in items if item.breached_at is not None]
    assert late
    assert all(item.light == "red" for item in late)
    assert all(item.due_at is not None and item.breached_at >= item.due_at for item in late)
    assert {rating.case_no for rating in ratings if rating.department == OVERALL} <= {
        no for no, case in cases.items() if case.status == "completed"
    }
    assert any(rating.department == OVERALL for rating in ratings)
    assert rectifications, "no bad rating opened a rectification"
    assert any(record.replies for record in rectifications)
    assert uploads
    assert {upload.case_no for upload in uploads} <= accepted

    # Every stamp lies in the simulated weeks, whoever wrote it: API, workflow or rating.
    stamps = [case.accepted_at for case in cases.values()]
    stamps += [case.finished_at for case in cases.values() if case.finished_at]
    stamps += [item.started_at for item in items if item.started_at] + [item.breached_at for item in late]
    stamps += [rating.created_at for rating in ratings] + [upload.uploaded_at for upload in uploads]
    stamps += [record.started_at for record in rectifications]
    assert min(stamps) >= outcome.starts_at
    assert max(stamps) <= outcome.ends_at + timedelta(minutes=5)
    accepted_at = sorted(case.accepted_at for case in cases.values())
    assert accepted_at[-1] - accepted_at[0] > timedelta(days=7)  # spread over the weeks, not bunched
