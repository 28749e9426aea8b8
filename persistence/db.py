"""The projection's engine. SQLite (WAL) for the embedded stack, PostgreSQL in production: same SQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from core.database import create_sql_engine
from persistence import (  # noqa: F401
    authorisations,
    definitions,
    department_calls,
    enterprises,
    escalations,
    licences,
    materials,
    messages,
    outcomes,
    ratings,
    rectifications,
    register,
    staff_claims,
    tables,
)
from persistence.schema_upgrade import add_missing_columns_and_indexes


def make_engine(url: str) -> Engine:
    engine = create_sql_engine(url)
    SQLModel.metadata.create_all(engine)
    add_missing_columns_and_indexes(engine)
    return engine


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """The one commit point of an activity: everything inside commits together or not at all."""
    with Session(engine) as session:
        yield session
        session.commit()
