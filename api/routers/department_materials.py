"""Department systems download the materials their submissions named, by signed, expiring URL.

The URL (made by the worker's gateway, activities/gateways/materials.py) is the credential: it names one
case's material, the department it was given to, and when it stops working, under an HMAC of the platform's
secret. The route is synchronous, so its database work runs in the thread pool, never on the event loop.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.deps import ClockDep, SessionDep, SettingsDep
from api.openapi import problems
from api.params import CaseNo, Code
from api.problems import ProblemError
from core.bounds import SingleLine
from core.signing import material_url_key, material_url_refusal
from services.department_materials import material_for_department
from services.errors import NotFoundError

router = APIRouter(prefix="/department-materials", tags=["department callbacks"])


@router.get(
    "/{case_no}/{material}",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}, **problems(403, NotFoundError)},
)
def download_material(
    case_no: CaseNo,
    material: Code,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    # Optional to the parser so that a URL missing a part is refused as not signed (403), like a changed one.
    department: Annotated[SingleLine, Query(max_length=64, description="The department the URL was given to")] = "",
    expires: Annotated[int, Query(ge=0, le=2**40, description="Unix seconds after which the URL stops working")] = 0,
    signature: Annotated[SingleLine, Query(max_length=64, description="The URL's HMAC, hex")] = "",
) -> Response:
    now = clock.now()
    refusal = material_url_refusal(
        material_url_key(settings.secret_key),
        case_no=case_no,
        material=material,
        department=department,
        expires=expires,
        signature=signature,
        now=now.timestamp(),
    )
    if refusal:
        raise ProblemError(403, "Download not allowed", refusal)
    upload = material_for_department(session, case_no=case_no, material=material, department=department, now=now)
    headers = {
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": f'attachment; filename="{material}"',
    }
    return Response(upload.data, media_type=upload.content_type, headers=headers)
