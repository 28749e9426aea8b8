"""Reading a material the citizen uploads with the form; its content is checked as through the API."""

from __future__ import annotations

from starlette.datastructures import UploadFile

from services.materials import ACCEPT, MAX_BYTES, problem

__all__ = ["ACCEPT", "read_upload"]


async def read_upload(upload: object) -> tuple[bytes | None, str | None]:
    """(the bytes, None) or (None, what is wrong: missing, too_large, bad_type)."""
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None, "missing"
    data = await upload.read(MAX_BYTES + 1)
    wrong = problem(data)
    return (None, wrong) if wrong else (data, None)
