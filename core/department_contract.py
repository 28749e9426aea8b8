"""The published department contract (OpenAPI 3.1): the file, its version, and its schemas as validators.

One file, `core/contracts/department/v1.yaml`, is served by the API, read by the conformance kit and
checked against the stubs by the tests, so what integrators read and what we check cannot drift apart.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

MAJOR = 1
CONTRACT_PATH = Path(__file__).parent / "contracts" / "department" / f"v{MAJOR}.yaml"
_URI = f"urn:onething:department-contract:v{MAJOR}"


def contract_text() -> str:
    return CONTRACT_PATH.read_text(encoding="utf-8")


@cache
def contract() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(contract_text())
    return document


def version() -> str:
    return str(contract()["info"]["version"])


@cache
def schema_validator(name: str) -> Draft202012Validator:
    """A JSON Schema validator for `components.schemas.<name>`, resolving its `$ref`s inside the document."""
    if name not in contract()["components"]["schemas"]:
        raise KeyError(f"the department contract has no schema {name}")
    registry: Registry[Any] = Registry().with_resource(
        _URI, Resource.from_contents(contract(), default_specification=DRAFT202012)
    )
    return Draft202012Validator({"$ref": f"{_URI}#/components/schemas/{name}"}, registry=registry)


def schema_errors(name: str, instance: object) -> list[str]:
    """Every way `instance` breaks the schema, as `path: message` (empty when it conforms)."""
    errors = sorted(schema_validator(name).iter_errors(instance), key=lambda e: list(e.absolute_path))
    return [f"{'.'.join(str(p) for p in e.absolute_path) or '(body)'}: {e.message}" for e in errors]


def timeout_seconds(path: str, method: str) -> float:
    """The answer time the contract allows for one of the department's operations."""
    operation = contract()["paths"][path][method]
    return float(operation["x-onething-timeout-seconds"])
