"""The stubs take a submission's materials as a department would: download each upload by its signed URL
(or decode it when inline), check it against the digest the platform sent, and keep the proof of receipt."""

from __future__ import annotations

import base64
import binascii
import hashlib
from datetime import datetime

import httpx
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from departments.models import MaterialIn, StubMaterial
from departments.problems import ProblemError

MAX_DOWNLOAD_BYTES = 50 * 1024 * 1024


async def receive(http: httpx.AsyncClient, material: MaterialIn) -> StubMaterial:
    """The material as received (not stored yet); ProblemError 503 when it cannot be fetched intact now, so
    the platform's retry of the same submission tries again."""
    if material.source != "citizen":
        return _row(material, how="reference", reference=material.reference)
    if material.content_base64 is not None:
        try:
            data = base64.b64decode(material.content_base64, validate=True)
        except binascii.Error:
            raise _unavailable(material, "its content_base64 is not base64") from None
        how = "inline"
    elif material.url is not None:
        data = await _download(http, material)
        how = "downloaded"
    else:
        raise _unavailable(material, "it has neither url nor content_base64")
    digest = hashlib.sha256(data).hexdigest()
    if material.sha256 is not None and digest != material.sha256:
        raise _unavailable(material, "what arrived does not match its sha256")
    return _row(material, how=how, sha256=digest, size=len(data))


def already_received(engine: Engine, *, department: str, key: str) -> bool:
    with Session(engine) as session:
        query = select(StubMaterial.id).where(
            StubMaterial.department == department, StubMaterial.idempotency_key == key
        )
        return session.exec(query).first() is not None


def keep(engine: Engine, *, department: str, key: str, rows: list[StubMaterial], now: datetime) -> None:
    """Idempotent: a repeated submission's materials are already kept."""
    with Session(engine) as session:
        for row in rows:
            row.department, row.idempotency_key, row.received_at = department, key, now
            session.add(row)
        try:
            session.commit()
        except IntegrityError:
            session.rollback()


def list_materials(engine: Engine, *, department: str) -> list[StubMaterial]:
    with Session(engine) as session:
        query = select(StubMaterial).where(StubMaterial.department == department).order_by(col(StubMaterial.id))
        return list(session.exec(query).all())


async def _download(http: httpx.AsyncClient, material: MaterialIn) -> bytes:
    assert material.url is not None
    try:
        response = await http.get(material.url)
    except httpx.HTTPError as error:
        raise _unavailable(material, f"its download failed ({type(error).__name__})") from None
    if response.status_code != 200:
        raise _unavailable(material, f"its download was answered {response.status_code}")
    if len(response.content) > MAX_DOWNLOAD_BYTES:
        raise _unavailable(material, "it is larger than 50 MiB")
    return response.content


def _row(material: MaterialIn, *, how: str, **fields: object) -> StubMaterial:
    return StubMaterial.model_validate(
        {
            "department": "",
            "idempotency_key": "",
            "code": material.code,
            "source": material.source,
            "how": how,
            "content_type": material.content_type,
            "received_at": datetime.min,
            **fields,
        }
    )


def _unavailable(material: MaterialIn, why: str) -> ProblemError:
    return ProblemError(
        503,
        "materials-unavailable",
        "Material not received",
        f"The department could not take material {material.code}: {why}; send the submission again later.",
        headers={"Retry-After": "5"},
    )
