"""整改 for department staff: the rectifications their department owes after a bad rating, and replying."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import CatalogDep, SessionDep, StaffDep, TemporalDep
from api.problems import ProblemError
from api.rectification_access import RectificationView, ReplyIn, rectification_view, update_rectification
from persistence.rectifications import department_rectifications, get_rectification
from workflows.contracts import RectificationReply
from workflows.rectification import RectificationWorkflow

router = APIRouter(prefix="/staff/rectifications", tags=["staff"])


@router.get("")
def my_department(principal: StaffDep, session: SessionDep, catalog: CatalogDep) -> dict[str, list[RectificationView]]:
    """Open ones first, nearest deadline first."""
    assert principal.department is not None
    records = department_rectifications(session, department=principal.department)
    return {"items": [rectification_view(catalog, record.model_dump()) for record in records]}


@router.post("/{rectification_id}/reply", response_model=RectificationView)
async def reply(
    rectification_id: str,
    body: ReplyIn,
    principal: StaffDep,
    session: SessionDep,
    temporal: TemporalDep,
    catalog: CatalogDep,
) -> RectificationView:
    record = get_rectification(session, rectification_id=rectification_id)
    if record is None or record.department != principal.department:
        # Another department's rectification is invisible, not forbidden.
        raise ProblemError(404, "Not found", f"No rectification {rectification_id} for your department.")
    message = RectificationReply(text=body.text, staff=principal.subject)
    state = await update_rectification(
        temporal, rectification_id, lambda handle: handle.execute_update(RectificationWorkflow.reply, message)
    )
    return rectification_view(catalog, state.model_dump())
