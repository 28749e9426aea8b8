"""Our own tokens (JWT, HS256): who is calling and in which role.

Two sources, told apart by the `src` claim: a session minted after the identity provider vouched for the
person (`signin`, docs/identity.md), and a token minted locally for the embedded stack (`demo`: the
`onething token` command, the stubs, the simulation). Production accepts only the first.
"""

from __future__ import annotations

import time
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
    now = int(time.time())
    claims: dict[str, object] = {
        "sub": principal.subject,
        "role": principal.role.value,
        "iat": now,
        "exp": now + ttl_seconds,
        "src": source,
    }
    if principal.department:
        claims["dept"] = principal.department
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def read_token(secret: str, token: str, *, demo_allowed: bool = True) -> Principal:
    """The principal of one of our tokens; `demo_allowed=False` (production) refuses locally minted ones."""
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]})
        if not demo_allowed and claims.get("src") != "signin":
            raise InvalidTokenError("a locally minted demo token; production accepts only signed-in sessions")
        return Principal(role=Role(claims["role"]), subject=claims["sub"], department=claims.get("dept"))
    except (jwt.PyJWTError, KeyError, ValueError) as error:
        raise InvalidTokenError(str(error)) from error
