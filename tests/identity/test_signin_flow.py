"""The authorization-code flow end to end against the embedded demo provider: discovery → authorize (the demo
picker) → callback → our session → an authenticated API call; and every way a flow is refused."""

from __future__ import annotations

import os
import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from api.pages.signin import FLOW_COOKIE
from api.sessions import SESSION_COOKIE, csrf_token
from core.auth import Role, read_token
from tests.support.db import process_environment
from tests.support.inprocess import InProcessApi, in_process_api
from tests.support.oidc import path_of, pick_account, sign_in

ONETHING = [sys.executable, "-c", "from cli.main import main; main()"]


async def test_a_citizen_signs_in_and_calls_the_api(api: InProcessApi, browser: httpx.AsyncClient) -> None:
    start = await browser.get("/signin", params={"next": "/cases"})
    assert start.status_code == 303
    authorize = urlsplit(start.headers["location"])
    assert f"{authorize.scheme}://{authorize.netloc}{authorize.path}" == f"{api.settings.issuer_url}/authorize"
    query = {k: v[0] for k, v in parse_qs(authorize.query).items()}
    assert query["response_type"] == "code"
    assert query["code_challenge_method"] == "S256"
    assert query["client_id"] == "onething"
    assert len(query["state"]) >= 32
    assert len(query["nonce"]) >= 32
    flow_cookie = start.headers["set-cookie"].lower()
    assert "httponly" in flow_cookie
    assert "path=/auth/callback" in flow_cookie
    assert "samesite=lax" in flow_cookie

    callback = await pick_account(browser, start.headers["location"], "demo-mother-1")
    assert callback.startswith(f"{api.settings.api_url}/auth/callback?")
    signed_in = await browser.get(path_of(callback))
    assert signed_in.status_code == 303, signed_in.text
    assert signed_in.headers["location"] == "/cases"
    session = next(c for c in signed_in.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE))
    assert "httponly" in session.lower()
    assert "samesite=lax" in session.lower()
    assert "max-age=7200" in session.lower()
    assert "secure" not in session.lower()  # the embedded stack is plain HTTP on localhost

    form = await browser.get("/api/v1/things/newborn/form")  # the citizen's own pre-filled form
    assert form.status_code == 200, form.text
    principal = read_token(api.settings.secret_key, browser.cookies[SESSION_COOKIE], demo_allowed=False)
    assert principal.subject == "demo-mother-1"
    assert principal.role is Role.CITIZEN
    assert (await browser.get("/cases")).status_code == 200


async def test_an_officials_role_and_department_come_from_the_claims(
    api: InProcessApi, browser: httpx.AsyncClient
) -> None:
    signed_in = await sign_in(browser, "clerk-cdc", official=True)
    assert signed_in.status_code == 303, signed_in.text
    assert signed_in.headers["location"] == "/staff"
    principal = read_token(api.settings.secret_key, browser.cookies[SESSION_COOKIE])
    assert (principal.role, principal.department) == (Role.STAFF, "cdc")
    assert (await browser.get("/api/v1/staff/queue")).status_code == 200


async def test_a_form_cannot_choose_a_role(api: InProcessApi, browser: httpx.AsyncClient) -> None:
    """The citizens' picker offers no official; posting one (and a role field) is refused at the provider."""
    start = await browser.get("/signin")
    authorize = path_of(start.headers["location"])
    page = await browser.get(authorize)
    assert "clerk-cdc" not in page.text
    fields = {k: v[0] for k, v in parse_qs(urlsplit(authorize).query).items()}
    answer = await browser.post(
        "/demo-idp/authorize", data={**fields, "subject": "clerk-cdc", "role": "supervisor", "department": "cdc"}
    )
    assert "error=access_denied" in answer.headers["location"]
    refused = await browser.get(path_of(answer.headers["location"]))
    assert refused.status_code == 401
    assert SESSION_COOKIE not in browser.cookies


async def test_a_state_mismatch_is_refused(browser: httpx.AsyncClient) -> None:
    start = await browser.get("/signin")
    callback = await pick_account(browser, start.headers["location"], "demo-mother-1")
    parts = urlsplit(callback)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    answer = await browser.get(parts.path, params={**query, "state": "attacker-state"})
    assert answer.status_code == 400
    assert "这次登录结果不属于您发起的登录" in answer.text  # the page's language, Chinese by default
    assert SESSION_COOKIE not in browser.cookies


async def test_a_callback_without_its_flow_cookie_is_refused(browser: httpx.AsyncClient) -> None:
    """Login CSRF: a callback URL planted in another browser (no flow cookie there) signs no one in."""
    start = await browser.get("/signin")
    callback = await pick_account(browser, start.headers["location"], "demo-mother-1")
    browser.cookies.clear()
    answer = await browser.get(path_of(callback))
    assert answer.status_code == 400
    assert SESSION_COOKIE not in browser.cookies


async def test_a_code_is_used_once(browser: httpx.AsyncClient) -> None:
    start = await browser.get("/signin")
    flow = browser.cookies[FLOW_COOKIE]
    callback = await pick_account(browser, start.headers["location"], "demo-mother-1")
    assert (await browser.get(path_of(callback))).status_code == 303
    browser.cookies.clear()
    browser.cookies.set(FLOW_COOKIE, flow, path="/auth/callback")
    replayed = await browser.get(path_of(callback))
    assert replayed.status_code == 401  # the provider refuses the code the second time


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/", "/\\evil.example/", "javascript:alert(1)", "/ok\r\nX: y"]
)
async def test_after_sign_in_only_local_paths(browser: httpx.AsyncClient, next_url: str) -> None:
    answer = await sign_in(browser, "demo-mother-1", next_url=next_url)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/"


async def test_sign_out_ends_the_session_and_the_providers(api: InProcessApi, browser: httpx.AsyncClient) -> None:
    await sign_in(browser, "demo-mother-1")
    copied = browser.cookies[SESSION_COOKIE]  # as a shared PC's history, a proxy's log or a thief would keep it
    csrf = csrf_token(api.settings.secret_key, browser.cookies[SESSION_COOKIE])
    out = await browser.post("/signout", data={"csrf_token": csrf})
    assert out.status_code == 303
    logout = out.headers["location"]
    assert logout.startswith(f"{api.settings.issuer_url}/logout?")
    assert parse_qs(urlsplit(logout).query)["post_logout_redirect_uri"] == [f"{api.settings.api_url}/"]
    assert SESSION_COOKIE not in browser.cookies
    back = await browser.get(path_of(logout))
    assert back.headers["location"] == f"{api.settings.api_url}/"
    assert (await browser.get("/api/v1/things")).status_code == 401
    elsewhere = await browser.get("/demo-idp/logout", params={"post_logout_redirect_uri": "https://evil.example/"})
    assert elsewhere.headers["location"] == "/"

    # The copy of the session is ended too: not a bearer token, not a cookie for the pages.
    refused = await browser.get("/api/v1/things/newborn/form", headers={"Authorization": f"Bearer {copied}"})
    assert refused.status_code == 401
    assert "session was ended" in refused.json()["detail"]
    browser.cookies.set(SESSION_COOKIE, copied)
    page = await browser.get("/cases")
    assert page.status_code == 303
    assert page.headers["location"].startswith("/signin")
    browser.cookies.clear()
    # Signing in again at once starts a session that works.
    await sign_in(browser, "demo-mother-1")
    assert (await browser.get("/api/v1/things/newborn/form")).status_code == 200


async def test_signing_out_on_one_device_ends_the_accounts_sessions_on_the_others(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with in_process_api(tmp_path) as api:  # its own: sign-ins are rate-limited per client address
        transport = httpx.ASGITransport(app=api.app)
        async with (
            httpx.AsyncClient(transport=transport, base_url=api.settings.api_url) as counter_pc,
            httpx.AsyncClient(transport=transport, base_url=api.settings.api_url) as phone,
            httpx.AsyncClient(transport=transport, base_url=api.settings.api_url) as colleague,
        ):
            for device, account in ((counter_pc, "clerk-cdc"), (phone, "clerk-cdc"), (colleague, "supervisor-1")):
                assert (await sign_in(device, account, official=True)).status_code == 303
                assert (await device.get("/api/v1/things")).status_code == 200
            csrf = csrf_token(api.settings.secret_key, counter_pc.cookies[SESSION_COOKIE])
            assert (await counter_pc.post("/signout", data={"csrf_token": csrf})).status_code == 303
            assert (await phone.get("/api/v1/things")).status_code == 401
            assert (await colleague.get("/api/v1/things")).status_code == 200  # another account's are not touched


async def test_a_real_name_level_below_the_minimum_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with in_process_api(tmp_path, oidc_min_citizen_level=4) as strict:
        transport = httpx.ASGITransport(app=strict.app)
        async with httpx.AsyncClient(transport=transport, base_url=strict.settings.api_url) as client:
            answer = await sign_in(client, "demo-mother-1")
            assert answer.status_code == 403
            assert "您的实名认证等级为 3 级,本服务需要 4 级" in answer.text
            assert SESSION_COOKIE not in client.cookies
            # Officials are not residents: the level rule is the citizens'.
            assert (await sign_in(client, "supervisor-1", official=True)).status_code == 303


async def test_an_operator_ends_an_accounts_sessions(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`onething sessions end ACCOUNT`, run as an operator runs it (a process of its own on the same database), for
    a staff member who left: the account's sessions are refused from the next request on."""
    async with in_process_api(tmp_path, ended_sessions_seconds=0) as api:
        transport = httpx.ASGITransport(app=api.app)
        async with httpx.AsyncClient(transport=transport, base_url=api.settings.api_url) as desk:
            assert (await sign_in(desk, "clerk-cdc", official=True)).status_code == 303
            assert (await desk.get("/api/v1/staff/queue")).status_code == 200
            environment = {**os.environ, **process_environment(api.settings)}
            for bad in ("", "x" * 129):
                refused = subprocess.run(
                    [*ONETHING, "sessions", "end", bad], env=environment, capture_output=True, text=True, check=False
                )
                assert refused.returncode == 2, refused.stdout
            ended = subprocess.run(
                [*ONETHING, "sessions", "end", "clerk-cdc"],
                env=environment,
                capture_output=True,
                text=True,
                check=False,
            )
            assert ended.returncode == 0, ended.stderr
            assert "every session of clerk-cdc issued until " in ended.stdout
            assert "+08:00 (this host's clock) is ended" in ended.stdout
            assert (await desk.get("/api/v1/staff/queue")).status_code == 401
