"""Materials the citizen provides (the one the government cannot hold, e.g. a newborn's photo).

Only the bytes, their type, size and digest are kept, not the file's name: names of files on a
phone often carry a person's name. One upload per case and material; a repeated submission of the
same application keeps the first.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import LargeBinary
from sqlmodel import Field, Session, SQLModel, select

from persistence.tables import UTCDateTime


class MaterialUpload(SQLModel, table=True):
    __tablename__ = "material_uploads"

    case_no: str = Field(primary_key=True, max_length=40)
    material: str = Field(primary_key=True, max_length=64)
    owner: str = Field(index=True, max_length=128)
    content_type: str = Field(max_length=64)
    size: int
    sha256: str = Field(max_length=64)
    data: bytes = Field(sa_type=LargeBinary)
    uploaded_at: datetime = Field(sa_type=UTCDateTime)


def save_upload(
    session: Session, *, case_no: str, owner: str, material: str, content_type: str, data: bytes, now: datetime
) -> MaterialUpload:
    existing = session.get(MaterialUpload, (case_no, material))
    if existing is not None:
        return existing
    upload = MaterialUpload(
        case_no=case_no,
        material=material,
        owner=owner,
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
        uploaded_at=now,
    )
    session.add(upload)
    return upload


def uploaded_materials(session: Session, *, case_no: str) -> list[str]:
    """The codes of the materials uploaded for a case; the bytes stay in the database."""
    query = select(MaterialUpload.material).where(MaterialUpload.case_no == case_no)
    return list(session.exec(query).all())


def upload_of(session: Session, *, case_no: str, material: str) -> MaterialUpload | None:
    return session.get(MaterialUpload, (case_no, material))
