"""The licence library (电子证照库): every e-licence a resident holds, and the public check of one.

A case's results land here from the projection (`issue_case_licences`), so a citizen's wallet fills
as items complete, and a later one-thing reads them instead of asking for paper (免于提交).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, Session, SQLModel, col, select

from persistence.tables import UTCDateTime
from workflows.contracts import CaseState, ItemState, ItemStatus


def new_verification_code() -> str:
    # Random, not derived from the holder or the number: a code on a printed QR code must reveal
    # nothing and must not be guessable from the licences around it.
    return secrets.token_urlsafe(18)


def new_licence_id() -> str:
    return secrets.token_hex(8)


class Licence(SQLModel, table=True):
    __tablename__ = "licences"
    # One licence per item of a case, however often the projection replays (NULLs never collide,
    # so licences seeded or imported from elsewhere are not constrained by it).
    __table_args__ = (UniqueConstraint("thing", "case_no", "item_code"),)

    id: str = Field(default_factory=new_licence_id, primary_key=True, max_length=32)
    holder: str = Field(index=True, max_length=128)
    """The holder's opaque subject."""
    kind: str = Field(index=True, max_length=64)
    """A material code (marriage_certificate) or, for a case's result, the issuing item's code."""
    thing: str | None = Field(default=None, max_length=64)
    case_no: str | None = Field(default=None, index=True, max_length=40)
    item_code: str | None = Field(default=None, max_length=64)
    number: str = Field(max_length=64)
    issuer: str = Field(max_length=64)
    """The issuing department's code."""
    issued_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime | None = Field(default=None, index=True, sa_type=UTCDateTime)
    """The instant it stops being valid (00:00 Shanghai after its last valid day); None: never expires.
    Indexed because the daily reminder sweep selects by it across every wallet."""
    verification_code: str = Field(default_factory=new_verification_code, unique=True, max_length=40)


def issue_case_licences(
    session: Session, *, state: CaseState, expiries: Mapping[str, datetime] | None = None
) -> list[Licence]:
    """Put each completed item's result in the case owner's wallet; returns the licences new this time.

    Called on every projection write: replays and retries find the licences already there and add
    nothing. Only an item that completed with an output issues a licence. `expiries` holds, by item code,
    when the licence of an item with a declared validity expires; the others never expire.
    """
    issued = [item for item in state.items if _has_result(item)]
    if not issued:
        return []
    held = set(
        session.exec(
            select(Licence.item_code).where(Licence.thing == state.thing, Licence.case_no == state.case_no)
        ).all()
    )
    expiries = expiries or {}
    added = [_licence(state, item, expiries.get(item.code)) for item in issued if item.code not in held]
    session.add_all(added)
    return added


def has_new_result(state: CaseState, before_items: Mapping[str, Mapping[Any, Any]]) -> bool:
    """Whether an item of `state` has a result its stored row (`before_items`, as the last applied projection
    write left it) did not show: only then can `issue_case_licences` add a licence. The write that stored a
    result issued its licence in the same transaction, so a result unchanged since needs no look-up."""
    for item in state.items:
        if not _has_result(item):
            continue
        stored = before_items.get(item.code)
        if (
            stored is None
            or stored["status"] != ItemStatus.COMPLETED.value
            or stored["finished_at"] != item.finished_at
            or stored["output"] != item.output
        ):
            return True
    return False


def _has_result(item: ItemState) -> bool:
    return item.status is ItemStatus.COMPLETED and item.finished_at is not None and bool(_number(item))


def _number(item: ItemState) -> str:
    # An item's outputs are its result's numbers; the first one is the licence number
    # (birth_cert_no, hukou_no ...). Definitions list one output per item today.
    return next((value for value in (item.output or {}).values() if value), "")


def _licence(state: CaseState, item: ItemState, expires_at: datetime | None) -> Licence:
    assert item.finished_at is not None  # checked by _has_result
    return Licence(
        holder=state.owner,
        kind=item.code,
        thing=state.thing,
        case_no=state.case_no,
        item_code=item.code,
        number=_number(item),
        issuer=item.department,
        issued_at=item.finished_at,
        expires_at=expires_at,
    )


def add_licence(
    session: Session,
    *,
    holder: str,
    kind: str,
    number: str,
    issuer: str,
    issued_at: datetime,
    expires_at: datetime | None = None,
) -> Licence:
    """A licence issued outside any case (seeded, or imported from another system); idempotent."""
    existing = session.exec(
        select(Licence).where(Licence.holder == holder, Licence.kind == kind, Licence.number == number)
    ).first()
    if existing is not None:
        return existing
    licence = Licence(
        holder=holder, kind=kind, number=number, issuer=issuer, issued_at=issued_at, expires_at=expires_at
    )
    session.add(licence)
    return licence


def list_licences(session: Session, *, holder: str) -> list[Licence]:
    query = select(Licence).where(Licence.holder == holder).order_by(col(Licence.issued_at).desc())
    return list(session.exec(query).all())


def get_licence(session: Session, *, holder: str, licence_id: str) -> Licence | None:
    """The licence if this holder holds it; someone else's licence is None, as if it did not exist."""
    licence = session.get(Licence, licence_id)
    return licence if licence is not None and licence.holder == holder else None


def find_licence(session: Session, *, holder: str, kinds: Iterable[str], now: datetime) -> Licence | None:
    """The holder's newest unexpired licence of one of these kinds (for pre-filling a form)."""
    query = (
        select(Licence)
        .where(Licence.holder == holder, col(Licence.kind).in_(list(kinds)))
        .order_by(col(Licence.issued_at).desc())
    )
    return next((licence for licence in session.exec(query) if not is_expired(licence, now=now)), None)


def by_verification_code(session: Session, *, code: str) -> Licence | None:
    return session.exec(select(Licence).where(Licence.verification_code == code)).first()


def expiring_between(session: Session, *, start: datetime, end: datetime) -> list[Licence]:
    """Licences whose expiry is after `start` and before `end`, in a stable order (for reminders)."""
    query = (
        select(Licence)
        .where(col(Licence.expires_at) > start, col(Licence.expires_at) < end)
        .order_by(col(Licence.expires_at), col(Licence.id))
    )
    return list(session.exec(query).all())


def is_expired(licence: Licence, *, now: datetime) -> bool:
    return licence.expires_at is not None and licence.expires_at <= now
