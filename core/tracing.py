"""OpenTelemetry traces across API → Temporal → activities → department calls, when an endpoint is configured.

Off by default: with `ONETHING_OTEL_ENDPOINT` empty nothing is instrumented, no interceptor is added and no
exporter exists, so tracing costs nothing. On, each process exports over OTLP/HTTP in batches and:
- the API's FastAPI app opens a server span per request (`opentelemetry-instrumentation-fastapi`);
- the Temporal SDK's own `TracingInterceptor` on every client carries the context in Temporal headers, so the
  workflow start, the workflow and each activity join the request's trace (a worker built from a client with
  the interceptor uses it too);
- httpx is instrumented, so department calls and callbacks are spans, with W3C `traceparent` sent along.

Span attributes are the instrumentations' own (method, route template, status, workflow and activity types,
workflow id = `case-<case number>`); none of them carries a body, so no personal data reaches a span.
"""

from __future__ import annotations

from typing import Any

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from temporalio.client import Interceptor
from temporalio.contrib.opentelemetry import TracingInterceptor

from core.settings import Settings

_installed: dict[str, TracerProvider] = {}


def provider_from_settings(settings: Settings, service: str) -> TracerProvider | None:
    """This process's exporting provider (made once, then the global one), or None when tracing is off."""
    if not settings.otel_endpoint:
        return None
    if service not in _installed:
        provider = TracerProvider(resource=Resource.create({SERVICE_NAME: settings.otel_service_name or service}))
        exporter = OTLPSpanExporter(endpoint=f"{settings.otel_endpoint.rstrip('/')}/v1/traces")
        provider.add_span_processor(BatchSpanProcessor(exporter))
        trace.set_tracer_provider(provider)
        _installed[service] = provider
    return _installed[service]


def temporal_interceptors(provider: TracerProvider | None) -> list[Interceptor]:
    if provider is None:
        return []
    return [TracingInterceptor(tracer=provider.get_tracer("temporalio"))]


def instrument_app(app: Any, provider: TracerProvider | None) -> None:
    """A server span per request of `app` (a FastAPI app), and spans for the httpx calls it makes."""
    if provider is None:
        return
    FastAPIInstrumentor.instrument_app(app, tracer_provider=provider, exclude_spans=["receive", "send"])
    instrument_httpx(provider)


def instrument_httpx(provider: TracerProvider | None) -> None:
    """Every httpx client of the process (department calls, callbacks) makes spans and propagates the context."""
    instrumentor = HTTPXClientInstrumentor()
    if provider is not None and not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument(tracer_provider=provider)
