"""One trace from an API request through the workflow start to the worker's activities and department calls,
and the same trace id on the lines those activities log, in the worker's thread pool too.

An in-memory exporter stands in for the OTLP collector; the app and the worker get the same provider, as two
processes exporting to one collector would. Runs on the shared time-skipping server, worker on its own queue.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from core.auth import Role
from core.ids import workflow_id
from core.tracing import instrument_httpx, temporal_interceptors
from departments.app import create_app as create_departments
from departments.behaviour import StubConfig
from tests.conftest import stack_settings
from tests.support.inprocess import InProcessApi
from tests.support.log_lines import captured_lines
from tests.support.servers import ThreadedServer
from worker import build_worker


async def spans_until(
    exporter: InMemorySpanExporter, found: Callable[[list[ReadableSpan]], bool]
) -> list[ReadableSpan]:
    deadline = time.monotonic() + 20
    while not found(spans := list(exporter.get_finished_spans())):
        assert time.monotonic() < deadline, sorted(span.name for span in spans)
        await asyncio.sleep(0.1)
    return spans


async def test_a_request_and_its_case_share_one_trace(shared_skipping_env: WorkflowEnvironment, tmp_path: Path) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    settings = stack_settings(tmp_path, shared_skipping_env.client)
    traced = Client(**{**shared_skipping_env.client.config(), "interceptors": temporal_interceptors(provider)})
    instrument_httpx(provider)
    app = create_app(settings, tracer_provider=provider)
    try:
        with (
            ThreadedServer(
                create_departments(settings, StubConfig(clerk_departments=[])), port=settings.departments_port
            ),
            captured_lines("onething") as logged,
        ):
            async with app.router.lifespan_context(app), build_worker(traced, settings) as worker, worker:
                api = InProcessApi(app, settings)
                body = api.newborn()
                async with api.as_user(Role.CITIZEN, "citizen-traced") as citizen:
                    response = await citizen.post("/api/v1/applications", json=body)
                assert response.status_code == 201, response.text
                case_no = response.json()["case_no"]
                # RunWorkflow is a server span too, and may have finished already: the request is the one with a route.
                [request] = [
                    s
                    for s in exporter.get_finished_spans()
                    if s.kind is SpanKind.SERVER and (s.attributes or {}).get("http.route") == "/api/v1/applications"
                ]
                trace_id = request.context.trace_id

                def joined(spans: list[ReadableSpan]) -> bool:
                    names = {s.name.split(":")[0] for s in spans if s.context.trace_id == trace_id}
                    calls = [s for s in spans if s.context.trace_id == trace_id and s.kind is SpanKind.CLIENT]
                    return {"StartWorkflow", "RunWorkflow", "RunActivity"} <= names and bool(calls)

                spans = await spans_until(exporter, joined)
                # The acceptance notice: a line of `send_message`, a synchronous activity run in the pool.
                deadline = time.monotonic() + 20
                while not (threaded := [line for line in logged.lines if line.thread.startswith("activity")]):
                    assert time.monotonic() < deadline, "no activity logged from the thread pool"
                    await asyncio.sleep(0.1)
                await traced.get_workflow_handle(workflow_id(case_no)).terminate("test over")
    finally:
        HTTPXClientInstrumentor().uninstrument()  # the instrumentation is process-wide: leave other tests alone
    assert {line.fields.get("trace_id") for line in threaded} == {format(trace_id, "032x")}
    assert {line.fields.get("case_no") for line in threaded} == {case_no}
    start = next(s for s in spans if s.name.startswith("StartWorkflow"))
    assert start.parent is not None
    assert start.parent.span_id in {s.context.span_id for s in spans}  # a child of the request's spans
    typed = [str(value) for value in body["form"].values() if len(str(value)) >= 4]
    for span in spans:  # business keys only: no value of the form in any attribute
        attributes = " ".join(str(value) for value in (span.attributes or {}).values())
        assert not [value for value in typed if value in attributes], span.name
