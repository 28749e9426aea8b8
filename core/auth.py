"""Our own tokens (JWT, HS256): who is calling and in which role.

Two sources, told apart by the `src` claim: a session minted after the identity provider vouched for the
person (`signin`, docs/identity.md), and a token minted locally for the embedded stack (`demo`: the
`onething token` command, the stubs, the simulation). Production accepts only the first.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

import jwt
from pydantic import BaseModel

ALGORITHM = "HS256"
DEFAULT_TTL_SECONDS = 12 * 3600
TokenSource = Literal["demo", "signin"]


class Role(StrEnum):
    CITIZEN = "citizen"
    STAFF = "staff"
    SUPERVISOR = "supervisor"
    LEADER = "leader"
    CLERK = "clerk"
    """A window clerk (综合窗口) at a service point: serves citizens in person, with their consent."""


class Principal(BaseModel):
    role: Role
    subject: str
    """An opaque account id, never a resident ID number or a name."""
    department: str | None = None
    """The department a staff member works for, or the service point (e.g. xuhui-centre) of a window clerk."""


class InvalidTokenError(Exception):
    pass


def issue_token(
    secret: str, principal: Principal, ttl_seconds: int = DEFAULT_TTL_SECONDS, *, source: TokenSource = "demo"
) -> str:
    now = time.time()
    claims: dict[str, object] = {
        "sub": principal.subject,
        "role": principal.role.value,
        # To the millisecond (a NumericDate may have a fraction, RFC 7519 §2): a session ended at a moment refuses
        # the sessions issued until then (services/ended_sessions.py), not one signed in again in the same second.
        # Truncated, never rounded up: a session's `iat` is never after the moment it was issued.
        "iat": math.floor(now * 1000) / 1000,
        "exp": int(now) + ttl_seconds,
        "src": source,
    }
    if principal.department:
        claims["dept"] = principal.department
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def read_token(secret: str, token: str, *, demo_allowed: bool = True) -> Principal:
    """The principal of one of our tokens; `demo_allowed=False` (production) refuses locally minted ones."""
    return read_claims(secret, token, demo_allowed=demo_allowed).principal


@dataclass(frozen=True)
class TokenClaims:
    """What one of our tokens says: whose it is, and when it was issued and expires (Unix seconds)."""

    principal: Principal
    issued_at: float
    expires: float


def read_claims(secret: str, token: str, *, demo_allowed: bool = True) -> TokenClaims:
    """`read_token`'s principal with the token's issue and expiry times."""
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub", "iat"]})
        if not demo_allowed and claims.get("src") != "signin":
            raise InvalidTokenError("a locally minted demo token; production accepts only signed-in sessions")
        principal = Principal(role=Role(claims["role"]), subject=claims["sub"], department=claims.get("dept"))
        return TokenClaims(principal, float(claims["iat"]), float(claims["exp"]))
    except (jwt.PyJWTError, KeyError, ValueError) as error:
        raise InvalidTokenError(str(error)) from error


class VerifiedTokens:
    """Our tokens already verified by this process, by their SHA-256, each until its own expiry.

    Verifying an HS256 token (PyJWT: parse, key preparation, HMAC, claim checks) cost about a tenth of a status
    read's CPU (docs/benchmarks.md); a citizen following a case sends the same token again and again. Safe
    because what `read_claims` decides is a pure function of the token, the secret and `demo_allowed` (all
    three are in the key) and of the time, which only matters through `exp`: an entry is used only before
    that `exp`, after which the token is read again (and refused). Only accepted tokens are kept, so a caller
    cannot fill it with refused ones; it holds at most `size` (the oldest entry goes first). Whether the
    session was ended before its expiry (signed out) is not the token's to say: services/ended_sessions.py.
    """

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._entries: dict[bytes, TokenClaims] = {}

    def cached(self, secret: str, token: str, *, demo_allowed: bool) -> TokenClaims | None:
        """The claims of a token this process verified and that has not expired; None otherwise."""
        found = self._entries.get(self._key(secret, token, demo_allowed))
        if found is not None and time.time() < found.expires:
            return _copy(found)
        return None

    def read(self, secret: str, token: str, *, demo_allowed: bool) -> TokenClaims:
        known = self.cached(secret, token, demo_allowed=demo_allowed)
        if known is not None:
            return known
        key = self._key(secret, token, demo_allowed)
        claims = read_claims(secret, token, demo_allowed=demo_allowed)
        if len(self._entries) >= self._size:
            del self._entries[next(iter(self._entries))]
        self._entries[key] = claims
        return _copy(claims)

    @staticmethod
    def _key(secret: str, token: str, demo_allowed: bool) -> bytes:
        return hashlib.sha256(f"{secret}\0{demo_allowed}\0{token}".encode()).digest()


def _copy(claims: TokenClaims) -> TokenClaims:
    # The principal copied: a caller's change never reaches the next request.
    return TokenClaims(claims.principal.model_copy(), claims.issued_at, claims.expires)
