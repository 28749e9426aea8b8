"""Pure parts: decisions, numbers, config loading."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from departments.behaviour import DepartmentBehaviour, StubConfig
from departments.outputs import decide, generate_outputs, is_resubmission, receipt_no


def test_outputs_are_deterministic_and_shaped() -> None:
    names = ["birth_cert_no", "hukou_no", "custom"]
    first = generate_outputs("health", "C1:birth", names)
    assert first == generate_outputs("health", "C1:birth", names)
    assert first != generate_outputs("health", "C2:birth", names)
    assert first["birth_cert_no"].startswith("Q310")
    assert len(first["birth_cert_no"]) == 11
    assert first["custom"].startswith("HEALTH-")
    # A corrected resubmission keeps the numbers of the first round.
    assert generate_outputs("health", "C1:birth:r1", names) == first


def test_resubmission_suffix() -> None:
    assert is_resubmission("C1:birth:r1")
    assert is_resubmission("C1:birth:r12")
    assert not is_resubmission("C1:birth")
    assert not is_resubmission("C1:r1birth")


def test_decide_rates() -> None:
    always_correct = DepartmentBehaviour(correction_rate=1.0)
    assert decide("d", "K:i", [], ["name"], always_correct).status == "correction_requested"
    assert decide("d", "K:i:r1", ["n"], ["name"], always_correct).status == "completed"
    assert decide("d", "K:i", [], [], DepartmentBehaviour(reject_rate=1.0)).status == "rejected"
    reason = decide("d", "K:i", [], ["mother name!", "address"], always_correct).reason
    assert reason is not None
    assert "address" in reason
    assert "mother name!" not in reason


def test_receipt_no_is_stable() -> None:
    moment = datetime(2025, 3, 1, tzinfo=UTC)
    assert receipt_no("police", "K:i", moment) == receipt_no("police", "K:i", moment)
    assert receipt_no("police", "K:i", moment).startswith("POLICE-20250301-")


def test_behaviour_validation() -> None:
    with pytest.raises(ValidationError):
        DepartmentBehaviour(reject_rate=0.7, correction_rate=0.5)
    now = datetime.now(UTC)
    with pytest.raises(ValidationError):
        DepartmentBehaviour.model_validate({"outages": [{"start": now, "end": now - timedelta(seconds=1)}]})
    naive = DepartmentBehaviour.model_validate({"outages": [{"start": "2025-01-01T00:00", "end": "2025-01-01T01:00"}]})
    assert naive.outages[0].start.tzinfo is UTC


def test_yaml_config_and_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "departments.yaml"
    path.write_text(
        """
defaults:
  latency_ms: 50
departments:
  public_security:
    reject_rate: 0.1
    outages:
      - {start: "2025-01-01T00:00:00+08:00", end: "2025-01-01T02:00:00+08:00"}
callback_backoff_ms: 100
clerk_departments: [civil_affairs]
""",
        encoding="utf-8",
    )
    monkeypatch.setenv("ONETHING_DEPARTMENTS_CONFIG", str(path))
    monkeypatch.delenv("ONETHING_CLERK_DEPARTMENTS", raising=False)
    config = StubConfig.from_env()
    police = config.behaviour("public_security")
    assert (police.latency_ms, police.reject_rate, police.jitter_ms) == (50, 0.1, 100)
    assert config.behaviour("anyone").latency_ms == 50
    assert config.callback_backoff_ms == 100
    assert config.clerk_departments == ["civil_affairs"]
    monkeypatch.setenv("ONETHING_CLERK_DEPARTMENTS", "cdc, health ,")
    assert StubConfig.from_env().clerk_departments == ["cdc", "health"]
    monkeypatch.setenv("ONETHING_CLERK_DEPARTMENTS", "")
    assert StubConfig.from_env().clerk_departments == []
    monkeypatch.delenv("ONETHING_DEPARTMENTS_CONFIG")
    monkeypatch.delenv("ONETHING_CLERK_DEPARTMENTS")
    assert StubConfig.from_env().clerk_departments == ["cdc"]


def test_yaml_config_errors_name_the_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("departments:\n  police:\n    reject_rat: 0.1\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="reject_rat"):
        StubConfig.from_yaml(path)
