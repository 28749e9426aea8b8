from __future__ import annotations

from fastapi import APIRouter, Request

from api.schemas import CatalogHealth, Health
from one_things.live import LiveCatalog

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(request: Request) -> Health:
    """Up while it serves. A refused catalogue folder shows here but keeps the status ok: the last good
    catalogue is served, and a probe that restarted the process would only stop it (an invalid folder
    refuses to start)."""
    live: LiveCatalog = request.app.state.catalog
    catalog = live.status()
    return Health(
        status="ok",
        catalog=CatalogHealth(
            status="refused" if catalog.errors else "ok",
            definitions=catalog.definitions,
            # A count only: this answers anyone, and the errors name server paths; the log has each file:line.
            errors=len(catalog.errors),
        ),
    )
