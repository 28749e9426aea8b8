"""Sync mode, idempotency, decisions, failures and outages over real HTTP."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx

from tests.departments.conftest import submission


async def test_sync_submission_completes_with_realistic_outputs(client: httpx.AsyncClient) -> None:
    outputs = ["birth_cert_no", "vaccination_cert_no", "hukou_no", "social_security_card_no"]
    outputs += ["medical_insurance_no", "licence_no"]
    response = await client.post("/departments/health/submissions", json=submission("C1:birth", outputs=outputs))
    assert response.status_code == 200
    reply = response.json()
    assert reply["status"] == "completed"
    assert reply["reason"] is None
    assert reply["submissions"] == 1
    assert reply["idempotency_key"] == "C1:birth"
    out = reply["output"]
    assert re.fullmatch(r"Q310\d{7}", out["birth_cert_no"])
    assert re.fullmatch(r"YM\d+", out["vaccination_cert_no"])
    assert re.fullmatch(r"HK\d+", out["hukou_no"])
    assert re.fullmatch(r"SSC\d+", out["social_security_card_no"])
    assert re.fullmatch(r"YB\d+", out["medical_insurance_no"])
    assert re.fullmatch(r"HEALTH-[0-9a-f]{8}", out["licence_no"])


async def test_same_key_twice_is_one_record(client: httpx.AsyncClient) -> None:
    first = (await client.post("/departments/health/submissions", json=submission("C2:birth"))).json()
    second = (await client.post("/departments/health/submissions", json=submission("C2:birth"))).json()
    assert second["receipt_no"] == first["receipt_no"]
    assert second["output"] == first["output"]
    assert second["status"] == first["status"] == "completed"
    assert (first["submissions"], second["submissions"]) == (1, 2)
    records = (await client.get("/admin/health/records")).json()
    assert [r["idempotency_key"] for r in records] == ["C2:birth"]
    assert records[0]["submissions"] == 2


async def test_key_reused_for_other_work_is_refused(client: httpx.AsyncClient) -> None:
    await client.post("/departments/health/submissions", json=submission("C3:birth"))
    response = await client.post("/departments/health/submissions", json=submission("C3:birth", case_no="OTHER"))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert "idempotency_key" in response.json()["detail"]


async def test_correction_only_on_the_first_round(client: httpx.AsyncClient) -> None:
    await client.put("/admin/police/config", json={"correction_rate": 1.0, "latency_ms": 10, "jitter_ms": 0})
    first = (await client.post("/departments/police/submissions", json=submission("C4:hukou"))).json()
    assert first["status"] == "correction_requested"
    assert first["output"] is None
    assert "补正" in first["reason"]
    assert "310101199001011234" not in first["reason"]
    assert "张三" not in first["reason"]
    again = await client.post("/departments/police/submissions", json=submission("C4:hukou:r1", outputs=["hukou_no"]))
    assert again.json()["status"] == "completed"
    assert re.fullmatch(r"HK\d+", again.json()["output"]["hukou_no"])


async def test_reject(client: httpx.AsyncClient) -> None:
    await client.put("/admin/police/config", json={"reject_rate": 1.0, "latency_ms": 10})
    for key in ("C5:hukou", "C5:hukou:r2"):  # a rejection is not limited to first rounds
        reply = (await client.post("/departments/police/submissions", json=submission(key))).json()
        assert reply["status"] == "rejected"
        assert reply["output"] is None
        assert reply["reason"]
        assert "张三" not in reply["reason"]


async def test_decision_is_deterministic_per_key(client: httpx.AsyncClient) -> None:
    await client.put("/admin/mixed/config", json={"reject_rate": 0.3, "correction_rate": 0.3, "latency_ms": 0})
    await client.put("/admin/mixed2/config", json={"reject_rate": 0.3, "correction_rate": 0.3, "latency_ms": 0})
    for n in range(12):
        one = (await client.post("/departments/mixed/submissions", json=submission(f"D{n}:x"))).json()
        two = (await client.post("/departments/mixed2/submissions", json=submission(f"D{n}:x"))).json()
        assert (one["status"], one["reason"]) == (two["status"], two["reason"])


async def test_outage_gets_503_with_retry_after(client: httpx.AsyncClient) -> None:
    now = datetime.now(UTC)
    outage = {"start": (now - timedelta(minutes=1)).isoformat(), "end": (now + timedelta(minutes=2)).isoformat()}
    assert (await client.put("/admin/social/config", json={"outages": [outage]})).status_code == 200
    for call in (
        client.post("/departments/social/submissions", json=submission("C6:ssc")),
        client.get("/departments/social/submissions/C6:ssc"),
        client.post("/departments/social/submissions/C6:ssc/withdraw"),
    ):
        response = await call
        assert response.status_code == 503
        assert 60 < int(response.headers["Retry-After"]) <= 120
        assert response.json()["status"] == 503
    # Other departments and the admin endpoints keep working, so the outage can be lifted.
    assert (await client.post("/departments/health/submissions", json=submission("C6:birth"))).status_code == 200
    await client.put("/admin/social/config", json={"outages": []})
    assert (await client.post("/departments/social/submissions", json=submission("C6:ssc"))).status_code == 200


async def test_an_unannounced_outage_says_nothing_about_when(client: httpx.AsyncClient) -> None:
    now = datetime.now(UTC)
    outage = {"start": (now - timedelta(minutes=1)).isoformat(), "end": (now + timedelta(minutes=2)).isoformat()}
    await client.put("/admin/silent/config", json={"outages": [{**outage, "announced": False}]})
    response = await client.post("/departments/silent/submissions", json=submission("C8:x"))
    assert response.status_code == 503
    assert "Retry-After" not in response.headers


async def test_failure_after_storing_then_retry_returns_the_same_record(client: httpx.AsyncClient) -> None:
    await client.put("/admin/flaky/config", json={"failure_rate": 1.0, "latency_ms": 0})
    body = submission("C7:item")
    stored = None
    for _ in range(60):  # half of the failures happen after storing: keep going until one did
        response = await client.post("/departments/flaky/submissions", json=body)
        assert response.status_code == 500
        assert response.headers["content-type"] == "application/problem+json"
        lookup = await client.get("/departments/flaky/submissions/C7:item")
        if lookup.status_code == 200:
            stored = lookup.json()
            break
    assert stored is not None, "no failure after storing in 60 tries"
    await client.put("/admin/flaky/config", json={"failure_rate": 0.0, "latency_ms": 0})
    retry = (await client.post("/departments/flaky/submissions", json=body)).json()
    assert retry["receipt_no"] == stored["receipt_no"]
    assert retry["status"] == stored["status"] == "completed"
    assert retry["submissions"] == stored["submissions"] + 1
    assert len((await client.get("/admin/flaky/records")).json()) == 1


async def test_validation_problems_name_the_field(client: httpx.AsyncClient) -> None:
    bad = submission("C8:x", mode="standard_module")
    response = await client.post("/departments/health/submissions", json=bad)
    assert response.status_code == 422
    problem = response.json()
    assert set(problem) >= {"type", "title", "status", "detail"}
    assert "mode" in problem["detail"]
    assert "310101199001011234" not in response.text
    missing = await client.post("/departments/health/submissions", json=submission("C8:x", mode="async_callback"))
    assert missing.status_code == 422
    assert "callback_url" in missing.json()["detail"]
    unknown = await client.get("/departments/health/submissions/nope:x")
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    assert "idempotency_key" in unknown.json()["detail"]


async def test_healthz(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.json() == {"status": "ok"}
