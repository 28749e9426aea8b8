"""The Shanghai calendar date of a stored instant, as a SQL expression that can be indexed and grouped by.

`shanghai_day(column)` is the number of days from 1970-01-01 to the instant's date in Asia/Shanghai. It
compiles to each database's own date arithmetic, both immutable so that indexes can be built on it:

- PostgreSQL: `(column AT TIME ZONE 'Asia/Shanghai')::date - DATE '1970-01-01'` (the zone database).
- SQLite: from the stored 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC) text, whole seconds via julianday plus 8 hours.
  Asia/Shanghai has kept UTC+8 without daylight saving since 1991, so the fixed offset is exact for every
  case this platform can hold.

Grouping a million cases by a day that an index already holds costs no function call per row and no sort:
the statistics' indexes (persistence/tables.py, persistence/ratings.py) are built on these expressions.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import Integer
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import FunctionElement

EPOCH = date(1970, 1, 1)
_OFFSET_DAYS = 8 / 24


class shanghai_day(FunctionElement[int]):  # noqa: N801 - a SQL function, named like one
    """Days from 1970-01-01 to the Shanghai date of a UTC timestamp column (NULL stays NULL)."""

    type = Integer()
    inherit_cache = True


def day_number(day: date) -> int:
    return (day - EPOCH).days


def day_of(number: int) -> date:
    return EPOCH + timedelta(days=number)


def week_of(day: date) -> date:
    """The Monday that starts the ISO week of `day`."""
    return day - timedelta(days=day.weekday())


def _argument(element: shanghai_day, compiler: SQLCompiler, **kw: Any) -> str:
    (argument,) = element.clauses
    return str(compiler.process(argument, **kw))


@compiles(shanghai_day, "postgresql")
def _postgresql(element: shanghai_day, compiler: SQLCompiler, **kw: Any) -> str:
    return f"((({_argument(element, compiler, **kw)}) AT TIME ZONE 'Asia/Shanghai')::date - DATE '1970-01-01')"


@compiles(shanghai_day, "sqlite")
def _sqlite(element: shanghai_day, compiler: SQLCompiler, **kw: Any) -> str:
    # The fraction is cut off first: julianday rounds it to milliseconds, which would move 23:59:59.9996 to
    # the next day. From whole seconds, days since 1970 plus 8 hours land within 1e-10 of the exact value;
    # the added 1e-6 day (86 ms, less than the one second a stored time can lie before midnight) keeps a
    # midnight from truncating down. julianday is three times faster than strftime('%s').
    stamp = f"substr({_argument(element, compiler, **kw)}, 1, 19)"
    return f"CAST(julianday({stamp}) - 2440587.5 + {_OFFSET_DAYS!r} + 0.000001 AS INTEGER)"


@compiles(shanghai_day)
def _other(element: shanghai_day, compiler: SQLCompiler, **kw: Any) -> str:
    raise NotImplementedError(f"shanghai_day has no SQL for {compiler.dialect.name}; add it in persistence/days.py")
