"""Bad input gets a 4xx, always: the probes of issue 11 that the OpenAPI sweep cannot make by itself (pages,
writes, bodies, tokens), each asserting the refusal a client can act on."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, select

from api.body_limit import BodyLimitMiddleware
from api.deps import get_temporal
from api.sessions import CSRF_FIELD, SESSION_COOKIE, csrf_token
from cli.bad_input import (
    BAD_IDEMPOTENCY_KEY,
    CLAIMLESS,
    HUGE,
    MALFORMED_JSON,
    MESSAGE_IDS,
    NOT_JSON,
    PAGE_POSTS,
    PAGE_PROBES,
    Who,
    api_operations,
    claimless_token,
)
from core.auth import Principal, Role, issue_token
from core.bounds import FIRST_DAY, LAST_DAY
from core.rate_limit import RateLimiter
from persistence.rate_limits import RateLimitCount, SqlCounts
from tests.routers.test_applications import assert_problem
from tests.routers.test_openapi_boundaries import signed_in
from tests.support.db import migrated_engine
from tests.support.inprocess import InProcessApi
from tests.support.people import register_if_test_citizen


@pytest.mark.parametrize(("who", "url"), PAGE_PROBES, ids=[url[:60] for _, url in PAGE_PROBES])
async def test_pages_refuse_values_beyond_their_bounds(api: InProcessApi, who: Who, url: str) -> None:
    async with signed_in(api, *who) as client:
        response = await client.get(url)
    assert 400 <= response.status_code < 500 or (url.startswith("/stats") and response.status_code == 200)
    if url.startswith("/stats"):  # the statistics page shows its form again with the error, as a page
        assert f"from {FIRST_DAY} to {LAST_DAY}" in response.text or f"{FIRST_DAY} 至 {LAST_DAY}" in response.text


@pytest.mark.parametrize("message_id", MESSAGE_IDS)
async def test_a_message_id_beyond_64_bits_is_refused_by_name(api: InProcessApi, message_id: str) -> None:
    async with signed_in(api, Role.CITIZEN, "citizen-huge-id", None) as citizen:
        problem = assert_problem(await citizen.post(f"/api/v1/messages/{message_id}/read"), 422)
    assert [error["field"] for error in problem["errors"]] == ["path.message_id"]


async def test_the_inbox_page_refuses_a_message_id_beyond_64_bits(api: InProcessApi) -> None:
    async with signed_in(api, Role.CITIZEN, "citizen-huge-page", None) as citizen:
        token = citizen.headers["Authorization"].removeprefix("Bearer ")
        csrf = {CSRF_FIELD: csrf_token(api.settings.secret_key, token)}
        response = await citizen.post(f"/inbox/{HUGE}/read", data=csrf)
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/supervision/board?until=9999-12-31", "query.until"),
        ("/api/v1/supervision/board?since=0001-01-01", "query.since"),
        ("/api/v1/supervision/departments/health?until=9999-12-31", "until"),
        ("/api/v1/supervision/departments/health?since=0001-01-01T00:00:00Z", "since"),
        ("/api/v1/supervision/data-access?offset=9223372036854775808", "query.offset"),
        ("/api/v1/stats/volumes?from=0001-01-01", "query.from"),
    ],
)
async def test_days_and_offsets_beyond_their_bounds_name_the_parameter(api: InProcessApi, url: str, field: str) -> None:
    async with signed_in(api, Role.SUPERVISOR, "supervisor-1", None) as supervisor:
        problem = assert_problem(await supervisor.get(url), 422)
    assert [error["field"] for error in problem["errors"]] == [field]


@pytest.mark.parametrize(("body", "line", "column"), MALFORMED_JSON)
async def test_malformed_json_is_named_by_line_and_column(api: InProcessApi, body: str, line: int, column: int) -> None:
    async with signed_in(api, Role.CITIZEN, "citizen-malformed", None) as citizen:
        response = await citizen.post(
            "/api/v1/applications", content=body.encode(), headers={"Content-Type": "application/json"}
        )
    problem = assert_problem(response, 400)
    assert (problem["title"], problem["line"], problem["column"]) == ("Malformed JSON", line, column)
    assert f"line {line}, column {column}" in problem["detail"]
    assert problem["errors"][0]["field"] == "body"


@pytest.mark.parametrize("body", NOT_JSON.values(), ids=NOT_JSON.keys())
async def test_bodies_that_are_not_json_are_a_4xx(api: InProcessApi, body: bytes) -> None:
    async with signed_in(api, Role.CITIZEN, "citizen-not-json", None) as citizen:
        response = await citizen.post(
            "/api/v1/applications", content=body, headers={"Content-Type": "application/json"}
        )
    assert 400 <= response.status_code < 500, response.text


async def test_an_empty_body_is_named(api: InProcessApi) -> None:
    async with signed_in(api, Role.CITIZEN, "citizen-empty-body", None) as citizen:
        response = await citizen.post("/api/v1/applications", headers={"Content-Type": "application/json"})
    problem = assert_problem(response, 422)
    assert problem["errors"] == [{"field": "body", "message": "Field required", "rule": "missing"}]
    assert problem["detail"] == "Please correct: body. Nothing was started or changed."


def _token(api: InProcessApi, **claims: object) -> str:
    return claimless_token(api.settings.secret_key, claims)


@pytest.mark.parametrize("kind", CLAIMLESS)
async def test_a_token_without_the_claims_its_role_needs_is_refused_on_every_route(
    api: InProcessApi, kind: str
) -> None:
    token = _token(api, **CLAIMLESS[kind])
    transport = httpx.ASGITransport(app=api.app, raise_app_exceptions=False)
    answers = []
    async with httpx.AsyncClient(
        transport=transport, base_url="http://api", headers={"Authorization": f"Bearer {token}"}
    ) as client:
        for method, path, url in api_operations(api.app.openapi()):
            response = await client.request(method, url, json={} if method == "post" else None)
            answers.append((response.status_code, f"{method.upper()} {path}"))
            if response.status_code == 401:
                detail = response.json()["detail"]
                assert any(claim in detail for claim in ("department", "service point", "subject")), detail
    assert {status for status, _ in answers} == {401}, [answer for answer in answers if answer[0] != 401]


async def test_a_staff_session_cookie_without_a_department_is_sent_to_sign_in(api: InProcessApi) -> None:
    token = _token(api, sub="clerk-cookie", role="staff")
    async with api.client({"Cookie": f"{SESSION_COOKIE}={token}"}) as browser:
        response = await browser.get("/staff")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/signin/official")


LIMITED = [
    ("verify", "/api/v1/verify/NO-SUCH-CODE", 404, "Too many licence checks"),
    ("verify", "/verify/NO-SUCH-CODE", 404, "核验次数过多"),
    ("signin", "/signin", 303, "登录尝试过于频繁"),
    ("signin", "/signin/official", 303, "登录尝试过于频繁"),
]


@pytest.mark.parametrize(("scope", "url", "allowed", "refusal"), LIMITED, ids=[url for _, url, _, _ in LIMITED])
async def test_sign_in_and_verification_are_rate_limited_per_client(
    api: InProcessApi, scope: str, url: str, allowed: int, refusal: str
) -> None:
    limiter = api.app.state.rate_limiter
    limits = {"signin": "3/minute", "verify": "3/minute"}
    counts = SqlCounts(api.app.state.engine)
    counts.reset()  # the counts are in the database this module's tests share: each case starts at zero
    api.app.state.rate_limiter = RateLimiter(api.settings.secret_key, limits, counts)

    def from_address(address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=api.app, client=(address, 40000))
        return httpx.AsyncClient(transport=transport, base_url="http://api")

    try:
        async with from_address("203.0.113.7") as hammering, from_address("198.51.100.2") as other:
            statuses = [(await hammering.get(url)).status_code for _ in range(3)]
            refused = await hammering.get(url)
            elsewhere = await other.get(url)
    finally:
        api.app.state.rate_limiter = limiter
    assert statuses == [allowed] * 3
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refusal in refused.text
    if url.startswith("/api/"):
        assert assert_problem(refused, 429)["rule"] == f"too_many_{scope}"
    assert elsewhere.status_code == allowed  # one client's flood is not another's refusal


def test_rate_limit_keys_hold_no_client_address(tmp_path: Path) -> None:
    engine = migrated_engine(tmp_path)
    limiter = RateLimiter("a secret", {"verify": "1/minute"}, SqlCounts(engine))
    assert limiter.refused("verify", "203.0.113.7") is None
    assert limiter.refused("verify", "203.0.113.7") is not None
    assert limiter.refused("verify", "203.0.113.8") is None
    with Session(engine) as session:
        stored = repr(session.exec(select(RateLimitCount)).all())  # the shared counts, where the keys live
    engine.dispose()
    assert stored.count("LIMITER/verify/") == 2
    assert "203.0.113" not in stored


@pytest.mark.parametrize(("who", "url", "fields"), PAGE_POSTS, ids=[f"{url}-{list(f)[-1]}" for _, url, f in PAGE_POSTS])
async def test_page_forms_refuse_control_characters_in_their_language(
    api: InProcessApi, who: Who, url: str, fields: dict[str, str]
) -> None:
    api.app.dependency_overrides[get_temporal] = object  # refused before any case is reached
    try:
        async with signed_in(api, *who) as client:
            token = client.headers["Authorization"].removeprefix("Bearer ")
            client.headers.pop("Authorization")  # a browser: the session cookie and the page's CSRF token
            response = await client.post(url, data={CSRF_FIELD: csrf_token(api.settings.secret_key, token), **fields})
    finally:
        del api.app.dependency_overrides[get_temporal]
    assert response.status_code == 422, response.text
    assert "提交的文字含有不可见的控制字符" in response.text


async def test_an_idempotency_key_with_a_control_character_is_refused(api: InProcessApi) -> None:
    async with api.as_user(Role.CITIZEN, "citizen-bad-key") as citizen:
        response = await citizen.post(
            "/api/v1/applications", json=api.newborn(), headers={"Idempotency-Key": BAD_IDEMPOTENCY_KEY}
        )
    problem = assert_problem(response, 422)
    assert [error["field"] for error in problem["errors"]] == ["header.idempotency-key"]


async def test_a_body_over_the_cap_is_refused_before_it_is_parsed(api: InProcessApi) -> None:
    app = BodyLimitMiddleware(api.app, max_bytes=1000)  # the app's own middleware, with a cap small enough

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it arrives
        for _ in range(20):
            yield b" " * 100

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        client.headers["Authorization"] = await _bearer(api, "citizen-big-body")
        client.headers["Content-Type"] = "application/json"
        declared = await client.post("/api/v1/applications", content=b" " * 2000)
        streamed = await client.post("/api/v1/applications", content=chunks())
        small = await client.post("/api/v1/applications", content=b"{")
    for response in (declared, streamed):
        problem = assert_problem(response, 413)
        assert "over 1000 bytes" in problem["detail"]
    assert small.status_code == 400  # under the cap: parsed, and found not to be JSON
    [installed] = [m for m in api.app.user_middleware if m.cls is BodyLimitMiddleware]
    # The app runs it, with the setting; department callbacks keep their own smaller cap (test_callbacks.py).
    assert installed.kwargs == {"max_bytes": api.settings.max_body_bytes, "own_caps": ("/api/v1/callbacks/",)}


async def _bearer(api: InProcessApi, subject: str) -> str:
    register_if_test_citizen(api.engine, subject)
    return "Bearer " + issue_token(api.settings.secret_key, Principal(role=Role.CITIZEN, subject=subject))
