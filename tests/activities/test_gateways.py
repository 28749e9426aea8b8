"""The department gateways over real HTTP: one class per mode, chosen from the registry; the registry's
base URL, credentials and field mapping on the wire; a department's Retry-After honoured, capped."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from temporalio.exceptions import ApplicationError

from activities.gateways import GATEWAY_CLASSES, DepartmentHttp, GatewayContext, Gateways, NotRegisteredError
from activities.gateways.async_callback import AsyncCallbackGateway
from activities.gateways.data_pipeline import DataPipelineGateway
from activities.gateways.http import retry_after
from activities.gateways.standard_module import StandardModuleGateway
from activities.gateways.sync_rest import SyncRestGateway
from one_things.department_registry import RateLimit, Registry, parse_registry_text
from one_things.schema import IntegrationMode
from tests.support.servers import ThreadedServer
from workflows.contracts import EscalationNotice, Submission, SubmissionRef
from workflows.policies import REFUSED


@dataclass
class Department:
    """A department system written for this test: it records what it got and answers what it is told."""

    seen: list[dict[str, Any]] = field(default_factory=list)
    answers: list[tuple[int, dict[str, str]]] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.api_route("/gov/{department}/{rest:path}", methods=["GET", "POST"])
        async def anything(department: str, rest: str, request: Request) -> JSONResponse:
            body = await request.body()
            self.seen.append(
                {
                    "department": department,
                    "path": rest,
                    "method": request.method,
                    "authorization": request.headers.get("authorization"),
                    "json": await request.json() if body else None,
                }
            )
            if self.answers:
                status, headers = self.answers.pop(0)
                return JSONResponse({"detail": "busy"}, status_code=status, headers=headers)
            key = (self.seen[-1]["json"] or {}).get("idempotency_key", rest.split("/")[1] if "/" in rest else "k")
            return JSONResponse({"receipt_no": "R-1", "idempotency_key": key, "status": "accepted"})

        return app


@pytest.fixture
def department() -> Iterator[tuple[Department, str]]:
    system = Department()
    with ThreadedServer(system.app()) as server:
        yield system, server.url


def registry(url: str, exchange: str = "/nonexistent") -> Registry:
    text = """\
version: 1
departments:
  police:
    name: {zh: 公安, en: Police}
    modes: [sync_rest, async_callback, batch]
    base_url: "{stubs_url}/gov/police"
    batch: {exchange_dir: "{exchange_dir}/police"}
    auth: {kind: bearer, token_env: POLICE_TOKEN}
    retry: {max_retry_after_seconds: 90}
    items:
      hukou:
        fields: {CSZMBH: birth_cert_no, XM: newborn_name}
  clerks:
    name: {zh: 窗口, en: Clerks}
    modes: [standard_module]
"""
    parsed, errors = parse_registry_text(text)
    assert parsed is not None, errors
    return parsed.with_stubs_url(url, exchange)


def submission(mode: IntegrationMode = IntegrationMode.SYNC_REST, department: str = "police") -> Submission:
    return Submission(
        department=department,
        idempotency_key="C1:hukou",
        case_no="C1",
        item_code="hukou",
        mode=mode,
        payload={"birth_cert_no": "Q3100000001", "newborn_name": "x", "mother_name": "y"},
        outputs=["hukou_no"],
    )


def test_every_integration_mode_has_exactly_one_gateway_class() -> None:
    assert set(GATEWAY_CLASSES) == set(IntegrationMode)
    assert all(cls.mode is mode for mode, cls in GATEWAY_CLASSES.items())


async def test_the_registry_chooses_the_gateway_and_its_connection(
    department: tuple[Department, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    system, url = department
    monkeypatch.setenv("POLICE_TOKEN", "t0ken")
    async with httpx.AsyncClient() as client:
        gateways = Gateways(registry(url), GatewayContext(DepartmentHttp(client), "https://platform.example"))
        assert isinstance(gateways.for_mode("police", IntegrationMode.SYNC_REST), SyncRestGateway)
        assert isinstance(gateways.for_mode("police", IntegrationMode.BATCH), DataPipelineGateway)
        assert isinstance(gateways.for_notices("clerks"), StandardModuleGateway)
        callback = gateways.for_mode("police", IntegrationMode.ASYNC_CALLBACK)
        assert isinstance(callback, AsyncCallbackGateway)

        reply = await callback.submit(submission(IntegrationMode.ASYNC_CALLBACK))
        assert reply.status == "accepted"
        sent = system.seen[-1]
        assert (sent["department"], sent["path"], sent["method"]) == ("police", "submissions", "POST")
        assert sent["authorization"] == "Bearer t0ken"
        # The department's own names, only the mapped fields; the result comes back to its callback address.
        assert sent["json"]["payload"] == {"CSZMBH": "Q3100000001", "XM": "x"}
        assert sent["json"]["callback_url"] == "https://platform.example/api/v1/callbacks/police"
        assert sent["json"]["mode"] == "async_callback"

        ref = SubmissionRef(department="police", idempotency_key="C1:hukou:r1")
        await gateways.for_notices("police").withdraw(ref)
        assert system.seen[-1]["path"] == "submissions/C1:hukou:r1/withdraw"
        notice = EscalationNotice(department="police", case_no="C1", item_code="hukou", level="overdue", note="n")
        await gateways.for_notices("police").escalate(notice)
        assert system.seen[-1]["path"] == "escalations"
        assert "department" not in system.seen[-1]["json"]

        # A department with no system is never called: withdrawal and escalation stay in the platform.
        calls = len(system.seen)
        assert (await gateways.for_notices("clerks").withdraw(ref)).status == "withdrawn"
        await gateways.for_notices("clerks").escalate(notice)
        assert len(system.seen) == calls


async def test_an_unregistered_department_is_retried_not_lost(department: tuple[Department, str]) -> None:
    _, url = department
    async with httpx.AsyncClient() as client:
        gateways = Gateways(registry(url), GatewayContext(DepartmentHttp(client), "https://platform.example"))
        with pytest.raises(NotRegisteredError) as raised:
            gateways.for_mode("tax", IntegrationMode.SYNC_REST)
    assert not raised.value.non_retryable


async def test_missing_credentials_are_retried_until_an_operator_sets_them(
    department: tuple[Department, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    system, url = department
    monkeypatch.delenv("POLICE_TOKEN", raising=False)
    async with httpx.AsyncClient() as client:
        gateways = Gateways(registry(url), GatewayContext(DepartmentHttp(client), "https://platform.example"))
        with pytest.raises(ApplicationError) as raised:
            await gateways.for_mode("police", IntegrationMode.SYNC_REST).submit(submission())
    assert raised.value.type == "DepartmentCredentials"
    assert not raised.value.non_retryable
    assert "POLICE_TOKEN" in raised.value.message
    assert system.seen == []  # nothing went out without the credentials


@pytest.mark.parametrize(
    ("status", "retry_after", "expected"),
    [
        (429, "7", timedelta(seconds=7)),
        (503, "3600", timedelta(seconds=90)),  # capped by the registry's max_retry_after_seconds
        (503, "http-date+45", timedelta(seconds=45)),
        (503, "soon", None),  # unreadable: the retry policy's own backoff
        (500, "7", None),  # only 429 and 503 say when to come back
    ],
)
async def test_a_department_s_retry_after_sets_the_next_retry_delay(
    department: tuple[Department, str],
    monkeypatch: pytest.MonkeyPatch,
    status: int,
    retry_after: str,
    expected: timedelta | None,
) -> None:
    system, url = department
    monkeypatch.setenv("POLICE_TOKEN", "t0ken")
    headers = {"Retry-After": retry_after}
    if retry_after.startswith("http-date+"):
        # An HTTP-date is read against the department's own Date header: a skewed clock on either side
        # must not change the wait.
        sent = datetime.now(UTC).replace(microsecond=0)
        wait = int(retry_after.removeprefix("http-date+"))
        headers = {"Retry-After": format_datetime(sent + timedelta(seconds=wait), usegmt=True)}
        headers["Date"] = format_datetime(sent, usegmt=True)
    system.answers.append((status, headers))
    async with httpx.AsyncClient() as client:
        gateways = Gateways(registry(url), GatewayContext(DepartmentHttp(client), "https://platform.example"))
        with pytest.raises(ApplicationError) as raised:
            await gateways.for_mode("police", IntegrationMode.SYNC_REST).submit(submission())
    assert raised.value.type == "DepartmentUnavailable"
    assert not raised.value.non_retryable
    delay = raised.value.next_retry_delay
    if expected is None:
        assert delay is None
    else:
        # HTTP dates have whole seconds, and the server stamps its own Date (uvicorn's, sent before the
        # test's) from a clock it refreshes once a second: on a busy machine it lags by one (CI saw 46 s).
        assert delay is not None
        assert expected - timedelta(seconds=1) <= delay <= expected + timedelta(seconds=1)


async def test_a_refusal_is_final(department: tuple[Department, str], monkeypatch: pytest.MonkeyPatch) -> None:
    system, url = department
    monkeypatch.setenv("POLICE_TOKEN", "t0ken")
    system.answers.append((422, {}))
    async with httpx.AsyncClient() as client:
        gateways = Gateways(registry(url), GatewayContext(DepartmentHttp(client), "https://platform.example"))
        with pytest.raises(ApplicationError) as raised:
            await gateways.for_mode("police", IntegrationMode.SYNC_REST).submit(submission())
    assert raised.value.type == REFUSED
    assert raised.value.non_retryable


def test_an_http_date_is_read_against_the_department_s_clock_not_ours() -> None:
    theirs = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
    ours = theirs + timedelta(minutes=10)  # our clock runs ten minutes ahead of the department's
    headers = {"Date": format_datetime(theirs, usegmt=True)}
    headers["Retry-After"] = format_datetime(theirs + timedelta(seconds=30), usegmt=True)
    response = httpx.Response(503, headers=headers)
    assert retry_after(response, cap=timedelta(minutes=5), now=ours) == timedelta(seconds=30)
    without_date = httpx.Response(503, headers={"Retry-After": headers["Retry-After"]})
    assert retry_after(without_date, cap=timedelta(minutes=5), now=theirs) == timedelta(seconds=30)
    assert retry_after(without_date, cap=timedelta(minutes=5), now=ours) is None  # already over by our clock


async def test_the_registry_s_rate_limit_holds_calls_back(
    department: tuple[Department, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    system, url = department
    monkeypatch.setenv("POLICE_TOKEN", "t0ken")
    limited = registry(url)
    police = limited.departments["police"].model_copy(update={"rate_limit": RateLimit(calls=1, per_seconds=60)})
    limited = limited.model_copy(update={"departments": {**limited.departments, "police": police}})
    async with httpx.AsyncClient() as client:
        gateway = Gateways(limited, GatewayContext(DepartmentHttp(client), "https://platform.example")).for_mode(
            "police", IntegrationMode.SYNC_REST
        )
        await gateway.submit(submission())
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(gateway.submit(submission()), timeout=0.5)
    assert len(system.seen) == 1  # the second call waited for its turn and never went out


async def test_a_data_pipeline_without_an_exchange_folder_goes_over_the_contract(
    department: tuple[Department, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    system, url = department
    monkeypatch.setenv("POLICE_TOKEN", "t0ken")
    plain = registry(url)
    police = plain.departments["police"].model_copy(update={"batch": None})
    plain = plain.model_copy(update={"departments": {**plain.departments, "police": police}})
    async with httpx.AsyncClient() as client:
        gateway = Gateways(plain, GatewayContext(DepartmentHttp(client), "https://platform.example")).for_mode(
            "police", IntegrationMode.BATCH
        )
        assert (await gateway.submit(submission(IntegrationMode.BATCH))).status == "accepted"
        assert system.seen[-1]["json"]["mode"] == "batch"
        assert "materials" not in system.seen[-1]["json"]  # none to send: the field is left out
        await gateway.result(SubmissionRef(department="police", idempotency_key="C1:hukou"))
    assert (system.seen[-1]["method"], system.seen[-1]["path"]) == ("GET", "submissions/C1:hukou")
