"""The SQL counters (`onething_sql_*`, read by `onething bench`): one count per transaction, statements by verb."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import text

from core.database import create_sql_engine
from persistence.sql_counts import count_sql, statement_verb


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
