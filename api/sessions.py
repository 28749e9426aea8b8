"""Browser sessions: our own JWT (core/auth), minted after sign-in (api/pages/signin.py), in an HttpOnly cookie.

A cookie is sent by the browser on any request to the site, also one forged by another site, so every
state-changing request authenticated by the cookie must carry a CSRF token: an HMAC of the session
token, embedded in each form (field `csrf_token`) or sent by scripts as the `X-CSRF-Token` header.
Bearer-token clients are immune to CSRF (nothing attaches their header for them) and need none.
"""

from __future__ import annotations

import hashlib
import hmac

from fastapi import Request, Response

SESSION_COOKIE = "onething_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def csrf_token(secret: str, session_token: str) -> str:
    return hmac.new(secret.encode(), f"csrf:{session_token}".encode(), hashlib.sha256).hexdigest()[:32]


def csrf_matches(secret: str, session_token: str, presented: str | None) -> bool:
    return presented is not None and hmac.compare_digest(csrf_token(secret, session_token), presented)


def session_token(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE)


def start_session(response: Response, token: str, *, max_age: int, secure: bool) -> None:
    """`secure` in production (HTTPS only); the embedded stack serves plain HTTP on localhost."""
    response.set_cookie(SESSION_COOKIE, token, max_age=max_age, httponly=True, samesite="lax", secure=secure, path="/")


def end_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")
