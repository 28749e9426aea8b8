"""Every GET route of the OpenAPI document, every query and path parameter, at its boundaries: never a 5xx.

The document is walked, not listed by hand, so a route added tomorrow is probed the day it appears. Each route
is called by a caller of a role that may use it (a refusal for the role would hide a 500 behind a 403).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx
import pytest

from api.sessions import SESSION_COOKIE
from core.auth import Principal, Role, issue_token
from tests.support.inprocess import InProcessApi
from tests.support.people import register_if_test_citizen

# Values just outside what a parameter of each kind can hold: far dates, integers beyond 64 bits, huge and
# control-character strings. Anything else (a valid value) is already exercised by the routers' own tests.
DATES = ["9999-12-31", "0001-01-01", "10000-01-01", "0000-00-00", "2026-02-30", "-0001-01-01"]
INTEGERS = [str(2**63), str(2**63 - 1), str(-(2**63) - 1), str(10**40), "-1", "0", "1e309", "NaN"]
STRINGS = ["x" * 5000, "\x00", "a\x00b", "\x1b[2J", "\u202e", "%", "..", " ", "9" * 40]

ROLE_BY_PREFIX = [
    ("/api/v1/supervision", (Role.SUPERVISOR, "supervisor-1", None)),
    ("/api/v1/stats", (Role.LEADER, "leader-1", None)),
    ("/api/v1/staff", (Role.STAFF, "clerk-health", "health")),
    ("/api/v1/counter", (Role.CLERK, "window-1", "xuhui-centre")),
]
CITIZEN = (Role.CITIZEN, "citizen-boundaries", None)
NOT_YET_BOUNDED: set[str] = set()
NOT_YET_BOUNDED_BODIES: set[tuple[str, str, str]] = set()


def _values(schema: dict[str, Any]) -> list[str]:
    kinds = [schema, *schema.get("anyOf", [])]
    if any(kind.get("type") == "array" for kind in kinds):
        return _values(next(kind["items"] for kind in kinds if kind.get("type") == "array"))
    if any(kind.get("format") == "date" for kind in kinds):
        return DATES + STRINGS[:2]
    if any(kind.get("type") == "integer" for kind in kinds):
        return INTEGERS + STRINGS[:2]
    return STRINGS + DATES[:2] + INTEGERS[:1]


def _probes(document: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(path template, parameter location, parameter name, value) for every GET parameter."""
    probes = []
    for path, operations in document["paths"].items():
        get = operations.get("get")
        if get is None:
            continue
        for parameter in get.get("parameters", []):
            if parameter["in"] not in ("query", "path"):
                continue
            for value in _values(parameter.get("schema", {})):
                probes.append((path, parameter["in"], parameter["name"], value))
    return probes


def _url(path: str, where: str, name: str, value: str) -> str:
    filled = path
    for segment in [part[1:-1] for part in path.split("/") if part.startswith("{")]:
        filled = filled.replace(f"{{{segment}}}", quote(value, safe="") if where == "path" and segment == name else "x")
    if where == "query":
        filled += f"?{quote(name)}={quote(value, safe='')}"
    return filled


def signed_in(api: InProcessApi, role: Role, subject: str, department: str | None) -> httpx.AsyncClient:
    """Like `api.as_user`, but a crash is answered (500) as a server would, so one probe cannot hide the rest."""
    if role is Role.CITIZEN:
        register_if_test_citizen(api.engine, subject)
    token = issue_token(api.settings.secret_key, Principal(role=role, subject=subject, department=department))
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=api.app, raise_app_exceptions=False),
        base_url="http://api",
        headers={"Authorization": f"Bearer {token}", "Cookie": f"{SESSION_COOKIE}={token}"},  # the API and the pages
    )


def caller_for(path: str) -> tuple[Role, str, str | None]:
    return next((who for prefix, who in ROLE_BY_PREFIX if path.startswith(prefix)), CITIZEN)


async def test_every_get_parameter_at_its_boundaries_is_never_a_server_error(api: InProcessApi) -> None:
    probes = _probes(api.app.openapi())
    assert len({probe[0] for probe in probes}) >= 20  # the walk found the API's routes, not an empty document
    clients: dict[tuple[Role, str, str | None], httpx.AsyncClient] = {}
    failures = []
    try:
        for path, where, name, value in probes:
            who = caller_for(path)
            if who not in clients:
                clients[who] = signed_in(api, *who)
            url = _url(path, where, name, value)
            response = await clients[who].get(url)
            if response.status_code >= 500:
                failures.append(f"{response.status_code} GET {url[:120]}")
    finally:
        for client in clients.values():
            await client.aclose()
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("where", ["query", "path"])
async def test_every_free_text_parameter_declares_its_bound(api: InProcessApi, where: str) -> None:
    """A string a client chooses freely has a maxLength (or an enum, pattern or format that bounds it)."""
    unbounded = []
    for path, operations in api.app.openapi()["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] != where:
                    continue
                schema = parameter.get("schema", {})
                kinds = [schema, *schema.get("anyOf", []), schema.get("items", {})]
                strings = [kind for kind in kinds if kind.get("type") == "string"]
                if any(not ({"maxLength", "enum", "format", "pattern"} & kind.keys()) for kind in strings):
                    unbounded.append(f"{method.upper()} {path} {parameter['name']}")
    assert not set(unbounded) - NOT_YET_BOUNDED, "\n".join(unbounded)
