"""The simulated people's side of the platform: the same HTTP calls a browser or a staff client makes.

Citizens apply through the portal's form page (session cookie, CSRF token, the newborn's photo as an
upload), so application rows and material uploads are written exactly as for a person; everything
else goes through the JSON API with bearer tokens. Nothing here touches a database.
"""

from __future__ import annotations

import struct
import uuid
import zlib
from typing import Any

import httpx

from api.sessions import CSRF_FIELD, SESSION_COOKIE, csrf_token
from core.auth import Principal, Role, issue_token
from core.settings import Settings

TOKEN_TTL_SECONDS = 24 * 3600
"""Tokens are checked on the wall clock, which moves only minutes during a run."""


def tiny_png() -> bytes:
    """A valid 1x1 PNG: the photo upload only needs the bytes of an accepted image type."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


class PortalError(RuntimeError):
    """The platform refused a simulated person's request that should have been fine: a bug to look at."""


class Portal:
    def __init__(self, settings: Settings, http: httpx.AsyncClient) -> None:
        self._settings = settings
        self._http = http
        self._tokens: dict[tuple[Role, str, str | None], str] = {}
        self._photo = tiny_png()

    def _token(self, role: Role, subject: str, department: str | None = None) -> str:
        key = (role, subject, department)
        if key not in self._tokens:
            principal = Principal(role=role, subject=subject, department=department)
            self._tokens[key] = issue_token(self._settings.secret_key, principal, ttl_seconds=TOKEN_TTL_SECONDS)
        return self._tokens[key]

    def _citizen(self, subject: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token(Role.CITIZEN, subject)}"}

    def _staff(self, department: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token(Role.STAFF, f'sim-staff-{department}', department)}"}

    async def _json(self, method: str, path: str, headers: dict[str, str], body: Any = None) -> Any:
        response = await self._http.request(method, path, headers=headers, json=body)
        if response.status_code == 409:
            return None  # "not possible now": the case moved on meanwhile (e.g. finished before a withdrawal)
        if not response.is_success:
            raise PortalError(f"{method} {path} answered {response.status_code}: {response.text[:300]}")
        return response.json()

    # --- citizens ----------------------------------------------------------------------------------

    async def prefilled_form(self, subject: str, thing: str, answers: dict[str, str]) -> dict[str, Any]:
        result: dict[str, Any] = await self._json(
            "GET", f"/api/v1/things/{thing}/form?{httpx.QueryParams(answers)}", self._citizen(subject)
        )
        return result

    async def apply(
        self, subject: str, thing: str, answers: dict[str, str], typed: dict[str, str], photos: list[str]
    ) -> str:
        """Submits the form page as the browser does; returns the case number from the redirect."""
        token = self._token(Role.CITIZEN, subject)
        fields = {CSRF_FIELD: csrf_token(self._settings.secret_key, token), "idempotency_key": uuid.uuid4().hex}
        fields |= {f"answer.{code}": value for code, value in answers.items()}
        fields |= {f"field.{code}": value for code, value in typed.items()}
        files = {f"material.{code}": ("photo.png", self._photo, "image/png") for code in photos}
        response = await self._http.post(
            f"/things/{thing}/apply", data=fields, files=files or None, headers={"Cookie": f"{SESSION_COOKIE}={token}"}
        )
        location = response.headers.get("location", "")
        if response.status_code != 303 or not location.startswith("/cases/"):
            raise PortalError(f"the application form answered {response.status_code}: {response.text[:300]}")
        return str(location).removeprefix("/cases/")

    async def inbox(self, subject: str) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = (await self._json("GET", "/api/v1/messages", self._citizen(subject)))[
            "messages"
        ]
        return messages

    async def my_cases(self, subject: str) -> list[dict[str, Any]]:
        """The citizen's case list (their most recent hundred), with each case's status."""
        cases: list[dict[str, Any]] = await self._json("GET", "/api/v1/applications", self._citizen(subject))
        return cases

    async def case(self, subject: str, case_no: str) -> dict[str, Any]:
        result: dict[str, Any] = await self._json("GET", f"/api/v1/applications/{case_no}", self._citizen(subject))
        return result

    async def supplement(self, subject: str, case_no: str, item_code: str, form: dict[str, str]) -> bool:
        body = {"item_code": item_code, "form": form, "note": "已按要求补正"}
        path = f"/api/v1/applications/{case_no}/supplements"
        return await self._json("POST", path, self._citizen(subject), body) is not None

    async def withdraw(self, subject: str, case_no: str) -> bool:
        path = f"/api/v1/applications/{case_no}/withdraw"
        return await self._json("POST", path, self._citizen(subject), {"reason": "不再需要办理"}) is not None

    async def rate(self, subject: str, case_no: str, rating: dict[str, Any]) -> dict[str, Any] | None:
        path = f"/api/v1/applications/{case_no}/rating"
        result: dict[str, Any] | None = await self._json("POST", path, self._citizen(subject), rating)
        return result

    async def verdict(self, subject: str, case_no: str, department: str, verdict: str, note: str) -> bool:
        path = f"/api/v1/applications/{case_no}/rectifications/{department}/{verdict}"
        return await self._json("POST", path, self._citizen(subject), {"note": note}) is not None

    # --- department staff --------------------------------------------------------------------------

    async def staff_queue(self, department: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = (await self._json("GET", "/api/v1/staff/queue", self._staff(department)))["items"]
        return items

    async def decide(self, department: str, case_no: str, item_code: str, decision: dict[str, Any]) -> bool:
        """Claims the item (so no colleague takes it too), then decides it."""
        item = f"/api/v1/staff/items/{case_no}/{item_code}"
        if await self._json("POST", f"{item}/claim", self._staff(department)) is None:
            return False
        return await self._json("POST", f"{item}/decision", self._staff(department), decision) is not None

    async def reply(self, department: str, rectification_id: str, text: str) -> bool:
        path = f"/api/v1/staff/rectifications/{rectification_id}/reply"
        return await self._json("POST", path, self._staff(department), {"text": text}) is not None
