"""The e-licence wallet (own licences only) and the public check of a licence's verification code."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from api.deps import CatalogDep, CitizenDep, ClockDep, SessionDep
from api.openapi import problems
from api.params import OpaqueId
from api.qr import qr_svg
from api.rate_limits import limited
from services import licences
from services.errors import NotFoundError
from services.licences import LicenceView, VerificationView, licence_view, own_licence, verify_page_path

router = APIRouter(tags=["licences"])


@router.get("/licences", response_model=list[LicenceView])
def my_licences(clock: ClockDep, principal: CitizenDep, session: SessionDep, catalog: CatalogDep) -> list[LicenceView]:
    return [view for _, view in licences.wallet(session, catalog, holder=principal.subject, now=clock.now())]


@router.get("/licences/{licence_id}", response_model=LicenceView, responses=problems(NotFoundError))
def my_licence(
    clock: ClockDep, licence_id: OpaqueId, principal: CitizenDep, session: SessionDep, catalog: CatalogDep
) -> LicenceView:
    licence = own_licence(session, holder=principal.subject, licence_id=licence_id)
    return licence_view(catalog, licence, now=clock.now())


@router.get(
    "/licences/{licence_id}/qr.svg",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {"schema": {"type": "string"}}}}, **problems(NotFoundError)},
)
def licence_qr(licence_id: OpaqueId, request: Request, principal: CitizenDep, session: SessionDep) -> Response:
    """The QR code a verifier scans: it holds only the public verification URL."""
    licence = own_licence(session, holder=principal.subject, licence_id=licence_id)
    url = str(request.base_url).rstrip("/") + verify_page_path(licence.verification_code)
    return Response(qr_svg(url), media_type="image/svg+xml", headers={"Cache-Control": "private, max-age=3600"})


@router.get(
    "/verify/{verification_code}",
    response_model=VerificationView,
    responses=problems(NotFoundError),
    dependencies=[Depends(limited("verify"))],
)
def verify(clock: ClockDep, verification_code: OpaqueId, session: SessionDep, catalog: CatalogDep) -> VerificationView:
    """Public, no sign-in: is this licence genuine? Kind, issuer and date only; no personal data."""
    return licences.verify(session, catalog, verification_code=verification_code, now=clock.now())
