"""The projection's engine. SQLite (WAL) for the embedded stack, PostgreSQL in production: same SQL.

The table modules are imported here so that `SQLModel.metadata` holds every table: the models that
Alembic's autogenerate compares with the database (persistence/migrations/env.py). A new table module is
added to this list.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.database import PoolLimits, create_sql_engine
from persistence import (  # noqa: F401
    authorisations,
    counter,
    data_access,
    definitions,
    department_calls,
    department_keys,
    ended_sessions,
    enterprises,
    escalations,
    licences,
    materials,
    message_outbox,
    messages,
    outbox,
    outcomes,
    rate_limits,
    ratings,
    rectifications,
    register,
    staff_claims,
    tables,
)
from persistence.migrate import require_head


def make_engine(url: str, pool: PoolLimits | None = None) -> Engine:
    """An engine on a projection at this release's schema; `SchemaNotCurrentError` (naming `onething db upgrade`)
    otherwise. Serving processes never change the schema: that is `onething db upgrade`'s alone."""
    engine = create_sql_engine(url, pool)
    try:
        require_head(engine)
    except BaseException:
        engine.dispose()
        raise
    return engine


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """The one commit point of an activity: everything inside commits together or not at all."""
    with Session(engine) as session:
        yield session
        session.commit()
