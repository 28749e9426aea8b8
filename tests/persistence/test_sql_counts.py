"""The SQL counters (`onething_sql_*`, read by `onething bench`): one count per transaction, statements by verb."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from sqlalchemy import text

from core.database import create_sql_engine
from persistence.sql_counts import count_sql, statement_verb, trace_sql


def test_each_transaction_and_statement_is_counted_by_its_verb(empty_database: str) -> None:
    engine = create_sql_engine(empty_database)
    try:
        with engine.connect():  # the dialect's own first-connect queries are not what is counted
            pass
        transactions: list[None] = []
        statements: Counter[str] = Counter()
        count_sql(
            engine, transaction=lambda: transactions.append(None), statement=lambda verb: statements.update([verb])
        )
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE counted (x INTEGER)"))
            connection.execute(text("INSERT INTO counted (x) VALUES (1)"))
        with engine.connect() as connection:  # rolled back, still a transaction
            connection.execute(text("SELECT x FROM counted"))
            connection.execute(text("UPDATE counted SET x = 2"))
            connection.execute(text("  delete FROM counted"))
    finally:
        engine.dispose()
    assert len(transactions) == 2
    assert statements == Counter({"other": 1, "insert": 1, "select": 1, "update": 1, "delete": 1})


def test_a_statement_is_labelled_by_its_first_word_only_when_it_is_a_known_verb() -> None:
    assert statement_verb("\n  SELECT 1") == "select"
    assert statement_verb("PRAGMA journal_mode=WAL") == "other"
    assert statement_verb("") == "other"
    assert statement_verb("WITH x AS (SELECT 1) SELECT * FROM x") == "other"


def test_the_trace_names_each_statements_table_and_caller_never_its_values(empty_database: str, tmp_path: Path) -> None:
    engine = create_sql_engine(empty_database)
    trace = tmp_path / "sql.trace"
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE traced (x TEXT)"))
        trace_sql(engine, trace, "worker")

        def write_the_secret() -> None:
            with engine.begin() as connection:
                connection.execute(text("INSERT INTO traced (x) VALUES (:x)"), [{"x": "110101199001011234"}] * 2)
                connection.execute(text('SELECT x FROM "traced" WHERE x = :x'), {"x": "110101199001011234"})

        write_the_secret()
    finally:
        engine.dispose()
    lines = trace.read_text(encoding="utf-8")
    assert "110101199001011234" not in lines
    where = "tests/persistence/test_sql_counts.py:write_the_secret"
    assert [line.split("\t")[:4] for line in lines.splitlines()] == [
        ["worker", "insert", "traced", "many"],
        ["worker", "select", "traced", "one"],
    ]
    assert all(line.split("\t")[4].startswith(where) for line in lines.splitlines())
