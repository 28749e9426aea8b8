"""The identity provider's claims, as a Principal: who, in which role, for which department.

Role and department come only from the provider's (signed, validated) claims, never from a form. A citizen
must carry at least the configured real-name level (实名等级). The subject must be an opaque account id: a
provider that puts the resident ID number there would spread it into our sessions, logs and records.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from stdnum.cn import ric

from core.auth import Principal, Role
from core.settings import Settings

MAX_SUBJECT = 128
MAX_DEPARTMENT = 64


class IdentityRefusedError(Exception):
    """Signed in at the provider, but not allowed to act here; `rule` and `fix` are safe to show (in English);
    `key` names the refusal for a page to word in its language, with `values` (e.g. the levels)."""

    def __init__(self, rule: str, fix: str, *, key: str = "signin_not_allowed", **values: int) -> None:
        super().__init__(rule)
        self.rule = rule
        self.fix = fix
        self.key = key
        self.values = values


def real_name_level(value: object) -> int:
    """3, "3" and "L3" are level 3; anything else (or nothing) is level 0."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and (match := re.fullmatch(r"[Ll]?(\d{1,2})", value.strip())):
        return int(match.group(1))
    return 0


def principal_from_claims(claims: Mapping[str, object], settings: Settings) -> Principal:
    subject = claims.get(settings.oidc_claim_subject)
    if not isinstance(subject, str) or not subject or len(subject) > MAX_SUBJECT:
        raise IdentityRefusedError(
            f"The identity has no usable '{settings.oidc_claim_subject}' claim",
            "Operators: set ONETHING_OIDC_CLAIM_SUBJECT to the provider's account id claim.",
        )
    if ric.is_valid(subject):
        raise IdentityRefusedError(
            "The identity's subject is a resident ID number",
            "Operators: set ONETHING_OIDC_CLAIM_SUBJECT to an opaque (pairwise) account id claim.",
        )
    role = _role(claims.get(settings.oidc_claim_role), settings)
    department = claims.get(settings.oidc_claim_department)
    check_role_claims(role, department, claim=settings.oidc_claim_department)
    if role is Role.CITIZEN:
        level = real_name_level(claims.get(settings.oidc_claim_level))
        if level < settings.oidc_min_citizen_level:
            raise IdentityRefusedError(
                f"Real-name level {level} is below the {settings.oidc_min_citizen_level} this service needs",
                "Complete real-name verification (e.g. face check) with the identity service, then sign in again.",
                key="real_name_level",
                level=level,
                needed=settings.oidc_min_citizen_level,
            )
    return Principal(role=role, subject=subject, department=department if role in (Role.STAFF, Role.CLERK) else None)


def check_role_claims(role: Role, department: object, *, claim: str = "dept") -> None:
    """What a role needs to act, whichever token it came in: staff and clerks act for a department or service
    point, and every query of theirs is scoped by it, so a token without one is refused here, at sign-in,
    rather than failing inside the first query."""
    usable = isinstance(department, str) and 0 < len(department) <= MAX_DEPARTMENT and department.isprintable()
    if role is Role.STAFF and not usable:
        raise IdentityRefusedError(
            "A staff identity carries no department, or one that is not a department code",
            f"Ask the identity service to add the '{claim}' claim (a department code) for department staff.",
        )
    if role is Role.CLERK and not usable:
        raise IdentityRefusedError(
            "A window clerk's identity carries no service point, or one that is not a code",
            f"Ask the identity service to put the clerk's service point in the '{claim}' claim.",
        )


def check_principal(principal: Principal) -> Principal:
    """A principal read from one of our own tokens holds to the same rules as one from the provider's claims
    (a session outlives a change of the rules, and `onething token` mints anything it is asked)."""
    subject = principal.subject
    if not subject or len(subject) > MAX_SUBJECT or not subject.isprintable():
        raise IdentityRefusedError("The token's subject is not a usable account id", "Sign in again.")
    check_role_claims(principal.role, principal.department)
    return principal


def _role(value: object, settings: Settings) -> Role:
    if value is None:
        return Role.CITIZEN  # a resident's identity carries no role: the least a person can be
    mapped = settings.oidc_role_map.get(str(value), str(value))
    try:
        return Role(mapped)
    except ValueError:
        raise IdentityRefusedError(
            f"The identity's role {str(value)[:40]!r} is not one of ours",
            "Operators: map it in ONETHING_OIDC_ROLE_MAP (docs/identity.md).",
        ) from None
