"""Checking a material the citizen uploads with the form, before anything starts."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.datastructures import UploadFile

MAX_BYTES = 5 * 1024 * 1024
# The first bytes of each accepted format: the browser's declared type alone proves nothing.
SIGNATURES = {"image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG\r\n\x1a\n", "application/pdf": b"%PDF-"}
ACCEPT = ",".join(SIGNATURES)


@dataclass(frozen=True)
class CheckedUpload:
    material: str
    content_type: str
    data: bytes


async def check_upload(material: str, upload: object) -> tuple[CheckedUpload | None, str | None]:
    """(the upload, None) or (None, what is wrong in words the citizen can act on)."""
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None, "missing"
    data = await upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        return None, "too_large"
    content_type = next((kind for kind, magic in SIGNATURES.items() if data.startswith(magic)), None)
    if content_type is None:
        return None, "bad_type"
    return CheckedUpload(material=material, content_type=content_type, data=data), None
