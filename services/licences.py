"""统一发证: a holder's own licences in the wallet, and the public check of a licence's verification code.

Display names come from the catalogue (`one_things.licence_names`), so a licence row stores only codes.
Someone else's licence answers exactly like a missing one. The public check shows what a verifier needs
and no personal data. The wallet names the holder masked (张*), from the register, never stored here.
Expiry is shown as the last valid day in Shanghai (`valid_until`); the JSON keeps the instant as well.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel
from sqlmodel import Session

from core.calendar import TZ
from core.privacy import mask_name, mask_number
from one_things.catalog import Catalog
from one_things.licence_names import issuer_name, licence_name
from one_things.validity import last_valid_day
from persistence.licences import Licence, by_verification_code, get_licence, is_expired, list_licences
from persistence.register import get_resident
from services.errors import NotFoundError


class LicenceView(BaseModel):
    id: str
    kind: str
    name: dict[str, str]
    number: str
    issuer: str
    issuer_name: dict[str, str]
    issued_at: datetime
    expires_at: datetime | None
    """The instant it stops being valid; null: it never expires."""
    valid_until: date | None
    """Its last valid day (Shanghai), as a person reads it."""
    status: Literal["valid", "expired"]
    thing: str | None
    case_no: str | None
    item_code: str | None
    verification_code: str
    links: dict[str, str]


class VerificationView(BaseModel):
    """The public answer for a scanned code: genuine or expired, what it is, who issued it, when."""

    status: Literal["genuine", "expired"]
    kind: str
    name: dict[str, str]
    issuer: str
    issuer_name: dict[str, str]
    issued_on: date
    expires_on: date | None
    """The last day it is valid (Shanghai); null: it never expires."""
    number_masked: str


def verify_path(verification_code: str) -> str:
    """The API's JSON answer for programs."""
    return f"/api/v1/verify/{verification_code}"


def verify_page_path(verification_code: str) -> str:
    """The page a person lands on after scanning the QR code."""
    return f"/verify/{verification_code}"


def own_licence(session: Session, *, holder: str, licence_id: str) -> Licence:
    licence = get_licence(session, holder=holder, licence_id=licence_id)
    if licence is None:
        raise NotFoundError(f"No licence {licence_id} in this account's wallet. Check the link.")
    return licence


def wallet(session: Session, catalog: Catalog, *, holder: str, now: datetime) -> list[tuple[Licence, LicenceView]]:
    return [(licence, licence_view(catalog, licence, now=now)) for licence in list_licences(session, holder=holder)]


@dataclass
class KindGroup:
    """One kind of licence a person holds (a renewed one beside the one it replaced), newest first."""

    kind: str
    name: dict[str, str]
    licences: list[tuple[Licence, LicenceView]]


@dataclass
class PersonGroup:
    holder_masked: str | None
    """The holder's name from the register, masked (张*); None when the register does not know the account."""
    kinds: list[KindGroup]


def wallet_by_person(session: Session, catalog: Catalog, *, holder: str, now: datetime) -> list[PersonGroup]:
    """The wallet grouped by the person who holds each licence, then by kind (in the order first issued).

    A wallet holds one person's licences today (the signed-in or represented account), so this is one
    group; licences are grouped by holder all the same, so a wallet shown for several people stays right.
    """
    people: dict[str, dict[str, KindGroup]] = {}
    for licence, view in reversed(wallet(session, catalog, holder=holder, now=now)):
        kinds = people.setdefault(licence.holder, {})
        group = kinds.setdefault(licence.kind, KindGroup(kind=licence.kind, name=view.name, licences=[]))
        group.licences.insert(0, (licence, view))
    return [
        PersonGroup(holder_masked=holder_masked(session, subject), kinds=list(kinds.values()))
        for subject, kinds in people.items()
    ]


def holder_masked(session: Session, subject: str) -> str | None:
    resident = get_resident(session, subject=subject)
    return mask_name(resident.name) if resident is not None else None


def verify(session: Session, catalog: Catalog, *, verification_code: str, now: datetime) -> VerificationView:
    licence = by_verification_code(session, code=verification_code)
    if licence is None:
        raise NotFoundError(
            "No licence has this verification code; it may be mistyped or forged.",
            title="Unknown licence",
            verification="unknown",
        )
    return verification_view(catalog, licence, now=now)


def licence_view(catalog: Catalog, licence: Licence, *, now: datetime) -> LicenceView:
    base = f"/api/v1/licences/{licence.id}"
    return LicenceView(
        id=licence.id,
        kind=licence.kind,
        number=licence.number,
        issuer=licence.issuer,
        name=licence_name(catalog, kind=licence.kind, thing=licence.thing).model_dump(),
        issuer_name=issuer_name(catalog, licence.issuer).model_dump(),
        issued_at=licence.issued_at,
        expires_at=licence.expires_at,
        valid_until=last_valid_day(licence.expires_at) if licence.expires_at else None,
        status="expired" if is_expired(licence, now=now) else "valid",
        thing=licence.thing,
        case_no=licence.case_no,
        item_code=licence.item_code,
        verification_code=licence.verification_code,
        links={"self": base, "qr": f"{base}/qr.svg", "verify": verify_path(licence.verification_code)},
    )


def verification_view(catalog: Catalog, licence: Licence, *, now: datetime) -> VerificationView:
    return VerificationView(
        status="expired" if is_expired(licence, now=now) else "genuine",
        kind=licence.kind,
        issuer=licence.issuer,
        name=licence_name(catalog, kind=licence.kind, thing=licence.thing).model_dump(),
        issuer_name=issuer_name(catalog, licence.issuer).model_dump(),
        issued_on=licence.issued_at.astimezone(TZ).date(),
        expires_on=last_valid_day(licence.expires_at) if licence.expires_at else None,
        number_masked=mask_number(licence.number),
    )
