"""A department system downloads a material the citizen uploaded, through the URL its submission carried.

Every download is a read of personal data by someone other than the citizen, so it is recorded like a
clerk's view (services/audit.py): reader `system:<department>`, role `department_system`, purpose handling.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from persistence.materials import MaterialUpload, get_upload
from services.audit import DataCategory, Purpose, record_personal_data_read
from services.errors import NotFoundError

DEPARTMENT_SYSTEM_ROLE = "department_system"


def material_for_department(
    session: Session, *, case_no: str, material: str, department: str, now: datetime
) -> MaterialUpload:
    """The upload, with the download on the personal-data access log in the same transaction."""
    upload = get_upload(session, case_no=case_no, material=material)
    if upload is None:
        raise NotFoundError(f"case {case_no} has no uploaded material {material}")
    record_personal_data_read(
        session,
        reader=f"system:{department}",
        role=DEPARTMENT_SYSTEM_ROLE,
        department=department,
        case_no=case_no,
        what=DataCategory.MATERIALS,
        purpose=Purpose.HANDLING,
        now=now,
    )
    return upload
