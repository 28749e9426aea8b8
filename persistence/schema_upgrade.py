"""Brings a projection database made by an earlier release up to today's tables, in place.

`create_all` creates missing tables but never touches existing ones, so a data directory kept across
releases would lack new columns and indexes. The projection only ever gains nullable (or defaulted)
columns and indexes, which both SQLite and PostgreSQL add with plain DDL; anything more (a renamed or
retyped column) would need a real migration tool.
"""

from __future__ import annotations

import warnings

from sqlalchemy import Column, inspect, literal, text
from sqlalchemy.engine import Engine
from sqlalchemy.schema import CreateIndex
from sqlmodel import SQLModel


def add_missing_columns_and_indexes(engine: Engine) -> None:
    inspector = inspect(engine)
    existing_tables = set(inspector.get_table_names())
    with engine.begin() as connection:
        for table in SQLModel.metadata.sorted_tables:
            if table.name not in existing_tables:
                continue
            present = {column["name"] for column in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name not in present:
                    connection.execute(text(_add_column(engine, table.name, column)))
            # Reflection leaves out indexes on expressions (SQLite: the statistics' day indexes) with a
            # warning on every start, so one that exists can look missing: IF NOT EXISTS, both databases know it.
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
                indexed = {index["name"] for index in inspector.get_indexes(table.name)}
            for index in table.indexes:
                if index.name not in indexed:
                    connection.execute(CreateIndex(index, if_not_exists=True))


def _add_column(engine: Engine, table: str, column: Column) -> str:  # type: ignore[type-arg]
    preparer = engine.dialect.identifier_preparer
    kind = column.type.compile(dialect=engine.dialect)
    ddl = f"ALTER TABLE {preparer.quote(table)} ADD COLUMN {preparer.quote(column.name)} {kind}"
    default = getattr(column.default, "arg", None) if column.default is not None and column.default.is_scalar else None
    if default is not None:
        value = literal(default).compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True})
        ddl += f" DEFAULT {value}"
    if not column.nullable:
        if default is None:
            raise RuntimeError(f"cannot add required column {table}.{column.name} without a default")
        ddl += " NOT NULL"
    return ddl
