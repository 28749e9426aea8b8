"""Leaders' statistics from cases the real workflow ran on the time-skipping server, against figures
worked out by hand: across the 2027 Spring Festival (5–10 February off), with a correction that stops
the statutory clock, a case that guidance cut to one item, a rejection, a withdrawal and a running case.

Working days count the days after acceptance up to and including the completion day; calendar days are
completion date minus acceptance date; weeks are ISO weeks. Uploads are saved as the citizen's page saves
them right after a case is accepted (the workflow never sees the files). Only queries wait for a case
here, never `result()`: waiting for a result lets the test server skip time ahead.
"""

from __future__ import annotations

import time
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import Session, select
from temporalio.testing import WorkflowEnvironment

from core.ids import workflow_id
from one_things.catalog import Catalog
from one_things.schema import OneThing
from persistence.db import make_engine
from persistence.materials import save_upload
from persistence.stats import Span
from persistence.tables import CaseRecord
from services.statistics import things_report, volume_weeks
from tests.workflows.harness import DEFINITION, Harness, harness, until
from workflows.bundle import OneThingWorkflow
from workflows.contracts import StaffDecision, Supplement, Withdrawal

SH = ZoneInfo("Asia/Shanghai")
PNG = b"\x89PNG\r\n\x1a\n" + bytes(16)
THING = OneThing.model_validate(
    {
        **DEFINITION,
        "materials": [
            {"code": "photo", "name": {"zh": "照片", "en": "Photo"}, "source": "citizen", "items": ["second"]},
            {"code": "id_card", "name": {"zh": "身份证", "en": "ID card"}, "source": "shared_data", "items": ["first"]},
            {
                "code": "licence",
                "name": {"zh": "证照", "en": "Licence"},
                "source": "licence_library",
                "items": ["second"],
            },
        ],
        "baseline": {"steps": 4, "days": 40, "materials": 2, "trips": 2},
    }
)


def at(month: int, day: int, hour: int) -> datetime:
    return datetime(2027, month, day, hour, 0, tzinfo=SH)


async def approve_second(h: Harness, case_no: str, when: datetime) -> None:
    await h.skip_to(when)
    handle = h.env.client.get_workflow_handle_for(OneThingWorkflow.run, workflow_id(case_no))
    decision = StaffDecision(item_code="second", decision="approve", output={"second_no": case_no}, staff="clerk")
    await handle.execute_update(OneThingWorkflow.staff_decision, decision)
    await until(handle, lambda s: s.status == "completed")


async def start_waiting_for_staff(h: Harness, case_no: str, when: datetime, engine: object) -> None:
    await h.skip_to(when)
    handle = await h.start(THING, case_no)
    await until(handle, lambda s: s.item("second").holder == "staff")
    with Session(engine) as session:  # type: ignore[call-overload]
        save_upload(
            session, case_no=case_no, owner="tester", material="photo", content_type="image/png", data=PNG, now=when
        )
        session.commit()


def wait_projected(engine: object, expected: dict[str, str], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with Session(engine) as session:  # type: ignore[call-overload]
            seen = dict(session.exec(select(CaseRecord.case_no, CaseRecord.status)).all())
        if seen == expected:
            return
        assert time.monotonic() < deadline, f"projection shows {seen}, expected {expected}"
        time.sleep(0.1)


async def run_cases(h: Harness, engine: object) -> None:
    # Week 5 (1–7 Feb): three accepted, one completed.
    await start_waiting_for_staff(h, "S1", at(2, 1, 10), engine)
    await h.configure("alpha", correction_rate=1.0)
    await h.skip_to(at(2, 2, 9))
    corrected = await h.start(THING, "S3")
    await until(corrected, lambda s: s.status == "waiting_citizen")
    await h.configure("alpha", correction_rate=0.0)
    with Session(engine) as session:  # type: ignore[call-overload]
        save_upload(
            session, case_no="S3", owner="tester", material="photo", content_type="image/png", data=PNG, now=at(2, 2, 9)
        )
        session.commit()
    await h.skip_to(at(2, 3, 10))
    await corrected.execute_update(OneThingWorkflow.supplement, Supplement(item_code="first", form={"applicant": "X"}))
    await until(corrected, lambda s: s.item("second").holder == "staff")
    await start_waiting_for_staff(h, "S2", at(2, 4, 10), engine)
    await approve_second(h, "S1", at(2, 4, 16))
    # Week 6 (8–14 Feb, the festival until Wed 10): two completed.
    await approve_second(h, "S2", at(2, 11, 10))
    await approve_second(h, "S3", at(2, 12, 11))
    # Week 7 (15–21 Feb): four accepted; one completed (guidance left out `second`), one rejected, one withdrawn.
    await h.skip_to(at(2, 15, 9))
    await until(await h.start(THING, "S4", included=["first"]), lambda s: s.status == "completed")
    await h.configure("alpha", reject_rate=1.0)
    await h.skip_to(at(2, 16, 9))
    await until(await h.start(THING, "S5"), lambda s: s.status == "rejected")
    await h.configure("alpha", reject_rate=0.0)
    await start_waiting_for_staff(h, "S6", at(2, 17, 9), engine)
    withdrawn = h.env.client.get_workflow_handle_for(OneThingWorkflow.run, workflow_id("S6"))
    await withdrawn.execute_update(OneThingWorkflow.withdraw, Withdrawal())
    await start_waiting_for_staff(h, "S7", at(2, 18, 9), engine)  # still running at the end
    # Week 8 (22–28 Feb): one accepted, completed on Monday 1 March (week 9).
    await start_waiting_for_staff(h, "S8", at(2, 22, 10), engine)
    await approve_second(h, "S8", at(3, 1, 10))


async def test_figures_match_the_hand_computed_ones(skipping_env: WorkflowEnvironment, data_dir: Path) -> None:
    async with harness(skipping_env, data_dir) as h:
        engine = make_engine(h.settings.projection_url)
        await run_cases(h, engine)
        statuses = {f"S{n}": "completed" for n in (1, 2, 3, 4, 8)} | {"S5": "rejected", "S6": "withdrawn"}
        wait_projected(engine, statuses | {"S7": "running"})
        catalog = Catalog([THING])
        with Session(engine) as session:
            everything = things_report(session, catalog=catalog, span=Span()).things[0]
            late_february = things_report(session, catalog=catalog, span=Span(date(2027, 2, 15), date(2027, 2, 28)))
            weeks = volume_weeks(session, catalog=catalog, span=Span())
            weeks_in_range = volume_weeks(session, catalog=catalog, span=Span(date(2027, 2, 15), date(2027, 2, 28)))
        engine.dispose()  # type: ignore[attr-defined]

    cases = everything.cases
    assert (cases.accepted, cases.completed, cases.rejected, cases.withdrawn, cases.running) == (8, 5, 1, 1, 1)
    measured = everything.measured
    # Calendar days S1..S4, S8: 3, 7, 10, 0, 7 -> sorted 0 3 7 7 10; p90 at rank 3.6 = 7 + 0.6 x 3.
    assert (measured.calendar_days.median, measured.calendar_days.p90) == (7, 8.8)
    # Working days: S1 2–4 Feb = 3; S2 only Thu 11 Feb = 1; S3 3, 4, 11, 12 Feb = 4 (the days waiting for the
    # citizen count: the citizen waited); S4 0; S8 23–26 Feb and 1 March = 5 -> 0 1 3 4 5.
    assert (measured.working_days.median, measured.working_days.p90) == (3, 4.6)
    assert measured.steps == 1.2  # one application each, plus S3's answered correction: 6 / 5
    assert measured.materials_provided == 0.8  # four photos; S4 had no item needing one
    assert measured.materials_exempt == 1.8  # id card and licence four times, S4 only the id card: 9 / 5
    assert measured.trips == 0
    assert measured.sampled_cases == 5
    cut = everything.reduction
    assert (cut.steps, cut.days, cut.materials, cut.trips) == (70.0, 82.5, 60.0, 100.0)
    assert everything.reviews.ratings == 0
    assert everything.reviews.rate is None

    # The range selects cases by acceptance: S4–S8; of them S4 (0 days) and S8 (7 and 5) completed.
    ranged = late_february.things[0]
    assert (ranged.cases.accepted, ranged.cases.completed, ranged.cases.running) == (5, 2, 1)
    assert (ranged.measured.calendar_days.median, ranged.measured.calendar_days.p90) == (3.5, 6.3)
    assert (ranged.measured.working_days.median, ranged.measured.working_days.p90) == (2.5, 4.5)
    assert ranged.measured.steps == 1

    by_week = {w.iso_week: (w.accepted, w.completed, w.rejected, w.withdrawn) for w in weeks}
    assert by_week == {
        "2027-W05": (3, 1, 0, 0),
        "2027-W06": (0, 2, 0, 0),
        "2027-W07": (4, 1, 1, 1),
        "2027-W08": (1, 0, 0, 0),
        "2027-W09": (0, 1, 0, 0),
    }
    # In a range, each event counts by its own date: S8 finished on 1 March, after it.
    in_range = {w.iso_week: (w.accepted, w.completed, w.rejected, w.withdrawn) for w in weeks_in_range}
    assert in_range == {"2027-W07": (4, 1, 1, 1), "2027-W08": (1, 0, 0, 0)}
