"""Sign-in against a provider in another server, over real HTTP: discovery, token and JWKS cross a socket.

The provider is a second onething API serving its demo provider (a development app without an issuer); the
app under test is configured only by ONETHING_OIDC_* settings, as it would be for the government's service.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from api.app import create_app
from api.sessions import SESSION_COOKIE
from core.auth import Role, read_token
from tests.support.db import settings_for
from tests.support.inprocess import in_process_api
from tests.support.oidc import sign_in
from tests.support.servers import ThreadedServer, free_port


async def test_sign_in_through_a_provider_over_http(tmp_path: Path) -> None:
    port = free_port()
    provider_settings = settings_for(
        tmp_path / "provider",
        api_port=port,
        temporal_address=f"127.0.0.1:{free_port()}",
        oidc_redirect_url="http://127.0.0.1:8000/auth/callback",  # the relying party's, as registered
    )
    issuer = f"http://127.0.0.1:{port}/demo-idp"
    with ThreadedServer(create_app(provider_settings), port=port):
        async with in_process_api(tmp_path / "rp", oidc_issuer=issuer) as api:
            assert not hasattr(api.app.state, "demo_idp")  # configured for an outside provider: none of its own
            transport = httpx.ASGITransport(app=api.app)
            async with (
                httpx.AsyncClient(transport=transport, base_url=api.settings.api_url) as browser,
                httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as at_provider,
            ):
                start = await browser.get("/signin", params={"next": "/cases"})
                assert start.headers["location"].startswith(f"{issuer}/authorize?")
                signed_in = await sign_in(browser, "demo-father-1", next_url="/cases", provider=at_provider)
                assert signed_in.status_code == 303, signed_in.text
                assert signed_in.headers["location"] == "/cases"
                principal = read_token(api.settings.secret_key, browser.cookies[SESSION_COOKIE])
                assert (principal.role, principal.subject) == (Role.CITIZEN, "demo-father-1")
                assert (await browser.get("/api/v1/things/newborn/form")).status_code == 200
                assert (await browser.get("/demo-idp/jwks")).status_code == 404
