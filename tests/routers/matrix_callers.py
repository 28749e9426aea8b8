"""The callers and the owner's objects of the authorisation matrix, on the in-process app.

One owner holds a case (accepted through the API on the fake engine), a licence, an inbox message, a rating
and authorisations: one active for the agent, one revoked, one spare (the one the matrix revokes). Every
other role of `core.auth.Role` gets a caller too, so a new role is in the matrix the day it appears.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session

from api.sessions import CSRF_FIELD, SESSION_COOKIE, csrf_token
from core.auth import Principal, Role
from persistence.licences import add_licence
from persistence.messages import add_inbox_message, list_inbox
from persistence.ratings import OVERALL, add_rating
from tests.routers import access_rules as r
from tests.support.inprocess import InProcessApi
from tests.support.people import register_if_test_citizen
from tests.support.sessions import session_of

SUBJECTS = {
    r.OWNER: "citizen-matrix-owner",
    r.AGENT: "citizen-matrix-agent",
    r.REVOKED_AGENT: "citizen-matrix-revoked",
    r.SCOPE_AGENT: "citizen-matrix-scope",
    r.OTHER_CITIZEN: "citizen-matrix-other",
    r.ENTERPRISE: "demo-enterprise-1",
    r.STAFF_OF_ITEM: "clerk-health",
    r.STAFF_ELSEWHERE: "clerk-cdc",
    r.SUPERVISOR: "supervisor-1",
    r.LEADER: "leader-1",
}
OWNER_SUBJECT = SUBJECTS[r.OWNER]
NEWBORN_ANSWERS = "born_in_city=yes&hukou_location=this_district&wants_social_security_card=yes"
DEPARTMENTS = {r.STAFF_OF_ITEM: "health", r.STAFF_ELSEWHERE: "cdc"}
SPARE_AGENT = "citizen-matrix-spare"
ITEM, DEPARTMENT = "birth_certificate", "health"


@dataclass(frozen=True)
class Caller:
    name: str
    principal: Principal | None

    def headers(self, api: InProcessApi) -> dict[str, str]:
        """Both a bearer token (the API) and the session cookie (the pages) of the same person."""
        if self.principal is None:
            return {}
        token = session_of(api, self.principal)
        return {"Authorization": f"Bearer {token}", "Cookie": f"{SESSION_COOKIE}={token}"}

    def csrf(self, api: InProcessApi) -> dict[str, str]:
        if self.principal is None:
            return {}
        token = session_of(api, self.principal)
        return {CSRF_FIELD: csrf_token(api.settings.secret_key, token)}


def callers() -> list[Caller]:
    named = [Caller("anonymous", None)]
    for name, role in r.ROLE_OF_CALLER.items():
        named.append(Caller(name, Principal(role=role, subject=SUBJECTS[name], department=DEPARTMENTS.get(name))))
    for role in Role:  # a role nobody wrote a caller for yet (e.g. a counter clerk) is still called
        if role not in r.ROLE_OF_CALLER.values():
            named.append(
                Caller(f"role:{role.value}", Principal(role=role, subject=f"{role.value}-1", department=DEPARTMENT))
            )
    return named


@dataclass
class OwnerObjects:
    case_no: str
    licence_id: str
    verification_code: str
    message_id: int
    spare_authorisation: str


def _until() -> str:
    return (datetime.now(UTC) + timedelta(days=30)).isoformat()


async def _grant(api: InProcessApi, grantor: str, agent: str, thing: str = "newborn") -> str:
    register_if_test_citizen(api.engine, agent)
    async with api.as_user(Role.CITIZEN, grantor) as owner:
        response = await owner.post(
            "/api/v1/authorisations", json={"agent": agent, "things": [thing], "valid_until": _until()}
        )
        assert response.status_code == 201, response.text
        granted: str = response.json()["id"]
    return granted


async def owner_objects(api: InProcessApi, owner: str = SUBJECTS[r.OWNER]) -> OwnerObjects:
    case_no = await api.submit(owner)
    for name in (r.OTHER_CITIZEN,):
        register_if_test_citizen(api.engine, SUBJECTS[name])
    await _grant(api, owner, SUBJECTS[r.AGENT])
    revoked = await _grant(api, owner, SUBJECTS[r.REVOKED_AGENT])
    async with api.as_user(Role.CITIZEN, owner) as client:
        assert (await client.post(f"/api/v1/authorisations/{revoked}/revoke")).status_code == 200
    await _grant(api, owner, SUBJECTS[r.SCOPE_AGENT], thing="retirement")
    spare = await _grant(api, owner, SPARE_AGENT)
    now = datetime.now(UTC)
    with Session(api.engine) as session:
        # A licence issued outside any case is named by the shared registry of licence types, by its kind.
        licence = add_licence(
            session, holder=owner, kind="birth_medical_certificate", number="MATRIX-1", issuer=DEPARTMENT, issued_at=now
        )
        add_inbox_message(
            session,
            owner=owner,
            case_no=case_no,
            kind="matrix",
            item_code=ITEM,
            round=1,
            title=("通知", "Notice"),
            body=("内容", "Body"),
            now=now,
        )
        add_rating(session, case_no=case_no, thing="newborn", owner=owner, scores={OVERALL: (5, "")}, now=now)
        session.commit()
        [message], _ = list_inbox(session, owner=owner)
        assert message.id is not None
        return OwnerObjects(case_no, licence.id, licence.verification_code, message.id, spare)


def path_values(objects: OwnerObjects) -> dict[str, str]:
    """Every path parameter of the app, filled with the owner's objects."""
    return {
        "code": "newborn",
        "case_no": objects.case_no,
        "item_code": ITEM,
        "department": DEPARTMENT,
        "verdict": "confirm",
        "licence_id": objects.licence_id,
        "verification_code": objects.verification_code,
        "message_id": str(objects.message_id),
        "authorisation_id": objects.spare_authorisation,
        "rectification_id": f"rectification-{objects.case_no}-{DEPARTMENT}",
        "name": "lang",
        "value": "en",
        "path": "app.css",
        "material": "newborn_photo",
        # A counter visit is the opening clerk's alone and no owner object here has one: every caller must be
        # refused on it (the clerk's own visits are walked through in tests/routers/test_counter.py).
        "visit": "matrix-no-such-visit",
    }


def json_body(api: InProcessApi, path: str) -> dict[str, Any]:
    """A body the route would accept, so a refusal is the route's check and not the body's shape."""
    bodies: dict[str, dict[str, Any]] = {
        "/api/v1/applications": api.newborn(),
        "/supplements": {"item_code": ITEM, "form": {}},
        "/rating": {"overall": {"score": 5}, "departments": []},
        "/api/v1/authorisations": {"agent": "demo-grandmother-1", "things": ["newborn"], "valid_until": _until()},
        "/decision": {"decision": "approve", "output": {}},
        "/reply": {"text": "done"},
        "/escalations": {"note": "please"},
    }
    return next((body for suffix, body in bodies.items() if path.endswith(suffix)), {})


def form_body(path: str) -> dict[str, str]:
    forms = {
        "/supplement": {"item_code": ITEM},
        "/withdraw": {"confirm": "yes"},
        "/rating": {"overall": "5"},
        "/decision": {"decision": "approve"},
        "/escalate": {"note": "please"},
        f"/rectifications/{DEPARTMENT}": {"verdict": "confirm"},
    }
    return next((form for suffix, form in forms.items() if path.endswith(suffix)), {})
