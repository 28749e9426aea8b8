"""Department system health on the real stack: a department in an outage, the others clean, and who may look.

One newborn case runs while the health commission's system is down for a few seconds: its birth
certificate is retried until the system answers again. The supervisors' JSON shows that department's
errors, retries and outage apart from the others; the worker's Prometheus endpoint counts the same calls.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from core.auth import Role
from core.metrics import BUNDLE_DURATION, BUNDLES_COMPLETED, DEPARTMENT_CALLS, ITEM_DURATION
from core.temporal import connect
from persistence.department_calls import OUTAGE_MIN_FAILURES
from tests.conftest import stack_settings
from tests.deploy.monitoring import dashboard_queries, metric_names
from tests.e2e.test_newborn_bundle import application
from tests.support.scrape import sample
from tests.support.stack import running_stack
from tests.support.staff import approve_queue
from worker import metrics_runtime

pytestmark = pytest.mark.e2e

HEALTH_URL = "/api/v1/supervision/departments/health"
CALLED = ("health", "public_security", "human_resources", "medical_insurance")
"""The departments with a system of their own in the newborn bundle (cdc works in the platform)."""


async def test_an_outage_shows_for_its_department_only(dev_env, data_dir: Path) -> None:
    settings = stack_settings(data_dir, dev_env.client)
    client = await connect(settings, runtime=metrics_runtime(settings))
    async with running_stack(client, data_dir, metrics_port=settings.metrics_port) as stack:
        for department in CALLED:
            await stack.configure(department, latency_ms=50, jitter_ms=0, batch_interval_ms=200)
        since = datetime.now(UTC)
        outage_end = since + timedelta(seconds=6)  # attempts about 0, 1 and 3 s in fail, the one at 7 s answers
        # Unannounced (no Retry-After): the worker's own backoff paces the attempts that make the outage visible.
        outage = {"start": since.isoformat(), "end": outage_end.isoformat(), "announced": False}
        await stack.configure("health", outages=[outage])
        api_before = (await stack.api.get("/metrics")).text
        citizen = stack.as_user(Role.CITIZEN, "citizen-health-1")
        stop = asyncio.Event()
        clerk = asyncio.create_task(approve_queue(stack.as_user(Role.STAFF, "clerk-1", department="cdc"), stop))
        response = await citizen.post("/api/v1/applications", json=application())
        assert response.status_code == 201, response.text
        case = await stack.wait_case(citizen, response.json()["case_no"], {"completed", "rejected"}, timeout=90)
        stop.set()
        await clerk
        assert case["status"] == "completed", case
        until = datetime.now(UTC)

        supervisor = stack.as_user(Role.SUPERVISOR, "supervisor-1")
        # The worker writes each call's row beside the call (activities/call_log.py): the last calls' rows may
        # land a moment after the case is shown completed.
        for _ in range(50):
            report = await supervisor.get(HEALTH_URL, params={"since": since.isoformat(), "until": until.isoformat()})
            assert report.status_code == 200, report.text
            health = {row["department"]: row for row in report.json()["departments"]}
            if set(health) == set(CALLED):
                break
            await asyncio.sleep(0.1)
        assert set(health) == set(CALLED)

        down = health["health"]
        # Every attempt inside the outage failed and was tried again; the attempt after it succeeded.
        assert down["unavailable"] >= OUTAGE_MIN_FAILURES
        assert down["retries"] == down["unavailable"]
        assert down["error_rate"] == pytest.approx(down["unavailable"] / down["calls"])
        assert down["outages"]["count"] == 1
        assert down["outages"]["down"] is False
        assert 2 <= down["outages"]["total_seconds"] <= 30
        assert down["p50_latency_ms"] is not None  # the successful call is timed
        for department in CALLED[1:]:
            clean = health[department]
            assert clean["calls"] >= 1
            assert (clean["unavailable"], clean["refused"], clean["error_rate"]) == (0, 0, 0.0), clean
            assert clean["retries"] == 0, clean  # the data pipeline's repeated polls are not retries
            assert clean["outages"] == {"count": 0, "total_seconds": 0.0, "down": False, "down_since": None}
            assert clean["p50_latency_ms"] is not None

        # Seen from inside the outage, the department is down.
        during = await supervisor.get(
            HEALTH_URL, params={"since": since.isoformat(), "until": (outage_end - timedelta(seconds=0.5)).isoformat()}
        )
        inside = {row["department"]: row for row in during.json()["departments"]}["health"]["outages"]
        assert inside["down"] is True, inside
        assert inside["down_since"] is not None

        # The worker's Prometheus endpoint counts the same calls, beside the Temporal SDK's own metrics.
        async with httpx.AsyncClient() as http:
            worker = (await http.get(f"http://127.0.0.1:{settings.metrics_port}/metrics")).text
        unavailable = sample(worker, DEPARTMENT_CALLS, department="health", outcome="unavailable")
        assert unavailable == down["unavailable"]
        assert sample(worker, BUNDLES_COMPLETED, thing="newborn", outcome="completed") == 1
        assert sample(worker, f"{BUNDLE_DURATION}_count", thing="newborn", outcome="completed") == 1
        assert sample(worker, f"{BUNDLE_DURATION}_bucket", thing="newborn", le="1") == 0  # took seconds …
        assert sample(worker, f"{BUNDLE_DURATION}_bucket", thing="newborn", le="300") == 1  # … not minutes
        assert sample(worker, f"{ITEM_DURATION}_count", item="birth_certificate", outcome="completed") == 1
        for name in metric_names(dashboard_queries(), "temporal_"):  # the dashboard's Temporal SDK panels
            assert f"# TYPE {name} " in worker, name

        api_after = (await stack.api.get("/metrics")).text
        started = "onething_bundles_started_total"
        assert sample(api_after, started, thing="newborn") == sample(api_before, started, thing="newborn") + 1


async def test_only_supervisors_and_leaders_see_department_health(dev_env, data_dir: Path) -> None:
    async with running_stack(dev_env.client, data_dir, with_worker=False) as stack:
        for role in (Role.SUPERVISOR, Role.LEADER):
            response = await stack.as_user(role, f"{role.value}-1").get(HEALTH_URL)
            assert response.status_code == 200, response.text
            assert response.json()["departments"] == []
        for role, department in ((Role.CITIZEN, None), (Role.STAFF, "health")):
            response = await stack.as_user(role, f"{role.value}-1", department).get(HEALTH_URL)
            assert response.status_code == 403
            assert response.headers["content-type"] == "application/problem+json"
        assert (await stack.api.get(HEALTH_URL)).status_code == 401

        supervisor = stack.as_user(Role.SUPERVISOR, "supervisor-1")
        for bad in ("2026-12-01T00:00:00", "yesterday"):
            refused = await supervisor.get(HEALTH_URL, params={"since": bad})
            assert refused.status_code == 422
            assert refused.json()["errors"][0]["field"] == "since"
        instant = await supervisor.get(HEALTH_URL, params={"until": "2026-12-01T00:00:00Z"})
        assert instant.json()["until"] == "2026-12-01T00:00:00Z"
        assert instant.json()["since"] == "2026-11-30T00:00:00Z"  # a day before by default
        days = await supervisor.get(HEALTH_URL, params={"since": "2026-12-01", "until": "2026-12-01"})
        assert days.status_code == 200, days.text
        shanghai_day = (days.json()["since"], days.json()["until"])
        assert shanghai_day == ("2026-12-01T00:00:00+08:00", "2026-12-02T00:00:00+08:00")
        backwards = await supervisor.get(
            HEALTH_URL, params={"since": "2026-12-02T00:00:00Z", "until": "2026-12-01T00:00:00Z"}
        )
        assert backwards.status_code == 422
        assert "before" in backwards.json()["detail"]
