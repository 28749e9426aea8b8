"""A licence issued with a declared validity, end to end on the time-skipping server: the item's validity
gives the licence its expiry, the wallet shows the holder masked and the last valid day, and the daily
reminder workflow reminds the holder exactly once, at the configured lead, months later in skipped time."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import yaml
from dateutil.relativedelta import relativedelta
from sqlmodel import Session, col, select
from temporalio.testing import WorkflowEnvironment

from core.auth import Role
from core.calendar import TZ
from core.ids import workflow_id
from one_things.catalog import load_catalog
from persistence.db import make_engine
from persistence.licences import Licence
from persistence.messages import InboxMessage, OutgoingMessage
from tests.support.histories import record_history
from tests.support.inprocess import in_process_api
from tests.support.oidc import sign_in
from tests.workflows.harness import DEFINITION, Harness, harness
from workflows.bundle import OneThingWorkflow
from workflows.contracts import BundleInput, MessageKind, ReminderRun, StaffDecision
from workflows.licence_reminders import LicenceReminderWorkflow

MOTHER = "demo-mother-1"
"""李梅 in the demo register: the wallet shows her as 李*."""
LEAD = 30


def one_year_catalog(folder: Path) -> Path:
    """The harness's two-step definition as a catalogue file, its first item's result valid for a year."""
    raw: dict[str, Any] = {**DEFINITION, "items": [dict(item) for item in DEFINITION["items"]]}
    raw["items"][0]["result_name"] = {"zh": "第一证", "en": "First permit"}
    raw["items"][0]["result_valid_for"] = {"years": 1}
    folder.mkdir()
    (folder / "twosteps.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return folder


async def completed_case(h: Harness, case_no: str) -> None:
    # The worker reads the validity from the catalogue folder; the case runs on the same definition.
    definition = load_catalog(h.settings.catalog_dir).get("twosteps")
    bundle = BundleInput(
        case_no=case_no,
        thing=definition,
        included=[item.code for item in definition.items],
        form={"applicant": "Test Applicant"},
        owner=MOTHER,
        accepted_at=await h.env.get_current_time(),
    )
    handle = await h.env.client.start_workflow(
        OneThingWorkflow.run, bundle, id=workflow_id(case_no), task_queue=h.settings.task_queue
    )
    while (await handle.query(OneThingWorkflow.status)).item("second").holder != "staff":
        await h.env.sleep(timedelta(seconds=1))
    await handle.execute_update(
        OneThingWorkflow.staff_decision,
        StaffDecision(item_code="second", decision="approve", output={"second_no": "B-1"}, staff="clerk"),
    )
    with h.env.auto_time_skipping_disabled():  # the case is over; the clock stays at its end
        assert (await handle.result()).status == "completed"


async def remind_on(h: Harness, day: date, run_no: int, at: time = time(9)) -> int:
    """Runs the daily reminder as its schedule does, at 09:00 Shanghai on `day` (skipped time)."""
    await h.skip_to(datetime.combine(day, at, tzinfo=TZ))
    handle = await h.env.client.start_workflow(
        LicenceReminderWorkflow.run,
        ReminderRun(lead_days=h.settings.licence_reminder_days),
        id=f"licence-expiry-reminders-test-{run_no}",
        task_queue=h.settings.task_queue,
    )
    # Without this the server skips ahead while the sweep's activity runs in its thread (to the next timer
    # of any workflow), and the next day of the test would lie in the past.
    with h.env.auto_time_skipping_disabled():
        sent: int = await handle.result()
    if run_no == 2:
        await record_history(handle, "licence_reminder_leads")
    return sent


async def test_a_one_year_licence_shows_its_expiry_and_is_reminded_once_at_the_lead(
    skipping_env: WorkflowEnvironment, data_dir: Path, tmp_path: Path
) -> None:
    catalog = one_year_catalog(tmp_path / "catalog")
    async with harness(skipping_env, data_dir, catalog_dir=catalog, licence_reminder_days=[LEAD]) as h:
        await completed_case(h, "EXP-1")
        engine = make_engine(h.settings.projection_url)
        with Session(engine) as session:
            issued = {lic.item_code: lic for lic in session.exec(select(Licence).where(Licence.case_no == "EXP-1"))}
        first, second = issued["first"], issued["second"]
        issued_on = first.issued_at.astimezone(TZ).date()
        last_day = issued_on + relativedelta(years=1) - timedelta(days=1)
        assert first.expires_at == datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=TZ)
        assert second.expires_at is None  # no validity declared: it never expires

        async with in_process_api(data_dir, catalog_dir=catalog) as api, api.client() as browser:
            await sign_in(browser, MOTHER)
            response = await browser.get("/wallet")
            assert response.status_code == 200, response.text
            page = response.text
            async with api.as_user(Role.CITIZEN, MOTHER) as citizen:
                licences = {lic["item_code"]: lic for lic in (await citizen.get("/api/v1/licences")).json()}
        assert 'data-holder="李*"' in page
        assert "持证人: 李*" in page
        assert "李梅" not in page
        kinds = re.findall(r'<section class="wallet-kind" data-kind="([a-z_]+)"', page)
        assert {"first", "second"} <= set(kinds)
        assert len(kinds) == len(set(kinds))  # one group per kind
        first_card = page[page.index('data-kind="first"') :]
        first_card = first_card[: first_card.index("</section>")]
        assert f'有效期至: <time datetime="{last_day.isoformat()}">{last_day.isoformat()}</time>' in first_card
        second_card = page[page.index('data-kind="second"') :]
        assert "长期有效" in second_card[: second_card.index("</section>")]
        assert licences["first"]["valid_until"] == last_day.isoformat()
        assert licences["second"]["valid_until"] is None

        due = last_day - timedelta(days=LEAD)
        assert await remind_on(h, due - timedelta(days=1), 1) == 0
        assert await remind_on(h, due, 2) == 1
        assert await remind_on(h, due, 3, at=time(15)) == 0  # a second run the same day (a manual trigger, a catch-up)
        assert await remind_on(h, due + timedelta(days=1), 4) == 0
        assert await remind_on(h, last_day, 5) == 0

        with Session(engine) as session:
            reminders = session.exec(
                select(InboxMessage).where(InboxMessage.kind == MessageKind.LICENCE_EXPIRING.value)
            ).all()
            sent = session.exec(
                select(OutgoingMessage).where(col(OutgoingMessage.key).contains(MessageKind.LICENCE_EXPIRING.value))
            ).all()
        engine.dispose()
        [reminder] = reminders
        assert reminder.owner == MOTHER
        assert (reminder.case_no, reminder.item_code) == ("EXP-1", "first")
        assert reminder.round == int(last_day.strftime("%Y%m%d")) * 1000 + LEAD
        assert f"「第一证」有效期至 {last_day.isoformat()}" in reminder.body_zh
        assert sorted(row.channel for row in sent) == ["email", "sms"]
