"""A department's signed callback goes straight to the case's workflow; the answer is the workflow's own.

No projection is read on the way in: the cases here exist only in the fake engine, not in the database.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx

from api.deps import get_case_gateway
from core.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, department_key, signed_headers
from tests.routers.test_applications import assert_problem
from tests.support.fake_gateway import FakeCaseGateway, Method, Outcome
from tests.support.inprocess import InProcessApi
from workflows.contracts import BundleInput, DepartmentCallback

CASE_NO = "20261201-CB22CB22"


async def engine_only_case(api: InProcessApi, gateway: FakeCaseGateway, case_no: str = CASE_NO) -> None:
    gateway.engine = None  # the workflow exists; the projection has not heard of it yet
    thing = api.catalog.get("newborn")
    await gateway.start(
        BundleInput(
            case_no=case_no,
            thing=thing,
            included=[item.code for item in thing.items],
            form=api.newborn()["form"],
            owner="citizen-callbacks",
            accepted_at=datetime.now(UTC),
        )
    )


def result(case_no: str = CASE_NO, **changes: Any) -> bytes:
    body = {
        "case_no": case_no,
        "item_code": "hukou_registration",
        "idempotency_key": f"{case_no}:hukou_registration",
        "status": "completed",
        "receipt_no": "GA-1",
        "output": {"hukou_no": "HK1"},
        **changes,
    }
    return json.dumps(body).encode()


async def send(api: InProcessApi, body: bytes, department: str = "public_security", **headers: str) -> httpx.Response:
    signed = signed_headers(department_key(api.settings.secret_key, department), body)
    async with api.client() as client:
        return await client.post(f"/api/v1/callbacks/{department}", content=body, headers={**signed, **headers})


async def test_a_result_is_applied_by_case_number_with_its_sender(api: InProcessApi, gateway: FakeCaseGateway) -> None:
    await engine_only_case(api, gateway)
    response = await send(api, result())
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "applied", "detail": f"case {CASE_NO} took the result"}
    assert gateway.messages(Method.DEPARTMENT_RESULT, CASE_NO) == [
        DepartmentCallback(
            department="public_security",  # from the signed URL, not from the body
            item_code="hukou_registration",
            idempotency_key=f"{CASE_NO}:hukou_registration",
            status="completed",
            receipt_no="GA-1",
            output={"hukou_no": "HK1"},
        )
    ]


async def test_a_result_the_case_no_longer_expects_is_ignored_so_the_sender_stops(
    api: InProcessApi, gateway: FakeCaseGateway
) -> None:
    await engine_only_case(api, gateway)
    gateway.answer(Method.DEPARTMENT_RESULT, Outcome.IGNORE, "a repeat of round 0's result")
    response = await send(api, result())
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ignored", "detail": "a repeat of round 0's result"}


async def test_a_result_that_can_never_apply_is_refused_naming_the_field(
    api: InProcessApi, gateway: FakeCaseGateway
) -> None:
    await engine_only_case(api, gateway)
    gateway.answer(Method.DEPARTMENT_RESULT, Outcome.REFUSE, "the case has no item hukou_registration of health")
    problem = assert_problem(await send(api, result(), department="health"), 422)
    assert problem["title"] == "Result refused"
    assert "has no item hukou_registration of health" in problem["detail"]
    assert problem["errors"] == [{"field": "item_code", "message": "the case has no item hukou_registration of health"}]
    assert gateway.messages(Method.DEPARTMENT_RESULT)[0].department == "health"


async def test_a_result_before_its_item_was_submitted_is_a_conflict_to_retry(
    api: InProcessApi, gateway: FakeCaseGateway
) -> None:
    await engine_only_case(api, gateway)
    gateway.answer(Method.DEPARTMENT_RESULT, Outcome.TOO_EARLY, "item hukou_registration has not been submitted yet")
    problem = assert_problem(await send(api, result()), 409)
    assert problem["detail"].startswith("item hukou_registration has not been submitted yet")
    assert problem["case_no"] == CASE_NO


async def test_a_result_for_an_unknown_case_is_not_found(api: InProcessApi, gateway: FakeCaseGateway) -> None:
    problem = assert_problem(await send(api, result("20261201-NOPE2222")), 404)
    assert problem["case_no"] == "20261201-NOPE2222"


async def test_only_a_correctly_signed_well_formed_result_reaches_the_case(
    api: InProcessApi, gateway: FakeCaseGateway
) -> None:
    await engine_only_case(api, gateway)
    body = result()
    url = "/api/v1/callbacks/public_security"
    async with api.client() as client:
        unsigned = await client.post(url, content=body)
        other_key = await client.post(url, content=body, headers=signed_headers(department_key("x", "health"), body))
        stale = signed_headers(department_key(api.settings.secret_key, "public_security"), body, now=1_000_000)
        old = await client.post(url, content=body, headers=stale)
        signed = signed_headers(department_key(api.settings.secret_key, "public_security"), body)
        tampered = await client.post(url, content=body.replace(b"HK1", b"HK2"), headers=signed)
    for response in (unsigned, other_key, old, tampered):
        assert assert_problem(response, 401)["title"] == "Bad signature"
        assert response.headers["WWW-Authenticate"] == "Bearer"

    not_json = assert_problem(await send(api, b"{not json"), 422)
    assert not_json["title"] == "Invalid callback"
    wrong_status = assert_problem(await send(api, result(status="maybe", idempotency_key=None)), 422)
    assert "status" in wrong_status["detail"]
    assert "idempotency_key" in wrong_status["detail"]
    assert gateway.messages(Method.DEPARTMENT_RESULT) == []


async def test_a_body_over_the_cap_is_refused_before_its_signature_is_computed(
    api: InProcessApi, gateway: FakeCaseGateway
) -> None:
    await engine_only_case(api, gateway)
    cap = api.settings.callback_max_bytes
    url = "/api/v1/callbacks/public_security"

    async def endless() -> AsyncIterator[bytes]:
        # Chunked, no Content-Length: refused on the chunk that passes the cap, the rest never asked for.
        for _ in range(10_000):
            yield b"x" * 16_384
        raise AssertionError("the API read the whole body")

    async with api.client() as client:
        declared = await client.post(url, content=b"{}", headers={"Content-Length": str(512 * 2**20)})
        streamed = await client.post(url, content=endless())
    for response in (declared, streamed):
        problem = assert_problem(response, 413)
        assert problem["max_bytes"] == cap
        assert f"at most {cap} bytes" in problem["detail"]
        assert response.headers["connection"] == "close"

    # A correctly signed result over the cap is refused for good (4xx), never a 503 its sender would retry.
    padded = result(reason="x" * cap)
    assert assert_problem(await send(api, padded), 413)["max_bytes"] == cap
    assert gateway.messages(Method.DEPARTMENT_RESULT) == []


async def test_bad_signatures_are_limited_per_department_and_address(
    api: InProcessApi, gateway: FakeCaseGateway
) -> None:
    await engine_only_case(api, gateway)
    limit = int(api.settings.callback_failure_limit.split("/")[0])
    url = "/api/v1/callbacks/cdc"
    forged = {TIMESTAMP_HEADER: str(int(time.time())), SIGNATURE_HEADER: "sha256=00"}
    async with api.client() as client:
        failures = [await client.post(url, content=result(), headers=forged) for _ in range(limit)]
        assert {response.status_code for response in failures} == {401}
        over = await client.post(url, content=result(), headers=forged)
        problem = assert_problem(over, 429)
        assert problem["title"] == "Too many bad signatures"
        assert 1 <= int(over.headers["Retry-After"]) <= 60
        # Even a good signature waits from that address on that path: the limit is checked before the body.
        assert (await send(api, result(), department="cdc")).status_code == 429
    # Another department's path is not affected.
    assert (await send(api, result())).status_code == 200


async def test_size_and_signature_are_judged_even_while_the_case_engine_is_down(
    api: InProcessApi, gateway: FakeCaseGateway
) -> None:
    api.app.dependency_overrides.pop(get_case_gateway)  # the real gateway: Temporal is at a closed port here
    try:
        padded = result(reason="x" * api.settings.callback_max_bytes)
        assert assert_problem(await send(api, padded), 413)["max_bytes"] == api.settings.callback_max_bytes
        async with api.client() as client:
            unsigned = await client.post("/api/v1/callbacks/public_security", content=result())
        assert assert_problem(unsigned, 401)["title"] == "Bad signature"
        # Only a good result meets the engine's absence: 503, which its sender rightly retries.
        assert assert_problem(await send(api, result()), 503)
    finally:
        api.fresh_gateway()


async def test_a_department_path_beyond_the_code_bounds_is_a_422_and_reaches_no_case(
    api: InProcessApi, gateway: FakeCaseGateway
) -> None:
    # Each bad signature is counted per department path: an unbounded path would let a sender make counters at will.
    await engine_only_case(api, gateway)
    async with api.client() as client:
        overlong = await client.post(f"/api/v1/callbacks/{'d' * 65}", content=result())
        problem = assert_problem(overlong, 422)
        assert "department" in json.dumps(problem)
        control = await client.post("/api/v1/callbacks/cdc%0A", content=result())
        assert_problem(control, 422)
    assert gateway.messages(Method.DEPARTMENT_RESULT) == []
