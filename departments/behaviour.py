"""How each stub department behaves: latency, failures, outages, decision rates.

Any department code works: a code nobody configured gets the defaults, so a new catalogue entry can be
exercised against the stub without code per department. Defaults and per-department overrides can come
from a YAML file named by `ONETHING_DEPARTMENTS_CONFIG` (format in docs/departments.md).
"""

from __future__ import annotations

import math
import os
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

CONFIG_ENV = "ONETHING_DEPARTMENTS_CONFIG"
CLERK_ENV = "ONETHING_CLERK_DEPARTMENTS"
DEFAULT_CLERK_DEPARTMENTS = "cdc"


class Outage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: datetime
    end: datetime
    announced: bool = True
    """True: the 503 carries Retry-After (a scheduled outage); False: it does not (a system that just fails)."""

    @field_validator("start", "end")
    @classmethod
    def _zoned(cls, value: datetime) -> datetime:
        # A datetime without a zone is read as UTC so "now" comparisons never mix naive and aware.
        return value if value.tzinfo else value.replace(tzinfo=UTC)

    @model_validator(mode="after")
    def _ordered(self) -> Outage:
        if self.end <= self.start:
            raise ValueError("outage end must be after its start")
        return self

    def retry_after(self, now: datetime) -> int:
        """Whole seconds until the outage is over, at least 1 (the Retry-After header)."""
        return max(1, math.ceil((self.end - now).total_seconds()))


class DepartmentBehaviour(BaseModel):
    model_config = ConfigDict(extra="forbid")

    latency_ms: int = Field(default=300, ge=0, le=600_000, description="How long the department takes to decide")
    jitter_ms: int = Field(default=100, ge=0, le=600_000, description="Latency varies by up to ± this much")
    failure_rate: float = Field(
        default=0.0, ge=0, le=1, description="Share of submissions answered 500; half after storing the record"
    )
    reject_rate: float = Field(default=0.0, ge=0, le=1)
    correction_rate: float = Field(default=0.0, ge=0, le=1, description="Only ever on a first submission")
    outages: list[Outage] = Field(default_factory=list, description="Windows in which every call gets 503")
    batch_interval_ms: int = Field(default=1000, ge=10, le=86_400_000)
    handling_hours: float = Field(
        default=0,
        ge=0,
        le=24 * 365,
        description="Typical (median) time the department's people take, async_callback and batch modes only",
    )
    handling_spread: float = Field(
        default=0,
        ge=0,
        le=3,
        description="Log-normal sigma of the handling time: 0 always takes handling_hours, 0.8 has a long tail",
    )

    @model_validator(mode="after")
    def _rates_fit(self) -> DepartmentBehaviour:
        if self.reject_rate + self.correction_rate > 1:
            raise ValueError("reject_rate + correction_rate must not exceed 1")
        return self

    def outage_at(self, now: datetime) -> Outage | None:
        return next((o for o in self.outages if o.start <= now < o.end), None)

    def handling_time(self, chaos: random.Random) -> timedelta:
        """A draw of the human handling time: log-normal around the median, as waiting times in offices are."""
        if self.handling_hours == 0:
            return timedelta(0)
        return timedelta(hours=self.handling_hours * math.exp(chaos.gauss(0, self.handling_spread)))


class CallbackKey(BaseModel):
    """A key the platform issued to this department (`onething departments keys issue`), as the department keeps it."""

    model_config = ConfigDict(extra="forbid")

    key_id: str = Field(min_length=1, max_length=40)
    key: str = Field(pattern=r"^[0-9a-f]{64}$", description="64 hex characters, as issued")


class StubConfig(BaseModel):
    """Defaults plus per-department overrides, and the knobs of callback delivery and the auto-clerk."""

    model_config = ConfigDict(extra="forbid")

    defaults: DepartmentBehaviour = Field(default_factory=DepartmentBehaviour)
    departments: dict[str, DepartmentBehaviour] = Field(default_factory=dict)
    """Overrides; in YAML each entry lists only what differs from `defaults`."""
    callback_backoff_ms: int = Field(default=500, ge=1, description="First retry delay of a callback")
    callback_backoff_max_ms: int = Field(default=60_000, ge=1, description="Cap of the doubling retry delay")
    callback_timeout_s: float = Field(default=10.0, gt=0)
    clerk_departments: list[str] = Field(default_factory=list)
    """Departments whose items the auto-clerk decides in the platform's standard handling module."""
    clerk_latency_ms: int = Field(default=500, ge=0)
    callback_keys: dict[str, CallbackKey] = Field(default_factory=dict)
    """Issued keys by department; a department without one signs with the demo key derived from the
    platform's secret (key id `derived`, accepted by a platform outside production only)."""

    @model_validator(mode="before")
    @classmethod
    def _merge_overrides(cls, data: Any) -> Any:
        # Overrides in a file are partial; completing them here means PUT and YAML share one model.
        if not isinstance(data, dict) or not isinstance(data.get("departments"), dict):
            return data
        defaults = data.get("defaults") or {}
        if isinstance(defaults, BaseModel):
            defaults = defaults.model_dump()
        merged: dict[str, Any] = {}
        for code, override in data["departments"].items():
            if isinstance(override, dict):
                merged[code] = {**defaults, **override}
            else:
                merged[code] = override
        return {**data, "departments": merged}

    def behaviour(self, department: str) -> DepartmentBehaviour:
        return self.departments.get(department, self.defaults)

    def replace(self, department: str, update: dict[str, Any]) -> DepartmentBehaviour:
        """PUT semantics: the given fields over the defaults; what is left out falls back to the defaults."""
        behaviour = DepartmentBehaviour.model_validate({**self.defaults.model_dump(), **update})
        self.departments[department] = behaviour
        return behaviour

    @classmethod
    def from_yaml(cls, path: Path) -> StubConfig:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):
            raise ValueError(f"{path}: the departments config must be a mapping (see docs/departments.md)")
        return cls.model_validate(data)

    @classmethod
    def from_env(cls) -> StubConfig:
        """The YAML file named by ONETHING_DEPARTMENTS_CONFIG (if any) and ONETHING_CLERK_DEPARTMENTS."""
        path = os.environ.get(CONFIG_ENV, "").strip()
        config = cls.from_yaml(Path(path)) if path else cls()
        clerk = os.environ.get(CLERK_ENV)
        if clerk is not None or "clerk_departments" not in config.model_fields_set:
            raw = DEFAULT_CLERK_DEPARTMENTS if clerk is None else clerk
            config.clerk_departments = [code.strip() for code in raw.split(",") if code.strip()]
        return config
