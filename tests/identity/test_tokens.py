"""Tokens presented to the API: the provider's (checked against its JWKS, issuer, audience, expiry) and ours
(HS256; demo ones refused in production). Every refusal is a 401 problem+json."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey
from pydantic import ValidationError

from api.demo_idp.provider import DemoProvider
from core.auth import Principal, Role, issue_token
from core.oidc import OidcClient, OidcError
from core.settings import Settings
from tests.support.inprocess import InProcessApi, in_process_api

CITIZEN = {"sub": "demo-mother-1", "real_name_level": 3}


def provider(api: InProcessApi) -> DemoProvider:
    found: DemoProvider = api.app.state.demo_idp
    return found


def claims(api: InProcessApi, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {**CITIZEN, "iss": api.settings.issuer_url, "aud": "onething", "iat": now, "exp": now + 300}
    return {k: v for k, v in {**base, **changes}.items() if v is not None}


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def call(api: InProcessApi, token: str) -> httpx.Response:
    async with api.client({"Authorization": f"Bearer {token}"}) as client:
        return await client.get("/api/v1/things/newborn/form")


def refused(response: httpx.Response) -> str:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    detail: str = response.json()["detail"]
    return detail


async def test_the_providers_access_token_is_accepted(api: InProcessApi) -> None:
    idp = provider(api)
    token = idp.sign(CITIZEN, audience=api.settings.api_audience, seconds=60)
    assert (await call(api, token)).status_code == 200
    staff = idp.sign({"sub": "clerk-cdc", "role": "staff", "department": "cdc"}, audience="onething", seconds=60)
    async with api.client({"Authorization": f"Bearer {staff}"}) as client:
        assert (await client.get("/api/v1/staff/queue")).status_code == 200
        assert (await client.get("/api/v1/things/newborn/form")).status_code == 403  # a clerk is not a citizen


async def test_a_forged_token_is_refused(api: InProcessApi) -> None:
    idp = provider(api)
    impostor = RSAKey.generate_key(2048, parameters={"kid": idp.key.kid})  # the right kid, the wrong key
    forged = jwt.encode({"alg": "RS256", "kid": idp.key.kid}, claims(api), impostor)
    assert "BadSignatureError" in refused(await call(api, forged))


async def test_an_expired_token_is_refused(api: InProcessApi) -> None:
    token = jwt.encode({"alg": "RS256", "kid": provider(api).key.kid}, claims(api, exp=int(time.time()) - 120),
                       provider(api).key)  # fmt: skip
    assert "ExpiredTokenError" in refused(await call(api, token))


async def test_an_alg_none_token_is_refused(api: InProcessApi) -> None:
    unsigned = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims(api))}."
    assert "'none' is not accepted" in refused(await call(api, unsigned))
    ours_unsigned = f"{b64({'alg': 'none'})}.{b64({'sub': 'demo-mother-1', 'role': 'supervisor', 'exp': 9e9})}."
    refused(await call(api, ours_unsigned))


@pytest.mark.parametrize(("field", "value"), [("aud", "another-client"), ("iss", "https://id.evil.example")])
async def test_a_token_for_another_audience_or_issuer_is_refused(api: InProcessApi, field: str, value: str) -> None:
    token = jwt.encode({"alg": "RS256", "kid": provider(api).key.kid}, claims(api, **{field: value}), provider(api).key)
    assert "InvalidClaimError" in refused(await call(api, token))


async def test_our_tokens_need_our_secret(api: InProcessApi) -> None:
    wrong = issue_token(
        "not-the-secret-of-this-deployment-at-all", Principal(role=Role.SUPERVISOR, subject="supervisor-1")
    )
    refused(await call(api, wrong))
    # Algorithm confusion: "HMAC-signed" with the provider's public key, which anyone can read from the JWKS.
    public_pem = provider(api).key.as_pem(private=False)
    signing_input = f"{b64({'alg': 'HS256'})}.{b64({'sub': 'demo-mother-1', 'role': 'citizen', 'exp': 9e9})}"
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    confused = f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
    refused(await call(api, confused))
    expired = issue_token(api.settings.secret_key, Principal(role=Role.CITIZEN, subject="demo-mother-1"), -10)
    refused(await call(api, expired))
    refused(await call(api, "not-a-jwt"))


async def test_a_nonce_mismatch_is_refused(api: InProcessApi) -> None:
    client: OidcClient = api.app.state.oidc
    id_token = provider(api).sign(CITIZEN, audience="onething", seconds=60, nonce="the-nonce-we-sent")
    assert (await client.validate_id_token(id_token, nonce="the-nonce-we-sent"))["sub"] == "demo-mother-1"
    with pytest.raises(OidcError, match="InvalidClaimError"):
        await client.validate_id_token(id_token, nonce="another-flow")
    without = provider(api).sign(CITIZEN, audience="onething", seconds=60)
    with pytest.raises(OidcError, match="MissingClaimError"):
        await client.validate_id_token(without, nonce="the-nonce-we-sent")


PRODUCTION = {
    "environment": "production",
    "secret_key": "a-production-secret-for-this-test",
    "codec_key": "cHJvZHVjdGlvbi10ZXN0LWNvZGVjLWtleS0zMmJ5dGU=",
    "callback_keys_key": "cHJvZHVjdGlvbi10ZXN0LWNhbGxiYWNrLWtleS0zMmI=",
    "oidc_issuer": "https://id.example.invalid",
    "oidc_client_secret": "a-production-client-secret",
    "oidc_redirect_url": "https://onething.example.invalid/auth/callback",
}


def test_production_refuses_the_demo_provider(tmp_path: Path) -> None:
    for missing, message in (
        ("oidc_issuer", "ONETHING_OIDC_ISSUER"),
        ("oidc_client_secret", "ONETHING_OIDC_CLIENT_SECRET"),
        ("oidc_redirect_url", "ONETHING_OIDC_REDIRECT_URL"),
    ):
        with pytest.raises(ValidationError, match=message):
            Settings(data_dir=tmp_path, **{k: v for k, v in PRODUCTION.items() if k != missing})  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="ONETHING_OIDC_ISSUER"):
        Settings(data_dir=tmp_path, **{**PRODUCTION, "oidc_issuer": "http://id.example.invalid"})  # type: ignore[arg-type]


async def test_production_refuses_demo_tokens_and_serves_no_demo_provider(tmp_path: Path) -> None:
    async with in_process_api(tmp_path, **PRODUCTION) as production:
        async with production.as_user(Role.CITIZEN, "someone") as demo:  # what `onething token` mints
            assert "invalid or expired" in refused(await demo.get("/api/v1/things"))
        session = issue_token(
            production.settings.secret_key, Principal(role=Role.CITIZEN, subject="someone"), 60, source="signin"
        )
        async with production.client({"Authorization": f"Bearer {session}"}) as signed_in:
            assert (await signed_in.get("/api/v1/things")).status_code == 200
            assert (await signed_in.get("/demo-idp/.well-known/openid-configuration")).status_code == 404
