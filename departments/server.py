"""`onething departments`: serve the stubs (and the auto-clerk) with uvicorn."""

from __future__ import annotations

import uvicorn

from core.logging import configure_logging
from core.settings import Settings
from core.tracing import instrument_app, provider_from_settings
from departments.app import create_app
from departments.behaviour import StubConfig


def run_departments(settings: Settings) -> None:
    # The default SQLite file lives in data_dir; make_engine creates its folder, this covers the rest.
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    configure_logging(settings.effective_log_format)
    config = StubConfig.from_env()
    app = create_app(settings, config)
    instrument_app(app, provider_from_settings(settings, "onething-departments"))
    uvicorn.run(app, host=settings.departments_host, port=settings.departments_port, log_level="info", log_config=None)
