"""The citizen's view of the personal-data access log: who else read the data of their cases (PIPL)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from api.deps import SessionDep, require
from core.auth import Principal, Role
from services.audit import MyDataAccess, my_data_access

router = APIRouter(tags=["citizen data"])
# The citizen role alone: a supervisor's token is not a citizen's, and would see nothing of its own here.
OwnerDep = Annotated[Principal, Depends(require(Role.CITIZEN))]


@router.get("/me/data-access")
def my_reads(citizen: OwnerDep, session: SessionDep) -> MyDataAccess:
    """Reads of the caller's cases by staff, supervisors, leaders, clerks and agents, newest first: the
    reader's role, department and opaque account id, the case, what was read and why."""
    return my_data_access(session, citizen)
