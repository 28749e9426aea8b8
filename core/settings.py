"""The one settings class. Defaults run the embedded stack; production refuses the default secrets."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "onething-embedded-dev-secret-change-me-in-production"  # noqa: S105 - the embedded stack's well-known default
DEV_CODEC_KEY = "b25ldGhpbmctZGV2LWNvZGVjLWtleS0zMi1ieXRlcyE="  # base64 of 32 bytes, dev only


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ONETHING_", env_file=".env", extra="ignore")

    environment: Literal["development", "production"] = "development"
    data_dir: Path = Path("data")

    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    temporal_ui_port: int = 8233
    task_queue: str = "onething"

    api_host: str = "127.0.0.1"
    api_port: int = 8000
    departments_host: str = "127.0.0.1"
    departments_port: int = 8100
    metrics_port: int = 9464
    """Where the worker exposes Prometheus metrics (its own and the Temporal SDK's)."""
    metrics_host: str = "127.0.0.1"
    """The address the worker's metrics bind to: 0.0.0.0 in a container that Prometheus scrapes from outside."""

    catalog_dir: Path | None = None
    """The folder of one-thing definitions (*.yaml); empty means the package's own catalogue."""

    calendar_adjustments: Path | None = None
    """YAML of official 调休 announcements newer than the holidays package (days_off, workdays)."""

    database_url: str = ""
    """SQLAlchemy URL of the projection; empty means a SQLite file in data_dir."""
    departments_database_url: str = ""
    """The department stubs' own database; empty means a SQLite file in data_dir."""

    submissions_per_hour: int = 10
    """New applications one citizen may submit per hour; repeats of an accepted one do not count."""

    secret_key: str = DEV_SECRET
    """Signs bearer tokens and derives the department callback keys."""
    codec_key: str = DEV_CODEC_KEY
    """Base64 AES-256 key of the payload codec: Temporal history holds only ciphertext."""

    @property
    def api_url(self) -> str:
        return f"http://{self.api_host}:{self.api_port}"

    @property
    def departments_url(self) -> str:
        return f"http://{self.departments_host}:{self.departments_port}"

    @property
    def projection_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'onething.db'}"

    @property
    def departments_db_url(self) -> str:
        return self.departments_database_url or f"sqlite:///{self.data_dir / 'departments.db'}"

    @model_validator(mode="after")
    def _refuse_default_secrets_in_production(self) -> Settings:
        if self.environment == "production":
            if self.secret_key == DEV_SECRET:
                raise ValueError("ONETHING_SECRET_KEY: set a secret of your own for production")
            if self.codec_key == DEV_CODEC_KEY:
                raise ValueError("ONETHING_CODEC_KEY: set a base64 AES-256 key of your own for production")
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
