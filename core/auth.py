"""Bearer tokens (JWT, HS256) for the embedded stack: who is calling and in which role."""

from __future__ import annotations

import time
from enum import StrEnum

import jwt
from pydantic import BaseModel

ALGORITHM = "HS256"
DEFAULT_TTL_SECONDS = 12 * 3600


class Role(StrEnum):
    CITIZEN = "citizen"
    STAFF = "staff"
    SUPERVISOR = "supervisor"
    LEADER = "leader"


class Principal(BaseModel):
    role: Role
    subject: str
    """An opaque account id, never a resident ID number or a name."""
    department: str | None = None
    """The department a staff member works for."""


class InvalidTokenError(Exception):
    pass


def issue_token(secret: str, principal: Principal, ttl_seconds: int = DEFAULT_TTL_SECONDS) -> str:
    now = int(time.time())
    claims: dict[str, object] = {
        "sub": principal.subject,
        "role": principal.role.value,
        "iat": now,
        "exp": now + ttl_seconds,
    }
    if principal.department:
        claims["dept"] = principal.department
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def read_token(secret: str, token: str) -> Principal:
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]})
        return Principal(role=Role(claims["role"]), subject=claims["sub"], department=claims.get("dept"))
    except (jwt.PyJWTError, KeyError, ValueError) as error:
        raise InvalidTokenError(str(error)) from error
