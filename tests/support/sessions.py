"""One session token per person and API, as a browser holds one: a page's CSRF token is bound to the session it
was rendered for (api/sessions.py), and two tokens minted for one person differ (their `iat` is to the
millisecond), so a test that sends a cookie and a CSRF token must take both from the same session. Like a
browser, it signs in again once its session was ended (the person signed out)."""

from __future__ import annotations

from core.auth import Principal, issue_token, read_claims
from services.ended_sessions import EndedSessions
from tests.support.inprocess import InProcessApi

_SESSIONS: dict[tuple[int, str, str], str] = {}


def session_of(api: InProcessApi, principal: Principal) -> str:
    secret = api.settings.secret_key
    key = (id(api.app), secret, principal.model_dump_json())
    token = _SESSIONS.get(key)
    ended: EndedSessions = api.app.state.ended_sessions
    if token is None or ended.ended_here(principal.subject, read_claims(secret, token).issued_at):
        token = _SESSIONS[key] = issue_token(secret, principal)
    return token
