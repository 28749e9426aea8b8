"""The department registry: validated like the catalogue (file:line and the fix), checked against it."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from cli.main import app
from core.settings import Settings
from one_things.catalog import CATALOG_DIR, load_catalog
from one_things.department_registry import (
    REGISTRY_FILE,
    auto_clerk_departments,
    check_against_catalog,
    load_registry,
    parse_registry_text,
)
from one_things.schema import IntegrationMode

GOOD = """\
version: 1
departments:
  health:
    name: {zh: 卫健委, en: Health}
    modes: [sync_rest]
    base_url: https://health.example.gov.cn/onething/v1
    auth: {kind: bearer, token_env: HEALTH_TOKEN}
    items:
      birth_certificate:
        fields: {MQXM: mother_name}
"""


def test_the_demo_registry_reaches_every_catalogue_department_at_the_stubs() -> None:
    registry = load_registry(Settings(departments_port=8765))
    catalog = load_catalog(CATALOG_DIR)
    assert check_against_catalog(registry, catalog.all(), path=str(REGISTRY_FILE)) == []
    assert registry.connection("public_security").base_url == "http://127.0.0.1:8765/departments/public_security"
    # A department a new definition brings along is reached at the stubs and its clerk items decided there.
    new = registry.connection("brand_new_office")
    assert new.base_url == "http://127.0.0.1:8765/departments/brand_new_office"
    assert new.standard_module.auto_clerk


def test_a_good_registry_loads_with_its_credentials_as_references() -> None:
    registry, errors = parse_registry_text(GOOD, "reg.yaml")
    assert errors == []
    assert registry is not None
    health = registry.connection("health")
    assert health.modes == [IntegrationMode.SYNC_REST]
    assert health.auth is not None
    assert health.auth.kind == "bearer"
    assert health.item("birth_certificate").fields == {"MQXM": "mother_name"}


def test_mistakes_are_reported_with_file_line_and_fix() -> None:
    text = GOOD.replace("modes: [sync_rest]", "modes: [sync_rest]\n    base_urll: x").replace(
        "kind: bearer, token_env: HEALTH_TOKEN", "kind: bearer"
    )
    registry, errors = parse_registry_text(text, "reg.yaml")
    assert registry is None
    shown = [str(error) for error in errors]
    assert any(s.startswith("reg.yaml:6: ") and "base_urll" in s and "fix:" in s for s in shown), shown
    assert any(s.startswith("reg.yaml:8: ") and "token_env or token_file" in s for s in shown), shown


def test_an_http_mode_without_a_base_url_is_refused() -> None:
    text = GOOD.replace("    base_url: https://health.example.gov.cn/onething/v1\n", "")
    _, errors = parse_registry_text(text, "reg.yaml")
    assert len(errors) == 1
    assert "base_url is required" in errors[0].message
    assert errors[0].line == 3  # the department's key
    assert "docs/departments.md" in errors[0].fix


def test_check_names_what_the_catalogue_needs_that_the_registry_lacks() -> None:
    registry, _ = parse_registry_text(GOOD.replace("mother_name}", "no_such_input}"), "reg.yaml")
    assert registry is not None
    newborn = load_catalog(CATALOG_DIR).get("newborn")
    problems = check_against_catalog(registry, [newborn], path="reg.yaml", root_text=GOOD)
    messages = [f"{p.location}: {p.message}" for p in problems]
    assert "newborn.vaccination_certificate: department cdc missing" in messages
    assert any("no_such_input" in m and m.startswith("newborn.birth_certificate") for m in messages)
    mapping = next(p for p in problems if "no_such_input" in p.message)
    assert mapping.line == 10


def test_check_command_fails_on_a_registry_missing_departments(tmp_path: Path, monkeypatch: object) -> None:
    bad = tmp_path / "registry.yaml"
    bad.write_text(GOOD, encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(app, ["departments", "check", str(bad)])
    assert result.exit_code == 1
    assert "department cdc missing" in result.output
    good = runner.invoke(app, ["departments", "check"])
    assert good.exit_code == 0, good.output


def test_the_demo_auto_clerk_works_the_queues_the_registry_gives_it() -> None:
    registry = load_registry(Settings())
    catalog = load_catalog(CATALOG_DIR)
    clerks = auto_clerk_departments(registry, catalog.all())
    assert "cdc" in clerks  # listed with auto_clerk: the newborn's vaccination certificate
    assert "health" not in clerks  # listed without: its staff work the queue themselves
    assert "library" not in clerks


def test_a_data_pipeline_s_exchange_folder_is_filled_for_the_demo() -> None:
    text = GOOD.replace("modes: [sync_rest]", "modes: [sync_rest, batch]")
    with_folder = text.replace("    items:", '    batch: {exchange_dir: "{exchange_dir}/{code}x"}\n    items:')
    registry, errors = parse_registry_text(with_folder, "reg.yaml")
    assert errors == []
    assert registry is not None
    filled = registry.with_stubs_url("http://stubs", "/srv/exchange").connection("health")
    assert filled.batch is not None
    assert filled.batch.exchange_dir == "/srv/exchange/healthx"


def test_a_department_s_batch_results_are_pulled_unless_it_is_registered_as_calling_back() -> None:
    batch = GOOD.replace("modes: [sync_rest]", "modes: [sync_rest, batch]")
    registry, errors = parse_registry_text(batch, "reg.yaml")
    assert errors == []
    assert registry is not None
    assert registry.connection("health").batch_results == "pull"
    calling = batch.replace("    items:", "    batch_results: callback\n    items:")
    registry, errors = parse_registry_text(calling, "reg.yaml")
    assert errors == []
    assert registry is not None
    assert registry.connection("health").batch_results == "callback"
    _, errors = parse_registry_text(batch.replace("    items:", "    batch_results: push\n    items:"), "reg.yaml")
    assert [error.line for error in errors] == [8]  # a value that is neither, on its line


def test_calling_back_is_refused_where_it_cannot_apply() -> None:
    without_batch = GOOD.replace("    items:", "    batch_results: callback\n    items:")
    _, errors = parse_registry_text(without_batch, "reg.yaml")
    assert len(errors) == 1
    assert "add batch to modes" in errors[0].message
    # A held-back batch would leave only with the next submission: no pull flushes it.
    held = GOOD.replace("modes: [sync_rest]", "modes: [batch]").replace(
        "    items:", "    batch_results: callback\n    batch: {exchange_dir: /x, flush_seconds: 60}\n    items:"
    )
    _, errors = parse_registry_text(held, "reg.yaml")
    assert len(errors) == 1
    assert "set batch.flush_seconds to 0" in errors[0].message
    assert parse_registry_text(held.replace("flush_seconds: 60", "flush_seconds: 0"), "reg.yaml")[1] == []
