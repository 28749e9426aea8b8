"""Materials the citizen provides (the one the government cannot hold, e.g. a newborn's photo).

Only the bytes, their type, size and digest are kept, not the file's name: names of files on a
phone often carry a person's name. One upload per case and material; a repeated submission of the
same application keeps the first.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import LargeBinary
from sqlalchemy.orm import defer
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


def upload_list(session: Session, *, case_no: str) -> list[MaterialUpload]:
    """The case's uploads, bytes not loaded: what a list of them shows (type, size, when)."""
    query = (
        select(MaterialUpload)
        .where(MaterialUpload.case_no == case_no)
        .options(defer(MaterialUpload.data))  # type: ignore[arg-type]
        .order_by(MaterialUpload.material)
    )
    return list(session.exec(query).all())


def get_upload(session: Session, *, case_no: str, material: str) -> MaterialUpload | None:
    return session.get(MaterialUpload, (case_no, material))


def replace_upload(
    session: Session, *, case_no: str, owner: str, material: str, content_type: str, data: bytes, now: datetime
) -> MaterialUpload:
    """A material sent again for a correction (补正): the new bytes take the old ones' place, as the clerk asked
    for them because the old ones would not do."""
    upload = session.get(MaterialUpload, (case_no, material))
    if upload is None:
        return save_upload(
            session, case_no=case_no, owner=owner, material=material, content_type=content_type, data=data, now=now
        )
    upload.content_type, upload.data, upload.size = content_type, data, len(data)
    upload.sha256 = hashlib.sha256(data).hexdigest()
    upload.uploaded_at = now
    session.add(upload)
    return upload
