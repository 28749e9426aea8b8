"""How a licence is shown: to its holder in the wallet, and to anyone who checks its QR code.

Display names come from the catalogue (an item's result_name, a material's name), so a licence row
stores only codes. The public check shows what a verifier needs and no personal data.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Literal

import segno
from pydantic import BaseModel

from core.calendar import TZ
from core.privacy import mask_number
from one_things.catalog import Catalog
from persistence.licences import Licence, is_expired

# Issuers of licences that no one-thing definition names as a department (seeded from other systems).
OTHER_ISSUERS: dict[str, dict[str, str]] = {
    "civil_affairs": {"zh": "上海市民政局", "en": "Shanghai Civil Affairs Bureau"},
}


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


def licence_name(catalog: Catalog, licence: Licence) -> dict[str, str]:
    """The item's result_name (a case's result) or the material's name; the kind code if neither."""
    for thing in catalog.every_version():
        if licence.thing is not None and thing.code != licence.thing:
            continue
        for item in thing.items:
            if item.code == licence.kind:
                return (item.result_name or item.name).model_dump()
        for material in thing.materials:
            if material.code == licence.kind:
                return material.name.model_dump()
    return {"zh": licence.kind, "en": licence.kind}


def issuer_name(catalog: Catalog, licence: Licence) -> dict[str, str]:
    for thing in catalog.every_version():
        for department in thing.departments:
            if department.code == licence.issuer:
                return department.name.model_dump()
    return OTHER_ISSUERS.get(licence.issuer, {"zh": licence.issuer, "en": licence.issuer})


def licence_view(catalog: Catalog, licence: Licence, *, now: datetime) -> LicenceView:
    base = f"/api/v1/licences/{licence.id}"
    return LicenceView(
        id=licence.id,
        kind=licence.kind,
        name=licence_name(catalog, licence),
        number=licence.number,
        issuer=licence.issuer,
        issuer_name=issuer_name(catalog, licence),
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
        name=licence_name(catalog, licence),
        issuer=licence.issuer,
        issuer_name=issuer_name(catalog, licence),
        issued_on=licence.issued_at.astimezone(TZ).date(),
        expires_on=licence.expires_at.astimezone(TZ).date() if licence.expires_at else None,
        number_masked=mask_number(licence.number),
    )


def qr_svg(url: str) -> bytes:
    """An SVG QR code of `url`, drawn locally: the verification code never goes to a third party."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=4, border=4)
    return buffer.getvalue()
