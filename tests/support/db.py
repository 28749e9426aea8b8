"""Projection databases for tests, made the way an operator makes them: by the migrations."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from core.settings import Settings
from persistence.db import make_engine
from persistence.migrate import upgrade


def migrated_engine(url: str) -> Engine:
    """An engine on the database at `url`, brought to head first (`onething db upgrade`)."""
    upgrade(url)
    return make_engine(url)


def migrate_data_dir(data_dir: Path) -> Path:
    """The default projection file in `data_dir` at head, so an API or worker given that folder starts."""
    data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(Settings(data_dir=data_dir).projection_url)
    return data_dir
