"""The e-licence wallet (own licences only) and the public check of a licence's verification code."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request, Response

from api.deps import CatalogDep, CitizenDep, SessionDep
from api.licence_views import LicenceView, VerificationView, licence_view, qr_svg, verification_view, verify_page_path
from api.problems import ProblemError
from persistence.licences import Licence, by_verification_code, get_licence, list_licences

router = APIRouter(tags=["licences"])


def _not_found(licence_id: str) -> ProblemError:
    # The same answer whether the licence does not exist or is someone else's: no probing.
    return ProblemError(404, "Not found", f"No licence {licence_id} in this account's wallet. Check the link.")


def _own(session: SessionDep, principal: CitizenDep, licence_id: str) -> Licence:
    licence = get_licence(session, holder=principal.subject, licence_id=licence_id)
    if licence is None:
        raise _not_found(licence_id)
    return licence


@router.get("/licences", response_model=list[LicenceView])
def my_licences(principal: CitizenDep, session: SessionDep, catalog: CatalogDep) -> list[LicenceView]:
    now = datetime.now(UTC)
    return [licence_view(catalog, licence, now=now) for licence in list_licences(session, holder=principal.subject)]


@router.get("/licences/{licence_id}", response_model=LicenceView)
def my_licence(licence_id: str, principal: CitizenDep, session: SessionDep, catalog: CatalogDep) -> LicenceView:
    return licence_view(catalog, _own(session, principal, licence_id), now=datetime.now(UTC))


@router.get("/licences/{licence_id}/qr.svg", response_class=Response)
def licence_qr(licence_id: str, request: Request, principal: CitizenDep, session: SessionDep) -> Response:
    """The QR code a verifier scans: it holds only the public verification URL."""
    licence = _own(session, principal, licence_id)
    url = str(request.base_url).rstrip("/") + verify_page_path(licence.verification_code)
    return Response(qr_svg(url), media_type="image/svg+xml", headers={"Cache-Control": "private, max-age=3600"})


@router.get("/verify/{verification_code}", response_model=VerificationView)
def verify(verification_code: str, session: SessionDep, catalog: CatalogDep) -> VerificationView:
    """Public, no sign-in: is this licence genuine? Kind, issuer and date only; no personal data."""
    licence = by_verification_code(session, code=verification_code)
    if licence is None:
        raise ProblemError(
            404,
            "Unknown licence",
            "No licence has this verification code; it may be mistyped or forged.",
            verification="unknown",
        )
    return verification_view(catalog, licence, now=datetime.now(UTC))
