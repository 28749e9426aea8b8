"""Claims to Principal: role and department from the identity, the real-name level rule, opaque subjects."""

from __future__ import annotations

import pytest

from core.auth import Role
from core.identity import IdentityRefusedError, principal_from_claims, real_name_level
from core.settings import Settings

SETTINGS = Settings(
    oidc_claim_subject="uid", oidc_claim_level="acr_level", oidc_claim_role="gov_role", oidc_claim_department="org",
    oidc_role_map={"gov_staff": "staff", "dcy": "supervisor"}, oidc_min_citizen_level=3,
)  # fmt: skip


def test_role_and_department_come_from_the_configured_claims() -> None:
    staff = principal_from_claims({"uid": "u-1", "gov_role": "gov_staff", "org": "cdc"}, SETTINGS)
    assert (staff.role, staff.subject, staff.department) == (Role.STAFF, "u-1", "cdc")
    supervisor = principal_from_claims({"uid": "u-2", "gov_role": "dcy", "org": "cdc"}, SETTINGS)
    assert (supervisor.role, supervisor.department) == (Role.SUPERVISOR, None)  # only staff work for a department
    citizen = principal_from_claims({"uid": "u-3", "acr_level": "L3", "org": "cdc"}, SETTINGS)
    assert (citizen.role, citizen.department) == (Role.CITIZEN, None)  # no role claim: a resident


@pytest.mark.parametrize(
    ("claims", "rule"),
    [
        ({"uid": "u-1", "gov_role": "admin"}, "not one of ours"),
        ({"uid": "u-1", "gov_role": "gov_staff"}, "no department"),
        ({"uid": "u-1", "acr_level": 2}, "Real-name level 2 is below the 3"),
        ({"uid": "u-1"}, "Real-name level 0"),
        ({"sub": "u-1", "acr_level": 3}, "no usable 'uid' claim"),
        ({"uid": "11010519491231002X", "acr_level": 3}, "resident ID number"),
    ],
)
def test_refusals_name_the_rule(claims: dict[str, object], rule: str) -> None:
    with pytest.raises(IdentityRefusedError, match=rule) as refused:
        principal_from_claims(claims, SETTINGS)
    assert refused.value.fix


@pytest.mark.parametrize(
    ("value", "level"), [(3, 3), ("3", 3), ("L4", 4), ("l2", 2), (True, 0), ("high", 0), (None, 0)]
)
def test_real_name_levels(value: object, level: int) -> None:
    assert real_name_level(value) == level


def test_a_window_clerk_carries_their_service_point() -> None:
    clerk = principal_from_claims({"uid": "u-4", "gov_role": "clerk", "org": "xuhui-centre"}, SETTINGS)
    assert (clerk.role, clerk.department) == (Role.CLERK, "xuhui-centre")
    with pytest.raises(IdentityRefusedError, match="no service point"):
        principal_from_claims({"uid": "u-5", "gov_role": "clerk"}, SETTINGS)
