"""The alt department's books: one SQLite file, one row per (department, idempotency key)."""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS submission (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    department TEXT NOT NULL, idem_key TEXT NOT NULL, case_no TEXT NOT NULL, item_code TEXT NOT NULL,
    mode TEXT, receipt TEXT NOT NULL, status TEXT NOT NULL, output TEXT, reason TEXT,
    times INTEGER NOT NULL, outputs TEXT NOT NULL, callback_url TEXT, due REAL NOT NULL,
    delivered INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS submission_key ON submission (department, idem_key);
CREATE TABLE IF NOT EXISTS notice (
    department TEXT NOT NULL, case_no TEXT NOT NULL, item_code TEXT NOT NULL, level TEXT NOT NULL,
    note TEXT NOT NULL, times INTEGER NOT NULL, first_at TEXT NOT NULL,
    PRIMARY KEY (department, case_no, item_code, level)
);
"""


@dataclass
class Row:
    id: int
    department: str
    idem_key: str
    case_no: str
    item_code: str
    mode: str | None
    receipt: str
    status: str
    output: dict[str, str] | None
    reason: str | None
    times: int
    outputs: list[str]
    callback_url: str | None
    due: float
    delivered: int

    def answer(self) -> dict[str, Any]:
        return {
            "receipt_no": self.receipt,
            "idempotency_key": self.idem_key,
            "status": self.status,
            "output": self.output,
            "reason": self.reason,
            "submissions": self.times,
        }


class Ledger:
    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.executescript(SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        self._db.close()

    def _row(self, found: sqlite3.Row | None) -> Row | None:
        if found is None:
            return None
        values = dict(found)
        values["output"] = json.loads(values["output"]) if values["output"] else None
        values["outputs"] = json.loads(values["outputs"])
        return Row(**values)

    def find(self, department: str, key: str) -> Row | None:
        with self._lock:
            found = self._db.execute(
                "SELECT * FROM submission WHERE department=? AND idem_key=? ORDER BY id LIMIT 1", (department, key)
            ).fetchone()
        return self._row(found)

    def of_case(self, department: str, case_no: str) -> list[Row]:
        with self._lock:
            found = self._db.execute(
                "SELECT * FROM submission WHERE department=? AND case_no=? ORDER BY id", (department, case_no)
            ).fetchall()
        return [row for row in map(self._row, found) if row is not None]

    def by_id(self, row_id: int) -> Row | None:
        with self._lock:
            return self._row(self._db.execute("SELECT * FROM submission WHERE id=?", (row_id,)).fetchone())

    def insert(
        self, department: str, body: dict[str, Any], status: str, due: float, times: int = 1, reason: str | None = None
    ) -> Row:
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO submission (department, idem_key, case_no, item_code, mode, receipt, status, times,"
                " outputs, callback_url, due, reason) VALUES (?, ?, ?, ?, ?, '', ?, ?, ?, ?, ?, ?)",
                (
                    department,
                    body["idempotency_key"],
                    body["case_no"],
                    body["item_code"],
                    body.get("mode"),
                    status,
                    times,
                    json.dumps(body.get("outputs", [])),
                    body.get("callback_url"),
                    due,
                    reason,
                ),
            )
            row_id = cursor.lastrowid
            self._db.execute(
                "UPDATE submission SET receipt=? WHERE id=?", (f"ALT-{department.upper()}-{row_id:06d}", row_id)
            )
        row = self.by_id(int(row_id or 0))
        assert row is not None
        return row

    def count_submission(self, row_id: int) -> None:
        with self._lock:
            self._db.execute("UPDATE submission SET times = times + 1 WHERE id=?", (row_id,))

    def fill_tombstone(self, row_id: int, body: dict[str, Any]) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE submission SET times = times + 1, mode=?, outputs=? WHERE id=?",
                (body["mode"], json.dumps(body.get("outputs", [])), row_id),
            )

    def decide(self, row_id: int, status: str, output: dict[str, str] | None, reason: str | None) -> bool:
        """Decides an undecided row; False when it was already decided or withdrawn."""
        with self._lock:
            cursor = self._db.execute(
                "UPDATE submission SET status=?, output=?, reason=? WHERE id=? AND status='accepted'",
                (status, json.dumps(output) if output else None, reason, row_id),
            )
        return cursor.rowcount == 1

    def mark_delivered(self, row_id: int) -> None:
        with self._lock:
            self._db.execute("UPDATE submission SET delivered=1 WHERE id=?", (row_id,))

    def undelivered(self) -> list[Row]:
        with self._lock:
            found = self._db.execute(
                "SELECT * FROM submission WHERE mode='async_callback' AND delivered=0 AND status != 'withdrawn'"
            ).fetchall()
        return [row for row in map(self._row, found) if row is not None]

    def notice(self, department: str, body: dict[str, Any], now: str) -> dict[str, Any]:
        with self._lock:
            self._db.execute(
                "INSERT INTO notice VALUES (?, ?, ?, ?, ?, 1, ?) ON CONFLICT (department, case_no, item_code, level)"
                " DO UPDATE SET times = times + 1",
                (department, body["case_no"], body["item_code"], body["level"], body.get("note", ""), now),
            )
            found = self._db.execute(
                "SELECT * FROM notice WHERE department=? AND case_no=? AND item_code=? AND level=?",
                (department, body["case_no"], body["item_code"], body["level"]),
            ).fetchone()
        return {
            "case_no": found["case_no"],
            "item_code": found["item_code"],
            "level": found["level"],
            "note": found["note"],
            "notices": found["times"],
            "received_at": found["first_at"],
        }
