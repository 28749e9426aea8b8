"""The worker's licence reminders name items from the settings' catalogue folder, newly published ones too."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
from sqlmodel import Session, select

from one_things.live import CHECK_EVERY_SECONDS
from persistence.db import session_scope
from persistence.licences import Licence
from persistence.messages import InboxMessage
from tests.support.catalog import TWINS, catalogue_with_twins, publish_copy
from tests.support.db import migrated_engine, settings_for
from worker import worker_activities
from workflows.contracts import ReminderRequest

TODAY = date(2031, 6, 1)


def card(session: Session, thing: str, case_no: str) -> None:
    session.add(
        Licence(
            holder="acc-reminded",
            kind="social_security_card",
            thing=thing,
            case_no=case_no,
            item_code="social_security_card",
            number=f"SSC-{case_no}",
            issuer="human_resources",
            issued_at=datetime(2021, 6, 1, tzinfo=UTC),
            expires_at=datetime(2031, 6, 11, 7, tzinfo=UTC),
        )
    )


def titles(session: Session) -> dict[str, str]:
    return {message.case_no: message.title_zh for message in session.exec(select(InboxMessage))}


async def test_licence_reminders_read_the_settings_catalogue(tmp_path: Path) -> None:
    folder = catalogue_with_twins(tmp_path / "catalog")
    settings = settings_for(tmp_path, catalog_dir=folder)
    engine = migrated_engine(tmp_path)
    async with httpx.AsyncClient() as http:
        activities = worker_activities(settings, http=http, engine=engine)
    [remind] = [activity for activity in activities if activity.__name__ == "remind_expiring_licences"]
    with session_scope(engine) as session:
        card(session, TWINS, "20210601-TWINS001")
        card(session, "newborn_triplets", "20210601-TRIPLETS")  # its definition is not published yet

    assert remind(ReminderRequest(today=TODAY, within_days=30)) == 2
    with Session(engine) as session:
        shown = titles(session)
    assert "社会保障卡" in shown["20210601-TWINS001"]  # the item's result name, from the folder's definition
    assert "social_security_card" in shown["20210601-TRIPLETS"]  # no definition: only the code to show

    publish_copy(folder, "newborn_triplets", "三胞胎出生一件事")
    await asyncio.sleep(CHECK_EVERY_SECONDS)
    with session_scope(engine) as session:
        card(session, "newborn_triplets", "20210601-TRIPLET2")
    assert remind(ReminderRequest(today=TODAY + timedelta(days=1), within_days=30)) == 1
    with Session(engine) as session:
        assert "社会保障卡" in titles(session)["20210601-TRIPLET2"]  # published without restarting the worker
