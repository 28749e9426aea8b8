"""The request's session (api/deps.py `SessionDep`): what a handler wrote commits when it returns, nothing of a
refused request does, and a request that used no SQL leaves no connection checked out."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api.deps import SessionDep
from api.problems import ProblemError, install_problem_handlers
from persistence.rate_limits import RateLimitCount
from tests.support.db import migrated_engine


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return migrated_engine(tmp_path)


@pytest.fixture
def client(engine: Engine) -> TestClient:
    app = FastAPI()
    app.state.engine = engine
    install_problem_handlers(app)

    @app.post("/written/{key}")
    def written(key: str, session: SessionDep) -> dict[str, str]:
        session.add(RateLimitCount(key=key, hits=1, expires_at=0.0))
        return {"key": key}

    @app.post("/refused/{key}")
    def refused(key: str, session: SessionDep) -> dict[str, str]:
        session.add(RateLimitCount(key=key, hits=1, expires_at=0.0))
        session.flush()  # the row is in the open transaction when the request is refused
        raise ProblemError(409, "Refused", "refused after writing")

    @app.get("/untouched")
    async def untouched(session: SessionDep) -> dict[str, int]:
        return {"checked_out": engine.pool.checkedout()}  # type: ignore[attr-defined]

    return TestClient(app)


def stored(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return list(session.exec(select(RateLimitCount.key)))


def test_a_handlers_writes_commit_when_it_returns(client: TestClient, engine: Engine) -> None:
    assert client.post("/written/a").status_code == 200
    assert stored(engine) == ["a"]
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]


def test_nothing_of_a_refused_request_is_stored(client: TestClient, engine: Engine) -> None:
    assert client.post("/refused/b").status_code == 409
    assert stored(engine) == []
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]


def test_a_request_without_sql_holds_no_connection(client: TestClient, engine: Engine) -> None:
    response = client.get("/untouched")
    assert response.json() == {"checked_out": 0}
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
