"""The materials only the applicant can provide (e.g. a newborn's photo): required through the API as on
the page, checked by their content, not by what the client declares."""

from __future__ import annotations

from dataclasses import dataclass

from one_things.plan import Plan
from one_things.schema import OneThing

MAX_BYTES = 5 * 1024 * 1024
# The first bytes of each accepted format: a declared type alone proves nothing.
SIGNATURES = {"image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG\r\n\x1a\n", "application/pdf": b"%PDF-"}
ACCEPT = ",".join(SIGNATURES)
HOW = f"send it base64-encoded under materials.<code>: {', '.join(SIGNATURES)}, at most {MAX_BYTES // 2**20} MB"


@dataclass(frozen=True)
class CheckedMaterial:
    material: str
    content_type: str
    data: bytes


def content_type(data: bytes) -> str | None:
    """The accepted format the bytes are, or None."""
    return next((kind for kind, magic in SIGNATURES.items() if data.startswith(magic)), None)


def problem(data: bytes) -> str | None:
    """What is wrong with a material's bytes (`too_large`, `bad_type`), or None."""
    if len(data) > MAX_BYTES:
        return "too_large"
    return None if content_type(data) else "bad_type"


MESSAGES = {
    "missing": f"required: {HOW}",
    "too_large": f"too large: at most {MAX_BYTES // 2**20} MB",
    "bad_type": f"not an accepted format: {', '.join(SIGNATURES)}",
    "unknown": "not a material of this one-thing; leave it out",
}


def checked_materials(
    thing: OneThing, plan: Plan, given: dict[str, bytes]
) -> tuple[list[CheckedMaterial], list[dict[str, str]]]:
    """Every material the plan asks of the applicant, present and sound; errors name `materials.<code>`. One of
    the definition's materials that the answers left out is ignored (not kept), an unknown code refused."""
    wanted = [material.code for material in plan.materials_to_provide]
    known = {material.code for material in thing.materials}
    errors = [{"field": f"materials.{code}", "message": MESSAGES["unknown"]} for code in given if code not in known]
    checked = []
    for code in wanted:
        data = given.get(code)
        wrong = "missing" if data is None else problem(data)
        if wrong is not None or data is None:
            errors.append({"field": f"materials.{code}", "message": MESSAGES[wrong or "missing"]})
            continue
        checked.append(CheckedMaterial(material=code, content_type=content_type(data) or "", data=data))
    return checked, errors
