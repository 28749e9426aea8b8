"""A department's signed results judged by the case's real workflow, through the real API: every refusal is a
problem+json naming the rule, the field and the fix; a body over the cap is 413, never a 503 to retry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from core.auth import Role
from tests.api.test_case_actions import _wait_item, application
from tests.support.stack import running_stack

pytestmark = pytest.mark.e2e

HUKOU = "hukou_registration"


async def test_signed_results_that_break_the_contract_are_refused_naming_the_rule(dev_env, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    async with running_stack(dev_env.client, data_dir) as stack:
        # The police's own callback comes a minute late: the results below are the first the case sees.
        await stack.configure("public_security", latency_ms=60_000, jitter_ms=0)
        citizen = stack.as_user(Role.CITIZEN, "citizen-callback-rules")
        case_no = (await citizen.post("/api/v1/applications", json=application())).json()["case_no"]
        await _wait_item(stack, citizen, case_no, HUKOU, "department")

        async def send(department: str, item_code: str, **changes: Any) -> httpx.Response:
            return await stack.post_result(
                department, case_no, item_code, **{"output": {"hukou_no": "HK0000000001"}, **changes}
            )

        async def refused(response: httpx.Response, rule: str, field: str) -> str:
            assert response.status_code == 422, response.text
            assert response.headers["content-type"] == "application/problem+json"
            problem = response.json()
            assert (problem["title"], problem["rule"], problem["case_no"]) == ("Result refused", rule, case_no)
            assert [error["field"] for error in problem["errors"]] == [field]
            assert "Correct it and send it again" in problem["detail"]
            return str(problem["detail"])

        missing = await refused(await send("public_security", HUKOU, output={}), "declared-outputs", "output.hukou_no")
        assert "needs its declared outputs: hukou_no" in missing
        extra = {"hukou_no": "HK0000000001", "note": "x"}
        await refused(await send("public_security", HUKOU, output=extra), "undeclared-output", "output.note")
        await refused(await send("public_security", HUKOU, status="rejected", output=None), "reason-required", "reason")
        staff_item = await send("cdc", "vaccination_certificate", output={"vaccination_cert_no": "YM1"})
        assert "decided by staff" in await refused(staff_item, "staff-handled", "item_code")
        await refused(await send("public_security", "no_such_item"), "own-item", "item_code")

        too_big = await send("public_security", HUKOU, reason="x" * stack.settings.callback_max_bytes)
        assert too_big.status_code == 413
        assert too_big.json()["max_bytes"] == stack.settings.callback_max_bytes

        taken = await send("public_security", HUKOU)
        assert taken.json() == {"status": "applied", "detail": f"case {case_no} took the result"}
        repeat = await send("public_security", HUKOU)
        assert repeat.status_code == 200
        assert repeat.json()["status"] == "ignored"
        stale = await send("public_security", HUKOU, idempotency_key=f"{case_no}:{HUKOU}:r1")
        assert stale.json()["status"] == "ignored"
        await _wait_item(stack, citizen, case_no, "social_security_card", "department")  # hukou done: it went on
        case = (await citizen.get(f"/api/v1/applications/{case_no}")).json()
        hukou = next(item for item in case["items"] if item["code"] == HUKOU)
        assert (hukou["status"], hukou["output"]) == ("completed", {"hukou_no": "HK0000000001"})
        await citizen.aclose()
