"""GET /metrics for Prometheus: aggregate counts only, no personal data; expose it to the scraper alone."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

router = APIRouter(tags=["metrics"])


@router.get("/metrics", include_in_schema=False)
def scrape(request: Request) -> Response:
    # A plain (sync) route runs in the thread pool: the projection queries never block the event loop.
    return Response(generate_latest(request.app.state.metrics), media_type=CONTENT_TYPE_LATEST)
