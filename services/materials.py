"""The materials only the applicant can provide (e.g. a newborn's photo): required through the API as on
the page, checked by their whole content, not by what the client declares or by their first bytes.

A file is accepted only when a maintained parser reads all of it as the format it claims: Pillow decodes
every pixel of a JPEG or PNG (and `verify` checks a PNG's chunk checksums), pypdf (strict) parses every page of
a PDF. Bytes after the format's own end (a PNG's IEND chunk, a JPEG's EOI marker, a PDF's last %%EOF) are
refused too: a PNG header followed by HTML is neither, whatever a browser might sniff from it. Accepted
bytes are kept in the database only (persistence/materials.py), never under a path anything serves.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image
from pypdf import PdfReader
from pypdf.errors import PyPdfError

from one_things.plan import Plan
from one_things.schema import OneThing

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png"}
ACCEPT = "image/jpeg,image/png,application/pdf"
MAX_PIXELS = 40_000_000
"""A photo or a scan needs far fewer; a larger image is a decompression bomb, not a material."""
MAX_PDF_PAGES = 100
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PDF_TAIL = 1024
"""How far from the end a PDF's last %%EOF may be (the specification allows trailing white space)."""


@dataclass(frozen=True)
class CheckedMaterial:
    material: str
    content_type: str
    data: bytes


HOW = (
    f"send it base64-encoded under materials.<code>: {ACCEPT.replace(',', ', ')}, the whole file, at most "
    f"ONETHING_MATERIAL_MAX_BYTES (default {DEFAULT_MAX_BYTES // 2**20} MB)"
)


def how(max_bytes: int) -> str:
    return f"send it base64-encoded under materials.<code>: {ACCEPT.replace(',', ', ')}, at most {mb(max_bytes)} MB"


def mb(max_bytes: int) -> str:
    return f"{max_bytes / 2**20:g}"


def content_type(data: bytes) -> str | None:
    """The accepted format the bytes wholly are, or None (not one of them, damaged, or with extra bytes)."""
    if data.startswith(b"%PDF-"):
        return "application/pdf" if _whole_pdf(data) else None
    return _whole_image(data)


def _whole_image(data: bytes) -> str | None:
    # Only the two decoders we accept are tried (formats=…): no other of Pillow's parsers sees the bytes.
    try:
        with Image.open(io.BytesIO(data), formats=list(FORMATS)) as image:
            kind = FORMATS.get(image.format or "")
            if kind is None or image.width * image.height > MAX_PIXELS:
                return None  # checked from the header, before a pixel is decoded (below Pillow's bomb limits)
            image.verify()  # structure and (PNG) checksums; the image cannot be used after it
        with Image.open(io.BytesIO(data), formats=list(FORMATS)) as image:
            image.load()  # every pixel decoded: a truncated or corrupt file fails here
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None
    ends_where_it_should = _png_end(data) == len(data) if kind == "image/png" else data.endswith(b"\xff\xd9")
    return kind if ends_where_it_should else None


def _png_end(data: bytes) -> int | None:
    """The offset just after the IEND chunk; Pillow stops reading there and would not see what follows."""
    if not data.startswith(_PNG_SIGNATURE):
        return None
    offset = len(_PNG_SIGNATURE)
    while offset + 12 <= len(data):
        length = int.from_bytes(data[offset : offset + 4], "big")
        chunk = data[offset + 4 : offset + 8]
        offset += 12 + length
        if chunk == b"IEND":
            return offset
    return None


def _whole_pdf(data: bytes) -> bool:
    if b"%%EOF" not in data[-_PDF_TAIL:] or data[data.rindex(b"%%EOF") + 5 :].strip():
        return False
    try:
        reader = PdfReader(io.BytesIO(data), strict=True)
        if reader.is_encrypted or not 0 < len(reader.pages) <= MAX_PDF_PAGES:
            return False  # staff could not open an encrypted one; an empty one is no material
        for page in reader.pages:
            page.get_contents()  # every page's content streams parse
    except (PyPdfError, OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return False
    return True


def inspect(data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[str | None, str | None]:
    """(the content type, None) for an acceptable material, else (None, `too_large` or `bad_type`)."""
    if len(data) > max_bytes:
        return None, "too_large"  # before any parsing: a parser never sees more than the cap
    kind = content_type(data)
    return (kind, None) if kind else (None, "bad_type")


def material_error(code: str, wrong: str, max_bytes: int) -> dict[str, str]:
    """The `errors` entry for material `code`: the English message, and the rule (`upload_<wrong>`) with the size
    limit, so a page says it in its own language."""
    return {
        "field": f"materials.{code}",
        "message": message(wrong, max_bytes),
        "rule": f"upload_{wrong}",
        "mb": mb(max_bytes),
    }


def message(wrong: str, max_bytes: int) -> str:
    return {
        "missing": f"required: {how(max_bytes)}",
        "too_large": f"too large: at most {mb(max_bytes)} MB",
        "bad_type": "not a whole, readable JPEG, PNG or PDF file (damaged, another format, or with other data "
        "appended); export or scan it again",
        "unknown": "not a material of this one-thing; leave it out",
    }[wrong]


def checked_materials(
    thing: OneThing, plan: Plan, given: dict[str, bytes], *, max_bytes: int = DEFAULT_MAX_BYTES
) -> tuple[list[CheckedMaterial], list[dict[str, str]]]:
    """Every material the plan asks of the applicant, present and sound; errors name `materials.<code>`. One of
    the definition's materials that the answers left out is ignored (not kept), an unknown code refused."""
    wanted = [material.code for material in plan.materials_to_provide]
    known = {material.code for material in thing.materials}
    errors = [material_error(code, "unknown", max_bytes) for code in given if code not in known]
    checked = []
    for code in wanted:
        data = given.get(code)
        kind, wrong = (None, "missing") if data is None else inspect(data, max_bytes)
        if data is None or kind is None:
            errors.append(material_error(code, wrong or "missing", max_bytes))
            continue
        checked.append(CheckedMaterial(material=code, content_type=kind, data=data))
    return checked, errors
