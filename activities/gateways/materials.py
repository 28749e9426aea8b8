"""Materials travel with the submission (seed 000: the department gets what the citizen gave once).

An uploaded material goes by reference, a signed download URL that expires (every download is logged as a
read of personal data), or inline as base64 where the registry says so. An exempt material (免于提交) is sent
as the reference to the register or licence library it comes from: the department reads it there itself.
"""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote, urlencode

from sqlalchemy.engine import Engine

from core.clock import Clock
from core.signing import material_signature, material_url_key
from persistence.db import session_scope
from persistence.materials import MaterialUpload, get_upload
from workflows.contracts import MaterialRef, Submission

MATERIALS_PATH = "/api/v1/department-materials"
"""The API route departments download uploaded materials from (api/routers/department_materials.py)."""


@dataclass(frozen=True)
class MaterialsDesk:
    engine: Engine
    secret_key: str
    api_url: str
    url_lifetime: timedelta
    clock: Clock

    async def describe(self, submission: Submission, *, inline: bool) -> list[dict[str, object]]:
        """Each material of the submission as the department receives it."""
        uploads = await asyncio.to_thread(self._uploads, submission)
        described: list[dict[str, object]] = []
        for material in submission.materials:
            if material.source != "citizen":
                described.append(_reference(material))
                continue
            upload = uploads.get(material.code)
            if upload is None:
                continue  # not uploaded (e.g. brought on paper to a counter): nothing to send
            entry: dict[str, object] = {
                "code": material.code,
                "source": material.source,
                "content_type": upload.content_type,
                "size": upload.size,
                "sha256": upload.sha256,
            }
            if inline:
                entry["content_base64"] = base64.b64encode(upload.data).decode()
            else:
                entry.update(self._download(submission, material.code))
            described.append(entry)
        return described

    def _uploads(self, submission: Submission) -> dict[str, MaterialUpload]:
        wanted = [m.code for m in submission.materials if m.source == "citizen"]
        found: dict[str, MaterialUpload] = {}
        with session_scope(self.engine) as session:
            for code in wanted:
                upload = get_upload(session, case_no=submission.case_no, material=code)
                if upload is not None:
                    session.expunge(upload)
                    found[code] = upload
        return found

    def _download(self, submission: Submission, material: str) -> dict[str, object]:
        expires = int((self.clock.now() + self.url_lifetime).timestamp())
        signature = material_signature(
            material_url_key(self.secret_key),
            case_no=submission.case_no,
            material=material,
            department=submission.department,
            expires=expires,
        )
        query = urlencode({"department": submission.department, "expires": expires, "signature": signature})
        path = f"{MATERIALS_PATH}/{quote(submission.case_no, safe='')}/{quote(material, safe='')}"
        return {"url": f"{self.api_url.rstrip('/')}{path}?{query}", "expires_at": expires}


def _reference(material: MaterialRef) -> dict[str, object]:
    """Exempt: where the department reads it (the shared-data exchange or the e-licence library), for the
    applicant of `case_no`; the platform never copies it."""
    return {"code": material.code, "source": material.source, "reference": f"{material.source}:{material.code}"}
