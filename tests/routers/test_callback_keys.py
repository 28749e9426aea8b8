"""The callback router verifies with the department's issued keys: the key id header picks the key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from core.signing import KEY_ID_HEADER, key_bytes, signed_headers
from persistence.db import session_scope
from services.department_keys import rotate_key
from tests.routers.test_callbacks import engine_only_case, result
from tests.support.fake_gateway import FakeCaseGateway
from tests.support.inprocess import InProcessApi


async def post(api: InProcessApi, body: bytes, key: str, key_id: str) -> httpx.Response:
    headers = signed_headers(key_bytes(key), body, key_id=key_id)
    async with api.client() as client:
        return await client.post("/api/v1/callbacks/public_security", content=body, headers=headers)


async def test_a_result_signed_with_an_issued_key_is_taken(api: InProcessApi, gateway: FakeCaseGateway) -> None:
    await engine_only_case(api, gateway, "20261201-KEYS0001")
    with session_scope(api.engine) as session:
        # Rotated, not issued: the api fixture is shared, another test may have issued the first key.
        issued = rotate_key(
            session, api.settings, department="public_security", now=datetime.now(UTC), overlap=timedelta(0)
        )
    response = await post(api, result("20261201-KEYS0001"), issued.key, issued.key_id)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "applied"

    # The right signature under another key id, or a key id of nobody, proves nothing.
    forged = await post(api, result("20261201-KEYS0001"), issued.key, "dk_0000000000000000")
    assert forged.status_code == 401
    assert KEY_ID_HEADER in forged.json()["detail"]


async def test_after_the_rotation_overlap_only_the_new_key_verifies(
    api: InProcessApi, gateway: FakeCaseGateway
) -> None:
    await engine_only_case(api, gateway, "20261201-KEYS0002")
    long_ago = datetime.now(UTC) - timedelta(days=3)
    with session_scope(api.engine) as session:
        old = rotate_key(session, api.settings, department="public_security", now=long_ago, overlap=timedelta(0))
        new = rotate_key(session, api.settings, department="public_security", now=long_ago, overlap=timedelta(hours=1))
    stale = await post(api, result("20261201-KEYS0002"), old.key, old.key_id)
    assert stale.status_code == 401
    fresh = await post(api, result("20261201-KEYS0002"), new.key, new.key_id)
    assert fresh.status_code == 200, fresh.text
