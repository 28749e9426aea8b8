"""Licence expiry reminders against a real SQLite projection: once per licence and expiry date."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from temporalio.exceptions import ApplicationError

from activities.licence_reminders import LicenceReminderActivities
from activities.messages import Outgoing, RecordingTransport
from core.calendar import TZ
from one_things.catalog import CATALOG_DIR
from one_things.live import LiveCatalog
from persistence.db import session_scope
from persistence.licences import Licence, add_licence
from persistence.messages import InboxMessage, OutgoingMessage
from tests.support.db import migrated_engine
from workflows.contracts import MessageKind, ReminderRequest

TODAY = date(2031, 6, 1)
HOLDER = "acc-reminded"


def expiring(days: int) -> datetime:
    # Mid-afternoon Shanghai time: the expiry date is the same in Shanghai and in UTC.
    return datetime.combine(TODAY + timedelta(days=days), time(15), tzinfo=TZ).astimezone(UTC)


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return migrated_engine(tmp_path)


@pytest.fixture
def activities(engine: Engine) -> LicenceReminderActivities:
    return LicenceReminderActivities(engine, RecordingTransport(engine), LiveCatalog(CATALOG_DIR))


def seed(engine: Engine) -> dict[str, str]:
    """Licence ids by what the test expects of them."""
    issued = datetime(2021, 6, 1, tzinfo=UTC)
    with session_scope(engine) as session:
        from_case = Licence(
            holder=HOLDER,
            kind="social_security_card",
            thing="newborn",
            case_no="20210601-ABCDEFGH",
            item_code="social_security_card",
            number="SSC-1",
            issuer="human_resources",
            issued_at=issued,
            expires_at=expiring(10),
        )
        session.add(from_case)
        caseless = add_licence(
            session,
            holder=HOLDER,
            kind="marriage_certificate",
            number="J310104-2021-000001",
            issuer="civil_affairs",
            issued_at=issued,
            expires_at=expiring(10),
        )
        later = passport(session, "P-60", expiring(60))
        expired = passport(session, "P-0", expiring(-1))
        never = passport(session, "P-N", None)
        return {
            "case": from_case.id,
            "caseless": caseless.id,
            "later": later.id,
            "expired": expired.id,
            "never": never.id,
        }


def passport(session: Session, number: str, expires_at: datetime | None) -> Licence:
    issued = datetime(2021, 6, 1, tzinfo=UTC)
    return add_licence(
        session, holder=HOLDER, kind="passport", number=number, issuer="x", issued_at=issued, expires_at=expires_at
    )


def inbox(engine: Engine) -> list[InboxMessage]:
    with Session(engine) as session:
        return list(session.exec(select(InboxMessage).order_by(InboxMessage.case_no)).all())


def test_a_licence_expiring_within_the_window_is_reminded_exactly_once(
    engine: Engine, activities: LicenceReminderActivities
) -> None:
    ids = seed(engine)
    request = ReminderRequest(today=TODAY, within_days=30)

    assert activities.remind_expiring_licences(request) == 2
    assert activities.remind_expiring_licences(request) == 0

    messages = inbox(engine)
    assert len(messages) == 2
    assert {message.kind for message in messages} == {MessageKind.LICENCE_EXPIRING.value}
    assert {message.owner for message in messages} == {HOLDER}
    assert {message.round for message in messages} == {20310611}
    keys = {(message.case_no, message.item_code) for message in messages}
    # A case's result is keyed by its case; a licence without a case by its own id.
    assert keys == {("20210601-ABCDEFGH", "social_security_card"), (ids["caseless"], "marriage_certificate")}
    assert not {ids["later"], ids["expired"], ids["never"]} & {message.case_no for message in messages}
    by_case = {message.case_no: message for message in messages}
    assert "2031-06-11" in by_case["20210601-ABCDEFGH"].body_zh
    assert "社会保障卡" in by_case["20210601-ABCDEFGH"].title_zh
    with Session(engine) as session:
        assert len(session.exec(select(OutgoingMessage)).all()) == 4  # SMS and e-mail, once each


def test_a_renewed_licence_is_reminded_again_for_its_new_expiry_date(
    engine: Engine, activities: LicenceReminderActivities
) -> None:
    ids = seed(engine)
    assert activities.remind_expiring_licences(ReminderRequest(today=TODAY)) == 2
    with session_scope(engine) as session:
        renewed = session.get(Licence, ids["caseless"])
        assert renewed is not None
        renewed.expires_at = expiring(20)
        session.add(renewed)
    assert activities.remind_expiring_licences(ReminderRequest(today=TODAY)) == 1
    assert len(inbox(engine)) == 3


def test_the_window_is_in_shanghai_days_and_ends_on_its_last_day(
    engine: Engine, activities: LicenceReminderActivities
) -> None:
    # A licence expiring at 00:00 was last valid the day before: that day is what counts and is shown.
    last_minute = datetime.combine(TODAY + timedelta(days=30), time(23, 59), tzinfo=TZ)
    at_midnight_after = datetime.combine(TODAY + timedelta(days=31), time(0, 0), tzinfo=TZ)
    a_day_too_late = datetime.combine(TODAY + timedelta(days=31), time(0, 1), tzinfo=TZ)
    expired_at_midnight = datetime.combine(TODAY, time(0, 0), tzinfo=TZ)
    with session_scope(engine) as session:
        for number, expires in (
            ("A", last_minute),
            ("B", at_midnight_after),
            ("C", expired_at_midnight),
            ("D", a_day_too_late),
        ):
            passport(session, number, expires.astimezone(UTC))
    assert activities.remind_expiring_licences(ReminderRequest(today=TODAY, within_days=30)) == 2
    assert [message.round for message in inbox(engine)] == [20310701, 20310701]
    assert all("2031-07-01" in message.body_zh for message in inbox(engine))


def test_each_lead_reminds_once_and_a_late_first_sight_gets_only_the_nearest(
    engine: Engine, activities: LicenceReminderActivities
) -> None:
    last_day = TODAY + timedelta(days=100)
    late_day = last_day - timedelta(days=60)
    with session_scope(engine) as session:
        early_id = passport(session, "EARLY", datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=TZ)).id

    def run(days_before: int) -> int:
        today = last_day - timedelta(days=days_before)
        return activities.remind_expiring_licences(ReminderRequest(today=today, lead_days=[30, 90]))

    assert run(91) == 0
    assert run(90) == 1  # the 90-day notice of EARLY
    assert run(90) == 0  # a second run the same day
    assert run(89) == 0
    with session_scope(engine) as session:
        # First seen 20 days before its last day (imported late, or the sweep was off): one notice, not two.
        late_id = passport(session, "LATE", datetime.combine(late_day + timedelta(days=1), time.min, tzinfo=TZ)).id
    assert run(80) == 1  # LATE's 30-day notice only
    assert run(31) == 0
    assert run(30) == 1  # the 30-day notice of EARLY
    assert run(1) == 0
    rounds = sorted((message.case_no, message.round) for message in inbox(engine))
    assert rounds == sorted(
        [
            (early_id, int(last_day.strftime("%Y%m%d")) * 1000 + 90),
            (early_id, int(last_day.strftime("%Y%m%d")) * 1000 + 30),
            (late_id, int(late_day.strftime("%Y%m%d")) * 1000 + 30),
        ]
    )
    assert all(f"有效期至 {last_day.isoformat()}" in m.body_zh for m in inbox(engine) if m.case_no == early_id)


class RefusingFor:
    """A gateway that refuses every message of one licence, as an SMS gateway does an unknown account."""

    def __init__(self, engine: Engine, case_no: str) -> None:
        self._recorded = RecordingTransport(engine)
        self._case_no = case_no

    def send(self, outgoing: Outgoing) -> None:
        if outgoing.case_no == self._case_no:
            raise ApplicationError("refused (400)", non_retryable=True)
        self._recorded.send(outgoing)


def test_a_refused_notice_does_not_hold_back_the_others(engine: Engine) -> None:
    ids = seed(engine)
    refusing = RefusingFor(engine, ids["caseless"])
    activities = LicenceReminderActivities(engine, refusing, LiveCatalog(CATALOG_DIR))
    assert activities.remind_expiring_licences(ReminderRequest(today=TODAY, lead_days=[30])) == 1
    with Session(engine) as session:
        sent = {row.case_no for row in session.exec(select(OutgoingMessage)).all()}
    assert sent == {"20210601-ABCDEFGH"}
