"""The two deploy/ files the compose file hands to third-party images: Caddy's (checked by Debian's caddy,
which scripts/test installs) and Grafana's provisioning (checked against what compose mounts)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

from tests.deploy.monitoring import DASHBOARD, DEPLOY, dashboard
from tests.deploy.test_compose import compose, services  # noqa: F401 - fixtures

CADDYFILE = DEPLOY / "caddy" / "Caddyfile"


def caddy(*args: str) -> str:
    tool = shutil.which("caddy")
    assert tool, "caddy is missing: apt-get install caddy (scripts/test installs it)"
    done = subprocess.run([tool, *args], cwd=CADDYFILE.parent, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_caddy_takes_the_caddyfile() -> None:
    caddy("validate", "--adapter", "caddyfile", "--config", CADDYFILE.name)


def test_caddy_spreads_requests_over_every_api_replica(services: dict[str, dict[str, Any]]) -> None:  # noqa: F811
    adapted = json.loads(caddy("adapt", "--adapter", "caddyfile", "--config", CADDYFILE.name))
    [server] = adapted["apps"]["http"]["servers"].values()
    [route] = server["routes"]
    [proxy] = route["handle"]
    # Every address the compose service `api` resolves to, on the port the API listens on inside compose,
    # looked up again as replicas come and go; a request that fails on one replica is tried on another.
    upstreams = proxy["dynamic_upstreams"]
    assert (upstreams["source"], upstreams["name"]) == ("a", "api")
    api_port = services["api"]["environment"].get("ONETHING_API_PORT", "8000")
    assert upstreams["port"] == str(api_port)
    assert proxy["load_balancing"]["try_duration"] > 0
    assert proxy["health_checks"]["passive"]["fail_duration"] > 0
    proxy_service = next(service for service in services.values() if "caddy" in service.get("image", ""))
    assert any(str(port).endswith(":8000") for port in proxy_service["ports"]), proxy_service["ports"]
    assert "ports" not in services["api"]  # replicas are reached through the proxy only


def _mounts(service: dict[str, Any]) -> dict[str, Path]:
    """Container path → file or folder of this repository, for the service's bind mounts."""
    mounts = {}
    for volume in service.get("volumes", []):
        source, target, *_ = volume.split(":")
        if source.startswith("./"):
            mounts[target] = DEPLOY.parent / source
    return mounts


def test_grafana_loads_the_dashboard_from_where_compose_puts_it(services: dict[str, dict[str, Any]]) -> None:  # noqa: F811
    mounts = _mounts(services["grafana"])
    provisioning = mounts["/etc/grafana/provisioning"]
    providers = yaml.safe_load((provisioning / "dashboards" / "onething.yml").read_text(encoding="utf-8"))
    [provider] = providers["providers"]
    folder = provider["options"]["path"]
    dashboards = {target: source for target, source in mounts.items() if target.startswith(folder + "/")}
    assert dashboards == {f"{folder}/{DASHBOARD.name}": DASHBOARD}
    assert dashboard()["uid"]


def test_the_dashboard_s_data_source_is_the_provisioned_prometheus(services: dict[str, dict[str, Any]]) -> None:  # noqa: F811
    provisioning = _mounts(services["grafana"])["/etc/grafana/provisioning"]
    sources = yaml.safe_load((provisioning / "datasources" / "prometheus.yml").read_text(encoding="utf-8"))
    [source] = sources["datasources"]
    assert source["type"] == "prometheus"
    assert source["url"] == "http://prometheus:9090"
    assert "prometheus" in services
    # Panels name their data source through the dashboard's variable, which lists the Prometheus sources.
    [variable] = [v for v in dashboard()["templating"]["list"] if v["type"] == "datasource"]
    assert variable["query"] == source["type"]
    for panel in dashboard()["panels"]:
        assert panel["datasource"] == {"type": "prometheus", "uid": "${" + variable["name"] + "}"}, panel["title"]


def test_every_file_compose_mounts_exists(services: dict[str, dict[str, Any]]) -> None:  # noqa: F811
    for service in services.values():
        for mounted in _mounts(service).values():
            assert mounted.exists(), mounted
