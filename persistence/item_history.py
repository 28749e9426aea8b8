"""What happened to one item of a case, from the records the platform keeps about it: the notices the citizen
was sent (submitted, correction asked, done), the clerks' claims and the supervisors' escalations (督办)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from persistence.escalations import EscalationRecord
from persistence.messages import InboxMessage
from persistence.staff_claims import StaffClaim
from persistence.supervision import item_light
from persistence.tables import ItemRecord


@dataclass(frozen=True)
class ItemEvent:
    at: datetime
    kind: str
    """`notice:<kind>` (a notice to the citizen), `claimed` or `escalated`."""
    round: int = 0
    who: str = ""
    """An opaque account id (the clerk, the supervisor); never a name."""
    title_zh: str = ""
    title_en: str = ""
    note: str = ""


def item_events(session: Session, *, case_no: str, item_code: str) -> list[ItemEvent]:
    """Oldest first."""
    notices = session.exec(
        select(InboxMessage).where(InboxMessage.case_no == case_no, InboxMessage.item_code == item_code)
    ).all()
    claims = session.exec(
        select(StaffClaim).where(StaffClaim.case_no == case_no, StaffClaim.item_code == item_code)
    ).all()
    escalations = session.exec(
        select(EscalationRecord).where(EscalationRecord.case_no == case_no, EscalationRecord.item_code == item_code)
    ).all()
    events = [
        ItemEvent(at=n.created_at, kind=f"notice:{n.kind}", round=n.round, title_zh=n.title_zh, title_en=n.title_en)
        for n in notices
    ]
    events += [ItemEvent(at=c.claimed_at, kind="claimed", round=c.round, who=c.staff) for c in claims]
    events += [ItemEvent(at=e.at, kind="escalated", who=e.supervisor, note=e.note) for e in escalations]
    return sorted(events, key=lambda event: event.at)


def current_light(session: Session, *, case_no: str, item_code: str, now: datetime) -> str | None:
    """The item's light now, by the supervisors' rule; None while its deadline is not computed yet."""
    query = select(item_light(now), ItemRecord.due_at).where(
        ItemRecord.case_no == case_no, ItemRecord.code == item_code
    )
    row = session.exec(query).first()
    if row is None or row[1] is None:
        return None
    return str(row[0])
