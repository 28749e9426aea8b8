"""Every route of the app × every caller on one owner's objects: 0 unexpected allows.

The routes are read from the app (API and pages alike), the expected table is data (access_rules.py), and
'allowed' is derived from the answer: past the route's checks (2xx, 3xx other than to the sign-in, 409, 422)
or refused (401, 403, 404, a redirect to the sign-in). 503 is the case engine missing in-process, reached
only past the role check; those pairs are listed as not decided rather than counted either way.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi.routing import iter_route_contexts
from starlette.routing import Mount

from api.deps import get_temporal
from api.problems import ProblemError
from api.sessions import SAFE_METHODS, SESSION_COOKIE
from core.auth import Principal, Role, issue_token
from tests.identity.test_tokens import b64
from tests.routers import access_rules as r
from tests.routers.matrix_callers import (
    NEWBORN_ANSWERS,
    OWNER_SUBJECT,
    Caller,
    OwnerObjects,
    callers,
    form_body,
    json_body,
    owner_objects,
    path_values,
)
from tests.support.fake_gateway import FakeCaseGateway
from tests.support.inprocess import InProcessApi

REFUSED = {401, 403, 404}
UNDECIDED = {503}
# Run last: they end what other rows need (the case, the spare authority, the session).
DESTRUCTIVE = ("/withdraw", "/revoke", "/signout")


@dataclass(frozen=True)
class Operation:
    method: str
    path: str


def app_operations(api: InProcessApi) -> list[Operation]:
    found: set[Operation] = set()
    for route in iter_route_contexts(api.app.routes):
        path = str(route.path_format)
        if isinstance(route.original_route, Mount):  # static files: read, never written
            found.add(Operation("GET", path))
            continue
        for method in getattr(route, "methods", None) or ():
            if method != "HEAD":
                found.add(Operation(method, path))
    return sorted(found, key=lambda o: (o.path.endswith(DESTRUCTIVE), o.path, o.method))


def allowed_by_rule(rule: r.Rule, caller: Caller) -> bool:
    if rule == r.PUBLIC:
        return True
    if rule == r.SIGNED_IN_SELF:
        return caller.principal is not None
    return caller.name in rule


def allowed_by_answer(response: httpx.Response) -> bool | None:
    if response.status_code in UNDECIDED:
        return None
    if response.status_code in REFUSED:
        return False
    location = response.headers.get("location", "")
    return not (response.is_redirect and location.startswith("/signin"))


async def call(api: InProcessApi, caller: Caller, op: Operation, objects: OwnerObjects) -> httpx.Response:
    path = op.path.format(**path_values(objects))
    async with api.client(caller.headers(api)) as client:
        if op.method == "GET":
            return await client.get(path)
        if path.startswith("/api/"):
            return await client.request(op.method, path, json=json_body(api, path))
        return await client.request(op.method, path, data={**form_body(path), **caller.csrf(api)})


def _rows(api: InProcessApi) -> Iterator[tuple[Operation, r.Rule | None]]:
    for op in app_operations(api):
        yield op, r.RULES.get((op.method, op.path))


class _EngineAbsent:
    """In place of the Temporal client, for the routes that use it directly (rating, rectification verdicts):
    their checks run first, and only a caller past them touches it, then answered 503 (undecided)."""

    def __getattr__(self, name: str) -> object:
        raise ProblemError(503, "Service temporarily unavailable", "No case engine in the fast tier.")


@pytest.fixture
def engine_absent(api: InProcessApi) -> Iterator[None]:
    api.app.dependency_overrides[get_temporal] = _EngineAbsent
    yield
    del api.app.dependency_overrides[get_temporal]


@pytest.mark.usefixtures("engine_absent")
async def test_every_route_and_caller_is_allowed_only_by_its_rule(api: InProcessApi, gateway: FakeCaseGateway) -> None:
    objects = await owner_objects(api)
    everyone = callers()
    unexpected_allows, unexpected_denies, undecided = [], [], []
    operations = list(_rows(api))
    uncovered = [f"{op.method} {op.path}" for op, rule in operations if rule is None]
    for op, rule in operations:
        if rule is None or rule == r.PUBLIC:
            continue  # public: not judged; uncovered: reported below
        for caller in everyone:
            response = await call(api, caller, op, objects)
            answer, expected = allowed_by_answer(response), allowed_by_rule(rule, caller)
            row = f"{op.method} {op.path} as {caller.name}: {response.status_code}"
            if answer is None:
                undecided.append(row)
            elif answer and not expected:
                unexpected_allows.append(row)
            elif expected and not answer:
                unexpected_denies.append(row)
    values = {**path_values(objects), "owner": OWNER_SUBJECT, "answers": NEWBORN_ANSWERS}
    for (method, template), rule in r.VARIANTS.items():
        for caller in everyone:
            async with api.client(caller.headers(api)) as client:
                response = await client.request(method, template.format(**values))
            if allowed_by_answer(response) and caller.name not in r.CASE and objects.case_no in response.text:
                unexpected_allows.append(f"{method} {template} as {caller.name} shows the owner's case")
            elif allowed_by_answer(response) and not allowed_by_rule(rule, caller):
                unexpected_allows.append(f"{method} {template} as {caller.name}: {response.status_code}")
            elif allowed_by_rule(rule, caller) and not allowed_by_answer(response):
                unexpected_denies.append(f"{method} {template} as {caller.name}: {response.status_code}")
    print(f"matrix: {len(operations)} operations (+{len(r.VARIANTS)} query variants) x {len(everyone)} callers")
    print("unexpected denies (stricter than the table, not a hole):", *unexpected_denies, sep="\n  ")
    print("undecided (case engine absent in-process):", *undecided, sep="\n  ")
    stale = sorted(f"{m} {p}" for m, p in r.RULES if Operation(m, p) not in {op for op, _ in operations})
    assert uncovered == [], "routes with no rule in access_rules.py: write one"
    assert stale == [], "rules for routes that no longer exist"
    assert unexpected_allows == [], "\n".join(unexpected_allows)
    assert all(row.split(" as ")[1].split(":")[0] in r.CASE | r.ITEM_STAFF for row in undecided), undecided


async def test_every_cookie_write_without_its_csrf_token_is_refused(
    api: InProcessApi, gateway: FakeCaseGateway
) -> None:
    owner = "citizen-matrix-csrf"
    objects = await owner_objects(api, owner)
    owner_session = Caller(r.OWNER, Principal(role=Role.CITIZEN, subject=owner))
    passed, tried = [], 0
    for op in app_operations(api):
        rule = r.RULES.get((op.method, op.path))
        if op.method in SAFE_METHODS or rule == r.PUBLIC or op.path.startswith("/api/v1/callbacks"):
            continue  # no session there: the demo provider's own forms, department callbacks (signed by key)
        # The session of someone the route lets in, so only the missing token can refuse the write.
        allowed = [c for c in callers() if c.principal is not None and allowed_by_rule(rule or r.NOBODY, c)]
        session = owner_session if r.OWNER in {c.name for c in allowed} else allowed[0]
        cookie = {"Cookie": session.headers(api)["Cookie"]}
        path = op.path.format(**path_values(objects))
        async with api.client(cookie) as client:
            if path.startswith("/api/"):
                response = await client.request(op.method, path, json=json_body(api, path))
            else:
                response = await client.request(op.method, path, data=form_body(path))
        tried += 1
        if response.status_code != 403:
            passed.append(f"{op.method} {op.path}: {response.status_code}")
    assert tried > 20
    assert passed == [], "\n".join(passed)


async def test_forged_expired_and_unsigned_tokens_are_refused_across_the_roles(api: InProcessApi) -> None:
    """tests/identity covers each bad token on one route in depth; here each one on a route of every role,
    as a bearer token (the API: 401) and as the session cookie (the pages: sent to the sign-in)."""
    objects = await owner_objects(api, "citizen-matrix-tokens")
    who = {Role.CITIZEN: "citizen-matrix-tokens", Role.STAFF: "clerk-health", Role.SUPERVISOR: "supervisor-1"}
    sample = {
        Role.CITIZEN: ["/api/v1/applications/{case_no}", "/api/v1/licences", "/cases/{case_no}", "/wallet"],
        Role.STAFF: ["/api/v1/staff/queue", "/staff/items/{case_no}/{item_code}"],
        Role.SUPERVISOR: ["/api/v1/supervision/data-access", "/api/v1/stats/volumes", "/supervision"],
    }
    for role, paths in sample.items():
        principal = Principal(role=role, subject=who[role], department="health" if role is Role.STAFF else None)
        claims = {"sub": principal.subject, "role": role.value, "dept": principal.department, "exp": 9e9}
        bad = {
            "forged": issue_token("a-secret-that-is-not-this-deployments", principal),
            "expired": issue_token(api.settings.secret_key, principal, ttl_seconds=-10),
            "alg none": f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}.",
        }
        for kind, token in bad.items():
            for template in paths:
                path = template.format(**path_values(objects))
                header = {"Authorization": f"Bearer {token}"} if path.startswith("/api/") else {}
                async with api.client({**header, "Cookie": f"{SESSION_COOKIE}={token}"}) as client:
                    response = await client.get(path)
                assert allowed_by_answer(response) is False, f"{kind} token let {role.value} into {path}"
                if path.startswith("/api/"):
                    assert response.status_code == 401, (kind, path)
