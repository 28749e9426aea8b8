"""整改 for department staff: the rectifications their department owes after a bad rating, and replying."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import CatalogDep, SessionDep, SettingsDep, StaffDep, TemporalDep
from api.openapi import problems
from api.params import OpaqueId
from api.schemas import DepartmentRectifications
from services import rectifications
from services.errors import ConflictError, NotFoundError, UnavailableError
from services.rectifications import RectificationView, ReplyIn

router = APIRouter(prefix="/staff/rectifications", tags=["staff"])


@router.get("")
def my_department(principal: StaffDep, session: SessionDep, catalog: CatalogDep) -> DepartmentRectifications:
    """Open ones first, nearest deadline first."""
    assert principal.department is not None
    return DepartmentRectifications(
        items=rectifications.department_rectification_views(session, catalog, principal.department)
    )


@router.post(
    "/{rectification_id}/reply",
    response_model=RectificationView,
    responses=problems(NotFoundError, ConflictError, UnavailableError),
)
async def reply(
    rectification_id: OpaqueId,
    body: ReplyIn,
    principal: StaffDep,
    session: SessionDep,
    temporal: TemporalDep,
    catalog: CatalogDep,
    settings: SettingsDep,
) -> RectificationView:
    return await rectifications.reply(
        session=session,
        temporal=temporal,
        catalog=catalog,
        staff=principal,
        rectification=rectification_id,
        text=body.text,
        timeout_seconds=settings.temporal_rpc_seconds,
    )
