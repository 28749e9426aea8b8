"""`onething api` builds the OpenAPI document before it listens: built on the first request instead, it would hold
the event loop for seconds (2.7 s measured on a loaded machine) while nothing else, `/healthz` included, is answered."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import uvicorn

from api.server import run_api
from core.settings import Settings


def test_the_openapi_document_is_built_before_the_server_listens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    served: list[Any] = []
    # The server itself is the edge: what matters is the app it is handed.
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.append(app))
    # It would replace the root logger's handlers, pytest's capture among them: a process's setup, not this test's.
    monkeypatch.setattr("api.server.configure_logging", lambda log_format: None)
    run_api(Settings(environment="development", data_dir=tmp_path))
    [app] = served
    assert app.openapi_schema is not None
    assert "/api/v1/applications" in app.openapi_schema["paths"]
