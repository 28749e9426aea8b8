"""The personal-data access log (PIPL): officials' reads are recorded, citizens see theirs, supervisors search."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session, select

import persistence.data_access as data_access
from api.pages.rendering import LANG_COOKIE
from api.sessions import CSRF_HEADER, SESSION_COOKIE, csrf_token
from core.auth import Principal, Role, issue_token
from persistence.data_access import PersonalDataRead
from persistence.register import Resident
from tests.routers.test_applications import assert_problem
from tests.support.fake_gateway import FakeCaseGateway
from tests.support.inprocess import InProcessApi
from workflows.contracts import Holder, ItemStatus

ME = "/api/v1/me/data-access"
ITEM = "vaccination_certificate"  # decided by the CDC's staff in the platform
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


async def test_a_clerks_view_of_the_application_is_recorded_once_per_view(
    api: InProcessApi, gateway: FakeCaseGateway
) -> None:
    case_no = await api.submit("citizen-audit-handled")
    async with api.as_user(Role.STAFF, "cdc-audit-clerk", department="cdc") as clerk:
        first = await clerk.get(f"/api/v1/staff/items/{case_no}/{ITEM}")
        assert first.status_code == 200, first.text
        assert (await clerk.get(f"/api/v1/staff/items/{case_no}/{ITEM}")).status_code == 200
    seen = first.json()
    assert (seen["case_no"], seen["item_code"], seen["round"]) == (case_no, ITEM, 0)
    bundle = gateway.started[0]
    expected = {
        name: bundle.form.get(source.removeprefix("form."))
        for name, source in bundle.thing.item(ITEM).inputs.items()
        if source.startswith("form.")
    }
    assert expected
    assert {k: seen["inputs"][k] for k in expected} == expected
    rows = rows_of(api, case_no)
    assert [(r.reader, r.role, r.department, r.what, r.purpose) for r in rows] == [
        ("cdc-audit-clerk", "staff", "cdc", "form", "handling")
    ] * 2


async def test_a_clerk_who_may_not_read_the_application_leaves_no_row(
    api: InProcessApi, gateway: FakeCaseGateway
) -> None:
    case_no = await api.submit("citizen-audit-refused")
    async with api.as_user(Role.STAFF, "health-audit-clerk", department="health") as health:
        assert_problem(await health.get(f"/api/v1/staff/items/{case_no}/{ITEM}"), 404)  # another department's
    await gateway.put(case_no, ITEM, status=ItemStatus.WAITING_CITIZEN, holder=Holder.CITIZEN)
    async with api.as_user(Role.STAFF, "cdc-audit-waiting", department="cdc") as clerk:
        assert_problem(await clerk.get(f"/api/v1/staff/items/{case_no}/{ITEM}"), 409)  # with the citizen now
    async with api.as_user(Role.SUPERVISOR, "supervisor-audit-staff-route") as supervisor:
        assert_problem(await supervisor.get(f"/api/v1/staff/items/{case_no}/{ITEM}"), 403)
    assert rows_of(api, case_no) == []


async def test_the_pages_record_and_show_the_reads_in_the_pages_language(
    api: InProcessApi, gateway: FakeCaseGateway
) -> None:
    case_no = await api.submit("citizen-audit-pages")
    async with browser(api, Role.STAFF, "cdc-audit-page", department="cdc") as clerk:
        await clerk.post(f"/api/v1/staff/items/{case_no}/{ITEM}/claim", headers=csrf(api, clerk))
        queue = await clerk.get("/staff")
        assert f'href="/staff/items/{case_no}/{ITEM}"' in queue.text
        page = await clerk.get(f"/staff/items/{case_no}/{ITEM}")
        assert page.status_code == 200
        assert 'id="read-logged"' in page.text
    async with browser(api, Role.SUPERVISOR, "supervisor-audit-page") as supervisor:
        case_page = await supervisor.get(f"/supervision/cases/{case_no}")
        assert 'id="data-access-log"' in case_page.text
        assert "cdc-audit-page" in case_page.text
        assert "supervisor-audit-page" in case_page.text
    async with browser(api, Role.CITIZEN, "citizen-audit-pages") as owner:
        zh = await owner.get("/data-access")
        assert 'href="/data-access"' in zh.text
        assert all(word in zh.text for word in ("谁查看了我的数据", "部门工作人员", "审批办理", "效能监督", case_no))
        owner.cookies.set(LANG_COOKIE, "en")
        en = (await owner.get("/data-access")).text
        assert all(word in en for word in ("Who viewed my data", "Department staff", "Handling the application"))
        assert "部门工作人员" not in en
    async with browser(api, Role.CITIZEN, "citizen-audit-pages-other") as stranger:
        other = await stranger.get("/data-access")
        assert case_no not in other.text
        assert 'id="data-access-none"' in other.text
    assert len(rows_of(api, case_no)) == 2


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


def browser(api: InProcessApi, role: Role, subject: str, department: str | None = None) -> Any:
    """A client signed in by the session cookie, as the pages are."""
    token = issue_token(api.settings.secret_key, Principal(role=role, subject=subject, department=department))
    client = api.client()
    client.cookies.set(SESSION_COOKIE, token)
    return client


def csrf(api: InProcessApi, client: Any) -> dict[str, str]:
    return {CSRF_HEADER: csrf_token(api.settings.secret_key, client.cookies[SESSION_COOKIE])}
