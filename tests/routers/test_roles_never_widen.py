"""Roles never widen one another: a supervisor's, a leader's or a clerk's token is not a citizen's."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from core.auth import Principal, Role
from services.cases import load_case, load_own_case
from services.errors import NotFoundError
from tests.routers.test_applications import assert_problem
from tests.support.fake_gateway import FakeCaseGateway
from tests.support.inprocess import InProcessApi

OFFICIALS = [(Role.SUPERVISOR, None), (Role.LEADER, None), (Role.STAFF, "health")]


@pytest.mark.parametrize(("role", "department"), OFFICIALS)
async def test_an_official_is_refused_on_every_citizen_write_and_read(
    api: InProcessApi, gateway: FakeCaseGateway, role: Role, department: str | None
) -> None:
    case_no = await api.submit(f"citizen-watched-by-{role.value}")
    gateway.sent.clear()
    writes = [
        ("/api/v1/applications", api.newborn()),
        (f"/api/v1/applications/{case_no}/withdraw", {}),
        (f"/api/v1/applications/{case_no}/supplements", {"item_code": "birth_certificate", "form": {}}),
        (f"/api/v1/applications/{case_no}/rating", {"overall": {"score": 5}, "departments": []}),
        (f"/api/v1/applications/{case_no}/rectifications/health/confirm", {}),
        ("/api/v1/authorisations", {"agent": "demo-grandmother-1", "things": ["newborn"]}),
    ]
    async with api.as_user(role, "official-1", department) as official:
        for path, body in writes:
            assert_problem(await official.post(path, json=body), 403)
        for path in (
            f"/api/v1/applications/{case_no}",
            "/api/v1/applications",
            f"/api/v1/applications/{case_no}/rating",
        ):
            assert_problem(await official.get(path), 403)
    assert gateway.sent == []  # nothing reached the case


async def test_the_case_check_applies_to_every_caller_and_the_rating_to_the_applicant_alone(
    api: InProcessApi,
) -> None:
    case_no = await api.submit("citizen-rated-alone")
    async with api.as_user(Role.CITIZEN, "citizen-rated-alone") as owner:
        response = await owner.post(
            "/api/v1/authorisations",
            json={"agent": "demo-grandmother-1", "case_no": case_no, "valid_until": "2999-01-01T00:00:00Z"},
        )
        assert response.status_code == 422  # more than a year
    with Session(api.engine) as session:
        supervisor = Principal(role=Role.SUPERVISOR, subject="citizen-rated-alone")  # even with the owner's id
        with pytest.raises(NotFoundError):
            load_case(session, supervisor, case_no, now=api.app.state.clock.now())
        with pytest.raises(NotFoundError):
            load_own_case(session, Principal(role=Role.CITIZEN, subject="demo-grandmother-1"), case_no)
        owner_principal = Principal(role=Role.CITIZEN, subject="citizen-rated-alone")
        assert load_own_case(session, owner_principal, case_no)[0].case_no == case_no
