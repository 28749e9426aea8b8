"""How the conformance kit judges a department's answers against the contract's schemas and rules."""

from __future__ import annotations

from typing import Any

import httpx

from core.department_contract import schema_errors

DECIDED = frozenset({"completed", "rejected", "correction_requested"})
OUTPUT = "conformance_no"
"""The one output the kit asks for: a completed decision must carry it."""


class CheckFailedError(Exception):
    """A check's verdict: what the department did that the contract does not allow."""


def shaped(response: httpx.Response, schema: str, what: str) -> dict[str, Any]:
    if response.status_code != 200:
        raise CheckFailedError(f"{what} answered {response.status_code}, expected 200: {_detail(response)}")
    try:
        body = response.json()
    except ValueError:
        raise CheckFailedError(f"{what} answered a body that is not JSON") from None
    errors = schema_errors(schema, body)
    if errors:
        raise CheckFailedError(f"{what} answered a body that breaks the contract's {schema}: " + "; ".join(errors[:3]))
    return dict(body)


def record_of(response: httpx.Response, what: str) -> dict[str, Any]:
    return shaped(response, "Submission", what)


def same_key(record: dict[str, Any], key: str) -> None:
    if record["idempotency_key"] != key:
        raise CheckFailedError(f"the answer names idempotency_key {record['idempotency_key']!r}, not the one sent")


def outputs_complete(record: dict[str, Any]) -> None:
    if record["status"] == "completed" and not (record.get("output") or {}).get(OUTPUT):
        raise CheckFailedError(
            f"a completed decision must carry every requested output; {OUTPUT!r} is missing or empty"
        )


def expect_problem(response: httpx.Response, status: int, what: str) -> None:
    if response.status_code != status:
        raise CheckFailedError(f"{what}: answered {response.status_code}, expected {status} problem+json")
    if not response.headers.get("content-type", "").startswith("application/problem+json"):
        raise CheckFailedError(f"{what}: the {status} is not application/problem+json")
    try:
        errors = schema_errors("Problem", response.json())
    except ValueError:
        errors = ["not JSON"]
    if errors:
        raise CheckFailedError(f"{what}: the problem body breaks the contract: " + "; ".join(errors[:3]))


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase
    return str(body.get("detail") or body.get("title")) if isinstance(body, dict) else response.reason_phrase
