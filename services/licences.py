"""统一发证: a holder's own licences in the wallet, and the public check of a licence's verification code.

Display names come from the catalogue (`one_things.licence_names`), so a licence row stores only codes.
Someone else's licence answers exactly like a missing one. The public check shows what a verifier needs
and no personal data.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel
from sqlmodel import Session

from core.calendar import TZ
from core.privacy import mask_number
from one_things.catalog import Catalog
from one_things.licence_names import issuer_name, licence_name
from persistence.licences import Licence, by_verification_code, get_licence, is_expired, list_licences
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
        expires_on=licence.expires_at.astimezone(TZ).date() if licence.expires_at else None,
        number_masked=mask_number(licence.number),
    )
