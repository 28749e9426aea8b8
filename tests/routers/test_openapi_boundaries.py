"""Every GET route of the OpenAPI document, every query and path parameter, at its boundaries: never a 5xx.

The document is walked, not listed by hand, so a route added tomorrow is probed the day it appears. Each route
is called by a caller of a role that may use it (a refusal for the role would hide a 500 behind a 403).
"""

from __future__ import annotations

import httpx
import pytest

from api.sessions import SESSION_COOKIE
from cli.bad_input import caller_for, get_parameter_probes
from core.auth import Principal, Role, issue_token
from tests.support.inprocess import InProcessApi
from tests.support.people import register_if_test_citizen

NOT_YET_BOUNDED: set[str] = set()
NOT_YET_BOUNDED_BODIES: set[tuple[str, str, str]] = set()


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


async def test_every_get_parameter_at_its_boundaries_is_never_a_server_error(api: InProcessApi) -> None:
    probes = get_parameter_probes(api.app.openapi())
    assert len({path for path, _ in probes}) >= 20  # the walk found the API's routes, not an empty document
    clients: dict[tuple[Role, str, str | None], httpx.AsyncClient] = {}
    failures = []
    try:
        for path, url in probes:
            who = caller_for(path)
            if who not in clients:
                clients[who] = signed_in(api, *who)
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
