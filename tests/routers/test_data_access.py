"""The personal-data access log (PIPL): officials' reads are recorded, citizens see theirs, supervisors search."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session, select

import persistence.data_access as data_access
from core.auth import Role
from persistence.data_access import PersonalDataRead
from persistence.register import Resident
from tests.routers.test_applications import assert_problem
from tests.support.fake_gateway import FakeCaseGateway
from tests.support.inprocess import InProcessApi

ME = "/api/v1/me/data-access"
SEARCH = "/api/v1/supervision/data-access"


def rows_of(api: InProcessApi, case_no: str) -> list[PersonalDataRead]:
    with Session(api.engine) as session:
        query = select(PersonalDataRead).where(PersonalDataRead.case_no == case_no).order_by(PersonalDataRead.id)
        return list(session.exec(query).all())


async def test_a_supervisors_case_detail_is_recorded_once_per_view(api: InProcessApi, gateway: FakeCaseGateway) -> None:
    case_no = await api.submit("citizen-audit-supervised")
    before = datetime.now(UTC)
    async with api.as_user(Role.SUPERVISOR, "supervisor-audit") as supervisor:
        for _ in range(2):
            assert (await supervisor.get(f"/api/v1/supervision/cases/{case_no}")).status_code == 200
    rows = rows_of(api, case_no)
    assert [(r.reader, r.role, r.department, r.what, r.purpose) for r in rows] == [
        ("supervisor-audit", "supervisor", None, "case_detail", "supervision")
    ] * 2
    assert all(before - timedelta(seconds=1) <= r.at <= datetime.now(UTC) for r in rows)


async def test_a_case_not_found_records_nothing(api: InProcessApi, gateway: FakeCaseGateway) -> None:
    async with api.as_user(Role.SUPERVISOR, "supervisor-audit-miss") as supervisor:
        assert_problem(await supervisor.get("/api/v1/supervision/cases/NO-SUCH-CASE"), 404)
    assert rows_of(api, "NO-SUCH-CASE") == []


async def test_the_citizens_own_reads_are_not_recorded(api: InProcessApi, gateway: FakeCaseGateway) -> None:
    case_no = await api.submit("citizen-audit-self")
    async with api.as_user(Role.CITIZEN, "citizen-audit-self") as citizen:
        assert (await citizen.get(f"/api/v1/applications/{case_no}")).status_code == 200
        assert (await citizen.get("/api/v1/applications")).status_code == 200
        assert (await citizen.get(ME)).json() == {"entries": []}
    assert rows_of(api, case_no) == []


async def test_the_citizen_sees_reads_of_their_cases_only(api: InProcessApi, gateway: FakeCaseGateway) -> None:
    mine = await api.submit("citizen-audit-owner")
    theirs = await api.submit("citizen-audit-other")
    async with api.as_user(Role.SUPERVISOR, "supervisor-audit-both") as supervisor:
        for case_no in (mine, theirs):
            await supervisor.get(f"/api/v1/supervision/cases/{case_no}")
    async with api.as_user(Role.CITIZEN, "citizen-audit-owner") as owner:
        entries = (await owner.get(ME)).json()["entries"]
    assert [(e["case_no"], e["reader"], e["role"], e["what"], e["purpose"]) for e in entries] == [
        (mine, "supervisor-audit-both", "supervisor", "case_detail", "supervision")
    ]
    async with api.as_user(Role.CITIZEN, "citizen-audit-nobody") as stranger:
        assert (await stranger.get(ME)).json() == {"entries": []}
    for role in (Role.SUPERVISOR, Role.STAFF, Role.LEADER):
        async with api.as_user(role, "official-audit", department="cdc") as official:
            assert_problem(await official.get(ME), 403)  # roles never widen: an official is no citizen
    async with api.client() as anonymous:
        assert_problem(await anonymous.get(ME), 401)


async def test_supervisors_search_by_case_reader_and_day_with_pages(
    api: InProcessApi, gateway: FakeCaseGateway
) -> None:
    first = await api.submit("citizen-audit-search-a")
    second = await api.submit("citizen-audit-search-b")
    async with (
        api.as_user(Role.SUPERVISOR, "supervisor-audit-x") as x,
        api.as_user(Role.LEADER, "leader-audit-y") as y,
    ):
        for case_no in (first, second, first):
            await x.get(f"/api/v1/supervision/cases/{case_no}")
        await y.get(f"/api/v1/supervision/cases/{first}")

        by_case = (await x.get(SEARCH, params={"case_no": first})).json()
        assert by_case["total"] == 3
        assert [e["reader"] for e in by_case["entries"]] == [
            "leader-audit-y",
            "supervisor-audit-x",
            "supervisor-audit-x",
        ]
        by_reader = (await x.get(SEARCH, params={"reader": "supervisor-audit-x"})).json()
        assert [e["case_no"] for e in by_reader["entries"]] == [first, second, first]
        both = (await x.get(SEARCH, params={"reader": "supervisor-audit-x", "case_no": second})).json()
        assert both["total"] == 1

        paged = (await x.get(SEARCH, params={"reader": "supervisor-audit-x", "limit": 2, "offset": 2})).json()
        assert (paged["total"], paged["limit"], paged["offset"]) == (3, 2, 2)
        assert [e["case_no"] for e in paged["entries"]] == [first]

        today = datetime.now(UTC).date()
        in_days = {
            "reader": "supervisor-audit-x",
            "since": str(today - timedelta(days=1)),
            "until": str(today + timedelta(days=1)),
        }
        assert (await x.get(SEARCH, params=in_days)).json()["total"] == 3
        later = {"reader": "supervisor-audit-x", "since": str(today + timedelta(days=2))}
        assert (await x.get(SEARCH, params=later)).json()["total"] == 0
        backwards = {"since": str(today), "until": str(today - timedelta(days=1))}
        assert_problem(await x.get(SEARCH, params=backwards), 422)

        assert_problem(await y.get(SEARCH), 403)  # the leader reads figures, not the access log
    for role in (Role.CITIZEN, Role.STAFF):
        async with api.as_user(role, "not-a-supervisor", department="cdc") as other:
            assert_problem(await other.get(SEARCH), 403)


async def test_no_personal_data_is_stored_in_a_row(api: InProcessApi, gateway: FakeCaseGateway) -> None:
    case_no = await api.submit("citizen-audit-private")
    async with api.as_user(Role.SUPERVISOR, "supervisor-audit-private") as supervisor:
        await supervisor.get(f"/api/v1/supervision/cases/{case_no}")
    personal = _strings(api.newborn()["form"])
    with Session(api.engine) as session:
        personal |= {value for r in session.exec(select(Resident)).all() for value in (r.name, r.id_no, r.mobile)}
    (row,) = rows_of(api, case_no)
    stored = {str(value) for value in row.model_dump().values() if value is not None}
    assert not {value for value in personal if len(value) > 1} & stored
    assert set(PersonalDataRead.model_fields) == {
        "id",
        "at",
        "reader",
        "role",
        "department",
        "case_no",
        "what",
        "purpose",
    }


def test_the_log_can_only_be_written_and_read() -> None:
    functions = {
        name
        for name, value in inspect.getmembers(data_access, inspect.isfunction)
        if value.__module__ == data_access.__name__
    }
    assert functions == {"insert_read", "reads_of_owner", "search_reads"}
    source = inspect.getsource(data_access).split('"""', 2)[2]  # below the docstring with the SQL for PostgreSQL
    for verb in ("delete(", "update(", ".merge(", "execute("):
        assert verb not in source


def _strings(form: Any) -> set[str]:
    if isinstance(form, dict):
        return {s for value in form.values() for s in _strings(value)}
    if isinstance(form, list):
        return {s for value in form for s in _strings(value)}
    return {str(form)} if form not in (None, "") else set()
