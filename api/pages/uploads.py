"""Reading a material the citizen uploads with the form; its content is checked as through the API."""

from __future__ import annotations

from starlette.datastructures import UploadFile

from services.materials import ACCEPT, inspect

__all__ = ["ACCEPT", "read_upload"]


async def read_upload(upload: object, max_bytes: int) -> tuple[bytes | None, str | None]:
    """(the bytes, None) or (None, what is wrong: missing, too_large, bad_type).

    Never more than `max_bytes + 1` bytes are read into memory, whatever the client sent."""
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None, "missing"
    data = await upload.read(max_bytes + 1)
    kind, wrong = inspect(data, max_bytes)
    return (data, None) if kind else (None, wrong)
