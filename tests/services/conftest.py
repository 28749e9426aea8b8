"""The fast services tier: the business rules called directly, on the run's database, with a fake case gateway."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.settings import Settings
from one_things.catalog import Catalog, load_catalog
from persistence.db import session_scope
from persistence.demo_seed import seed_demo_data
from tests.support.db import migrated_engine, settings_for
from tests.support.fake_gateway import FakeCaseGateway


@pytest.fixture(scope="package")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return settings_for(Path(tmp_path_factory.mktemp("services")))


@pytest.fixture(scope="package")
def engine(settings: Settings) -> Iterator[Engine]:
    # One database for the folder: each test uses its own applicants, so their rows never meet.
    engine = migrated_engine(settings.data_dir)
    with session_scope(engine) as session:
        seed_demo_data(session)
    yield engine
    engine.dispose()


@pytest.fixture(scope="package")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine) as session:
        yield session


@pytest.fixture
def gateway(engine: Engine) -> FakeCaseGateway:
    return FakeCaseGateway(engine)
