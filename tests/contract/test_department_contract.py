"""The published department contract is valid OpenAPI 3.1, served as committed, and the stubs keep it:
their routes, their bodies and their real answers agree with the document an integrator reads."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import yaml
from openapi_spec_validator import validate
from pydantic import BaseModel

from api.routers.callbacks import CallbackReceipt
from core.department_contract import contract, contract_text, schema_errors, version
from core.settings import Settings
from departments.app import create_app as create_stubs
from departments.behaviour import DepartmentBehaviour, StubConfig
from departments.callbacks import callback_body
from departments.models import (
    EscalationIn,
    EscalationOut,
    MaterialIn,
    StubRecord,
    SubmissionIn,
    SubmissionOut,
)
from tests.support.inprocess import in_process_api
from tests.support.servers import ThreadedServer

METHODS = ("get", "post", "put", "delete", "patch")


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, op) for path, item in contract()["paths"].items() for method, op in item.items()]


def schema_name(ref: dict[str, Any]) -> str:
    return str(ref["$ref"]).rsplit("/", 1)[-1]


def test_the_contract_is_valid_openapi_3_1_with_a_version() -> None:
    validate(yaml.safe_load(contract_text()))
    assert contract()["openapi"] == "3.1.0"
    assert version().startswith("1.")
    assert "/contracts/department/v1.yaml" in contract()["info"]["description"]


def test_every_operation_states_its_time_limit_and_its_examples_fit_its_schemas() -> None:
    """Examples are what integrators copy: each one is checked against the schema it illustrates."""
    callback = contract()["components"]["pathItems"]["DepartmentResult"]["post"]
    checked = 0
    for path, method, op in [*operations(), ("callback", "post", callback)]:
        assert op["x-onething-timeout-seconds"] > 0, (path, method)
        body = op.get("requestBody", {}).get("content", {}).get("application/json")
        if body and "$ref" in body["schema"]:
            assert body["examples"], (path, method)
            for example in body["examples"].values():
                assert schema_errors(schema_name(body["schema"]), example["value"]) == [], (path, method)
                checked += 1
        answer = op["responses"]["200"]["content"]["application/json"]
        assert answer["examples"], (path, method)
        for example in answer["examples"].values():
            assert schema_errors(schema_name(answer["schema"]), example["value"]) == [], (path, method)
            checked += 1
    for name, response in contract()["components"]["responses"].items():
        for example in response["content"]["application/problem+json"].get("examples", {}).values():
            assert schema_errors("Problem", example["value"]) == [], name
            checked += 1
    assert checked >= 18


def test_the_stubs_serve_every_operation_of_the_contract(tmp_path: Path) -> None:
    """Wherever the stubs' base URL is, each contract path is served below it with the same method."""
    app = create_stubs(Settings(data_dir=tmp_path), StubConfig())
    served = {(method, path) for path, item in app.openapi()["paths"].items() for method in item}
    for path, method, _op in operations():
        matches = [p for m, p in served if m == method and p.endswith(path) and p.count("{") == path.count("{") + 1]
        assert len(matches) == 1, f"{method.upper()} {path}: the stubs serve {sorted(p for _m, p in served)}"


def properties(schema: str) -> tuple[set[str], set[str]]:
    found = contract()["components"]["schemas"][schema]
    return set(found["properties"]), set(found.get("required", []))


def model_fields(model: type[BaseModel]) -> tuple[set[str], set[str]]:
    schema = model.model_json_schema()
    return set(schema["properties"]), set(schema.get("required", []))


@pytest.mark.parametrize(
    ("model", "schema"),
    [
        (SubmissionIn, "SubmissionRequest"),
        (MaterialIn, "Material"),
        (SubmissionOut, "Submission"),
        (EscalationIn, "EscalationRequest"),
        (EscalationOut, "Escalation"),
        (CallbackReceipt, "CallbackReceipt"),
    ],
)
def test_the_bodies_the_code_reads_and_sends_are_the_contract_s(model: type[BaseModel], schema: str) -> None:
    fields, required = model_fields(model)
    contract_fields, contract_required = properties(schema)
    assert fields == contract_fields
    if model in (SubmissionIn, MaterialIn, EscalationIn):  # what the stubs insist on, the platform always sends
        assert required == contract_required
        assert contract()["components"]["schemas"][schema]["additionalProperties"] is False


def test_the_stubs_callback_body_is_a_department_result() -> None:
    record = StubRecord(
        department="public_security",
        idempotency_key="20261206-8NN33MT6:hukou_registration",
        case_no="20261206-8NN33MT6",
        item_code="hukou_registration",
        mode="async_callback",
        receipt_no="PUBLIC_SECURITY-20261206-1A2B3C4D",
        status="completed",
        output={"hukou_no": "HK0000000001"},
        created_at="2026-12-06T00:00:00Z",
    )
    assert schema_errors("DepartmentResult", yaml.safe_load(callback_body(record))) == []


@pytest.fixture
def stubs(tmp_path: Path) -> Iterator[httpx.Client]:
    config = StubConfig(
        defaults=DepartmentBehaviour(latency_ms=20, jitter_ms=0, batch_interval_ms=100), clerk_departments=[]
    )
    with (
        ThreadedServer(create_stubs(Settings(data_dir=tmp_path), config)) as server,
        httpx.Client(base_url=f"{server.url}/departments/health", timeout=10) as http,
    ):
        yield http


def body(key: str, mode: str, **changes: Any) -> dict[str, Any]:
    case_no, item_code = key.split(":")
    submission = {"idempotency_key": key, "case_no": case_no, "item_code": item_code, "mode": mode}
    return {**submission, "payload": {"x": 1}, "outputs": ["birth_cert_no"], "callback_url": None, **changes}


def test_what_the_stubs_answer_validates_against_the_contract(stubs: httpx.Client) -> None:
    answers: list[tuple[str, httpx.Response]] = [
        ("Submission", stubs.post("/submissions", json=body("C1:sync", "sync_rest"))),
        ("Submission", stubs.post("/submissions", json=body("C1:sync", "sync_rest"))),
        ("Submission", stubs.post("/submissions", json=body("C1:batch", "batch"))),
        ("Submission", stubs.get(f"/submissions/{quote('C1:batch', safe='')}")),
        ("Submission", stubs.post(f"/submissions/{quote('C1:batch', safe='')}/withdraw", json={})),
        ("Submission", stubs.post(f"/submissions/{quote('C1:never', safe='')}/withdraw")),
        ("Escalation", stubs.post("/escalations", json={"case_no": "C1", "item_code": "sync", "level": "overdue"})),
    ]
    for schema, response in answers:
        assert response.status_code == 200, response.text
        assert schema_errors(schema, response.json()) == [], response.text
    refusals = [
        (422, stubs.post("/submissions", json=body("C1:sync", "batch"))),  # key reused for other work
        (422, stubs.post("/submissions", json=body("C1:async", "async_callback"))),  # no callback_url
        (404, stubs.get(f"/submissions/{quote('C1:unknown', safe='')}")),
    ]
    for status, response in refusals:
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert schema_errors("Problem", response.json()) == []


async def test_the_api_serves_the_committed_contract_and_links_it_from_the_docs(tmp_path: Path) -> None:
    async with in_process_api(tmp_path / "data") as api, api.client() as client:
        served = await client.get("/contracts/department/v1.yaml")
        assert served.status_code == 200
        assert served.headers["content-type"].startswith("application/yaml")
        assert served.text == contract_text()
        document = (await client.get("/openapi.json")).json()
    assert "(/contracts/department/v1.yaml)" in document["info"]["description"]
    # What the platform's callback endpoint may answer is what the contract tells departments to expect.
    declared = set(document["paths"]["/api/v1/callbacks/{department}"]["post"]["responses"])
    promised = set(contract()["components"]["pathItems"]["DepartmentResult"]["post"]["responses"])
    assert declared - {"200"} <= promised, declared - promised
