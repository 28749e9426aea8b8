"""A failed statement's error names the SQL, never the values it carried (they may be personal data)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from core.database import create_sql_engine

ID_NO = "31010419920307002X"


def test_a_unique_key_violation_does_not_carry_the_inserted_values(tmp_path: Path) -> None:
    engine = create_sql_engine(f"sqlite:///{tmp_path / 'errors.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE people (id_no VARCHAR(18) PRIMARY KEY)"))
        connection.execute(text("INSERT INTO people (id_no) VALUES (:id_no)"), {"id_no": ID_NO})
    with pytest.raises(IntegrityError) as raised, engine.begin() as connection:
        connection.execute(text("INSERT INTO people (id_no) VALUES (:id_no)"), {"id_no": ID_NO})
    assert "INSERT INTO people" in str(raised.value)
    assert ID_NO not in str(raised.value)
