"""Every test's projection database comes from here: a SQLite file, or a PostgreSQL database when asked for.

`ONETHING_TEST_POSTGRES_URL` names a PostgreSQL server the tests may create databases on (e.g.
`postgresql+psycopg://postgres@127.0.0.1:5432/postgres`; `scripts/postgres.sh` starts a throwaway cluster
and sets it). Without it every test runs on SQLite; with it, on PostgreSQL.

Isolation: one database per data folder, the unit the tests already share or keep apart. On SQLite that
is the `onething.db` file in the folder (a test's `tmp_path`, or a module's or package's folder where its
tests deliberately share one database); on PostgreSQL it is a database of its own. Either way it is a copy
of a template migrated once per run (`CREATE DATABASE … TEMPLATE`, SQLite's backup API): about 15 ms,
where running the migrations costs a quarter to a whole second, for each of a few hundred folders.

Not transaction rollback: the API, the worker's activities and the department stubs commit on their own
connections, from threads and other processes, so no test transaction can hold their writes. Not one
database per module either: most modules' tests each expect an empty database, as they get on SQLite, and
sharing one is what left data between tests when the suite was first pointed at PostgreSQL. The
PostgreSQL databases are dropped when the run ends; the SQLite files go with pytest's temporary folders.

The department stubs' own database stays a SQLite file in the folder in both runs: it is a test double of
the departments' systems, deployed that way (docker-compose.yml's demo profile), not our schema.
"""

from __future__ import annotations

import atexit
import os
import sqlite3
import tempfile
import threading
import uuid
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from core.settings import Settings
from persistence.db import make_engine
from persistence.migrate import upgrade
from tests.support.servers import free_port

POSTGRES_ENV = "ONETHING_TEST_POSTGRES_URL"


def postgres_server() -> str | None:
    """The PostgreSQL server this run uses, or None for SQLite."""
    return os.environ.get(POSTGRES_ENV) or None


def sqlite_pass_only(reason: str) -> pytest.MarkDecorator:
    """Left out of the PostgreSQL pass: a slow test whose subject is not the database, whose SQL a test
    that runs in both passes covers (`reason` names it). Keeps scripts/test within its time."""
    return pytest.mark.skipif(postgres_server() is not None, reason=f"SQLite pass only: {reason}")


class _PostgresDatabases:
    """Databases on the test server: one migrated template, and a clone of it per data folder."""

    def __init__(self, server: str) -> None:
        self.server = server
        self._admin = create_engine(server, isolation_level="AUTOCOMMIT", pool_size=1)
        self._template: str | None = None
        self._made: list[str] = []
        self._lock = threading.Lock()
        atexit.register(self.drop_all)

    def url(self, database: str) -> str:
        return make_url(self.server).set(database=database).render_as_string(hide_password=False)

    def empty(self) -> str:
        """A new empty database (no schema), dropped at the end of the run."""
        name = f"onething_test_{uuid.uuid4().hex[:12]}"
        self._execute(f'CREATE DATABASE "{name}"')
        self._made.append(name)
        return self.url(name)

    def migrated(self) -> str:
        """A new database at head, as `onething db upgrade` leaves it."""
        with self._lock:
            if self._template is None:
                template = self.empty().rsplit("/", 1)[1]
                upgrade(self.url(template))
                self._template = template
        name = f"onething_test_{uuid.uuid4().hex[:12]}"
        # FILE_COPY: a small database copies faster than WAL_LOG writes it (measured 12 ms against 27 ms).
        self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{self._template}" STRATEGY FILE_COPY')
        self._made.append(name)
        return self.url(name)

    def drop_all(self) -> None:
        for name in reversed(self._made):
            try:
                self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            except Exception:
                break
        self._made.clear()
        self._admin.dispose()

    def _execute(self, statement: str) -> None:
        with self._admin.connect() as connection:
            connection.execute(text(statement))


class _SqliteTemplate:
    """One migrated SQLite file, copied into each data folder."""

    def __init__(self) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="onething-template-")
        self.path = Path(self._folder.name) / "onething.db"
        upgrade(f"sqlite:///{self.path}")

    def copy_to(self, target: Path) -> None:
        with closing(sqlite3.connect(self.path)) as source, closing(sqlite3.connect(target)) as copy:
            source.backup(copy)


_postgres: _PostgresDatabases | None = None
_sqlite: _SqliteTemplate | None = None
_by_folder: dict[Path, str] = {}


def _databases() -> _PostgresDatabases | None:
    global _postgres
    server = postgres_server()
    if server is None:
        return None
    if _postgres is None or _postgres.server != server:
        _postgres = _PostgresDatabases(server)
    return _postgres


def database_url(data_dir: Path) -> str:
    """The projection of the data folder `data_dir`, at head: the same database each time it is asked for."""
    data_dir = data_dir.resolve()
    known = _by_folder.get(data_dir)
    if known is not None:
        return known
    data_dir.mkdir(parents=True, exist_ok=True)
    postgres = _databases()
    if postgres is None:
        global _sqlite
        url = Settings(data_dir=data_dir, database_url="").projection_url  # the default: onething.db in the folder
        if _sqlite is None:
            _sqlite = _SqliteTemplate()
        _sqlite.copy_to(Path(url.removeprefix("sqlite:///")))
    else:
        url = postgres.migrated()
    _by_folder[data_dir] = url
    return url


def settings_for(data_dir: Path, **overrides: Any) -> Settings:
    """Settings of a process given the data folder `data_dir`, its projection at head on this run's database."""
    url = database_url(data_dir)
    # SQLite through the default path (no ONETHING_DATABASE_URL), as the embedded stack has it.
    chosen = "" if postgres_server() is None else url
    return Settings(**{"data_dir": data_dir, "database_url": chosen, **overrides})


def migrated_engine(where: Path | str) -> Engine:
    """An engine on the projection of the data folder `where`, at head; or, given a URL (a database a test
    made itself, such as tests/persistence's empty ones), on that database brought to head."""
    if isinstance(where, str):
        upgrade(where)
        return make_engine(where)
    return make_engine(database_url(where))


def migrate_data_dir(data_dir: Path) -> Path:
    """The folder, its projection brought to head, so an API or worker given it (by `settings_for`) starts."""
    database_url(data_dir)
    return data_dir


def unreachable_database_url(data_dir: Path) -> str:
    """A database of this run's kind that cannot be opened: a file under a missing folder, a closed port."""
    if postgres_server() is None:
        return f"sqlite:///{data_dir / 'gone' / 'onething.db'}"
    return make_url(postgres_server() or "").set(host="127.0.0.1", port=free_port()).render_as_string(False)


def process_environment(settings: Settings) -> dict[str, str]:
    """The ONETHING_* variables that give another process the same database as `settings`."""
    variables = {"ONETHING_DATA_DIR": str(settings.data_dir)}
    if settings.database_url:
        variables["ONETHING_DATABASE_URL"] = settings.database_url
    return variables
