"""Accepted applications keyed by the client's Idempotency-Key."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, func, select

from persistence.tables import ApplicationRequest


def find_application(session: Session, *, owner: str, idempotency_key: str) -> ApplicationRequest | None:
    query = select(ApplicationRequest).where(
        ApplicationRequest.owner == owner, ApplicationRequest.idempotency_key == idempotency_key
    )
    return session.exec(query).first()


def record_application(
    session: Session,
    *,
    owner: str,
    idempotency_key: str,
    case_no: str,
    thing: str,
    request_hash: str,
    now: datetime,
    acted_by: str | None = None,
) -> ApplicationRequest:
    request = ApplicationRequest(
        owner=owner,
        acted_by=acted_by,
        idempotency_key=idempotency_key,
        case_no=case_no,
        thing=thing,
        request_hash=request_hash,
        created_at=now,
    )
    session.add(request)
    return request


def count_applications_since(session: Session, *, owner: str, since: datetime) -> int:
    query = select(func.count()).where(ApplicationRequest.owner == owner, ApplicationRequest.created_at >= since)
    return session.exec(query).one()
