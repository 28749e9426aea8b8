"""Rate-limit counts shared by every API process: a storage for the `limits` library in the projection database.

`limits` decides (its fixed-window strategy: a count per key that starts again when its window expires); this
module only stores its counts. `limits` ships storages for memory, Redis, Memcached and MongoDB, none for SQL:
memory counts per process (with N API processes or replicas a client would get N times the limit) and the
others are a server this product does not run, so the counts live where every API process already writes.

`incr` is one upsert (`INSERT … ON CONFLICT DO UPDATE … RETURNING`, on SQLite ≥ 3.35 and PostgreSQL alike),
atomic on both: two processes counting the same key at once get consecutive counts, never the same one. Keys
are `limits`' own (`LIMITER/<scope>/<keyed hash of the client>/<amount>/<multiples>/<granularity>`): no address.
"""

from __future__ import annotations

import time
from typing import Any

from limits.storage import Storage
from sqlalchemy import Float, Index, Table, case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Field, SQLModel


class RateLimitCount(SQLModel, table=True):
    __tablename__ = "rate_limit_counts"
    __table_args__ = (Index("ix_rate_limit_counts_expires_at", "expires_at"),)

    key: str = Field(primary_key=True, max_length=200)
    hits: int
    expires_at: float = Field(sa_type=Float)
    """Unix seconds when this window ends (the `limits` storages' own unit: `get_expiry` returns it)."""


COUNTS: Table = RateLimitCount.__table__  # type: ignore[attr-defined]  # SQLModel declares it only at runtime


class SqlCounts(Storage):
    """The counts of one projection database, for `limits.strategies.FixedWindowRateLimiter`."""

    # `limits` registers every storage under a URI scheme; this one is never built from a URI.
    STORAGE_SCHEME = ["onething-projection"]  # noqa: RUF012 - the base class declares it a plain attribute

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self._engine = engine

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        insert: Any = postgresql.insert if self._engine.dialect.name == "postgresql" else sqlite.insert
        expired = COUNTS.c.expires_at <= now
        upsert = (
            insert(COUNTS)
            .values(key=key, hits=amount, expires_at=now + expiry)
            .on_conflict_do_update(
                index_elements=[COUNTS.c.key],
                set_={
                    # A window that has ended starts again at this hit; a running one counts it.
                    "hits": case((expired, amount), else_=COUNTS.c.hits + amount),
                    "expires_at": case((expired, now + expiry), else_=COUNTS.c.expires_at),
                },
            )
            .returning(COUNTS.c.hits)
        )
        with self._engine.begin() as connection:
            # Windows that ended are dropped here, by the index on expires_at: the table holds the clients of
            # the current windows only, without a sweeper of its own.
            connection.execute(delete(COUNTS).where(COUNTS.c.expires_at <= now - expiry))
            return int(connection.execute(upsert).scalar_one())

    def get(self, key: str) -> int:
        query = select(COUNTS.c.hits).where(COUNTS.c.key == key, COUNTS.c.expires_at > time.time())
        with self._engine.connect() as connection:
            return int(connection.execute(query).scalar_one_or_none() or 0)

    def get_expiry(self, key: str) -> float:
        with self._engine.connect() as connection:
            expires_at = connection.execute(select(COUNTS.c.expires_at).where(COUNTS.c.key == key)).scalar()
        return float(expires_at) if expires_at is not None else time.time()

    def check(self) -> bool:
        return True  # the projection's own health is /readyz's to report

    def reset(self) -> int | None:
        with self._engine.begin() as connection:
            return connection.execute(delete(COUNTS)).rowcount

    def clear(self, key: str) -> None:
        with self._engine.begin() as connection:
            connection.execute(delete(COUNTS).where(COUNTS.c.key == key))
