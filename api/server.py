"""`onething api`: serve the API with uvicorn."""

from __future__ import annotations

import logging

import uvicorn

from api.app import create_app
from core.settings import Settings


def run_api(settings: Settings) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    uvicorn.run(create_app(settings), host=settings.api_host, port=settings.api_port, log_level="info")
