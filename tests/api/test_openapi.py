"""The OpenAPI document is what an integrator reads to know which errors to handle: it declares, per operation,
the problem+json errors the API really sends and only those, and a typed body for every success."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from api.app import create_app
from api.deps import get_case_gateway
from api.openapi import operations
from api.problems import PROBLEM_JSON, Problem
from core.auth import Role
from core.settings import Settings
from tests.support.db import settings_for as migrated_settings
from tests.support.servers import free_port
from tests.support.stack import token

PROBLEM_CONTENT = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
NOT_JSON = {
    ("get", "/api/v1/stats/things.csv"): "text/csv",
    ("get", "/api/v1/licences/{licence_id}/qr.svg"): "image/svg+xml",
    ("get", "/api/v1/department-materials/{case_no}/{material}"): "application/octet-stream",
    ("get", "/contracts/department/v1.yaml"): "application/yaml",
}
# Exactly what these operations send, worked out by hand from their dependencies and services.
EXPECTED = {
    ("get", "/healthz"): set(),
    ("get", "/api/v1/verify/{verification_code}"): {404, 422, 429},  # public: a bounded code, rate-limited
    ("get", "/api/v1/things/{code}"): {401, 404, 422},  # any signed-in role; no CSRF on a GET; a bounded code
    ("get", "/api/v1/things"): {401, 422},  # q has a max_length
    ("post", "/api/v1/things/{code}/plan"): {
        400,
        401,
        403,
        404,
        413,
        422,
    },  # 403: CSRF on a cookie write; 400/413: not JSON, too large
    ("get", "/api/v1/applications/{case_no}"): {401, 403, 404, 422},
    ("post", "/api/v1/applications"): {400, 401, 403, 413, 422, 429, 503},
    ("post", "/api/v1/applications/{case_no}/withdraw"): {400, 401, 403, 404, 409, 413, 422, 503},
    ("post", "/api/v1/callbacks/{department}"): {401, 404, 409, 413, 422, 429, 503},
    ("post", "/api/v1/staff/items/{case_no}/{item_code}/claim"): {401, 403, 404, 409, 422},  # no body, bounded
    # The signed URL is the credential: no sign-in; a bad or expired URL is 403, its bounded params checked (422).
    ("get", "/api/v1/department-materials/{case_no}/{material}"): {403, 404, 422},
    ("post", "/api/v1/messages/{message_id}/read"): {401, 403, 404, 422},  # an int id
    ("get", "/api/v1/supervision/cases/at-risk"): {401, 403, 422},  # bounded optional filters
    ("get", "/api/v1/supervision/board"): {401, 403, 422},
}


def settings_for(folder: Path) -> Settings:
    # No Temporal: the document needs none, and the case engine's absence is itself a declared 503.
    return migrated_settings(folder, temporal_address=f"127.0.0.1:{free_port()}")


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return create_app(settings_for(tmp_path_factory.mktemp("openapi")))


@pytest.fixture(scope="module")
def document(app: FastAPI) -> dict[str, Any]:
    return app.openapi()


def all_operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, op) for path, ops in document["paths"].items() for method, op in ops.items()]


def errors_of(operation: dict[str, Any]) -> set[int]:
    return {int(status) for status in operation["responses"] if int(status) >= 400}


def test_these_operations_declare_exactly_the_errors_they_send(document: dict[str, Any]) -> None:
    for (method, path), expected in EXPECTED.items():
        assert errors_of(document["paths"][path][method]) == expected, f"{method.upper()} {path}"


def test_every_error_is_problem_json_and_fastapis_own_422_shape_is_gone(document: dict[str, Any]) -> None:
    for method, path, operation in all_operations(document):
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                assert response["content"] == PROBLEM_CONTENT, f"{method.upper()} {path} {status}"
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert "ValidationError" not in schemas
    assert schemas["Problem"]["required"] == ["title", "status", "detail"]
    assert schemas["Problem"]["additionalProperties"] is True


def test_a_422_is_declared_only_where_validation_or_a_service_can_refuse(
    app: FastAPI, document: dict[str, Any]
) -> None:
    """Read from the document itself: a body, or a parameter that is not an optional or path plain string.
    Otherwise only the route's own declaration (an InvalidError of its services, or its own refusal)."""
    declared_by_route = {
        (method.lower(), route.path_format)
        for route in operations(app)
        for method in route.methods
        if 422 in route.responses or "422" in route.responses
    }
    for method, path, operation in all_operations(document):
        can_fail = "requestBody" in operation or any(
            _can_fail(parameter) for parameter in operation.get("parameters", [])
        )
        declared = 422 in errors_of(operation)
        if can_fail:
            assert declared, f"{method.upper()} {path} can fail validation but declares no 422"
        else:
            assert declared == ((method, path) in declared_by_route), f"{method.upper()} {path}"


def _can_fail(parameter: dict[str, Any]) -> bool:
    schema = parameter["schema"]
    plain = schema.get("type") == "string" or schema.get("anyOf") == [{"type": "string"}, {"type": "null"}]
    constrained = any(key in schema for key in ("maxLength", "minLength", "pattern", "enum"))
    required = parameter.get("required", False) and parameter["in"] != "path"
    return not plain or constrained or required


def test_every_success_has_a_typed_body(document: dict[str, Any]) -> None:
    for method, path, operation in all_operations(document):
        successes = [response for status, response in operation["responses"].items() if status.startswith("2")]
        assert len(successes) == 1, f"{method.upper()} {path}"
        content = successes[0]["content"]
        if (method, path) in NOT_JSON:
            assert list(content) == [NOT_JSON[method, path]], f"{method.upper()} {path}"
            continue
        schema = content["application/json"]["schema"]
        assert "$ref" in schema or "$ref" in schema.get("items", {}), f"{method.upper()} {path}: {schema}"


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Settings, FastAPI]]:
    settings = settings_for(tmp_path)
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as client,
    ):
        yield client, settings, app


async def test_what_the_api_sends_is_declared(
    api: tuple[httpx.AsyncClient, Settings, FastAPI], document: dict[str, Any]
) -> None:
    client, settings, app = api
    # The signature is checked after the case engine is reached; a stand-in lets the callback get that far.
    app.dependency_overrides[get_case_gateway] = object

    def bearer(role: Role, department: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token(settings, role, f'openapi-{role.value}', department)}"}

    citizen, supervisor = bearer(Role.CITIZEN), bearer(Role.SUPERVISOR)
    sent = [
        ("get", "/api/v1/applications/{case_no}", "/api/v1/applications/20270101-NOPE", citizen, 404),
        ("get", "/api/v1/applications", "/api/v1/applications", {}, 401),
        ("get", "/api/v1/things/{code}", "/api/v1/things/no_such_thing", citizen, 404),
        ("get", "/api/v1/supervision/board", "/api/v1/supervision/board", citizen, 403),
        (
            "get",
            "/api/v1/supervision/board",
            "/api/v1/supervision/board?since=2027-02-01&until=2027-01-01",
            supervisor,
            422,
        ),
        ("post", "/api/v1/messages/{message_id}/read", "/api/v1/messages/first/read", citizen, 422),
        (
            "post",
            "/api/v1/applications/{case_no}/withdraw",
            "/api/v1/applications/20270101-NOPE/withdraw",
            citizen,
            404,
        ),
        ("post", "/api/v1/applications/{case_no}/rating", "/api/v1/applications/20270101-NOPE/rating", citizen, 503),
        ("post", "/api/v1/callbacks/{department}", "/api/v1/callbacks/public_security", {}, 401),
        ("get", "/api/v1/verify/{verification_code}", "/api/v1/verify/NOPE", {}, 404),
    ]
    for method, template, url, headers, status in sent:
        response = await client.request(method, url, headers=headers, json={} if method == "post" else None)
        assert response.status_code == status, f"{method.upper()} {url}: {response.status_code} {response.text}"
        assert response.headers["content-type"] == PROBLEM_JSON
        problem = Problem.model_validate(response.json())
        assert problem.status == status
        assert status in errors_of(document["paths"][template][method]), f"{method.upper()} {template} sent {status}"
